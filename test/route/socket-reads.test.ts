// Reads into one reused buffer (src/route/socket-reads.ts): accepted sockets re-wrapped, dialed
// ones created with onread; pause/resume hold, and the server still counts the connection.
import t from 'tap';
import net from 'node:net';
import { adoptWithReusedReads, connectWithReusedReads, socketReads } from '../../src/route/socket-reads.js';

const turn = () => new Promise((r) => setImmediate(r));

/** A server whose accepted sockets are adopted; resolves with the server and the first adopted socket. */
async function serverWithAdopted(): Promise<{ server: net.Server; peer: net.Socket; sock: net.Socket }> {
  let adopted: (s: net.Socket) => void = () => {};
  const got = new Promise<net.Socket>((r) => (adopted = r));
  const server = net.createServer({ pauseOnConnect: true }, (s) => adopted(adoptWithReusedReads(s)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const peer = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  peer.on('error', () => {});
  return { server, peer, sock: await got };
}

t.test('an accepted socket reads into its reused buffer; no data events', async (t) => {
  const { server, peer, sock } = await serverWithAdopted();
  t.teardown(() => { peer.destroy(); sock.destroy(); server.close(); });
  const reads = socketReads(sock)!;
  t.ok(reads, 'the adopted socket has reused-buffer reads');
  let dataEvents = 0;
  sock.on('data', () => dataEvents++);
  const got: string[] = [];
  let inBuffer = true;
  reads.take((c) => { inBuffer &&= reads.holds(c); got.push(c.toString()); });
  sock.read(0);
  peer.write('hello ');
  peer.write('world');
  await new Promise<void>((r) => { const poll = () => (got.join('') === 'hello world' ? r() : setTimeout(poll, 5)); poll(); });
  t.ok(inBuffer, 'every chunk lies in the reused buffer');
  t.equal(dataEvents, 0, 'Node emits no data events for onread sockets');
  const n = await new Promise<number>((r) => server.getConnections((_e, c) => r(c)));
  t.equal(n, 1, 'the server counts the adopted connection');
  // 'end' and 'close' still come.
  const closed = new Promise<void>((r) => sock.once('close', () => r()));
  peer.end();
  await closed;
  t.pass('closed after the peer ended');
});

t.test('a pause in the same tick as the first read(0) holds; resume delivers', async (t) => {
  const { server, peer, sock } = await serverWithAdopted();
  t.teardown(() => { peer.destroy(); sock.destroy(); server.close(); });
  const reads = socketReads(sock)!;
  const got: string[] = [];
  reads.take((c) => got.push(c.toString()));
  sock.read(0);
  sock.pause();
  peer.write('while paused');
  for (let i = 0; i < 20; i++) await turn();
  await new Promise((r) => setTimeout(r, 50));
  t.same(got, [], 'nothing read while paused');
  sock.resume();
  await new Promise<void>((r) => { const poll = () => (got.join('') === 'while paused' ? r() : setTimeout(poll, 5)); poll(); });
  t.pass('read after resume');
});

t.test('a dialed socket reads into its reused buffer', async (t) => {
  const server = net.createServer((s) => s.end('pong'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => server.close());
  const sock = connectWithReusedReads({ host: '127.0.0.1', port: (server.address() as net.AddressInfo).port });
  const reads = socketReads(sock)!;
  const got: string[] = [];
  await new Promise<void>((r) => sock.once('connect', () => { reads.take((c) => got.push(c.toString())); sock.read(0); r(); }));
  await new Promise<void>((r) => sock.once('close', () => r()));
  t.equal(got.join(''), 'pong');
});
