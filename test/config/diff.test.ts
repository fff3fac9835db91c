// diffOptions: what changed between two Options and whether it applies live (nats-server rules).
import t from 'tap';
import { parseConfigText } from '../../src/config/load.js';
import { buildOptions } from '../../src/config/build.js';
import { diffOptions } from '../../src/config/diff.js';

const opts = (text: string) => buildOptions(parseConfigText(text, 'f.conf', { env: {} })).options!;
const BASE = 'server_name: p\ncluster {\n  name: c\n  listen: "127.0.0.1:6222"\n  routes = ["nats://a:1@h:1"]\n}\n';

t.test('no change', async (t) => {
  const d = diffOptions(opts(BASE), opts(BASE));
  t.same(d.changes, []);
  t.equal(d.applicable, true);
});

t.test('generated names are not changes', async (t) => {
  const text = 'cluster {\n  listen: "127.0.0.1:6222"\n}\n';
  const d = diffOptions(opts(text), opts(text));
  t.same(d.changes, [], 'both server_name and cluster name are generated anew each parse');
});

t.test('live changes', async (t) => {
  const d = diffOptions(opts(BASE), opts(`debug: true\nproxy { max_pending: 1MB }\n${BASE.replace('nats://a:1@h:1', 'nats://a:2@h:1')
    .replace('  name: c\n', '  name: c\n  authorization { user: u, password: p }\n  pool_size: 5\n  ping_interval: "5s"\n')}`));
  t.same(d.changes.map((c) => [c.field, c.kind, c.live]), [
    ['cluster.authorization', 'authorization', true],
    ['cluster.routes', 'routes', true],
    ['cluster.pool_size', 'pool', true],
    ['cluster.ping_interval', 'connection-settings', true],
    ['debug', 'logging', true],
    ['proxy', 'proxy', true],
  ]);
  t.equal(d.applicable, true);
});

t.test('refused changes refuse the whole reload, with reasons', async (t) => {
  const d = diffOptions(opts(BASE), opts(`debug: true\n${BASE.replace('name: c', 'name: d').replace('6222', '6223')}`));
  t.equal(d.applicable, false);
  t.same(d.refusals, [
    'config reload not supported for cluster.port: old=6222, new=6223',
    'config reload not supported for cluster.name: old=c, new=d',
  ]);
  const withTls = opts(BASE);
  withTls.cluster.tls = { certFile: 'a', keyFile: 'b', verify: true, verifyAndMap: false, verifyCertAndCheckKnownUrls: false, insecure: false, timeoutMs: 2000 };
  t.equal(diffOptions(opts(BASE), withTls, { tlsReloadable: true }).applicable, false, 'turning TLS on needs a restart');
  const otherCert = opts(BASE);
  otherCert.cluster.tls = { ...withTls.cluster.tls!, certFile: 'c' };
  t.equal(diffOptions(withTls, otherCert).applicable, false, 'new certificates refused while the route layer cannot reload them');
  t.equal(diffOptions(withTls, otherCert, { tlsReloadable: true }).applicable, true, 'live once it can');
  t.equal(diffOptions(opts(BASE), opts(`server_name: q\n${BASE.slice('server_name: p\n'.length)}`)).applicable, false, 'server_name');
  t.equal(diffOptions(opts(BASE), opts(`http: 8222\n${BASE}`)).applicable, false, 'http');
});
