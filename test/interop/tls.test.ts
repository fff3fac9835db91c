// Route TLS against real nats-servers (2.10.27, 2.15.1), certificates made by openssl at test time:
// both roles, two sites with TLS on every leg, the rejections (each logged with its reason, with a
// bounded retry rate), verify_and_map and pinned_certs.
import t from 'tap';
import net from 'node:net';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { startServer, waitFor, type ServerVersion, type StartedServer } from '../helpers/nats-server.js';
import { startProxy, type StartedProxy } from '../helpers/proxy.js';
import { TestPki, type CertPair } from '../helpers/certs.js';

const pki = new TestPki(t);
const otherCa = pki.newCa('other-ca');
const good = pki.leaf('good'); // localhost + 127.0.0.1, serverAuth+clientAuth

function tlsBlock(pair: CertPair, o: { ca?: string; extra?: string; timeout?: number } = {}): string {
  return `tls {
    cert_file: "${pair.cert}"
    key_file: "${pair.key}"
    ca_file: "${o.ca ?? pki.ca.cert}"
    timeout: ${o.timeout ?? 2}
    ${o.extra ?? ''}
  }`;
}

function proxyConf(name: string, o: { tls?: string; routes?: string[]; cluster?: string } = {}): string {
  return `server_name: ${name}
cluster {
  name: tlsc
  listen: "127.0.0.1:-1"
  ${o.tls ?? ''}
  ${o.routes?.length ? `routes = [ ${o.routes.map((r) => `"${r}"`).join(', ')} ]` : ''}
  ${o.cluster ?? ''}
}
`;
}

async function tlsServer(t: Tap, version: ServerVersion, name: string, o: { pair?: CertPair; routes?: string[]; tls?: string | false; extraConfig?: string } = {}): Promise<StartedServer> {
  const block = o.tls === false ? '' : o.tls ?? tlsBlock(o.pair ?? good);
  const cluster: { name: string; extra: string; routes?: string[] } = { name: 'tlsc', extra: block };
  if (o.routes) cluster.routes = o.routes;
  const opts: Parameters<typeof startServer>[1] = { version, name, cluster };
  if (o.extraConfig) opts.extraConfig = o.extraConfig;
  return startServer(t, opts);
}

type Tap = Parameters<Extract<Parameters<typeof t.test>[number], (...a: any[]) => any>>[0];

async function routeTo(s: StartedServer, remoteId: string): Promise<any> {
  const rz = await s.routez();
  return (rz.routes ?? []).find((r: any) => r.remote_id === remoteId);
}

async function serverId(s: StartedServer): Promise<string> {
  return (await s.varz()).server_id as string;
}

/** Lines of the proxy's log matching re. */
const count = (p: StartedProxy, re: RegExp): number => p.logs().filter((l) => re.test(l)).length;

/**
 * Waits for `n` matching log lines and checks the rate: attempts are at least ~1 s apart (the
 * lower bound on elapsed time cannot be broken by a slow machine) and never more than that allows.
 */
async function boundedRetries(t: Tap, p: StartedProxy, re: RegExp, n = 3): Promise<void> {
  const started = Date.now();
  const first = await waitFor(() => count(p, re) >= 1 || undefined, { what: `first ${re}`, timeoutMs: 15_000 });
  t.ok(first, `logged: ${p.logs().find((l) => re.test(l))}`);
  const t0 = Date.now();
  await waitFor(() => count(p, re) >= n || undefined, { what: `${n} × ${re}`, timeoutMs: 20_000 });
  const elapsed = Date.now() - t0;
  t.ok(elapsed >= (n - 1) * 900, `${n} attempts took ${elapsed} ms (≥ ${(n - 1) * 900}): no redial storm`);
  const seen = count(p, re);
  t.ok(seen <= Math.floor((Date.now() - started) / 900) + 2, `${seen} attempts in ${Date.now() - started} ms`);
}

