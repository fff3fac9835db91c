// Every cluster {} option (config-format.md §2.2-2.5): good values, bad values, exact
// messages and positions. The tested line is always line 3, after `cluster {` and `port: 6222`.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfigText } from '../../src/config/load.js';
import { buildOptions, formatIssue } from '../../src/config/build.js';
import type { ClusterOptions, Options } from '../../src/config/options.js';

function build(text: string) {
  const r = buildOptions(parseConfigText(text, 'f.conf', { env: {} }), {}, { configFile: 'f.conf' });
  return { options: r.options, errors: r.errors.map(formatIssue), warnings: r.warnings.map(formatIssue) };
}

/** `cluster { port: 6222; <lines> }` with the first tested line at 3:3. */
const cl = (...lines: string[]) => `cluster {\n  port: 6222\n${lines.map((l) => `  ${l}`).join('\n')}\n}\n`;

// tap's Test type, taken from t.test's callback (its last overload is `test(cb)`).
type Test = Parameters<Parameters<typeof t.test>[0]>[0];

interface Case {
  name: string;
  text: string;
  errors?: string[];
  warnings?: string[];
  check?: (c: ClusterOptions, o: Options, t: Test) => void;
}

function run(tt: Test, cases: Case[]): void {
  for (const c of cases) {
    tt.test(c.name, async (t) => {
      const r = build(c.text);
      t.same(r.errors, c.errors ?? [], 'errors');
      t.same(r.warnings, c.warnings ?? [], 'warnings');
      if (c.errors?.length) t.equal(r.options, undefined, 'no options when there are errors');
      else if (c.check) {
        t.ok(r.options, 'options built');
        if (r.options) c.check(r.options.cluster, r.options, t);
      }
    });
  }
}

const IC = (got: string, want: string) => `interface conversion: interface {} is ${got}, not ${want}`;

t.test('name', async (t) => run(t, [
  { name: 'set', text: cl('name: abc'), check: (c, o, t) => { t.equal(c.name, 'abc'); t.equal(c.nameDynamic, false); } },
  {
    name: 'generated when absent', text: cl(),
    check: (c, o, t) => { t.match(c.name, /^[0-9A-Za-z]{22}$/); t.equal(c.nameDynamic, true); },
  },
  { name: 'spaces', text: cl('name: "my cluster"'), errors: ['f.conf:3:3: cluster name cannot contain spaces'] },
  { name: 'wrong type', text: cl('name: 5'), errors: [`f.conf:3:3: ${IC('int64', 'string')}`] },
]));

t.test('host, port, listen', async (t) => run(t, [
  { name: 'host', text: cl('host: 127.0.0.1'), check: (c, o, t) => t.equal(c.host, '127.0.0.1') },
  { name: 'net alias', text: cl('net: "::1"'), check: (c, o, t) => t.equal(c.host, '::1') },
  { name: 'host default', text: cl(), check: (c, o, t) => { t.equal(c.host, '0.0.0.0'); t.equal(c.port, 6222); t.equal(c.enabled, true); } },
  { name: 'host and net', text: cl('host: a', 'net: b'), errors: [`f.conf:4:3: cannot combine "net" with "host": nats-server applies them in random order`] },
  { name: 'port as string', text: 'cluster {\n  port: "6222"\n}', errors: [`f.conf:2:3: ${IC('string', 'int64')}`] },
  { name: 'port -1 (random)', text: 'cluster {\n  port: -1\n}', check: (c, o, t) => t.equal(c.port, -1) },
  { name: 'port out of range', text: 'cluster {\n  port: 70000\n}', errors: ['f.conf:2:3: invalid port 70000: use 1-65535, -1 for a random port, or 0 to disable'] },
  { name: 'same key in two cases', text: 'cluster {\n  Port: 1\n  port: 2\n}', errors: [`f.conf:3:3: cannot combine "port" with "Port": nats-server applies them in random order`] },
  { name: 'listen int', text: 'cluster {\n  listen: 4244\n}', check: (c, o, t) => { t.equal(c.host, '0.0.0.0'); t.equal(c.port, 4244); } },
  { name: 'listen host:port', text: 'cluster {\n  listen: 127.0.0.1:4244\n}', check: (c, o, t) => { t.equal(c.host, '127.0.0.1'); t.equal(c.port, 4244); } },
  { name: 'listen IPv6', text: 'cluster {\n  listen: "[::1]:4244"\n}', check: (c, o, t) => { t.equal(c.host, '::1'); t.equal(c.port, 4244); } },
  { name: 'listen host:-1', text: 'cluster {\n  listen: "localhost:-1"\n}', check: (c, o, t) => t.equal(c.port, -1) },
  { name: 'listen no port', text: 'cluster {\n  listen: "localhost"\n}', errors: ['f.conf:2:3: could not parse address string "localhost"'] },
  { name: 'listen port as string', text: 'cluster {\n  listen: "4244"\n}', errors: ['f.conf:2:3: could not parse address string "4244"'] },
  { name: 'listen bare IPv6', text: 'cluster {\n  listen: "::1:4244"\n}', errors: ['f.conf:2:3: could not parse address string "::1:4244"'] },
  { name: 'listen bad port', text: 'cluster {\n  listen: "0.0.0.0:XXXX"\n}', errors: ['f.conf:2:3: could not parse port "XXXX"'] },
  { name: 'listen bool', text: 'cluster {\n  listen: true\n}', errors: ['f.conf:2:3: expected port or host:port, got bool'] },
  { name: 'listen float', text: 'cluster {\n  listen: 1.5\n}', errors: ['f.conf:2:3: expected port or host:port, got float64'] },
  {
    name: 'listen with port', text: cl('listen: 4244'),
    errors: ['f.conf:3:3: cannot combine "listen" with "host"/"port": nats-server applies them in random order'],
  },
]));

