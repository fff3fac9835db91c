// Gossip from a hostile peer (issue 13): a named listener that accepts and closes is not redialed
// many times a second, gossiped routes are capped, and they expire once no connected peer names them.
import t from 'tap';
import net from 'node:net';
import { startProxy, type StartedProxy } from '../helpers/proxy.js';
import { waitFor } from '../helpers/nats-server.js';

const CONF = (proxy: string, cluster = '') => `server_name: gp
cluster { name: c1, listen: "127.0.0.1:-1", authorization { user: ru, password: "pw-gossip" }
  ${cluster}
}
proxy { ${proxy} }
`;

/** A registered fake route peer that can send gossip INFOs. */
async function namingPeer(t: { teardown(fn: () => unknown): void }, p: StartedProxy, id: string): Promise<net.Socket> {
  const sock = net.connect(p.port, '127.0.0.1');
  sock.on('error', () => {});
  sock.on('data', (b) => { if (b.toString().includes('PING\r\n')) sock.write('PONG\r\n'); });
  t.teardown(() => sock.destroy());
  sock.write('CONNECT {"user":"ru","pass":"pw-gossip","cluster":"c1"}\r\n'
    + `INFO {"server_id":"${id}","server_name":"${id}","port":1,"cluster":"c1","headers":true}\r\n`);
  await waitFor(() => p.daemon.routes.getPeer(id), { what: `${id} registered` });
  return sock;
}

/** A listener that counts connections and closes each at once (after reading what was sent). */
async function acceptAndClose(t: { teardown(fn: () => unknown): void }, host = '127.0.0.1'): Promise<{ port: number; count(): number; connects: string[] }> {
  let n = 0;
  const connects: string[] = [];
  const srv = net.createServer((s) => {
    n++;
    s.on('error', () => {});
    s.once('data', (b) => { connects.push(b.toString()); s.destroy(); });
    setTimeout(() => s.destroy(), 200).unref();
  });
  await new Promise<void>((r) => srv.listen(0, host, () => r()));
  t.teardown(() => srv.close());
  return { port: (srv.address() as net.AddressInfo).port, count: () => n, connects };
}

const gossip = (id: string, host: string, port: number, extra = '') =>
  `INFO {"server_id":"${id}","host":"${host}","port":${port},"cluster":"c1","auth_required":true${extra}}\r\n`;

t.test('a gossiped listener that accepts and closes: one attempt (connect_retries 0), then given up', async (t) => {
  const p = await startProxy(t, CONF(''));
  const l = await acceptAndClose(t);
  const peer = await namingPeer(t, p, 'NNAMER1');
  peer.write(gossip('NTRAP1', '127.0.0.1', l.port));
  await waitFor(() => p.daemon.routes.refusals.count('gossip_gave_up') === 1, { what: 'given up', timeoutMs: 5000 });
  // Before the fix it redialed every 0–99 ms: ~30 connections in this window.
  await new Promise((r) => setTimeout(r, 1500));
  t.equal(l.count(), 1, 'dialed once');
  t.match(l.connects[0], /"pass":"pw-gossip"/, 'with our credentials (auth_required), as nats-server does');
  t.same(p.daemon.routes.solicitations(), [], 'no dialer left');
  // The same trap under a fresh server_id: held, not dialed again.
  peer.write(gossip('NTRAP1B', '127.0.0.1', l.port));
  await waitFor(() => p.daemon.routes.refusals.count('gossip_held') === 1, { what: 'held' });
  t.equal(l.count(), 1, 'not redialed under another server_id');
  await p.waitForLog(/Gossiped route to nats-route:\/\/127\.0\.0\.1:\d+ given up after 1 attempt/);
});

t.test('with connect_retries 3 the redials back off (1 s, then 2 s)', async (t) => {
  const p = await startProxy(t, CONF('', 'connect_retries: 3'));
  const l = await acceptAndClose(t);
  const peer = await namingPeer(t, p, 'NNAMER2');
  const t0 = Date.now();
  peer.write(gossip('NTRAP2', '127.0.0.1', l.port));
  await waitFor(() => l.count() >= 3, { what: 'third dial', timeoutMs: 8000 });
  t.ok(Date.now() - t0 >= 2800, `third dial after ≥ 1 + 2 s (${Date.now() - t0} ms)`);
  t.equal(l.count(), 3);
});

