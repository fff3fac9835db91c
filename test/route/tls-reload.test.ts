// RouteManager.reloadTls (the SIGHUP hook): new connections get the re-read certificate, an
// established route is not touched, bad files change nothing. And verify_cert_and_check_known_urls
// between two proxies.
import t from 'tap';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '../helpers/nats-server.js';
import { poolSettled, startProxy } from '../helpers/proxy.js';
import { fingerprint, servedFingerprint, TestPki, type CertPair } from '../helpers/certs.js';

const pki = new TestPki(t);

const conf = (name: string, pair: CertPair, o: { routes?: string[]; extra?: string } = {}) => `server_name: ${name}
cluster {
  name: reload
  listen: "127.0.0.1:-1"
  tls { cert_file: "${pair.cert}", key_file: "${pair.key}", ca_file: "${pki.ca.cert}" ${o.extra ?? ''} }
  ${o.routes ? `routes: [${o.routes.map((r) => `"${r}"`).join(', ')}]` : ''}
}
`;


t.test('reloadTls: new connections use the new certificate, the established route stays', async (t) => {
  const first = pki.leaf('first');
  const live: CertPair = { cert: join(pki.dir, 'live.pem'), key: join(pki.dir, 'live-key.pem') };
  copyFileSync(first.cert, live.cert);
  copyFileSync(first.key, live.key);
  const a = await startProxy(t, conf('a', live));
  const b = await startProxy(t, conf('b', pki.leaf('b'), { routes: [`nats-route://127.0.0.1:${a.port}`] }));
  const peer = await waitFor(() => a.daemon.routes.getPeer(b.serverId), { what: 'b registered at a' });
  const rid = (await poolSettled(a, peer.id)).main.rid;
  t.equal(await servedFingerprint(a.port, first, pki.ca.cert), fingerprint(first.cert), 'serves the first certificate');

  // The operator replaces the files in place, then SIGHUP calls reloadTls.
  const second = pki.leaf('second');
  copyFileSync(second.cert, live.cert);
  copyFileSync(second.key, live.key);
  a.daemon.routes.reloadTls(a.options.cluster.tls!);
  t.equal(await servedFingerprint(a.port, first, pki.ca.cert), fingerprint(second.cert), 'a new connection sees the re-read certificate');
  t.equal(a.daemon.routes.getPeer(b.serverId)?.main.rid, rid, 'the established route was not touched');
  t.equal(a.daemon.routes.getPeer(b.serverId)?.main.state, 'registered');

  // A broken file: the reload fails loudly and the running context stays.
  writeFileSync(live.key, 'not a key\n');
  t.throws(() => a.daemon.routes.reloadTls(a.options.cluster.tls!), { code: 'ERR_CONFIG_INVALID' });
  t.equal(await servedFingerprint(a.port, first, pki.ca.cert), fingerprint(second.cert), 'still the second certificate after a failed reload');
  t.ok(a.logs().some((l) => /Reloaded: cluster TLS certificates/.test(l)), 'reload logged');
});

t.test('verify_cert_and_check_known_urls: a DNS SAN must name a configured route host', async (t) => {
  // a knows the route host "localhost" (port 1: nothing listens, the dialer just retries).
  const a = await startProxy(t, conf('ka', pki.leaf('ka'), { routes: ['nats-route://localhost:1'], extra: ', verify_cert_and_check_known_urls: true' }));
  const known = await startProxy(t, conf('known', pki.leaf('known', { dns: ['localhost'], ip: ['127.0.0.1'] }), { routes: [`nats-route://127.0.0.1:${a.port}`] }));
  await waitFor(() => a.daemon.routes.getPeer(known.serverId), { what: 'known host accepted' });
  const stranger = await startProxy(t, conf('stranger', pki.leaf('stranger', { dns: ['stranger.example'], ip: ['127.0.0.1'] }), { routes: [`nats-route://127.0.0.1:${a.port}`] }));
  await a.waitForLog(/Authorization Error: no DNS name of the certificate matches a configured route host/);
  await stranger.waitForLog(/Route Error 'Authorization Violation'/);
  t.notOk(a.daemon.routes.getPeer(stranger.serverId), 'unknown host rejected');
});

t.test('pinned_certs in the dialer role (proxy to proxy)', async (t) => {
  const served = pki.leaf('served');
  const a = await startProxy(t, conf('pa', served));
  const pinnedOk = await startProxy(t, conf('pin-ok', pki.leaf('d1'), {
    routes: [`nats-route://127.0.0.1:${a.port}`], extra: `, pinned_certs: ["${pki.spkiSha256(served.cert)}"]`,
  }));
  await waitFor(() => pinnedOk.daemon.routes.getPeer(a.serverId), { what: 'the pinned acceptor is accepted' });
  const pinnedOther = await startProxy(t, conf('pin-other', pki.leaf('d2'), {
    routes: [`nats-route://127.0.0.1:${a.port}`], extra: `, pinned_certs: ["${pki.spkiSha256(pki.leaf('elsewhere').cert)}"]`,
  }));
  await pinnedOther.waitForLog(/TLS route handshake error: peer certificate "served" is not in pinned_certs/);
  t.notOk(pinnedOther.daemon.routes.getPeer(a.serverId), 'a valid but unpinned server is refused');
});
