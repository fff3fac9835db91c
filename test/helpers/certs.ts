// Certificates for TLS tests and the native bench, made with the openssl CLI at run time in a temp
// dir or a given folder (no private key is ever committed). EC P-256 keys: fast to generate.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import tls from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface CertPair {
  cert: string;
  key: string;
}

export interface LeafOptions {
  /** openssl -subj, e.g. "/C=US/O=Acme/CN=route-a"; default "/CN=<name>". */
  subj?: string;
  dns?: string[];
  ip?: string[];
  uri?: string[];
  email?: string[];
  /** extendedKeyUsage value; default "serverAuth,clientAuth"; '' for none. */
  eku?: string;
  /** Validity in days; -1 makes a certificate that has already expired. */
  days?: number;
  /** Sign with this CA instead of the PKI's own. */
  ca?: CertPair;
}

let sequence = 0;

/** A throwaway CA and the leaves it signs. */
export class TestPki {
  readonly dir: string;
  readonly ca: CertPair;

  /** `dir`: write there and keep the files (the bench's results folder); default a removed temp dir. */
  constructor(t?: { teardown(fn: () => unknown): void }, o: { dir?: string } = {}) {
    if (o.dir) mkdirSync((this.dir = o.dir), { recursive: true });
    else this.dir = mkdtempSync(join(tmpdir(), 'nrp-pki-'));
    t?.teardown(() => rmSync(this.dir, { recursive: true, force: true }));
    this.ca = this.newCa('ca');
  }

  /** Another, unrelated CA (for "unknown CA" cases). */
  newCa(name: string): CertPair {
    const cert = join(this.dir, `${name}.pem`);
    const key = join(this.dir, `${name}-key.pem`);
    openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', key, '-out', cert, '-days', '2', '-subj', `/CN=${name}`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
    return { cert, key };
  }

  /** A leaf signed by the CA; by default valid for localhost and 127.0.0.1, serverAuth+clientAuth. */
  leaf(name: string, o: LeafOptions = {}): CertPair {
    const id = `${name}-${++sequence}`;
    const cert = join(this.dir, `${id}.pem`);
    const key = join(this.dir, `${id}-key.pem`);
    const csr = join(this.dir, `${id}.csr`);
    const ext = join(this.dir, `${id}.ext`);
    const ca = o.ca ?? this.ca;
    openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', key, '-out', csr, '-subj', o.subj ?? `/CN=${name}`]);
    const sans = [
      ...(o.dns ?? (o.ip || o.uri || o.email ? [] : ['localhost'])).map((d) => `DNS:${d}`),
      ...(o.ip ?? (o.dns || o.uri || o.email ? [] : ['127.0.0.1'])).map((i) => `IP:${i}`),
      ...(o.uri ?? []).map((u) => `URI:${u}`),
      ...(o.email ?? []).map((e) => `email:${e}`),
    ];
    const eku = o.eku ?? 'serverAuth,clientAuth';
    const lines = ['basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment'];
    if (sans.length > 0) lines.push(`subjectAltName=${sans.join(',')}`);
    if (eku !== '') lines.push(`extendedKeyUsage=${eku}`);
    writeFileSync(ext, lines.join('\n') + '\n');
    openssl(['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial',
      '-out', cert, '-days', String(o.days ?? 2), '-extfile', ext]);
    return { cert, key };
  }

  /** Hex SHA-256 of the certificate's DER SubjectPublicKeyInfo (what pinned_certs lists). */
  spkiSha256(certFile: string): string {
    const der = execFileSync('openssl', ['x509', '-in', certFile, '-noout', '-pubkey']);
    const spki = execFileSync('openssl', ['pkey', '-pubin', '-outform', 'DER'], { input: der });
    return execFileSync('openssl', ['dgst', '-sha256', '-r'], { input: spki }).toString().split(' ')[0]!;
  }
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** The SHA-256 fingerprint of the certificate a fresh TLS client (with `client`'s pair) is shown on `port`. */
export function servedFingerprint(port: number, client: CertPair, caFile: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({
      port, host: '127.0.0.1', cert: readFileSync(client.cert), key: readFileSync(client.key),
      ca: readFileSync(caFile), checkServerIdentity: () => undefined,
    });
    s.once('secureConnect', () => { resolve(s.getPeerX509Certificate()!.fingerprint256); s.destroy(); });
    s.once('error', reject);
  });
}

/** The SHA-256 fingerprint of a certificate file. */
export const fingerprint = (file: string): string => new X509Certificate(readFileSync(file)).fingerprint256;