for (const version of ['2.10.27', '2.15.1'] as const) {
  t.test(`nats-server ${version}: route TLS in both roles`, async (t) => {
    await t.test('proxy accepts a TLS route', async (t) => {
      const p = await startProxy(t, proxyConf(`p-acc-${version}`, { tls: tlsBlock(good) }));
      const s = await tlsServer(t, version, `acc-${version}`, { routes: [`nats-route://127.0.0.1:${p.port}`] });
      const id = await serverId(s);
      await waitFor(() => p.daemon.routes.getPeer(id), { what: 'proxy registers the TLS server' });
      const r = await waitFor(() => routeTo(s, p.serverId), { what: 'server /routez lists the proxy' });
      t.equal(r.remote_name, `p-acc-${version}`, 'routez: remote_name');
      t.equal(r.did_solicit, true, 'the server dialed us');
      const peer = p.daemon.routes.getPeer(id)!;
      t.equal((peer.main.socket as any).encrypted, true, 'our side of the route is a TLS socket');
      t.equal((peer.main.socket as any).getPeerCertificate().subject.CN, 'good', 'peer certificate seen');
    });

    await t.test('proxy dials a TLS route', async (t) => {
      const s = await tlsServer(t, version, `dial-${version}`);
      const id = await serverId(s);
      const p = await startProxy(t, proxyConf(`p-dial-${version}`, { tls: tlsBlock(good), routes: [`nats-route://localhost:${s.clusterPort}`] }));
      await waitFor(() => p.daemon.routes.getPeer(id), { what: 'proxy registers the server' });
      const r = await waitFor(() => routeTo(s, p.serverId), { what: 'server /routez lists the proxy' });
      t.equal(r.did_solicit, false, 'the server accepted us');
      t.equal(r.remote_name, `p-dial-${version}`);
    });
  });
}

t.test('nats-server 2.15.1: TLS and S2 together (compress, then encrypt), both roles', async (t) => {
  for (const dir of ['proxy accepts', 'proxy dials'] as const) {
    await t.test(dir, async (t) => {
      const tag = dir === 'proxy accepts' ? 'acc' : 'dial';
      let s: StartedServer;
      let p: StartedProxy;
      if (dir === 'proxy accepts') {
        p = await startProxy(t, proxyConf(`p-s2-${tag}`, { tls: tlsBlock(good), cluster: 'compression: s2_fast' }));
        s = await tlsServer(t, '2.15.1', `s2-${tag}`, { tls: `${tlsBlock(good)}\n  compression: s2_best`, routes: [`nats-route://127.0.0.1:${p.port}`] });
      } else {
        s = await tlsServer(t, '2.15.1', `s2-${tag}`, { tls: `${tlsBlock(good)}\n  compression: s2_best` });
        p = await startProxy(t, proxyConf(`p-s2-${tag}`, { tls: tlsBlock(good), cluster: 'compression: s2_fast', routes: [`nats-route://localhost:${s.clusterPort}`] }));
      }
      const id = await serverId(s);
      await waitFor(() => p.daemon.routes.getPeer(id), { what: 'proxy registers the TLS+S2 server' });
      const r = await waitFor(() => routeTo(s, p.serverId), { what: 'server /routez lists the proxy' });
      t.equal(r.compression, 's2_best', 'the server compresses its side at its level');
      const conn = p.daemon.routes.getPeer(id)!.main;
      t.equal((conn.socket as any).encrypted, true, 'inside TLS');
      t.equal(conn.compressionMode, 's2_fast', 'we compress ours at our level');
      // What the server sent us (its INFO, its interest) came S2-compressed inside TLS and decoded.
      await waitFor(() => p.daemon.routes.getPeer(id)!.interest.size > 0, { what: 'server interest decoded' });
      t.ok(conn.bytesInPlain > 0 && conn.bytesInWire > 0, `decoded ${conn.bytesInPlain} bytes from ${conn.bytesInWire} on the wire`);
    });
  }
});

