// Top-level options, proxy {}, command-line overrides, redaction, and the example configs.
import t from 'tap';
import { fileURLToPath } from 'node:url';
import { loadConfigFile, parseConfigText } from '../../src/config/load.js';
import { buildOptions, formatIssue, CLUSTER_PORT_REQUIRED } from '../../src/config/build.js';
import { optionsToJSON } from '../../src/config/redact.js';
import type { CliOverrides } from '../../src/config/options.js';

const CL = 'cluster {\n  port: 6222\n}\n';

function build(text: string, ov: CliOverrides = {}) {
  const r = buildOptions(parseConfigText(text, 'f.conf', { env: {} }), ov, { configFile: 'f.conf' });
  return { options: r.options, errors: r.errors.map(formatIssue), warnings: r.warnings.map(formatIssue) };
}

t.test('server_name', async (t) => {
  t.equal(build(`server_name: proxy-a\n${CL}`).options!.serverName, 'proxy-a');
  t.same(build(`server_name: "proxy a"\n${CL}`).errors, ['f.conf:1:1: server name cannot contain spaces']);
  t.same(build(`server_name: 1\n${CL}`).errors, ['f.conf:1:1: interface conversion: interface {} is int64, not string']);
});

t.test('http monitoring listener', async (t) => {
  t.same(build(`http: 127.0.0.1:8222\n${CL}`).options!.http, { host: '127.0.0.1', port: 8222 });
  t.same(build(`http: 8222\n${CL}`).options!.http, { host: '0.0.0.0', port: 8222 });
  t.same(build(`http_port: 8222\n${CL}`).options!.http, { host: '0.0.0.0', port: 8222 });
  t.same(build(`monitor_port: 8223\n${CL}`).options!.http, { host: '0.0.0.0', port: 8223 });
  t.equal(build(CL).options!.http, undefined);
  t.same(build(`http: "localhost"\n${CL}`).errors, ['f.conf:1:1: could not parse address string "localhost"']);
  t.same(build(`http: 8222\nhttp_port: 8223\n${CL}`).errors,
    ['f.conf:2:1: cannot combine "http_port" with "http": nats-server applies them in random order']);
});

t.test('logging', async (t) => {
  const o = build(`debug: true\ntrace: true\nlogtime: false\nlog_file: "/tmp/x.log"\n${CL}`).options!;
  t.same(o.logging, { debug: true, trace: true, logtime: false, logfile: '/tmp/x.log' });
  t.same(build(CL).options!.logging, { debug: false, trace: false, logtime: true });
  t.equal(build(`logfile: a.log\n${CL}`).options!.logging.logfile, 'a.log');
  t.same(build(`debug: "yes"\n${CL}`).errors, ['f.conf:1:1: interface conversion: interface {} is string, not bool']);
});

t.test('unknown and variable top-level keys', async (t) => {
  t.same(build(`port: 4222\n${CL}`).errors, ['f.conf:1:1: unknown field "port"']);
  t.same(build(`P: 6222\ncluster {\n  port: $P\n}\n`).errors, [], 'a key used as a variable is allowed');
  t.same(build(`system_account: 5\n${CL}`).errors, ['f.conf:1:1: system account name must be a string']);
});

t.test('proxy block', async (t) => {
  t.equal(build(CL).options!.proxy.maxPending, 67108864, 'default 64MB');
  t.equal(build(`proxy {\n  max_pending: 1MB\n}\n${CL}`).options!.proxy.maxPending, 1048576);
  t.same(build(`proxy {\n  max_pending: 0\n}\n${CL}`).errors, ['f.conf:2:3: max_pending must be greater than 0, got 0']);
  t.same(build(`proxy {\n  max_pending: "1MB"\n}\n${CL}`).errors, ['f.conf:2:3: interface conversion: interface {} is string, not int64']);
  t.same(build(`proxy {\n  foo: 1\n}\n${CL}`).errors, ['f.conf:2:3: unknown field "foo"']);
  t.same(build(`proxy: 5\n${CL}`).errors, ['f.conf:1:1: interface conversion: interface {} is int64, not map[string]interface {}']);
});

t.test('empty file', async (t) => {
  const r = build('');
  t.same(r.warnings, ['f.conf: config has no values or is empty']);
  t.same(r.errors, [CLUSTER_PORT_REQUIRED], 'the proxy needs a cluster port');
  const withFlag = build('', { cluster: 'nats://127.0.0.1:6222' });
  t.same(withFlag.errors, []);
  t.equal(withFlag.options!.cluster.port, 6222);
});

t.test('--cluster', async (t) => {
  const auth = 'cluster {\n  port: 6222\n  host: 10.0.0.1\n  authorization { user: a, password: b, timeout: 1 }\n}\n';
  let r = build(auth, { cluster: 'nats://127.0.0.1:7222' });
  t.same(r.errors, []);
  t.equal(r.options!.cluster.host, '127.0.0.1');
  t.equal(r.options!.cluster.port, 7222);
  t.equal(r.options!.cluster.authorization, undefined, 'no user info in the URL clears the credentials');
  t.equal(r.options!.cluster.authTimeoutMs, 1000, 'the timeout stays');

  r = build(auth, { cluster: 'nats://u:p@0.0.0.0:7222' });
  t.same(r.options!.cluster.authorization, { user: 'u', password: 'p' }, 'user info replaces the credentials');

  t.same(build(auth, { cluster: 'nats://u@0.0.0.0:7222' }).errors, ['expected cluster password to be set']);
  t.equal(build(auth, { cluster: 'nats://0.0.0.0:-1' }).options!.cluster.port, -1);
  t.same(build(auth, { cluster: 'nats://localhost' }).errors, ['address localhost: missing port in address']);
  t.same(build(auth, { cluster: 'nats://u:secret@h:x' }).errors,
    ['parse "nats://u:[REDACTED]@h:x": invalid port ":x" after host'], 'password redacted');
  t.same(build(auth, { cluster: '' }).errors, [`f.conf:1:1: ${CLUSTER_PORT_REQUIRED}`], 'empty --cluster disables clustering');
  t.same(build(CL, { cluster: 'nats://[::1]:7000' }).options!.cluster.host, '::1');
});

