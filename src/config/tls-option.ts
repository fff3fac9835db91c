// cluster.tls: nats-server's parseTLS (fail-fast, in file order) followed by GenTLSConfig,
// which loads the certificate, key and CA at config time so that `-t` catches bad files.
import { readFileSync } from 'node:fs';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import type { RouteTlsOptions } from './options.js';
import type { ConfEntry, ConfValue, SourcePos } from './tree.js';
import { goTypeName } from './tree.js';
import { goFloatV, goQuote } from './go-text.js';
import { parseGoDuration } from './duration.js';
import type { IssueSink } from './issues.js';

/** Go crypto/tls cipher suite names (secure ones) and their OpenSSL names for node:tls. */
export const GO_SECURE_CIPHERS: Readonly<Record<string, string>> = {
  TLS_RSA_WITH_AES_128_CBC_SHA: 'AES128-SHA',
  TLS_RSA_WITH_AES_256_CBC_SHA: 'AES256-SHA',
  TLS_RSA_WITH_AES_128_GCM_SHA256: 'AES128-GCM-SHA256',
  TLS_RSA_WITH_AES_256_GCM_SHA384: 'AES256-GCM-SHA384',
  TLS_AES_128_GCM_SHA256: 'TLS_AES_128_GCM_SHA256',
  TLS_AES_256_GCM_SHA384: 'TLS_AES_256_GCM_SHA384',
  TLS_CHACHA20_POLY1305_SHA256: 'TLS_CHACHA20_POLY1305_SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: 'ECDHE-ECDSA-AES128-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 'ECDHE-ECDSA-AES256-SHA',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 'ECDHE-RSA-AES128-SHA',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 'ECDHE-RSA-AES256-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
};

/** Go's tls.InsecureCipherSuites(): accepted only with allow_insecure_cipher_suites. */
export const GO_INSECURE_CIPHERS: Readonly<Record<string, string>> = {
  TLS_RSA_WITH_RC4_128_SHA: 'RC4-SHA',
  TLS_RSA_WITH_3DES_EDE_CBC_SHA: 'DES-CBC3-SHA',
  TLS_RSA_WITH_AES_128_CBC_SHA256: 'AES128-SHA256',
  TLS_ECDHE_ECDSA_WITH_RC4_128_SHA: 'ECDHE-ECDSA-RC4-SHA',
  TLS_ECDHE_RSA_WITH_RC4_128_SHA: 'ECDHE-RSA-RC4-SHA',
  TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA: 'ECDHE-RSA-DES-CBC3-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256: 'ECDHE-ECDSA-AES128-SHA256',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256: 'ECDHE-RSA-AES128-SHA256',
};

/** nats-server's curvePreferenceMap (Go 1.25 build) and the OpenSSL group names. */
export const GO_CURVES: Readonly<Record<string, string>> = {
  X25519MLKEM768: 'X25519MLKEM768',
  X25519: 'X25519',
  CurveP256: 'P-256',
  CurveP384: 'P-384',
  CurveP521: 'P-521',
};

// Options nats-server has for Windows cert stores, OCSP and multiple certs: we do not implement them.
const UNSUPPORTED = new Set([
  'cert_store', 'cert_match_by', 'cert_match', 'ca_certs_match', 'cert_match_skip_invalid',
  'ocsp_peer', 'certs', 'certificates',
]);

class TlsError extends Error {
  constructor(readonly pos: SourcePos, message: string) {
    super(message);
  }
}

/** Parses and checks the route `tls` block; undefined when it was rejected (error in sink). */
export function parseRouteTls(entry: ConfEntry, sink: IssueSink): RouteTlsOptions | undefined {
  const v = entry.value;
  if (v.type !== 'map') {
    sink.typeMismatch(entry.keyPos, v, 'map[string]interface {}');
    return undefined;
  }
  const tc: RouteTlsOptions = {
    verify: true, // routes always verify the peer certificate (getTLSConfig forces it)
    verifyAndMap: false,
    verifyCertAndCheckKnownUrls: false,
    insecure: false,
    timeoutMs: 2000,
  };
  try {
    parseKeys(v.entries, tc, entry.keyPos);
    if (tc.timeoutMs === 0) tc.timeoutMs = 2000; // setBaselineOptions: 0 → TLS_TIMEOUT (auth then 3s)
  } catch (err) {
    if (err instanceof TlsError) {
      sink.error(err.pos, err.message);
      return undefined;
    }
    throw err;
  }
  const genErr = checkFiles(tc) ?? checkNodeSupport(tc);
  if (genErr !== undefined) {
    sink.error(entry.keyPos, genErr);
    return undefined;
  }
  return tc;
}

