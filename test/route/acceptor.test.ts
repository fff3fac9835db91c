// The acceptor's reactions to a misbehaving peer, byte for byte over a raw socket
// (route-protocol.md §1.2, §1.6, §2.9): each broken peer gets nats-server's answer and
// only its own connection closes; a healthy route stays up throughout.
import t from 'tap';
import net from 'node:net';
import bcrypt from 'bcryptjs';
import { startProxy, type StartedProxy } from '../helpers/proxy.js';
import { waitFor } from '../helpers/nats-server.js';

const HASH = bcrypt.hashSync('s3cret', 4);

interface Exchange { data: string; closed: boolean }

/** Connects, sends `lines` after the INFO arrives, and collects what comes back until close or timeout. */
function exchange(port: number, send: string, timeoutMs = 3000): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let data = '';
    let sent = false;
    const timer = setTimeout(() => {
      sock.destroy();
      resolve({ data, closed: false });
    }, timeoutMs);
    sock.on('data', (b) => {
      data += b.toString('latin1');
      if (!sent && data.includes('\r\n')) {
        sent = true;
        if (send) sock.write(send);
      }
    });
    sock.on('close', () => {
      clearTimeout(timer);
      resolve({ data, closed: true });
    });
    sock.on('error', reject);
  });
}

const connectLine = (fields: Record<string, unknown>) =>
  `CONNECT ${JSON.stringify({ verbose: false, pedantic: false, name: 'NFAKE', cluster: 'c1', ...fields })}\r\n`;
const infoLine = (fields: Record<string, unknown>) =>
  `INFO ${JSON.stringify({ server_id: 'NFAKEPEER', server_name: 'fake', port: 1, headers: true, cluster: 'c1', ...fields })}\r\n`;

