// Bad input never crashes the daemon and never loses other peers' traffic: hundreds of peers
// send seeded random, half-valid protocol while a healthy server peer and a healthy proxy
// peer keep exchanging messages through the relay.
import t from 'tap';
import net from 'node:net';
import { startProxy } from '../helpers/proxy.js';
import { waitFor } from '../helpers/nats-server.js';
import { hello } from '../helpers/raw-peer.js';

function prng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let x = Math.imul(s ^ (s >>> 15), 1 | s);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const rand = prng(0xc0ffee);
const pick = <T>(a: readonly T[]): T => a[Math.floor(rand() * a.length)]!;
const int = (n: number) => Math.floor(rand() * n);

function subject(): string {
  const toks = ['a', 'b', '*', '>', '', 'x y', '\t', 'foo', '$G', 'ü', '..', '.'];
  return Array.from({ length: 1 + int(4) }, () => pick(toks)).join(pick(['.', '.', '.', ' ', '']));
}

function garbage(): string {
  const size = pick(['0', '1', '5', '-1', 'x', '999999999', '1234567890', '']);
  const frames = [
    () => `RS+ $G ${subject()}\r\n`,
    () => `RS+ $G ${subject()} q ${pick(['1', '0', '-3', 'w', ''])}\r\n`,
    () => `RS- $G ${subject()} ${pick(['', 'q', 'q 1'])}\r\n`,
    () => `LS+ ${pick(['o', ''])} $G ${subject()} ${pick(['', 'q 2'])}\r\n`,
    () => `LS- $G ${subject()}\r\n`,
    () => `RMSG $G ${subject()} ${pick(['', 'rep', '+ rep q', '| q', '? q'])} ${size}\r\n${'z'.repeat(int(8))}\r\n`,
    () => `HMSG $G ${subject()} ${size} ${size}\r\nNATS/1.0\r\n\r\n\r\n`,
    () => `LMSG o $G ${subject()} 0 ${size}\r\nxx\r\n`,
    () => `INFO ${pick(['{', '{"server_id":5}', '{"server_id":"NZ","port":"1"}', 'null', '[]', '{"route_acc_add_reqid":"r","route_account":"A"}', '{"server_id":"NOTHER","ip":"nats-route://127.0.0.1:1/"}',
      '{"server_id":"NBADPORT","host":"127.0.0.1","port":70000}', '{"server_id":"NNEGPORT","host":"127.0.0.1","port":-5}',
      '{"server_id":"NIPNOPORT","ip":"nats-route://h/","port":70000}', '{"server_id":"NFLOAT","host":"127.0.0.1","port":1.5}'])}\r\n`,
    () => `CONNECT {"cluster":"c1"}\r\n`,
    () => pick(['PING\r\n', 'PONG\r\n', '+OK\r\n', 'A+ acc\r\n', 'SUB x 1\r\n', 'UNSUB 1\r\n', 'PUB x 1\r\nq\r\n']),
    () => `-ERR 'boom'\r\n`,
    () => Buffer.from(Array.from({ length: 1 + int(40) }, () => int(256))).toString('latin1'),
    () => 'R'.repeat(70_000),
  ];
  return Array.from({ length: 1 + int(6) }, () => pick(frames)()).join('');
}


t.test('fuzzed peers cannot crash the daemon or disturb healthy peers', async (t) => {
  const proxy = await startProxy(t, `cluster { name: c1, listen: "127.0.0.1:-1" }\n`, { level: 'info' });
  const port = proxy.port;
  const open = (): net.Socket => {
    const s = net.connect(port, '127.0.0.1');
    s.on('error', () => {});
    t.teardown(() => { s.destroy(); });
    return s;
  };

  // Healthy pair: a server peer that wants fuzz.check, and a proxy peer that publishes it.
  const server = open();
  let serverGot = 0;
  server.on('data', (b) => {
    const text = b.toString('latin1');
    serverGot += (text.match(/RMSG \$G fuzz\.check 2\r\nok\r\n/g) ?? []).length;
    if (text.includes('PING\r\n')) server.write('PONG\r\n');
  });
  server.write(hello('NHEALTHYSERVER') + 'RS+ $G fuzz.check\r\n');
  const remote = open();
  remote.on('data', (b) => { if (b.toString().includes('PING\r\n')) remote.write('PONG\r\n'); });
  remote.write(hello('NHEALTHYPROXY', true));
  await waitFor(() => proxy.daemon.routes.getPeer('NHEALTHYSERVER') && proxy.daemon.routes.getPeer('NHEALTHYPROXY'),
    { what: 'healthy peers registered' });
  const check = async (n: number) => {
    remote.write('RMSG $G fuzz.check 2\r\nok\r\n');
    await waitFor(() => serverGot >= n, { what: `healthy delivery #${n}` });
  };
  await check(1);

  let sent = 0;
  for (let round = 0; round < 6; round++) {
    const batch = Array.from({ length: 50 }, (_v, i) => new Promise<void>((resolve) => {
      const s = open();
      s.on('close', () => resolve());
      const id = `NFUZZ${round}X${i}`;
      const data = (rand() < 0.8 ? hello(id, rand() < 0.3) : '') + garbage();
      // Random splits exercise the parser's reassembly with hostile input too.
      let off = 0;
      while (off < data.length) {
        const n = 1 + int(200);
        s.write(data.slice(off, off + n), 'latin1');
        off += n;
      }
      sent++;
      // Close once the proxy has decided (registered it, or closed it), however loaded the machine.
      const started = Date.now();
      const later = () => {
        if (s.destroyed) return;
        if (proxy.daemon.routes.getPeer(id) || Date.now() - started > 5000) {
          setTimeout(() => s.destroy(), 50).unref();
          return;
        }
        setTimeout(later, 20).unref();
      };
      setTimeout(later, 100).unref();
    }));
    await Promise.all(batch);
    await check(round + 2);
  }
  t.equal(sent, 300, 'fuzzed connections sent');
  // The fuzz must reach deep: many fuzzed peers registered, and they were closed for many reasons.
  const registered = proxy.logs().filter((l) => /Route connection registered: accepted/.test(l)).length;
  t.ok(registered > 100, `fuzzed peers got registered (${registered})`);
  const reasons = new Set(proxy.logs()
    .map((l) => /Route connection closed: (.*)/.exec(l)?.[1]?.split(/[\s:']+/).slice(0, 4).join(' '))
    .filter(Boolean));
  t.ok(reasons.size >= 6, `varied close reasons: ${[...reasons].join(' | ')}`);
  t.equal(serverGot, 7, 'every healthy message arrived exactly once');
  t.ok(proxy.daemon.routes.getPeer('NHEALTHYSERVER'), 'healthy server peer still registered');
  t.ok(proxy.daemon.routes.getPeer('NHEALTHYPROXY'), 'healthy proxy peer still registered');
  t.notOk(proxy.logs().some((l) => /Internal error/.test(l)), 'no handler threw on any input');
  await waitFor(() => proxy.daemon.routes.getPeers().length === 2, { what: 'fuzzed peers all gone' });
});
