// The route tls map beyond nats-server's own checks: what Node/OpenSSL cannot honour is an error at
// -t (never silently dropped), the certificate must allow both TLS roles, and the mapping to Node's
// secure-context options (Go cipher names, curve names, min_version).
import t from 'tap';
import { createSecureContext } from 'node:tls';
import { parseConfigText } from '../../src/config/load.js';
import { buildOptions, formatIssue } from '../../src/config/build.js';
import type { RouteTlsOptions } from '../../src/config/options.js';
import { secureContextOptions } from '../../src/route/tls.js';
import { TestPki } from '../helpers/certs.js';

const RUNTIME = `Node.js ${process.version} (OpenSSL ${process.versions.openssl})`;

function build(text: string) {
  const r = buildOptions(parseConfigText(text, 'f.conf', { env: {} }), {}, { configFile: 'f.conf' });
  return { tls: r.options?.cluster.tls, errors: r.errors.map(formatIssue) };
}
const tlsConf = (...lines: string[]) => `cluster {\n  port: 6222\n  tls {\n${lines.map((l) => `    ${l}`).join('\n')}\n  }\n}\n`;
const pki = new TestPki(t);
const pair = pki.leaf('conf');
const files = [`cert_file: "${pair.cert}"`, `key_file: "${pair.key}"`];

const nodeCan = (o: Parameters<typeof createSecureContext>[0]): boolean => {
  try { createSecureContext(o); return true; } catch { return false; }
};

t.test('what this Node.js cannot do is a config error', async (t) => {
  const pq = build(tlsConf('curve_preferences: [X25519MLKEM768, X25519]', ...files));
  if (nodeCan({ ecdhCurve: 'X25519MLKEM768' })) {
    t.same(pq.errors, [], 'this runtime supports X25519MLKEM768');
  } else {
    t.same(pq.errors, [`f.conf:3:3: error parsing tls config, curve preference X25519MLKEM768 is not supported by ${RUNTIME}`]);
  }
  t.same(build(tlsConf('curve_preferences: [X25519, CurveP256, CurveP384, CurveP521]', ...files)).errors, [], 'the classic curves are fine');
  const rc4 = build(tlsConf('cipher_suites: [TLS_RSA_WITH_RC4_128_SHA]', 'allow_insecure_cipher_suites: true', ...files));
  t.same(rc4.errors, [`f.conf:3:3: error parsing tls config, cipher suite TLS_RSA_WITH_RC4_128_SHA is not available in ${RUNTIME}`],
    'allowed by nats-server, but OpenSSL 3 has no RC4');
  t.same(build(tlsConf('cipher_suites: [TLS_AES_128_GCM_SHA256, TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256]', ...files)).errors, []);
  t.same(build(tlsConf()).errors, ["f.conf:3:3: missing 'cert_file' and 'key_file' in TLS configuration: routes always use mutual TLS (the certificate is presented as server and as client)"], 'no certificate: refused at -t');
});

t.test('the certificate must allow both roles (serverAuth and clientAuth)', async (t) => {
  const pair = (eku?: string) => pki.leaf('c', eku === undefined ? {} : { eku });
  const conf = (p: { cert: string; key: string }) => tlsConf(`cert_file: "${p.cert}"`, `key_file: "${p.key}"`, `ca_file: "${pki.ca.cert}"`);
  t.same(build(conf(pair())).errors, [], 'serverAuth,clientAuth');
  t.same(build(conf(pair(''))).errors, [], 'no EKU extension: any use');
  t.same(build(conf(pair('serverAuth'))).errors,
    ['f.conf:3:3: error parsing X509 certificate/key pair: certificate lacks the clientAuth extended key usage: routes present it as TLS server and as TLS client']);
  t.same(build(conf(pair('clientAuth'))).errors,
    ['f.conf:3:3: error parsing X509 certificate/key pair: certificate lacks the serverAuth extended key usage: routes present it as TLS server and as TLS client']);
  t.match(build(conf(pair('codeSigning'))).errors[0], /lacks the serverAuth and clientAuth extended key usage/);
});

t.test('mapping to Node secure-context options', async (t) => {
  const p = pki.leaf('m');
  const base: RouteTlsOptions = {
    certFile: p.cert, keyFile: p.key, caFile: pki.ca.cert,
    verify: true, verifyAndMap: false, verifyCertAndCheckKnownUrls: false, insecure: false, timeoutMs: 2000,
  };
  const d = secureContextOptions(base);
  t.equal(d.minVersion, 'TLSv1.2', 'TLS 1.2 minimum by default, as nats-server');
  t.equal(d.ciphers, undefined, 'default suites');
  t.ok(Buffer.isBuffer(d.cert) && Buffer.isBuffer(d.key) && Buffer.isBuffer(d.ca), 'files read');
  t.equal(secureContextOptions({ ...base, minVersion: '1.3' }).minVersion, 'TLSv1.3');
  const c = secureContextOptions({ ...base, cipherSuites: ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256'] });
  t.equal(c.ciphers, 'ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305', 'Go names → OpenSSL names; TLS 1.3 suites are not restricted (Go)');
  t.equal(secureContextOptions({ ...base, cipherSuites: ['TLS_AES_128_GCM_SHA256'] }).minVersion, 'TLSv1.3', 'only TLS 1.3 names: no TLS 1.2 suite left');
  t.equal(secureContextOptions({ ...base, curvePreferences: ['CurveP384', 'X25519'] }).ecdhCurve, 'P-384:X25519', 'curve order kept');
  t.throws(() => secureContextOptions({ ...base, certFile: undefined, keyFile: undefined }), /needs cert_file and key_file/);
  t.ok(nodeCan(c), 'Node accepts the result');
});