t.test('a gossiped server that registers and drops at once: redials back off', async (t) => {
  const p = await startProxy(t, CONF(''));
  let n = 0;
  const srv = net.createServer((s) => {
    n++;
    s.on('error', () => {});
    // A fresh server_id each time, registered and then dropped: a route that never stays up.
    s.once('data', () => s.end(`INFO {"server_id":"NFLAP${n}","server_name":"flap${n}","port":1,"cluster":"c1","headers":true}\r\n`));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => srv.close());
  const port = (srv.address() as net.AddressInfo).port;
  const peer = await namingPeer(t, p, 'NNAMER4');
  peer.write(gossip('NFLAP0', '127.0.0.1', port));
  await waitFor(() => n >= 2, { what: 'second registration' });
  // Delays: jitter, then 1 s, then 2 s. Before the fix it redialed every 0-99 ms (~25 in this window).
  await new Promise((r) => setTimeout(r, 2500));
  t.ok(n >= 2 && n <= 3, `${n} connections in ~2.5 s`);
  t.ok(p.logs().some((m) => /registered: solicited server "flap1"/.test(m)), 'it did register');
});

t.test('10,000 gossip INFOs naming 10,000 addresses: at most max_gossiped_routes dials', async (t) => {
  const p = await startProxy(t, CONF('max_gossiped_routes: 50'), { level: 'info' });
  // One listener on all addresses; each INFO names a different 127.x.y.z, so every dial would land here.
  const l = await acceptAndClose(t, '0.0.0.0');
  const peer = await namingPeer(t, p, 'NNAMER3');
  let batch = '';
  for (let i = 0; i < 10_000; i++) batch += gossip(`NFLOOD${i}`, `127.1.${i >> 8}.${(i & 255) + 1}`, l.port);
  peer.write(batch);
  await waitFor(() => p.daemon.routes.refusals.count('gossip_cap') === 9950, { what: 'refusals counted', timeoutMs: 10_000 });
  await waitFor(() => l.count() >= 50, { what: '50 dials', timeoutMs: 10_000 });
  await waitFor(() => p.daemon.routes.refusals.count('gossip_gave_up') === 50, { what: 'all 50 given up', timeoutMs: 10_000 });
  t.equal(l.count(), 50, 'exactly the cap was dialed');
  const capLines = p.logs().filter((m) => /max_gossiped_routes \(50\) reached/.test(m));
  t.ok(capLines.length >= 1 && capLines.length <= 3, `refusals logged, throttled (${capLines.length} lines)`);
  // Given-up addresses keep their slot for GOSSIP_HOLD_MS: fresh addresses are still refused.
  peer.write(gossip('NLATE', '127.0.0.1', l.port));
  await waitFor(() => p.daemon.routes.refusals.count('gossip_cap') === 9951, { what: 'late gossip refused' });
  t.equal(l.count(), 50, 'no turnover within the hold time');
});

t.test('a gossiped route expires when the peer that named it leaves', async (t) => {
  const p = await startProxy(t, CONF('', 'connect_retries: 1000'));
  // A closed port: the dialer would keep retrying (1000 retries) for as long as it lives.
  const closed = await new Promise<number>((r) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => { const port = (s.address() as net.AddressInfo).port; s.close(() => r(port)); });
  });
  const a = await namingPeer(t, p, 'NNAMERA');
  const b = await namingPeer(t, p, 'NNAMERB');
  a.write(gossip('NGONE', '127.0.0.1', closed));
  b.write(gossip('NGONE', '127.0.0.1', closed));
  const gossiped = () => p.daemon.routes.solicitations().filter((s) => !s.explicit);
  await waitFor(() => gossiped()[0]?.attempt === 2, { what: 'retrying', timeoutMs: 5000 });
  a.destroy();
  await waitFor(() => !p.daemon.routes.getPeer('NNAMERA'), { what: 'A gone' });
  t.equal(gossiped().length, 1, 'still named by B: kept');
  b.destroy();
  await waitFor(() => gossiped().length === 0, { what: 'expired', timeoutMs: 5000 });
  t.equal(p.daemon.routes.refusals.count('gossip_expired'), 1, 'counted');
  await p.waitForLog(/expired: no connected peer names it any more/);
});