function parseKeys(entries: Map<string, ConfEntry>, tc: RouteTlsOptions, tlsPos: SourcePos): void {
  let allowInsecure = false;
  const insecureFound: string[] = [];
  for (const [key, e] of entries) {
    const mv = e.value;
    const tk = e.keyPos;
    const k = key.toLowerCase();
    const bool = (name: string): boolean => {
      if (mv.type !== 'bool') throw new TlsError(tk, `error parsing tls config, expected '${name}' to be a boolean`);
      return mv.value;
    };
    const file = (name: string): string => {
      if (mv.type !== 'string') throw new TlsError(tk, `error parsing tls config, expected '${name}' to be filename`);
      return mv.value;
    };
    switch (k) {
      case 'cert_file': tc.certFile = file('cert_file'); break;
      case 'key_file': tc.keyFile = file('key_file'); break;
      case 'ca_file': tc.caFile = file('ca_file'); break;
      case 'insecure': tc.insecure = bool('insecure'); break;
      case 'verify': bool('verify'); break; // forced on for routes whatever the value
      case 'verify_and_map': tc.verifyAndMap = bool('verify_and_map'); break;
      case 'verify_cert_and_check_known_urls':
        tc.verifyCertAndCheckKnownUrls = bool('verify_cert_and_check_known_urls');
        break;
      case 'allow_insecure_cipher_suites': allowInsecure = bool('allow_insecure_cipher_suites'); break;
      case 'cipher_suites': {
        const items = arrayOf(mv, tk);
        if (items.length === 0) throw new TlsError(tk, "error parsing tls config, 'cipher_suites' cannot be empty");
        tc.cipherSuites = [];
        for (const item of items) {
          const name = stringItem(item);
          if (name in GO_INSECURE_CIPHERS) insecureFound.push(name);
          else if (!(name in GO_SECURE_CIPHERS)) throw new TlsError(item.pos, `unrecognized cipher ${name}`);
          tc.cipherSuites.push(name);
        }
        break;
      }
      case 'curve_preferences': {
        const items = arrayOf(mv, tk);
        if (items.length === 0) throw new TlsError(tk, "error parsing tls config, 'curve_preferences' cannot be empty");
        tc.curvePreferences = [];
        for (const item of items) {
          const name = stringItem(item);
          if (!(name in GO_CURVES)) throw new TlsError(item.pos, `unrecognized curve preference ${name}`);
          tc.curvePreferences.push(name);
        }
        break;
      }
      case 'timeout':
        tc.timeoutMs = secondsValue(mv, tk) * 1000;
        break;
      case 'connection_rate_limit':
        // Validated like nats-server; it limits client TLS handshakes only, so routes ignore it.
        if (mv.type !== 'int') throw new TlsError(tk, "error parsing tls config, 'connection_rate_limit' wrong type");
        break;
      case 'pinned_certs': {
        if (mv.type !== 'array') {
          throw new TlsError(tk, "error parsing tls config, expected 'pinned_certs' to be a list of hex-encoded sha256 of DER encoded SubjectPublicKeyInfo");
        }
        if (mv.items.length === 0) break;
        const set = new Set<string>();
        for (const item of mv.items) {
          const entry = stringItem(item).toLowerCase();
          if (!/^[a-f0-9]{64}$/.test(entry)) {
            throw new TlsError(item.pos, `error parsing tls config, 'pinned_certs' key ${entry} does not look like hex-encoded sha256 of DER encoded SubjectPublicKeyInfo`);
          }
          set.add(entry);
        }
        tc.pinnedCerts = [...set];
        break;
      }
      case 'handshake_first': case 'first': case 'immediate':
        // Validated like nats-server, which then does not copy it into route options: no effect.
        checkHandshakeFirst(key, mv, tk);
        break;
      case 'min_version': {
        if (mv.type !== 'string') {
          throw new TlsError(tk, `error parsing tls config: 'min_version' wrong type: ${plainV(mv)}`);
        }
        const ver = mv.value;
        if (ver === '1.0' || ver === '1.1') {
          throw new TlsError(tk, `error parsing tls config: unsupported TLS version: TLS ${ver}`);
        }
        if (ver !== '1.2' && ver !== '1.3') throw new TlsError(tk, `error parsing tls config: unknown version: ${ver}`);
        tc.minVersion = ver;
        break;
      }
      default:
        if (UNSUPPORTED.has(k)) {
          throw new TlsError(tk, `error parsing tls config, ${goQuote(key)} is not supported by nats-route-proxy`);
        }
        throw new TlsError(tk, `error parsing tls config, unknown field ${goQuote(key)}`);
    }
  }
  if (!allowInsecure && insecureFound.length > 0) {
    throw new TlsError(tlsPos, `insecure cipher suites configured without 'allow_insecure_cipher_suites' option set: ${insecureFound.join(', ')}`);
  }
}