t.test('advertise, no_advertise, connect_retries, connect_backoff', async (t) => run(t, [
  { name: 'advertise', text: cl('advertise: "example.com:7222"'), check: (c, o, t) => t.equal(c.advertise, 'example.com:7222') },
  { name: 'cluster_advertise without port', text: cl('cluster_advertise: example.com'), check: (c, o, t) => t.equal(c.advertise, 'example.com') },
  {
    name: 'advertise too many colons', text: cl('advertise: "a:b:c"'),
    errors: ['f.conf:3:3: Error setting route INFO with Cluster.Advertise value of a:b:c, err=address a:b:c: too many colons in address'],
  },
  {
    name: 'advertise bad port', text: cl('advertise: "h:abc"'),
    errors: ['f.conf:3:3: Error setting route INFO with Cluster.Advertise value of h:abc, err=strconv.Atoi: parsing "abc": invalid syntax'],
  },
  {
    name: 'both aliases', text: cl('advertise: a', 'cluster_advertise: b'),
    errors: [`f.conf:4:3: cannot combine "cluster_advertise" with "advertise": nats-server applies them in random order`],
  },
  { name: 'no_advertise', text: cl('no_advertise: true'), check: (c, o, t) => t.equal(c.noAdvertise, true) },
  { name: 'no_advertise string', text: cl('no_advertise: "yes"'), errors: [`f.conf:3:3: ${IC('string', 'bool')}`] },
  { name: 'connect_retries', text: cl('connect_retries: 5'), check: (c, o, t) => t.equal(c.connectRetries, 5) },
  { name: 'connect_retries float', text: cl('connect_retries: 1.5'), errors: [`f.conf:3:3: ${IC('float64', 'int64')}`] },
  { name: 'connect_backoff', text: cl('connect_backoff: yes'), check: (c, o, t) => t.equal(c.connectBackoff, true) },
  { name: 'defaults', text: cl(), check: (c, o, t) => { t.equal(c.noAdvertise, false); t.equal(c.connectRetries, 0); t.equal(c.connectBackoff, false); t.equal(c.advertise, undefined); } },
]));

t.test('routes', async (t) => run(t, [
  {
    name: 'user, password, host, port; display redacted', text: cl('routes: [ "nats://u:p%40ss@10.0.0.1:6223" ]'),
    check: (c, o, t) => {
      t.equal(c.routes.length, 1);
      const r = c.routes[0]!;
      t.equal(r.protocol, 'nats:');
      t.equal(r.host, '10.0.0.1');
      t.equal(r.port, 6223);
      t.equal(r.user, 'u');
      t.equal(r.password, 'p@ss');
      t.equal(r.display, 'nats://u:[REDACTED]@10.0.0.1:6223');
      t.same(r.pos, { file: 'f.conf', line: 3, column: 14 });
    },
  },
  {
    name: 'accepted by url.Parse, fail only at connect time', text: cl('routes: [', '  localhost:4245', '  nats://h', '  "nats-route://[::1]:7"', ']'),
    check: (c, o, t) => {
      t.same(c.routes.map((r) => [r.protocol, r.host, r.port]), [['localhost:', '', 0], ['nats:', 'h', 0], ['nats-route:', '::1', 7]]);
    },
  },
  { name: 'whitespace trimmed', text: cl('routes: [ " nats://h:1 " ]'), check: (c, o, t) => t.equal(c.routes[0]!.display, 'nats://h:1') },
  { name: 'no scheme with colon', text: cl('routes: [', '  127.0.0.1:4245', ']'), errors: ['f.conf:4:5: error parsing route url ["127.0.0.1:4245"]'] },
  { name: 'bad port', text: cl('routes: [', '  nats://h:abc', ']'), errors: ['f.conf:4:5: error parsing route url ["nats://h:abc"]'] },
  { name: 'bad escape', text: cl('routes: [', '  "nats://h:1/%zz"', ']'), errors: ['f.conf:4:6: error parsing route url ["nats://h:1/%zz"]'] },
  {
    name: 'password redacted in the error', text: cl('routes: [', '  nats://u:secret@h:abc', ']'),
    errors: ['f.conf:4:5: error parsing route url ["nats://u:[REDACTED]@h:abc"]'],
  },
  {
    name: 'duplicate is a warning, kept once', text: cl('routes: [', '  nats://h:1', '  nats://h:1', ']'),
    warnings: ['f.conf:5:5: invalid use of field "nats://h:1": Duplicate route entry detected'],
    check: (c, o, t) => t.equal(c.routes.length, 1),
  },
  { name: 'not an array', text: cl('routes: "nats://h:1"'), errors: [`f.conf:3:3: ${IC('string', '[]interface {}')}`] },
  { name: 'element not a string', text: cl('routes: [ 5 ]'), errors: [`f.conf:3:13: ${IC('int64', 'string')}`] },
  { name: 'default none', text: cl(), check: (c, o, t) => t.same(c.routes, []) },
]));