t.test('two sites through two proxies, TLS and S2 on every leg (2.10.27 in A, 2.15.1 in B)', async (t) => {
  const pa = pki.leaf('proxy-a');
  const pb = pki.leaf('proxy-b');
  // S2 on every leg as well: compress, then encrypt (the TLS socket carries the compressed slabs).
  const b1 = await tlsServer(t, '2.15.1', 'B1', { tls: `${tlsBlock(pki.leaf('b1'))}\n  compression: s2_fast` });
  const proxyB = await startProxy(t, proxyConf('proxy-B', { tls: tlsBlock(pb), cluster: 'compression: s2_fast', routes: [`nats-route://127.0.0.1:${b1.clusterPort}`] }), { level: 'info' });
  const proxyA = await startProxy(t, proxyConf('proxy-A', { tls: tlsBlock(pa), cluster: 'compression: s2_better', routes: [`nats-route://localhost:${proxyB.port}`] }), { level: 'info' });
  const a1 = await tlsServer(t, '2.10.27', 'A1', { tls: `${tlsBlock(pki.leaf('a1'))}\n  compression: s2_fast`, routes: [`nats-route://127.0.0.1:${proxyA.port}`] });
  await waitFor(() => proxyA.daemon.routes.getPeers().some((x) => x.kind === 'proxy'), { what: 'proxies connected' });
  await waitFor(async () => (await routeTo(a1, proxyA.serverId)) && (await routeTo(b1, proxyB.serverId)), { what: 'servers routed to their proxies' });
  for (const p of [proxyA, proxyB]) {
    for (const peer of p.daemon.routes.getPeers()) {
      t.equal((peer.main.socket as any).encrypted, true, `${p.options.serverName} → ${peer.name}: TLS`);
      t.match(peer.main.compressionMode, /^s2_(fast|better)$/, `${p.options.serverName} → ${peer.name}: S2 (${peer.main.compressionMode})`);
    }
  }
  const ncA = await connect({ servers: a1.clientUrl });
  const ncB = await connect({ servers: b1.clientUrl });
  t.teardown(async () => { await ncA.close(); await ncB.close(); });
  const flow = async (from: NatsConnection, to: NatsConnection, subject: string, via: StartedProxy) => {
    const got: string[] = [];
    to.subscribe(subject, { callback: (_e, m) => { got.push(m.string()); } });
    await to.flush();
    await waitFor(() => via.daemon.routes.getPeers().some((x) => x.kind === 'proxy'
      && [...x.interest.entries()].some((e) => e.subject === subject)), { what: `interest ${subject} crossed` });
    // One more hop to the publishing server: retry until it forwards.
    await waitFor(async () => {
      from.publish(subject, 'probe');
      await from.flush();
      return got.includes('probe') || undefined;
    }, { what: `${subject} delivered`, intervalMs: 100 });
    for (let i = 0; i < 100; i++) from.publish(subject, `m${i}`);
    await from.flush();
    await waitFor(() => got.includes('m99') || undefined, { what: `${subject} burst delivered` });
    t.same(got.filter((g) => g !== 'probe'), Array.from({ length: 100 }, (_, i) => `m${i}`), `${subject}: complete and in order`);
  };
  await flow(ncA, ncB, 'a.to.b', proxyA);
  await flow(ncB, ncA, 'b.to.a', proxyB);
  // Request/reply both ways over the same TLS legs.
  ncB.subscribe('svc', { callback: (_e, m) => { m.respond(m.data); } });
  await ncB.flush();
  const reply = await waitFor(async () => ncA.request('svc', 'ping', { timeout: 500 }).catch(() => undefined), { what: 'request/reply' });
  t.equal(reply.string(), 'ping', 'request/reply across TLS legs');
});