function arrayOf(v: ConfValue, pos: SourcePos): ConfValue[] {
  if (v.type !== 'array') throw new TlsError(pos, `interface conversion: interface {} is ${goTypeName(v)}, not []interface {}`);
  return v.items;
}

function stringItem(v: ConfValue): string {
  if (v.type !== 'string') throw new TlsError(v.pos, `interface conversion: interface {} is ${goTypeName(v)}, not string`);
  return v.value;
}

// %v of the raw value, as the 'min_version' wrong-type message prints it.
function plainV(v: ConfValue): string {
  if (v.type === 'float') return goFloatV(v.value);
  if (v.type === 'int' || v.type === 'bool' || v.type === 'string') return String(v.value);
  return goTypeName(v);
}

function secondsValue(mv: ConfValue, tk: SourcePos): number {
  switch (mv.type) {
    case 'int': case 'float': return mv.value;
    case 'string': {
      const d = parseGoDuration(mv.value);
      if ('error' in d) throw new TlsError(tk, `error parsing tls config, 'timeout' ${d.error}`);
      return Number(d.ns) / 1e9;
    }
    default:
      throw new TlsError(tk, "error parsing tls config, 'timeout' wrong type");
  }
}

function checkHandshakeFirst(key: string, mv: ConfValue, tk: SourcePos): void {
  if (mv.type === 'bool') return;
  if (mv.type !== 'string') {
    throw new TlsError(tk, `field ${goQuote(key)} should be a boolean or a string, got ${goTypeName(mv)}`);
  }
  const s = mv.value.toLowerCase();
  if (['true', 'on', 'false', 'off', 'auto', 'auto_fallback'].includes(s)) return;
  if ('ns' in parseGoDuration(mv.value)) return;
  throw new TlsError(tk, `field ${goQuote(key)}'s value ${goQuote(mv.value)} is invalid`);
}

// ---- GenTLSConfig: the files ------------------------------------------------------------

/** Loads cert/key/CA like GenTLSConfig; returns its error text or undefined. */
function checkFiles(tc: RouteTlsOptions): string | undefined {
  // nats-server accepts this at config time; with mutual TLS no route could ever come up, so
  // -t says so instead of the first handshake.
  if (!tc.certFile && !tc.keyFile) {
    return "missing 'cert_file' and 'key_file' in TLS configuration: routes always use mutual TLS (the certificate is presented as server and as client)";
  }
  if (tc.certFile && !tc.keyFile) return "missing 'key_file' in TLS configuration";
  if (!tc.certFile && tc.keyFile) return "missing 'cert_file' in TLS configuration";
  if (tc.certFile && tc.keyFile) {
    const pairErr = checkKeyPair(tc.certFile, tc.keyFile);
    if (pairErr !== undefined) return `error parsing X509 certificate/key pair: ${pairErr}`;
  }
  if (tc.caFile) {
    const ca = readText(tc.caFile);
    if ('error' in ca) return ca.error;
    const certs = pemBlocks(ca.text).filter((b) => b.type === 'CERTIFICATE');
    const parsed = certs.filter((b) => {
      try { new X509Certificate(b.pem); return true; } catch { return false; }
    });
    if (parsed.length === 0) return 'failed to parse root ca certificate';
  }
  return undefined;
}