t.test('authorization', async (t) => run(t, [
  {
    name: 'user, password, float timeout', text: cl('authorization { user: ru, password: pw, timeout: 0.5 }'),
    check: (c, o, t) => { t.same(c.authorization, { user: 'ru', password: 'pw' }); t.equal(c.authTimeoutMs, 500); },
  },
  {
    name: 'username/pass aliases, duration timeout', text: cl('authorization { username: ru, pass: pw, timeout: "3s" }'),
    check: (c, o, t) => { t.same(c.authorization, { user: 'ru', password: 'pw' }); t.equal(c.authTimeoutMs, 3000); },
  },
  {
    name: 'bcrypt password kept as written', text: cl('authorization { user: ru, password: "$2b$10$abcdefghijklmnopqrstuv" }'),
    check: (c, o, t) => t.equal(c.authorization?.password, '$2b$10$abcdefghijklmnopqrstuv'),
  },
  { name: 'default timeout 2s', text: cl('authorization { user: a, password: b }'), check: (c, o, t) => t.equal(c.authTimeoutMs, 2000) },
  // setBaselineOptions: a 0 TLS timeout becomes 2s first, so the auth timeout is 3s.
  { name: 'tls timeout 0 → 2s, auth 3s', text: cl(`tls { timeout: 0, ${tlsFiles()} }`), check: (c, o, t) => { t.equal(c.tls?.timeoutMs, 2000); t.equal(c.authTimeoutMs, 3000); } },
  { name: 'default timeout with tls = tls timeout + 1s', text: cl(`tls { timeout: 3, ${tlsFiles()} }`), check: (c, o, t) => { t.equal(c.authTimeoutMs, 4000); t.equal(c.tls?.timeoutMs, 3000); } },
  {
    name: 'high timeout warns', text: cl('authorization {', '  user: a', '  timeout: 61', '}'),
    warnings: [`f.conf:5:5: invalid use of field "timeout": timeout of 61 (61.000000 seconds) is high, consider keeping it under 60 seconds. possibly caused by unquoted duration; use '1m' instead of 1m, for example`],
    check: (c, o, t) => t.equal(c.authTimeoutMs, 61000),
  },
  {
    name: 'unquoted 1m timeout warns', text: cl('authorization {', '  timeout: 1m', '}'),
    warnings: [`f.conf:4:5: invalid use of field "timeout": timeout of 1000000 (1000000.000000 seconds) is high, consider keeping it under 60 seconds. possibly caused by unquoted duration; use '1m' instead of 1m, for example`],
    check: () => {},
  },
  { name: 'bad duration', text: cl('authorization {', '  timeout: "abc"', '}'), errors: [`f.conf:4:5: error parsing authorization config, 'timeout' time: invalid duration "abc"`] },
  { name: 'timeout wrong type', text: cl('authorization {', '  timeout: true', '}'), errors: [`f.conf:4:5: error parsing authorization config, 'timeout' wrong type`] },
  { name: 'users', text: cl('authorization {', '  users = []', '}'), errors: ['f.conf:3:3: Cluster authorization does not allow multiple users'] },
  { name: 'token', text: cl('authorization {', '  token: "s3cr3t"', '}'), errors: ['f.conf:3:3: Cluster authorization does not support tokens'] },
  { name: 'auth_callout', text: cl('authorization {', '  auth_callout { issuer: x }', '}'), errors: ['f.conf:3:3: Cluster authorization does not support callouts'] },
  { name: 'auth_hook', text: cl('authorization {', '  auth_hook: {}', '}'), errors: ['f.conf:3:3: Cluster authorization does not support callouts'] },
  {
    name: 'permissions inside: deprecated but used', text: cl('authorization {', '  user: a', '  permissions { import: "foo.>" }', '}'),
    warnings: ['f.conf:3:3: invalid use of field "authorization": setting "permissions" within cluster authorization block is deprecated'],
    check: (c, o, t) => t.same(c.permissions, { import: { allow: ['foo.>'] } }),
  },
  {
    name: 'cluster-level permissions win', text: cl('permissions { import: "a" }', 'authorization {', '  permissions { import: "b" }', '}'),
    warnings: ['f.conf:4:3: invalid use of field "authorization": setting "permissions" within cluster authorization block is deprecated'],
    check: (c, o, t) => t.same(c.permissions, { import: { allow: ['a'] } }),
  },
  { name: 'unknown field', text: cl('authorization {', '  user: a', '  foo: 1', '}'), errors: ['f.conf:5:5: unknown field "foo"'] },
  { name: 'user wrong type', text: cl('authorization {', '  user: 1', '}'), errors: [`f.conf:4:5: ${IC('int64', 'string')}`] },
  { name: 'not a map', text: cl('authorization: "x"'), errors: [`f.conf:3:3: ${IC('string', 'map[string]interface {}')}`] },
  { name: 'none', text: cl(), check: (c, o, t) => { t.equal(c.authorization, undefined); t.equal(c.authTimeoutMs, 2000); } },
]));