t.test('rejections (2.15.1): clear log line, bounded retry rate', async (t) => {
  await t.test('proxy dials a server whose certificate is from an unknown CA', async (t) => {
    const s = await tlsServer(t, '2.15.1', 'unknown-ca', { tls: tlsBlock(pki.leaf('foreign', { ca: otherCa }), { ca: pki.ca.cert }) });
    const p = await startProxy(t, proxyConf('p-unknown-ca', { tls: tlsBlock(good), routes: [`nats-route://127.0.0.1:${s.clusterPort}`] }));
    await boundedRetries(t, p, /TLS route handshake error: .*not signed by a CA in ca_file/);
    t.equal(p.daemon.routes.getPeers().length, 0, 'no route');
  });

  await t.test('a server with a certificate from an unknown CA dials the proxy', async (t) => {
    const p = await startProxy(t, proxyConf('p-acc-unknown-ca', { tls: tlsBlock(good) }));
    await tlsServer(t, '2.15.1', 'foreign-dialer', {
      tls: tlsBlock(pki.leaf('foreign', { ca: otherCa }), { ca: pki.ca.cert }), routes: [`nats-route://127.0.0.1:${p.port}`],
    });
    // A Go client sends no certificate at all when its own is not issued by a CA we announce.
    t.ok(await p.waitForLog(/TLS route handshake error: (peer certificate "foreign": .*unknown CA|peer presented no certificate)/), 'logged');
  });

  await t.test('expired server certificate', async (t) => {
    const s = await tlsServer(t, '2.15.1', 'expired', { pair: pki.leaf('expired', { days: -1 }) });
    const p = await startProxy(t, proxyConf('p-expired', { tls: tlsBlock(good), routes: [`nats-route://127.0.0.1:${s.clusterPort}`] }));
    await boundedRetries(t, p, /TLS route handshake error: peer certificate "expired": certificate has expired/);
  });

  await t.test('a server certificate without clientAuth dials the proxy', async (t) => {
    const p = await startProxy(t, proxyConf('p-no-client-auth', { tls: tlsBlock(good) }));
    await tlsServer(t, '2.15.1', 'no-client-auth', { pair: pki.leaf('server-only', { eku: 'serverAuth' }), routes: [`nats-route://127.0.0.1:${p.port}`] });
    t.ok(await p.waitForLog(/TLS route handshake error: peer certificate "server-only" lacks the clientAuth extended key usage/), 'logged');
  });

  await t.test('hostname mismatch', async (t) => {
    const s = await tlsServer(t, '2.15.1', 'wrong-name', { pair: pki.leaf('elsewhere', { dns: ['elsewhere.example'] }) });
    const p = await startProxy(t, proxyConf('p-mismatch', { tls: tlsBlock(good), routes: [`nats-route://localhost:${s.clusterPort}`] }));
    await boundedRetries(t, p, /TLS route handshake error: hostname mismatch: .*localhost/);
  });

  await t.test('plaintext server dials the TLS proxy', async (t) => {
    const p = await startProxy(t, proxyConf('p-plain-in', { tls: tlsBlock(good) }));
    await tlsServer(t, '2.15.1', 'plain-dialer', { tls: false, routes: [`nats-route://127.0.0.1:${p.port}`] });
    t.ok(await p.waitForLog(/TLS route handshake error: peer does not speak TLS/), 'logged');
    t.match(p.records().find((r) => /TLS route handshake error/.test(String(r.msg))),
      { code: 'ERR_ROUTE_TLS', reason: 'tls_handshake_error' }, 'the failure is logged with its code and label');
  });

  await t.test('TLS proxy dials a plaintext server', async (t) => {
    const s = await tlsServer(t, '2.15.1', 'plain-acceptor', { tls: false });
    const p = await startProxy(t, proxyConf('p-plain-out', { tls: tlsBlock(good), routes: [`nats-route://127.0.0.1:${s.clusterPort}`] }));
    await boundedRetries(t, p, /TLS route handshake error: peer does not speak TLS/);
  });

  await t.test('a handshake that never completes times out (both roles)', async (t) => {
    const p = await startProxy(t, proxyConf('p-timeout-in', { tls: tlsBlock(good, { timeout: 0.3 }) }));
    const sock = net.connect(p.port, '127.0.0.1'); // says nothing
    t.teardown(() => sock.destroy());
    const closed = new Promise<void>((r) => sock.once('close', () => r()));
    await p.waitForLog(/TLS route handshake error: TLS handshake timeout/);
    await closed;
    t.pass('the silent socket was closed');

    const silent = net.createServer((s) => { s.on('error', () => {}); s.resume(); }); // reads, never answers
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    t.teardown(() => new Promise<void>((r) => silent.close(() => r())));
    const port = (silent.address() as net.AddressInfo).port;
    const d = await startProxy(t, proxyConf('p-timeout-out', { tls: tlsBlock(good, { timeout: 0.3 }), routes: [`nats-route://127.0.0.1:${port}`] }));
    await boundedRetries(t, d, /TLS route handshake error: TLS handshake timeout/);
  });

  await t.test('TLS 1.3: the server rejects our certificate after our secureConnect', async (t) => {
    // We trust the server (main CA); the server does not trust our certificate (other CA).
    const s = await tlsServer(t, '2.15.1', 'tls13-reject');
    const ours = pki.leaf('untrusted', { ca: otherCa });
    const p = await startProxy(t, proxyConf('p-tls13', {
      tls: tlsBlock(ours, { extra: 'min_version: "1.3"' }), routes: [`nats-route://127.0.0.1:${s.clusterPort}`],
    }));
    // The alert, or a reset when the server's close overtakes it (our CONNECT already written).
    await boundedRetries(t, p, /TLS route handshake error: (peer rejected the handshake \(TLS alert|connection reset by the peer after the TLS handshake)/);
    t.ok(await p.waitForLog(/peer rejected the handshake \(TLS alert "unknown ca"\)/, 20_000), 'the alert is named when it arrives first');
    t.equal(p.daemon.routes.getPeers().length, 0, 'never counted as up');
    // A reconnect would reset the attempt counter (and skip connect_backoff); a failed attempt does not.
    t.ok(p.daemon.routes.solicitations()[0]!.attempt >= 3, `each late rejection is a failed attempt (attempt ${p.daemon.routes.solicitations()[0]!.attempt})`);
    t.notOk(p.logs().some((l) => /Route connection registered/.test(l)), 'never registered');
  });
});

t.test('verify_and_map and pinned_certs (proxy as acceptor, 2.15.1 dialing)', async (t) => {
  await t.test('verify_and_map: a URI SAN identity', async (t) => {
    const user = 'spiffe://example.org/route-a';
    const p = await startProxy(t, proxyConf('p-map-uri', {
      tls: tlsBlock(good, { extra: 'verify_and_map: true' }),
      cluster: `authorization { user: "${user}", password: unused }`,
    }));
    const ok = await tlsServer(t, '2.15.1', 'map-uri-ok', { pair: pki.leaf('route-a', { uri: [user], ip: ['127.0.0.1'] }), routes: [`nats-route://127.0.0.1:${p.port}`] });
    const id = await serverId(ok);
    await waitFor(() => p.daemon.routes.getPeer(id), { what: 'mapped identity accepted without user/password' });
    const bad = await tlsServer(t, '2.15.1', 'map-uri-bad', { pair: pki.leaf('route-x', { uri: ['spiffe://example.org/other'], ip: ['127.0.0.1'] }), routes: [`nats-route://127.0.0.1:${p.port}`] });
    await p.waitForLog(/Authorization Error: certificate identity does not match cluster user "spiffe:\/\/example.org\/route-a"/);
    await bad.waitForLog(/Authorization Violation/);
    t.notOk(p.daemon.routes.getPeer(await serverId(bad)), 'other identity rejected');
  });

  await t.test('verify_and_map: an RDN subject in Go order', async (t) => {
    const user = 'CN=route-b,OU=ops,O=Acme,C=US';
    const p = await startProxy(t, proxyConf('p-map-rdn', {
      tls: tlsBlock(good, { extra: 'verify_and_map: true' }),
      cluster: `authorization { user: "${user}", password: unused }`,
    }));
    const ok = await tlsServer(t, '2.15.1', 'map-rdn-ok', { pair: pki.leaf('route-b', { subj: '/C=US/O=Acme/OU=ops/CN=route-b' }), routes: [`nats-route://127.0.0.1:${p.port}`] });
    await waitFor(async () => p.daemon.routes.getPeer(await serverId(ok)), { what: 'RDN identity accepted' });
    const bad = await tlsServer(t, '2.15.1', 'map-rdn-bad', { pair: pki.leaf('route-c', { subj: '/C=US/O=Acme/OU=ops/CN=route-c' }), routes: [`nats-route://127.0.0.1:${p.port}`] });
    await p.waitForLog(/Authorization Error: certificate identity does not match.*"CN=route-c,OU=ops,O=Acme,C=US"/);
    t.notOk(p.daemon.routes.getPeer(await serverId(bad)), 'other subject rejected');
  });

  await t.test('pinned_certs: the pinned key passes, a valid unpinned one does not', async (t) => {
    const pinned = pki.leaf('pinned');
    const p = await startProxy(t, proxyConf('p-pinned', {
      tls: tlsBlock(good, { extra: `pinned_certs: ["${pki.spkiSha256(pinned.cert)}"]` }),
    }));
    const ok = await tlsServer(t, '2.15.1', 'pinned-ok', { pair: pinned, routes: [`nats-route://127.0.0.1:${p.port}`] });
    await waitFor(async () => p.daemon.routes.getPeer(await serverId(ok)), { what: 'pinned certificate accepted' });
    await tlsServer(t, '2.15.1', 'pinned-bad', { pair: pki.leaf('unpinned'), routes: [`nats-route://127.0.0.1:${p.port}`] });
    await p.waitForLog(/TLS route handshake error: peer certificate "unpinned" is not in pinned_certs/);
    t.equal(p.daemon.routes.getPeers().length, 1, 'only the pinned peer is registered');
  });
});

t.test('insecure: the dialed server is not verified (pins would be), with nats-server\'s warning', async (t) => {
  const s = await tlsServer(t, '2.15.1', 'insecure-target', { tls: tlsBlock(pki.leaf('foreign', { ca: otherCa, dns: ['elsewhere.example'] }), { ca: pki.ca.cert }) });
  const p = await startProxy(t, proxyConf('p-insecure', { tls: tlsBlock(good, { extra: 'insecure: true' }), routes: [`nats-route://localhost:${s.clusterPort}`] }));
  t.ok(p.logs().includes('TLS certificate chain and hostname of solicited routes will not be verified. DO NOT USE IN PRODUCTION!'), 'warning at start');
  await waitFor(async () => p.daemon.routes.getPeer(await serverId(s)), { what: 'route up despite unknown CA and wrong name' });
  t.pass('registered');
});

t.test('§8.2: an IP route URL is verified against the first configured route hostname', async (t) => {
  // The server's certificate names only "localhost" (no IP SAN); we dial it by IP.
  const s = await tlsServer(t, '2.15.1', 'dns-only', { pair: pki.leaf('dns-only', { dns: ['localhost'] }) });
  const p = await startProxy(t, proxyConf('p-fallback', {
    tls: tlsBlock(good), routes: ['nats-route://localhost:1', `nats-route://127.0.0.1:${s.clusterPort}`],
  }));
  await waitFor(async () => p.daemon.routes.getPeer(await serverId(s)), { what: 'route up through the hostname fallback' });
  t.notOk(p.logs().some((l) => /127\.0\.0\.1:\d+ - TLS route handshake error/.test(l)), 'no handshake error on the IP route');
});