function checkKeyPair(certFile: string, keyFile: string): string | undefined {
  const cert = readText(certFile);
  if ('error' in cert) return cert.error;
  const key = readText(keyFile);
  if ('error' in key) return key.error;
  const certBlocks = pemBlocks(cert.text);
  if (certBlocks.length === 0) return 'tls: failed to find any PEM data in certificate input';
  const leaf = certBlocks.find((b) => b.type === 'CERTIFICATE');
  if (!leaf) {
    const skipped = certBlocks.map((b) => b.type).join(' ');
    return `tls: failed to find "CERTIFICATE" PEM block in certificate input after skipping PEM blocks of the following types: [${skipped}]`;
  }
  const keyBlocks = pemBlocks(key.text);
  if (keyBlocks.length === 0) return 'tls: failed to find any PEM data in key input';
  const keyBlock = keyBlocks.find((b) => b.type === 'PRIVATE KEY' || b.type.endsWith(' PRIVATE KEY'));
  if (!keyBlock) {
    if (keyBlocks.some((b) => b.type === 'CERTIFICATE')) return 'tls: found a certificate rather than a key in the PEM for the private key';
    const skipped = keyBlocks.map((b) => b.type).join(' ');
    return `tls: failed to find PEM block with type ending in "PRIVATE KEY" in key input after skipping PEM blocks of the following types: [${skipped}]`;
  }
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(leaf.pem);
  } catch {
    return 'x509: malformed certificate';
  }
  let pk;
  try {
    pk = createPrivateKey(keyBlock.pem);
  } catch {
    return 'tls: failed to parse private key';
  }
  if (!x509.checkPrivateKey(pk)) return 'tls: private key does not match public key';
  // The proxy presents this one certificate as TLS server (accepted routes) and as TLS client
  // (solicited routes): peers check serverAuth and clientAuth respectively. No EKU means any use.
  const eku = x509.keyUsage;
  if (eku && eku.length > 0 && !eku.includes('2.5.29.37.0')) {
    const missing = [['1.3.6.1.5.5.7.3.1', 'serverAuth'], ['1.3.6.1.5.5.7.3.2', 'clientAuth']]
      .filter(([oid]) => !eku.includes(oid!)).map(([, name]) => name);
    if (missing.length > 0) {
      return `certificate lacks the ${missing.join(' and ')} extended key usage: routes present it as TLS server and as TLS client`;
    }
  }
  return undefined;
}

const RUNTIME = `Node.js ${process.version} (OpenSSL ${process.versions.openssl})`;

/** What nats-server accepts but this Node.js/OpenSSL cannot do is an error, never silently dropped. */
function checkNodeSupport(tc: RouteTlsOptions): string | undefined {
  for (const name of tc.curvePreferences ?? []) {
    try {
      createSecureContext({ ecdhCurve: GO_CURVES[name]! });
    } catch {
      return `error parsing tls config, curve preference ${name} is not supported by ${RUNTIME}`;
    }
  }
  for (const name of tc.cipherSuites ?? []) {
    const openssl = GO_SECURE_CIPHERS[name] ?? GO_INSECURE_CIPHERS[name]!;
    if (openssl.startsWith('TLS_')) continue; // TLS 1.3 suites: always enabled, as in Go
    try {
      createSecureContext({ ciphers: openssl });
    } catch {
      return `error parsing tls config, cipher suite ${name} is not available in ${RUNTIME}`;
    }
  }
  return undefined;
}

interface PemBlock { type: string; pem: string }

function pemBlocks(text: string): PemBlock[] {
  const out: PemBlock[] = [];
  const re = /-----BEGIN ([^-\r\n]+)-----[\s\S]*?-----END \1-----/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push({ type: m[1]!, pem: m[0] });
  return out;
}

/** Reads a file; errors are worded like Go's *PathError (`open x: no such file or directory`). */
function readText(path: string): { text: string } | { error: string } {
  try {
    return { text: readFileSync(path, 'utf8') };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file or directory'
      : code === 'EACCES' ? 'permission denied'
        : code === 'EISDIR' ? 'is a directory'
          : (err as Error).message;
    return { error: `${code === 'EISDIR' ? 'read' : 'open'} ${path}: ${why}` };
  }
}
