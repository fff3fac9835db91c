// A configured route's own dialer that loses the race for a pool slot (issue 11: after a reload
// closed the pool, the address's dialer and its pooled extras redial at once and any of them can
// come last). It used to be stopped as a duplicate, which stopped the extras too: the pool stayed
// up on connections nobody would redial, and the next close left the peer gone for good.
// Deterministic here: a fake pooling peer fills the gap with a connection of its own before it
// answers our redial, then drops everything; the route must come back.
import t from 'tap';
import net from 'node:net';
import { startProxy } from '../helpers/proxy.js';
import { waitFor } from '../helpers/nats-server.js';

const ID = 'NPOOLPEER';
const info = (extra: Record<string, unknown> = {}) =>
  `INFO ${JSON.stringify({ server_id: ID, server_name: 'pool', port: 1, headers: true, cluster: 'c1', route_pool_size: 3, ...extra })}\r\n`;

t.test('the address dialer that finds the pool full waits for the peer and redials when it goes', async (t) => {
  const sockets: net.Socket[] = [];
  let hold: ((s: net.Socket) => void) | undefined;
  const srv = net.createServer((s) => {
    sockets.push(s);
    s.on('error', () => {});
    s.on('data', (b) => { if (b.toString('latin1').includes('PING\r\n')) s.write('PONG\r\n'); });
    if (hold) hold(s);
    else s.write(info());
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => { for (const s of sockets) s.destroy(); srv.close(); });
  const port = (srv.address() as net.AddressInfo).port;
  const p = await startProxy(t, `server_name: pr
cluster { name: c1, listen: "127.0.0.1:-1", pool_size: 3, routes: [ "nats-route://127.0.0.1:${port}" ] }
`, { level: 'debug' });
  const peer = () => p.daemon.routes.getPeer(ID);
  const full = () => (peer() !== undefined && !peer()!.poolShort ? true : undefined);
  await waitFor(full, { what: 'the pool of 3 up' });

  // Our first connection is the address dialer's. Its redial is held until the gap is filled.
  let redial: net.Socket | undefined;
  hold = (s) => { redial = s; };
  const first = sockets[0]!;
  const gap = peer()!.slots.findIndex((c) => (c?.socket as net.Socket | undefined)?.localPort === first.remotePort);
  t.ok(gap >= 0, `the address dialer's connection holds slot ${gap}`);
  first.destroy();
  await waitFor(() => redial, { what: 'the address dialer redials', timeoutMs: 5000 });
  hold = undefined;
  // The peer fills the slot itself (an accepted connection with that index), then answers.
  const mine = net.connect(p.port, '127.0.0.1');
  sockets.push(mine);
  mine.on('error', () => {});
  mine.on('data', (b) => { if (b.toString('latin1').includes('PING\r\n')) mine.write('PONG\r\n'); });
  mine.write(`CONNECT {"verbose":false,"name":"${ID}","cluster":"c1"}\r\n` + info({ route_pool_idx: gap }));
  await waitFor(() => (peer()?.slots[gap]?.solicited === false ? true : undefined), { what: 'the peer filled the slot' });
  redial!.write(info());
  await p.waitForLog(/Route pool size reached, closing extra connection/);
  t.equal(full(), true, 'the pool is full without the address dialer');

  // The peer drops every connection (a restart): the address dialer and the extras redial.
  const before = sockets.length;
  for (const s of [...sockets]) s.destroy();
  await waitFor(() => (peer() === undefined ? true : undefined), { what: 'the peer gone' });
  await waitFor(() => (sockets.length > before ? true : undefined), { what: 'a redial after the peer went', timeoutMs: 5000 });
  await waitFor(full, { what: 'the pool of 3 back', timeoutMs: 10_000 });
  // The pool can be full of extras while the address dialer's own attempt is still in its
  // handshake: it then registers or parks with the peer; either counts as serving the route.
  const serving = () => (p.daemon.routes.configuredRoutes()[0]?.registered ? true : undefined);
  await waitFor(serving, { what: 'the address dialer registered or parked', timeoutMs: 5000 });
  t.same(p.daemon.routes.configuredRoutes(), [{ url: `nats-route://127.0.0.1:${port}`, registered: true }],
    'the configured route is still solicited and registered');
});