t.test('permissions', async (t) => run(t, [
  {
    name: 'import/export, old and new style', text: cl('permissions {', '  import: "foo.>"', '  export: { allow: ["bar.*"], deny: "baz" }', '}'),
    check: (c, o, t) => t.same(c.permissions, { import: { allow: ['foo.>'] }, export: { allow: ['bar.*'], deny: ['baz'] } }),
  },
  {
    name: 'publish/subscribe aliases', text: cl('permissions { publish: [a, b], sub: { deny: c } }'),
    check: (c, o, t) => t.same(c.permissions, { import: { allow: ['a', 'b'] }, export: { deny: ['c'] } }),
  },
  { name: 'invalid import subject', text: cl('permissions {', '  import: "foo bar"', '}'), errors: ['f.conf:4:5: subject "foo bar" is not a valid subject'] },
  { name: 'invalid allow subject', text: cl('permissions {', '  import: { allow: "a.>.b" }', '}'), errors: ['f.conf:4:15: subject "a.>.b" is not a valid subject'] },
  {
    name: 'queue form rejected for routes', text: cl('permissions {', '  export: "foo q"', '}'),
    errors: ['f.conf:3:3: cluster export allow: subject "foo q" is not a valid subject'],
  },
  {
    name: 'queue form in deny', text: cl('permissions {', '  export: { deny: "foo q" }', '}'),
    errors: ['f.conf:3:3: cluster export deny: subject "foo q" is not a valid subject'],
  },
  { name: 'allow_responses', text: cl('permissions {', '  allow_responses: true', '}'), errors: ['f.conf:3:3: Cluster permissions do not support dynamic responses'] },
  { name: 'unknown field', text: cl('permissions {', '  foo: a', '}'), errors: ['f.conf:4:5: Unknown field "foo" parsing permissions'] },
  {
    name: 'unknown subject field', text: cl('permissions {', '  import: { allow: a, only: b }', '}'),
    errors: [`f.conf:4:25: Unknown field name "only" parsing subject permissions, only 'allow' or 'deny' are permitted`],
  },
  { name: 'non-string subject', text: cl('permissions {', '  import: [a, 1 ]', '}'), errors: ['f.conf:4:17: Subject in permissions array cannot be cast to string'] },
  { name: 'subject of wrong type', text: cl('permissions {', '  import: 5', '}'), errors: ['f.conf:4:5: Expected subject permissions to be a subject, or array of subjects, got int64'] },
  { name: 'not a map', text: cl('permissions: x'), errors: ['f.conf:3:3: Expected permissions to be a map/struct, got x'] },
]));

// One pair for the cases that need a valid tls block (routes always need a certificate).
let tlsPair: ReturnType<typeof makeCerts>;
function TLS_FILES(): { cert: string; key: string } {
  tlsPair ??= makeCerts();
  if (!tlsPair) throw new Error('openssl is needed for the tls cases');
  return tlsPair;
}
const tlsFiles = () => `cert_file: "${TLS_FILES().cert}", key_file: "${TLS_FILES().key}"`;

// A self-signed certificate pair made with openssl for the file-loading checks.
function makeCerts(): { dir: string; cert: string; key: string; otherKey: string } | undefined {
  try {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'nrp-tls-'));
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    const otherKey = path.join(dir, 'other.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
    execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-out', otherKey], { stdio: 'ignore' });
    return { dir, cert, key, otherKey };
  } catch {
    return undefined;
  }
}

