// SIGHUP's reload (daemon.reload() re-reading the configuration file through its source, as the
// CLI does on SIGHUP) on a TLS-configured daemon, peer a
// real nats-server 2.15.1: new certificate files (new paths, or the same paths rewritten in place
// as cert-manager does) serve new connections, the established route keeps its rid, and a bad
// certificate file fails the reload and changes nothing.
import t from 'tap';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, waitFor } from './helpers/nats-server.js';
import { startProxy, type StartedProxy } from './helpers/proxy.js';
import { fingerprint, servedFingerprint, TestPki, type CertPair } from './helpers/certs.js';
import { parseConfigText } from '../src/config/load.js';
import { buildOptions, formatIssue } from '../src/config/build.js';
import type { Options } from '../src/config/options.js';

const pki = new TestPki(t);

const tlsBlock = (pair: CertPair) => `tls { cert_file: "${pair.cert}", key_file: "${pair.key}", ca_file: "${pki.ca.cert}" }`;
const conf = (pair: CertPair) => `server_name: P
cluster {
  name: hup
  listen: "127.0.0.1:-1"
  ${tlsBlock(pair)}
}
`;

/** The configuration file and the source SIGHUP reads it through (as src/cli.ts: errors, never a throw). */
const confFile = join(pki.dir, 'proxy.conf');
function source(): { options: Options | undefined; errors: string[] } {
  const b = buildOptions(parseConfigText(readFileSync(confFile, 'utf8'), confFile));
  return { options: b.options, errors: b.errors.map(formatIssue) };
}
/** Writes the configuration file and reloads from it (the SIGHUP path). */
async function hup(proxy: StartedProxy, pair: CertPair) {
  writeFileSync(confFile, conf(pair));
  return proxy.daemon.reload();
}


t.test('reload with new certificate files on a TLS daemon, peer nats-server 2.15.1', async (t) => {
  const client = pki.leaf('client');
  const live: CertPair = { cert: join(pki.dir, 'live.pem'), key: join(pki.dir, 'live-key.pem') };
  const first = pki.leaf('first');
  copyFileSync(first.cert, live.cert);
  copyFileSync(first.key, live.key);
  writeFileSync(confFile, conf(live));
  const proxy = await startProxy(t, conf(live), { source });
  const server = await startServer(t, {
    version: '2.15.1', name: 'S', cluster: { name: 'hup', routes: [proxy.routeUrl], extra: tlsBlock(pki.leaf('server')) },
  });
  const sid = (await server.varz()).server_id as string;
  // Pooled: 3 connections plus the pinned $SYS one, on both sides, before anything is compared.
  const rids = () => (proxy.daemon.routes.getPeer(sid)?.connections() ?? []).map((c) => c.rid).sort().join(',');
  const serverRids = async () => ((await server.routez()).routes ?? [])
    .filter((r: { remote_id: string }) => r.remote_id === proxy.serverId).map((r: { rid: number }) => r.rid).sort().join(',');
  await waitFor(async () => proxy.daemon.routes.getPeer(sid)?.connectionCount === 4 && (await serverRids()).split(',').length === 4,
    { what: 'the server\'s four route connections registered on both sides' });
  const rid = rids();
  const serverRid = await serverRids();
  t.equal(await servedFingerprint(proxy.port, client, pki.ca.cert), fingerprint(first.cert), 'serves the first certificate');

  const unchanged = async (what: string) => {
    t.equal(rids(), rid, `${what}: the established connections keep their rids at the proxy`);
    t.ok(proxy.daemon.routes.getPeer(sid)?.connections().every((c) => c.state === 'registered'), `${what}: still registered`);
    t.equal(await serverRids(), serverRid, `${what}: the server's /routez shows the same connections`);
  };

  await t.test('new paths', async (t) => {
    const second = pki.leaf('second');
    const r = await hup(proxy, second);
    t.ok(r.ok, `reload ok ${r.errors.join('; ')}`);
    t.ok(r.changes.some((c) => c.field === 'cluster.tls' && c.live), 'cluster.tls changed live');
    t.equal(await servedFingerprint(proxy.port, client, pki.ca.cert), fingerprint(second.cert), 'a new connection gets the new certificate');
    await unchanged('after the reload');
    t.same(proxy.daemon.options().cluster.tls?.certFile, second.cert, 'running options point at the new files');
  });

  await t.test('a bad certificate file fails the reload and changes nothing', async (t) => {
    const before = await servedFingerprint(proxy.port, client, pki.ca.cert);
    const bad: CertPair = { cert: join(pki.dir, 'bad.pem'), key: join(pki.dir, 'bad-key.pem') };
    writeFileSync(bad.cert, '-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n');
    copyFileSync(first.key, bad.key);
    const certBefore = proxy.daemon.options().cluster.tls?.certFile;
    const r = await hup(proxy, bad);
    t.notOk(r.ok, 'reload refused');
    t.ok(r.errors.length > 0, `with a reason: ${r.errors.join('; ')}`);
    t.ok(proxy.logs().some((l) => /Failed to reload server configuration/.test(l)), 'failure logged');
    t.equal(await servedFingerprint(proxy.port, client, pki.ca.cert), before, 'new connections still get the previous certificate');
    t.equal(proxy.daemon.options().cluster.tls?.certFile, certBefore, 'running options unchanged');
    await unchanged('after the failed reload');
  });

  await t.test('same paths, files replaced in place (nats-server re-reads them on every reload)', async (t) => {
    const third = pki.leaf('third');
    const r0 = await hup(proxy, live);
    t.ok(r0.ok, 'back to the live paths');
    copyFileSync(third.cert, live.cert);
    copyFileSync(third.key, live.key);
    const r = await hup(proxy, live);
    t.ok(r.ok, `reload ok ${r.errors.join('; ')}`);
    t.equal(await servedFingerprint(proxy.port, client, pki.ca.cert), fingerprint(third.cert), 'a new connection gets the rewritten certificate');
    await unchanged('after the in-place reload');

    writeFileSync(live.key, 'not a key\n');
    const bad = await hup(proxy, live);
    t.notOk(bad.ok, 'a broken file in place fails the reload');
    t.equal(await servedFingerprint(proxy.port, client, pki.ca.cert), fingerprint(third.cert), 'and changes nothing');
    await unchanged('after the failed in-place reload');
  });
});