t.test('acceptor with a bcrypt password', async (t) => {
  const proxy: StartedProxy = await startProxy(t, `server_name: acc
cluster {
  name: c1
  listen: "127.0.0.1:-1"
  authorization { user: ru, password: "${HASH}", timeout: 2 }
}
`);
  const ok = (extra: Record<string, unknown> = {}) => connectLine({ user: 'ru', pass: 's3cret', ...extra });

  // A healthy route registered first must survive every broken peer below.
  const healthy = net.connect(proxy.port, '127.0.0.1');
  healthy.write(ok() + infoLine({ server_id: 'NHEALTHY', server_name: 'healthy' }));
  healthy.on('data', (b) => { if (b.toString().includes('PING')) healthy.write('PONG\r\n'); });
  t.teardown(() => healthy.destroy());
  await waitFor(() => proxy.daemon.routes.getPeer('NHEALTHY'), { what: 'healthy peer registered' });

  const cases: Array<{ name: string; send: string; expect: RegExp | 'silent' }> = [
    { name: 'a first operation other than CONNECT', send: 'PING\r\n', expect: /-ERR 'Authorization Violation'\r\n$/ },
    { name: 'INFO before CONNECT', send: infoLine({}), expect: /-ERR 'Authorization Violation'\r\n$/ },
    { name: 'a wrong password (bcrypt compare)', send: connectLine({ user: 'ru', pass: 'nope' }), expect: /-ERR 'Authorization Violation'\r\n$/ },
    { name: 'a wrong user', send: connectLine({ user: 'x', pass: 's3cret' }), expect: /-ERR 'Authorization Violation'\r\n$/ },
    { name: 'an account in CONNECT', send: ok({ account: 'A' }), expect: /-ERR 'Authorization Violation'\r\n$/ },
    { name: 'a NATS client (lang)', send: ok({ lang: 'go' }), expect: /-ERR 'attempted to connect to route port'\r\n$/ },
    { name: 'a gateway', send: ok({ gateway: 'GW1' }), expect: /-ERR 'Rejecting connection from gateway "GW1" on the Route port'\r\n$/ },
    { name: 'another cluster', send: ok({ cluster: 'c2' }), expect: /-ERR 'Rejecting connection, cluster name "c2" does not match "c1"'\r\n$/ },
    { name: 'an unknown verb after CONNECT', send: ok() + 'BOGUS\r\n', expect: /-ERR 'Unknown Protocol Operation'\r\n$/ },
    { name: 'INFO with a JSON type error', send: ok() + 'INFO {"server_id":"NX","port":"6222"}\r\n', expect: 'silent' },
    { name: 'INFO that is our own server_id', send: ok() + infoLine({ server_id: '__SELF__' }), expect: 'silent' },
    { name: 'INFO with our server_name', send: ok() + infoLine({ server_id: 'NDUPNAME', server_name: 'acc' }), expect: 'silent' },
    { name: 'a duplicate of a registered route', send: ok() + infoLine({ server_id: 'NHEALTHY', server_name: 'dup' }), expect: 'silent' },
    {
      name: 'a pinned-account connection from a peer that does not pool',
      send: ok() + infoLine({ server_id: 'NPIN', route_account: '$SYS' }),
      expect: /-ERR 'Not possible to have a dedicated route for account "\$SYS" between those servers'\r\n$/,
    },
    {
      name: 'a pinned-account connection for an account we do not pin',
      send: ok() + infoLine({ server_id: 'NPIN2', route_account: 'ACC', route_pool_size: 3 }),
      expect: /-ERR 'No route for account "ACC"'\r\n$/,
    },
    {
      name: 'a pooled connection with an index past the pool',
      send: ok() + infoLine({ server_id: 'NIDX', route_pool_size: 3, route_pool_idx: 3 }),
      expect: /-ERR 'Invalid route pool index: 3 - pool size is 3'\r\n$/,
    },
    { name: 'RS+ with a queue and no weight', send: ok() + infoLine({ server_id: 'NQ' }) + 'RS+ $G foo q\r\n', expect: 'silent' },
    { name: 'RMSG with a bad reply indicator', send: ok() + infoLine({ server_id: 'NR' }) + 'RMSG $G foo x q 1\r\nA\r\n', expect: 'silent' },
  ];
  for (const c of cases) {
    const send = c.send.replace('__SELF__', proxy.serverId);
    const r = await exchange(proxy.port, send);
    t.ok(r.closed, `${c.name}: connection closed`);
    t.match(r.data, /^INFO \{[^\r\n]*\} \r\n/, `${c.name}: our INFO came first`);
    if (c.expect === 'silent') t.notMatch(r.data, /-ERR/, `${c.name}: closed without -ERR`);
    else t.match(r.data, c.expect, `${c.name}: exact -ERR`);
  }
  t.ok(proxy.daemon.routes.getPeer('NHEALTHY'), 'the healthy route survived every broken peer');
  t.equal(proxy.daemon.routes.getPeers().length, 1, 'no broken peer was registered');

  t.test('a right password registers, and PING is answered with PONG', async (t) => {
    const r = await exchange(proxy.port, ok() + infoLine({ server_id: 'NGOOD', server_name: 'good' }) + 'PING\r\n', 1500);
    t.match(r.data, /PONG\r\n/);
    t.notMatch(r.data, /-ERR/);
  });

  t.test('a stale peer is closed with Stale Connection', async (t) => {
    const p2 = await startProxy(t, `server_name: stale
cluster { name: c1, listen: "127.0.0.1:-1", ping_interval: "100ms", ping_max: 2 }
`);
    const r = await exchange(p2.port, connectLine({}) + infoLine({ server_id: 'NSTALE' }), 5000);
    t.ok(r.closed);
    t.match(r.data, /PING\r\n[\s\S]*PING\r\n[\s\S]*-ERR 'Stale Connection'\r\n$/, 'two PINGs, then the error');
    await p2.waitForLog(/Stale Connection/);
  });
});

t.test('a message larger than max_pending is dropped and counted; the route stays up', async (t) => {
  const p = await startProxy(t, `cluster { name: c1, listen: "127.0.0.1:-1" }\nproxy { max_pending: 1KB }\n`);
  const r = await exchange(p.port, connectLine({}) + infoLine({ server_id: 'NBIG' })
    + `RMSG $G big 5000\r\n${'y'.repeat(5000)}\r\nPING\r\n`, 1500);
  t.match(r.data, /PONG\r\n/, 'still answering after the oversized message');
  t.notMatch(r.data, /-ERR/);
  await p.waitForLog(/RMSG of 5000 bytes dropped: larger than max_pending \(1024\)/);
});
