// Account → connection mapping of a pooled peer (route-protocol.md §3.5, §4): FNV-1a vectors,
// which connection carries interest and messages, and the account token on pinned connections.
import t from 'tap';
import { fnv1a32, poolIndex, PoolLayout } from '../../src/route/pool.js';
import { RoutePeer } from '../../src/route/peer.js';
import type { RouteConnection } from '../../src/route/connection.js';
import type { Interest, RouteInfo } from '../../src/protocol/types.js';
import { encodeInterest } from '../../src/protocol/encode.js';
import { recordsOf } from '../../bench/record.js';

t.test('FNV-1a 32 and the pool index: the vectors of §3.5 (computed with Go hash/fnv)', async (t) => {
  const vectors: Array<[string, number, number, number]> = [
    ['$G', 2059166108, 2, 3],
    ['$SYS', 47606520, 0, 0],
    ['A', 3289118412, 0, 2],
    ['B', 3339451269, 0, 4],
    ['ACC', 2223418618, 1, 3],
  ];
  for (const [name, h, m3, m5] of vectors) {
    t.equal(fnv1a32(name), h, `fnv1a32(${name})`);
    t.equal(poolIndex(3, name), m3, `${name} mod 3`);
    t.equal(poolIndex(5, name), m5, `${name} mod 5`);
  }
  t.equal(poolIndex(1, '$G'), 0, 'a pool of one: always 0');
  t.equal(poolIndex(-1, '$G'), 0, 'no pool: always 0');
});

t.test('the layout caches one slot per account and updates it in place on reload', async (t) => {
  const layout = new PoolLayout(3, ['HEAVY', '$SYS']);
  const g = layout.slot('$G');
  t.equal(layout.slot('$G'), g, 'computed once per account');
  t.same([g.poolIdx, g.pinned], [2, false]);
  t.equal(layout.slot('HEAVY').pinned, true);
  t.equal(layout.advertised, 3);
  layout.update(5, ['$G']);
  t.same([g.poolIdx, g.pinned], [3, true], 'the same record, new values');
  t.equal(layout.slot('HEAVY').pinned, false);
  layout.update(-1, ['$G']);
  t.equal(layout.advertised, undefined, 'pool_size -1 advertises nothing');
  t.equal(g.pinned, false, 'no pinning without pooling');
});

interface Sent { conn: string; line: string; account: Buffer | null | undefined }

function fakeConn(name: string, sent: Sent[], pinnedAccount?: string): RouteConnection {
  return {
    pinnedAccount,
    sendControl: (b: Buffer) => sent.push({ conn: name, line: b.toString().trimEnd(), account: undefined }),
    sendInterestOp: (op: Interest, _from: unknown, lnocu: boolean) =>
      sent.push({ conn: name, line: encodeInterest(op, pinnedAccount !== undefined, lnocu).toString().trimEnd(), account: undefined }),
    sendMessage: (m: { line: Buffer; ls: number; le: number }, _from: unknown, _verb?: number, account?: Buffer | null) => {
      sent.push({ conn: name, line: m.line.toString('latin1', m.ls, m.le), account });
      return true;
    },
  } as unknown as RouteConnection;
}

function pooledPeer(info: Partial<RouteInfo>, layout: PoolLayout) {
  const sent: Sent[] = [];
  const p = new RoutePeer('NX', 'server', { server_id: 'NX', headers: true, lnoc: true, lnocu: true, ...info }, layout);
  const conns = p.slots.map((_c, i) => fakeConn(`pool${i}`, sent));
  conns.forEach((c, i) => { p.slots[i] = c; });
  return { p, sent, conns };
}

const sub = (account: string, subject = 'foo') => ({ add: true, leaf: false, account, subject });