t.test('tls', async (t) => {
  const certs = makeCerts();
  const H = 'a'.repeat(64);
  run(t, [
    { name: 'empty: routes need a certificate', text: cl('tls {}'), errors: ["f.conf:3:3: missing 'cert_file' and 'key_file' in TLS configuration: routes always use mutual TLS (the certificate is presented as server and as client)"] },
    {
      name: 'defaults', text: cl(`tls { ${tlsFiles()} }`),
      check: (c, o, t) => t.same(c.tls, { certFile: TLS_FILES().cert, keyFile: TLS_FILES().key, verify: true, verifyAndMap: false, verifyCertAndCheckKnownUrls: false, insecure: false, timeoutMs: 2000 }),
    },
    {
      name: 'flags, timeout, ciphers, curves, min_version, pinned', text: cl('tls {', `  ${tlsFiles()}`,
        '  verify_and_map: true', '  verify_cert_and_check_known_urls: true', '  insecure: true', '  timeout: "1.5s"',
        '  cipher_suites: [TLS_AES_128_GCM_SHA256, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]', '  curve_preferences: [X25519, CurveP256]',
        '  min_version: "1.3"', `  pinned_certs: [${H.toUpperCase()}]`, '  handshake_first: auto', '  verify: false', '}'),
      check: (c, o, t) => t.same(c.tls, {
        certFile: TLS_FILES().cert, keyFile: TLS_FILES().key,
        verify: true, verifyAndMap: true, verifyCertAndCheckKnownUrls: true, insecure: true, timeoutMs: 1500,
        cipherSuites: ['TLS_AES_128_GCM_SHA256', 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'], curvePreferences: ['X25519', 'CurveP256'],
        minVersion: '1.3', pinnedCerts: [H],
      }),
    },
    { name: 'unknown field', text: cl('tls {', '  foo: 1', '}'), errors: ['f.conf:4:5: error parsing tls config, unknown field "foo"'] },
    { name: 'unsupported nats-server field', text: cl('tls {', '  cert_store: WindowsCurrentUser', '}'), errors: ['f.conf:4:5: error parsing tls config, "cert_store" is not supported by nats-route-proxy'] },
    { name: 'min_version float', text: cl('tls {', '  min_version: 1.2', '}'), errors: [`f.conf:4:5: error parsing tls config: 'min_version' wrong type: 1.2`] },
    { name: 'min_version 1.0', text: cl('tls {', '  min_version: "1.0"', '}'), errors: ['f.conf:4:5: error parsing tls config: unsupported TLS version: TLS 1.0'] },
    { name: 'min_version unknown', text: cl('tls {', '  min_version: "2.0"', '}'), errors: ['f.conf:4:5: error parsing tls config: unknown version: 2.0'] },
    { name: 'empty cipher_suites', text: cl('tls {', '  cipher_suites: []', '}'), errors: [`f.conf:4:5: error parsing tls config, 'cipher_suites' cannot be empty`] },
    { name: 'unknown cipher', text: cl('tls {', '  cipher_suites: [TLS_FOO]', '}'), errors: ['f.conf:4:21: unrecognized cipher TLS_FOO'] },
    {
      name: 'insecure cipher without allow', text: cl('tls {', '  cipher_suites: [TLS_RSA_WITH_RC4_128_SHA]', '}'),
      errors: [`f.conf:3:3: insecure cipher suites configured without 'allow_insecure_cipher_suites' option set: TLS_RSA_WITH_RC4_128_SHA`],
    },
    {
      name: 'insecure cipher with allow', text: cl('tls {', '  cipher_suites: [TLS_RSA_WITH_AES_128_CBC_SHA256]', '  allow_insecure_cipher_suites: true', `  ${tlsFiles()}`, '}'),
      check: (c, o, t) => t.same(c.tls?.cipherSuites, ['TLS_RSA_WITH_AES_128_CBC_SHA256']),
    },
    { name: 'empty curve_preferences', text: cl('tls {', '  curve_preferences: []', '}'), errors: [`f.conf:4:5: error parsing tls config, 'curve_preferences' cannot be empty`] },
    { name: 'unknown curve', text: cl('tls {', '  curve_preferences: [X25519, Foo]', '}'), errors: ['f.conf:4:33: unrecognized curve preference Foo'] },
    {
      name: 'pinned_certs not a list', text: cl('tls {', '  pinned_certs: abc', '}'),
      errors: [`f.conf:4:5: error parsing tls config, expected 'pinned_certs' to be a list of hex-encoded sha256 of DER encoded SubjectPublicKeyInfo`],
    },
    {
      name: 'pinned_certs bad entry', text: cl('tls {', '  pinned_certs: [ABC]', '}'),
      errors: [`f.conf:4:20: error parsing tls config, 'pinned_certs' key abc does not look like hex-encoded sha256 of DER encoded SubjectPublicKeyInfo`],
    },
    { name: 'handshake_first invalid', text: cl('tls {', '  handshake_first: maybe', '}'), errors: [`f.conf:4:5: field "handshake_first"'s value "maybe" is invalid`] },
    { name: 'handshake_first wrong type', text: cl('tls {', '  first: 5', '}'), errors: ['f.conf:4:5: field "first" should be a boolean or a string, got int64'] },
    { name: 'verify not bool', text: cl('tls {', '  verify: "x"', '}'), errors: [`f.conf:4:5: error parsing tls config, expected 'verify' to be a boolean`] },
    { name: 'cert_file not a string', text: cl('tls {', '  cert_file: 1', '}'), errors: [`f.conf:4:5: error parsing tls config, expected 'cert_file' to be filename`] },
    { name: 'timeout bad unit', text: cl('tls {', '  timeout: "1x"', '}'), errors: [`f.conf:4:5: error parsing tls config, 'timeout' time: unknown unit "x" in duration "1x"`] },
    { name: 'timeout wrong type', text: cl('tls {', '  timeout: [1, 2 ]', '}'), errors: [`f.conf:4:5: error parsing tls config, 'timeout' wrong type`] },
    { name: 'fails fast: one error', text: cl('tls {', '  foo: 1', '  bar: 2', '}'), errors: ['f.conf:4:5: error parsing tls config, unknown field "foo"'] },
    { name: 'cert without key', text: cl('tls {', '  cert_file: "/x/cert.pem"', '}'), errors: [`f.conf:3:3: missing 'key_file' in TLS configuration`] },
    { name: 'key without cert', text: cl('tls {', '  key_file: "/x/key.pem"', '}'), errors: [`f.conf:3:3: missing 'cert_file' in TLS configuration`] },
    {
      name: 'missing cert file', text: cl('tls {', '  cert_file: "/nonexistent/cert.pem"', '  key_file: "/nonexistent/key.pem"', '}'),
      errors: ['f.conf:3:3: error parsing X509 certificate/key pair: open /nonexistent/cert.pem: no such file or directory'],
    },
    { name: 'missing ca file', text: cl('tls {', '  ca_file: "/nonexistent/ca.pem"', `  ${tlsFiles()}`, '}'), errors: ['f.conf:3:3: open /nonexistent/ca.pem: no such file or directory'] },
    { name: 'not a map', text: cl('tls: true'), errors: [`f.conf:3:3: ${IC('bool', 'map[string]interface {}')}`] },
  ]);
  if (!certs) {
    t.comment('openssl not available: certificate loading cases skipped');
    return;
  }
  const notPem = path.join(certs.dir, 'not.pem');
  writeFileSync(notPem, 'hello\n');
  run(t, [
    {
      name: 'valid pair and ca', text: cl('tls {', `  cert_file: "${certs.cert}"`, `  key_file: "${certs.key}"`, `  ca_file: "${certs.cert}"`, '}'),
      check: (c, o, t) => { t.equal(c.tls?.certFile, certs.cert); t.equal(c.tls?.caFile, certs.cert); },
    },
    {
      name: 'key does not match', text: cl('tls {', `  cert_file: "${certs.cert}"`, `  key_file: "${certs.otherKey}"`, '}'),
      errors: ['f.conf:3:3: error parsing X509 certificate/key pair: tls: private key does not match public key'],
    },
    {
      name: 'cert is not PEM', text: cl('tls {', `  cert_file: "${notPem}"`, `  key_file: "${certs.key}"`, '}'),
      errors: ['f.conf:3:3: error parsing X509 certificate/key pair: tls: failed to find any PEM data in certificate input'],
    },
    {
      name: 'key file holds a certificate', text: cl('tls {', `  cert_file: "${certs.cert}"`, `  key_file: "${certs.cert}"`, '}'),
      errors: ['f.conf:3:3: error parsing X509 certificate/key pair: tls: found a certificate rather than a key in the PEM for the private key'],
    },
    { name: 'ca is not PEM', text: cl('tls {', `  ca_file: "${notPem}"`, `  ${tlsFiles()}`, '}'), errors: ['f.conf:3:3: failed to parse root ca certificate'] },
  ]);
});

t.test('pool_size and accounts', async (t) => run(t, [
  { name: 'defaults', text: cl(), check: (c, o, t) => { t.equal(c.poolSize, 3); t.same(c.accounts, ['$SYS']); } },
  { name: 'pool_size 0 means 3', text: cl('pool_size: 0'), check: (c, o, t) => t.equal(c.poolSize, 3) },
  { name: 'pool_size -1: no pooling, no $SYS', text: cl('pool_size: -1'), check: (c, o, t) => { t.equal(c.poolSize, -1); t.same(c.accounts, []); } },
  { name: 'pool_size wrong type', text: cl('pool_size: "x"'), errors: [`f.conf:3:3: ${IC('string', 'int64')}`] },
  { name: 'accounts string', text: cl('accounts: A'), check: (c, o, t) => t.same(c.accounts, ['A', '$SYS']) },
  { name: 'accounts array', text: cl('pool_size: 5', 'accounts: [A, B]'), check: (c, o, t) => { t.equal(c.poolSize, 5); t.same(c.accounts, ['A', 'B', '$SYS']); } },
  { name: '$SYS listed explicitly', text: cl('accounts: [A, "$SYS"]'), check: (c, o, t) => t.same(c.accounts, ['A', '$SYS']) },
  { name: 'accounts wrong type', text: cl('accounts: 5'), errors: ['f.conf:3:3: error parsing accounts: unsupported type int64'] },
  { name: 'accounts element wrong type', text: cl('accounts: [A, 1 ]'), errors: ['f.conf:3:17: error parsing accounts: unsupported type in array int64'] },
  { name: 'negative pool with accounts', text: cl('pool_size: -1', 'accounts: [A]'), errors: ['f.conf:3:3: pool_size cannot be negative if pinned accounts are specified'] },
  {
    name: 'duplicate pinned account', text: cl('accounts: [A, B, A]'),
    errors: ['f.conf:3:3: found duplicate account name "A" in pinned accounts list ["A" "B" "A" "$SYS"]'],
  },
  {
    name: 'system_account replaces $SYS', text: `system_account: SYSX\n${cl('accounts: [A]')}`,
    check: (c, o, t) => { t.same(c.accounts, ['A', 'SYSX']); t.equal(o.systemAccount, 'SYSX'); },
  },
  {
    name: 'no_system_account', text: `no_system_account: true\n${cl()}`,
    check: (c, o, t) => { t.same(c.accounts, []); t.equal(o.systemAccount, ''); },
  },
  {
    // nats-server: an empty system_account is "not set", so $SYS still applies.
    name: 'empty system_account means $SYS', text: `system_account: ""\n${cl('accounts: [A]')}`,
    check: (c, o, t) => { t.same(c.accounts, ['A', '$SYS']); t.equal(o.systemAccount, '$SYS'); },
  },
  {
    name: 'empty system_account with no_system_account', text: `system_account: ""\nno_system_account: true\n${cl()}`,
    check: (c, o, t) => { t.same(c.accounts, []); t.equal(o.systemAccount, ''); },
  },
]));

t.test('compression', async (t) => {
  const mode = (text: string, m: string, rtt: number[] = []) => ({
    name: text, text: cl(`compression: ${text}`),
    check: (c: ClusterOptions, _o: Options, t: Test) => t.same(c.compression, { mode: m, rttThresholdsMs: rtt }),
  });
  run(t, [
    { name: 'default accept', text: cl(), check: (c, o, t) => t.same(c.compression, { mode: 'accept', rttThresholdsMs: [] }) },
    mode('true', 's2_fast'), mode('on', 's2_fast'), mode('false', 'off'), mode('"on"', 's2_fast'),
    mode('enabled', 's2_fast'), mode('disabled', 'off'), mode('accept', 'accept'), mode('fast', 's2_fast'),
    mode('S2_Better', 's2_better'), mode('best', 's2_best'), mode('"not supported"', 'not supported'),
    mode('not_supported', 'not supported'), mode('""', 'accept'),
    mode('auto', 's2_auto', [10, 50, 100]),
    mode('{ mode: s2_auto, rtt_thresholds: [10ms, 50ms, 100ms] }', 's2_auto', [10, 50, 100]),
    mode('{ mode: s2_auto, thresholds: [5ms, 0ms, 100ms, 0ms] }', 's2_auto', [5, 0, 100]),
    mode('{ mode: auto, rtts: ["-5ms", 20ms] }', 's2_auto', [0, 20]),
    mode('{ rtt: [5ms] }', 'accept'),
    mode('{ MODE: s2_fast }', 's2_fast'),
    { name: 'unsupported mode', text: cl('compression: gzip'), errors: ['f.conf:3:3: unsupported compression mode "gzip"'] },
    { name: 'int', text: cl('compression: 123'), errors: ['f.conf:3:3: field "compression" should be a boolean or a structure, got int64'] },
    {
      name: 'descending thresholds', text: cl('compression: {mode: s2_auto, rtt_thresholds: [50ms, 10ms]}'),
      errors: ['f.conf:3:3: RTT threshold values [50ms 10ms] should be in ascending order'],
    },
    {
      name: 'too many thresholds', text: cl('compression: {mode: s2_auto, rtt_thresholds: [1ms, 2ms, 3ms, 4ms, 5ms]}'),
      errors: ['f.conf:3:3: compression mode "s2_auto" should have no more than 4 RTT thresholds: [1ms 2ms 3ms 4ms 5ms]'],
    },
    {
      name: 'all zero thresholds', text: cl('compression: {mode: S2_Auto, rtt_thresholds: [0ms]}'),
      errors: ['f.conf:3:3: compression mode "S2_Auto" requires at least one RTT threshold'],
    },
    { name: 'bad threshold', text: cl('compression: {', '  mode: s2_auto', '  rtt_thresholds: [abc]', '}'), errors: ['f.conf:5:5: time: invalid duration "abc"'] },
    { name: 'unknown key', text: cl('compression: {', '  level: 3', '}'), errors: ['f.conf:4:5: unknown field "level"'] },
    { name: 'mode wrong type', text: cl('compression: {', '  mode: 3', '}'), errors: [`f.conf:4:5: ${IC('int64', 'string')}`] },
  ]);
});

t.test('ping_interval, ping_max, write_deadline, write_timeout', async (t) => run(t, [
  { name: 'defaults', text: cl(), check: (c, o, t) => { t.equal(c.pingIntervalMs, 30000); t.equal(c.pingMax, 2); t.equal(c.writeDeadlineMs, 10000); t.equal(c.writeTimeout, 'default'); } },
  { name: 'ping_interval string', text: cl('ping_interval: "10s"'), check: (c, o, t) => t.equal(c.pingIntervalMs, 10000) },
  { name: 'ping_interval sub-second', text: cl('ping_interval: 500ms'), check: (c, o, t) => t.equal(c.pingIntervalMs, 500) },
  {
    name: 'ping_interval over 30s', text: cl('ping_interval: "1m"'),
    warnings: [`f.conf:3:3: Cluster 'ping_interval' will reset to 30s which is the max for routes`],
    check: (c, o, t) => t.equal(c.pingIntervalMs, 30000),
  },
  {
    name: 'ping_interval int seconds', text: cl('ping_interval: 5'),
    warnings: ['f.conf:3:3: invalid use of field "ping_interval": ping_interval should be converted to a duration'],
    check: (c, o, t) => t.equal(c.pingIntervalMs, 5000),
  },
  { name: 'ping_interval bad', text: cl('ping_interval: "abc"'), errors: ['f.conf:3:3: error parsing ping_interval: time: invalid duration "abc"'] },
  { name: 'top-level ping_interval used', text: `ping_interval: "20s"\n${cl()}`, check: (c, o, t) => t.equal(c.pingIntervalMs, 20000) },
  { name: 'top-level ping_interval capped silently', text: `ping_interval: "5m"\n${cl()}`, check: (c, o, t) => t.equal(c.pingIntervalMs, 30000) },
  { name: 'ping_max', text: cl('ping_max: 5'), check: (c, o, t) => t.equal(c.pingMax, 5) },
  { name: 'top-level ping_max used', text: `ping_max: 7\n${cl()}`, check: (c, o, t) => t.equal(c.pingMax, 7) },
  // nats-server takes the cluster value only when > 0 (client.go processPingTimer, initClient).
  { name: 'ping_max 0 → top-level', text: `ping_max: 4\n${cl('ping_max: 0')}`, check: (c, o, t) => t.equal(c.pingMax, 4) },
  { name: 'negative ping_max → top-level', text: `ping_max: 4\n${cl('ping_max: -1')}`, check: (c, o, t) => t.equal(c.pingMax, 4) },
  { name: 'negative ping_max → default 2', text: cl('ping_max: -3'), check: (c, o, t) => t.equal(c.pingMax, 2) },
  { name: 'negative ping_interval → top-level', text: `ping_interval: "20s"\n${cl('ping_interval: "-5s"')}`, check: (c, o, t) => t.equal(c.pingIntervalMs, 20000) },
  { name: 'negative write_deadline → top-level', text: `write_deadline: "4s"\n${cl('write_deadline: "-1s"')}`, check: (c, o, t) => t.equal(c.writeDeadlineMs, 4000) },
  { name: 'ping_max wrong type', text: cl('ping_max: "5"'), errors: [`f.conf:3:3: ${IC('string', 'int64')}`] },
  { name: 'write_deadline', text: cl('write_deadline: "2s"'), check: (c, o, t) => t.equal(c.writeDeadlineMs, 2000) },
  {
    name: 'write_deadline int', text: cl('write_deadline: 3'),
    warnings: ['f.conf:3:3: invalid use of field "write_deadline": write_deadline should be converted to a duration'],
    check: (c, o, t) => t.equal(c.writeDeadlineMs, 3000),
  },
  { name: 'top-level write_deadline used', text: `write_deadline: "4s"\n${cl()}`, check: (c, o, t) => t.equal(c.writeDeadlineMs, 4000) },
  { name: 'write_deadline bad', text: cl('write_deadline: "10"'), errors: ['f.conf:3:3: error parsing write_deadline: time: missing unit in duration "10"'] },
  { name: 'write_timeout close', text: cl('write_timeout: close'), check: (c, o, t) => t.equal(c.writeTimeout, 'close') },
  { name: 'write_timeout retry', text: cl('write_timeout: retry'), check: (c, o, t) => t.equal(c.writeTimeout, 'retry') },
  { name: 'write_timeout case-sensitive', text: cl('write_timeout: CLOSE'), errors: [`f.conf:3:3: write_timeout must be 'default', 'close' or 'retry'`] },
]));

t.test('block-level rules', async (t) => run(t, [
  { name: 'unknown field', text: cl('timeout: 2'), errors: ['f.conf:3:3: unknown field "timeout"'] },
  { name: 'keys are case-insensitive', text: 'CLUSTER {\n  PORT: 6222\n  Name: X\n}', check: (c, o, t) => { t.equal(c.port, 6222); t.equal(c.name, 'X'); } },
  { name: 'key used as a variable is not unknown', text: cl('retries: 4', 'connect_retries: $retries'), check: (c, o, t) => t.equal(c.connectRetries, 4) },
  {
    name: 'every error reported, not just the first', text: 'cluster {\n  port: "x"\n  name: 5\n  foo: 1\n  pool_size: true\n}',
    errors: [`f.conf:2:3: ${IC('string', 'int64')}`, `f.conf:3:3: ${IC('int64', 'string')}`, 'f.conf:4:3: unknown field "foo"', `f.conf:5:3: ${IC('bool', 'int64')}`],
  },
  { name: 'cluster not a map', text: 'cluster: 6222', errors: ['f.conf:1:1: Expected map to define cluster, got int64'] },
  {
    name: 'no port', text: 'cluster {\n  name: x\n}',
    errors: ['f.conf:1:1: cluster port is required: the proxy is a route peer (set cluster.listen or cluster.port, or --cluster)'],
  },
  {
    name: 'port 0', text: 'cluster {\n  port: 0\n}',
    errors: ['f.conf:1:1: cluster port is required: the proxy is a route peer (set cluster.listen or cluster.port, or --cluster)'],
  },
]));