t.test('--routes', async (t) => {
  const file = 'cluster {\n  port: 6222\n  routes: [ nats://a:1 ]\n}\n';
  let r = build(file, { routes: 'nats://b:2, nats://u:p@c:3' });
  t.same(r.options!.cluster.routes.map((u) => u.display), ['nats://b:2', 'nats://u:[REDACTED]@c:3'], 'replaces the file routes');
  r = build(file, { routes: '' });
  t.same(r.options!.cluster.routes, [], 'empty clears them');
  t.same(build(file, { routes: '127.0.0.1:4' }).errors, ['--routes: error parsing route url ["127.0.0.1:4"]']);
  t.same(build('', { routes: 'nats://b:2' }).errors, ['solicited routes require cluster capabilities, e.g. --cluster']);
  r = build('', { routes: 'nats://b:2', cluster: 'nats://127.0.0.1:6222' });
  t.same(r.errors, []);
  t.equal(r.options!.cluster.routes.length, 1);
});

t.test('other flags', async (t) => {
  const r = build(`server_name: a\ncluster {\n  port: 6222\n  name: x\n  connect_retries: 1\n}\n`, {
    clusterName: 'y', clusterAdvertise: 'ex.com:7', noAdvertise: true, connectRetries: 9,
    serverName: 'b', debug: true, trace: true, http: '127.0.0.1:9000',
  });
  t.same(r.errors, []);
  const o = r.options!;
  t.equal(o.cluster.name, 'y');
  t.equal(o.cluster.nameDynamic, false);
  t.equal(o.cluster.advertise, 'ex.com:7');
  t.equal(o.cluster.noAdvertise, true);
  t.equal(o.cluster.connectRetries, 9);
  t.equal(o.serverName, 'b');
  t.equal(o.logging.debug, true);
  t.equal(o.logging.trace, true);
  t.same(o.http, { host: '127.0.0.1', port: 9000 });
  t.same(build(`http: 127.0.0.1:8222\n${CL}`, { http: '9001' }).options!.http, { host: '127.0.0.1', port: 9001 }, 'a bare port keeps the host');
  t.same(build(CL, { clusterName: 'a b' }).errors, ['cluster name cannot contain spaces']);
  t.same(build(CL, { serverName: 'a b' }).errors, ['server name cannot contain spaces']);
});

t.test('redaction: no password anywhere in the printed options', async (t) => {
  const text = 'cluster {\n  port: 6222\n  authorization { user: u, password: "Sup3rS3cret" }\n  routes: [ "nats://u:R0uteS3cret@h:1", "nats://u:R0uteS3cret@h:2" ]\n}\n';
  const r = build(text, { routes: 'nats://x:Fl4gS3cret@h:3' });
  const json = optionsToJSON(r.options!);
  for (const secret of ['Sup3rS3cret', 'R0uteS3cret', 'Fl4gS3cret']) t.notOk(json.includes(secret), `${secret} not printed`);
  t.match(json, /"password": "\[REDACTED\]"/);
  t.notOk(json.includes('"pos"'), 'positions left out');
  const parsed = JSON.parse(json) as { cluster: { routes: Array<{ display: string }> } };
  t.equal(parsed.cluster.routes[0]!.display, 'nats://x:[REDACTED]@h:3');
  // the options themselves still carry the real passwords for the daemon
  t.equal(r.options!.cluster.routes[0]!.password, 'Fl4gS3cret');
  const bad = build('cluster {\n  port: 6222\n  routes: [ "nats://u:S3cretX@h:bad", "nats://u:S3cretX@h:bad" ]\n}\n');
  t.notOk([...bad.errors, ...bad.warnings].join('\n').includes('S3cretX'), 'not in errors or warnings either');
});

t.test('the three example configs describe the same setup', async (t) => {
  const dir = fileURLToPath(new URL('../../../config/', import.meta.url));
  const results = ['route-proxy.conf', 'route-proxy.yaml', 'route-proxy.json'].map((f) => {
    const r = buildOptions(loadConfigFile(dir + f), {}, { configFile: f });
    t.same(r.errors.map(formatIssue), [], `${f}: no errors`);
    t.same(r.warnings.map(formatIssue), [], `${f}: no warnings`);
    const { configFile, ...rest } = r.options!;
    t.equal(configFile, f);
    return rest;
  });
  t.same(results[1], results[0], 'yaml = conf');
  t.same(results[2], results[0], 'json = conf');
  const o = results[0]!;
  t.equal(o.serverName, 'route-proxy-a');
  t.equal(o.cluster.name, 'example');
  t.equal(o.cluster.nameDynamic, false);
  t.equal(o.cluster.host, '127.0.0.1', 'loopback only: starts anywhere');
  t.same(o.cluster.routes, [], 'no routes that need another process');
  t.same(o.http, { host: '127.0.0.1', port: 8222 });
  t.equal(o.proxy.maxPending, 64 * 1024 * 1024);
  t.ok(o.cluster.authorization, 'authorization configured');
});