t.test('interest of each account goes on its FNV connection; a pinned account only on its own', async (t) => {
  const layout = new PoolLayout(3, ['HEAVY', '$SYS']);
  const { p, sent } = pooledPeer({ route_pool_size: 3 }, layout);
  t.equal(p.slots.length, 3);
  for (const acc of ['$G', 'A', 'ACC']) p.sendInterest(sub(acc));
  t.same(sent.map((s) => [s.conn, s.line]), [['pool2', 'RS+ $G foo'], ['pool0', 'RS+ A foo'], ['pool1', 'RS+ ACC foo']]);
  sent.length = 0;
  p.sendInterest(sub('HEAVY'));
  t.same(sent, [], 'no dedicated connection yet: nothing (its registration snapshot will carry it)');
  p.pinned.set('HEAVY', fakeConn('heavy', sent, 'HEAVY'));
  p.sendInterest(sub('HEAVY'));
  t.same(sent.map((s) => [s.conn, s.line]), [['heavy', 'RS+ foo']], 'without the account token on the pinned connection (§4.2)');
  t.ok(p.carriesInterest(p.pinned.get('HEAVY')!, 'HEAVY'));
  t.notOk(p.carriesInterest(p.slots[0]!, 'HEAVY'));
});

t.test('the effective pool size is the larger of the two (2.11.2+), our mapping uses our own size', async (t) => {
  const layout = new PoolLayout(3, []);
  const { p, sent } = pooledPeer({ route_pool_size: 5 }, layout);
  t.equal(p.slots.length, 5, 'five connections');
  p.sendInterest(sub('$G'));
  t.same(sent.map((s) => s.conn), ['pool2'], '$G mod 3 (ours), not mod 5');
});

t.test('a peer without route_pool_size gets everything on one connection, with account tokens', async (t) => {
  const layout = new PoolLayout(3, ['$SYS']);
  const { p, sent } = pooledPeer({}, layout);
  t.equal(p.noPool, true);
  t.equal(p.slots.length, 1);
  for (const acc of ['$G', '$SYS', 'A']) p.sendInterest(sub(acc));
  t.same(sent.map((s) => [s.conn, s.line]), [['pool0', 'RS+ $G foo'], ['pool0', 'RS+ $SYS foo'], ['pool0', 'RS+ A foo']]);
});

t.test('messages: the account token is dropped towards a pinned connection and added coming from one', async (t) => {
  const layout = new PoolLayout(3, ['HEAVY']);
  const { p, sent } = pooledPeer({ route_pool_size: 3 }, layout);
  const heavy = fakeConn('heavy', sent, 'HEAVY');
  p.pinned.set('HEAVY', heavy);
  const from = { pauseInput() {}, resumeInput() {} };
  const [withToken] = recordsOf(Buffer.from('RMSG HEAVY foo 1\r\nx\r\n'));
  t.ok(p.forward(withToken!, from, null, layout.slot('HEAVY')));
  t.same([sent[0]!.conn, sent[0]!.account], ['heavy', null], 'to the pinned connection, token dropped');
  const [pinnedIn] = recordsOf(Buffer.from('RMSG foo 1\r\nx\r\n'), 'HEAVY');
  sent.length = 0;
  p.pinned.delete('HEAVY');
  t.ok(p.forward(pinnedIn!, from, null, layout.slot('HEAVY')));
  t.same([sent[0]!.conn, sent[0]!.account?.toString()], [`pool${poolIndex(3, 'HEAVY')}`, 'HEAVY'],
    'the peer does not pin it (§4.3): the pooled connection, token added');
  sent.length = 0;
  const [plain] = recordsOf(Buffer.from('RMSG $G foo 1\r\nx\r\n'));
  t.ok(p.forward(plain!, from, null, layout.slot('$G')));
  t.same([sent[0]!.conn, sent[0]!.account], ['pool2', undefined], 'unchanged on its pooled connection');
  p.slots[2] = undefined;
  t.notOk(p.forward(plain!, from, null, layout.slot('$G')), 'its connection is gone: not queued (only that account sees a gap)');
});

t.test('removing a connection: the peer stays while others remain', async (t) => {
  const layout = new PoolLayout(3, ['HEAVY']);
  const { p, conns } = pooledPeer({ route_pool_size: 3 }, layout);
  t.equal(p.connectionCount, 3);
  t.ok(p.remove(conns[0]!));
  t.notOk(p.remove(conns[0]!), 'only once');
  t.equal(p.main, conns[1], 'main is the first live pooled connection');
  t.equal(p.freeSlot(), 0, 'the gap is the first free slot for the next dialed connection');
  t.ok(p.poolShort);
});
