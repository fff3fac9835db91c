// Route solicitation retry rules (route-protocol.md §6.3) against a port nobody listens on.
import t from 'tap';
import { pino } from 'pino';
import { RouteDialer, retryDelayMs } from '../../src/route/dialer.js';
import { freePort } from '../helpers/ports.js';
import { waitFor } from '../helpers/nats-server.js';

const log = pino({ level: 'silent' });

t.test('retry delays: 1 s fixed, or doubling to a 30 s cap with connect_backoff', async (t) => {
  t.same([1, 2, 3, 10].map((a) => retryDelayMs(a, false)), [1000, 1000, 1000, 1000]);
  t.same([1, 2, 3, 4, 5, 6, 7, 50].map((a) => retryDelayMs(a, true)), [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
});

t.test('an implicit route gives up after connect_retries retries', async (t) => {
  const port = await freePort();
  let gaveUp = false;
  const d = new RouteDialer({ display: `nats-route://127.0.0.1:${port}`, protocol: 'nats-route:', host: '127.0.0.1', port },
    { explicit: false, connectRetries: 1, connectBackoff: false }, log, () => t.fail('connected?'), () => { gaveUp = true; });
  t.teardown(() => d.stop());
  d.start();
  await waitFor(() => gaveUp, { what: 'give up', timeoutMs: 5000 });
  t.equal(d.attempt, 2, 'the first attempt plus one retry');
  t.ok(d.isStopped);
});

t.test('an implicit route with no retries tries once', async (t) => {
  const port = await freePort();
  let gaveUp = false;
  const d = new RouteDialer({ display: 'x', protocol: 'nats-route:', host: '127.0.0.1', port },
    { explicit: false, connectRetries: 0, connectBackoff: false }, log, () => t.fail('connected?'), () => { gaveUp = true; });
  t.teardown(() => d.stop());
  d.start();
  await waitFor(() => gaveUp, { what: 'give up', timeoutMs: 3000 });
  t.equal(d.attempt, 1);
});

t.test('an explicit route keeps trying, then connects once the peer listens', async (t) => {
  const net = await import('node:net');
  const port = await freePort();
  let connected = 0;
  const d = new RouteDialer({ display: 'x', protocol: 'nats-route:', host: '127.0.0.1', port },
    { explicit: true, connectRetries: 0, connectBackoff: false }, log, (sock) => { connected++; sock.destroy(); }, () => t.fail('gave up'));
  t.teardown(() => d.stop());
  d.start();
  await waitFor(() => d.attempt >= 3, { what: 'third attempt', timeoutMs: 5000 });
  t.notOk(d.isStopped, 'still trying after failures');
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  t.teardown(() => server.close());
  await waitFor(() => connected === 1, { what: 'connected', timeoutMs: 5000 });
  t.pass('connected after the peer came up');
});

t.test('a connection that never became a route is a failed attempt: an implicit route then gives up', async (t) => {
  const net = await import('node:net');
  const server = net.createServer((s) => s.destroy());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => server.close());
  const port = (server.address() as import('node:net').AddressInfo).port;
  let gaveUp = false;
  let sockets = 0;
  const d = new RouteDialer({ display: 'x', protocol: 'nats-route:', host: '127.0.0.1', port },
    { explicit: false, connectRetries: 1, connectBackoff: false }, log,
    (sock, dialer) => { sockets++; sock.destroy(); dialer.notEstablished(new Error('TLS handshake failed')); },
    () => { gaveUp = true; });
  t.teardown(() => d.stop());
  d.start();
  await waitFor(() => gaveUp, { what: 'give up', timeoutMs: 5000 });
  t.equal(sockets, 2, 'connected twice (first attempt and one retry), then gave up');
  t.equal(d.attempt, 2);
  t.notOk(d.busy);
});
