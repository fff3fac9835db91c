// How a peer's capabilities shape the interest lines it gets (route-protocol.md §2.4).
import t from 'tap';
import { RoutePeer } from '../../src/route/peer.js';
import type { RouteConnection } from '../../src/route/connection.js';
import type { Interest, RouteInfo } from '../../src/protocol/types.js';
import { PoolLayout } from '../../src/route/pool.js';
import { encodeInterest } from '../../src/protocol/encode.js';

function peer(info: Partial<RouteInfo>) {
  const lines: string[] = [];
  const conn = {
    sendInterestOp: (op: Interest, _from: unknown, lnocu: boolean) => lines.push(encodeInterest(op, false, lnocu).toString().trimEnd()),
  } as unknown as RouteConnection;
  const p = new RoutePeer('NX', 'server', { server_id: 'NX', headers: true, ...info }, new PoolLayout(-1, []));
  p.slots[0] = conn;
  return { p, lines };
}

const d = (add: boolean, leaf: boolean, extra: Partial<Interest> = {}): Interest =>
  ({ add, account: '$G', subject: 'foo', leaf, ...(leaf ? { origin: 'o1' } : {}), ...extra });

t.test('a peer with lnocu gets every entry as its own line', async (t) => {
  const { p, lines } = peer({ lnoc: true, lnocu: true });
  p.sendInterest(d(true, false));
  p.sendInterest(d(true, true));
  p.sendInterest(d(false, false));
  p.sendInterest(d(false, true));
  t.same(lines, ['RS+ $G foo', 'LS+ o1 $G foo', 'RS- $G foo', 'LS- o1 $G foo']);
});

t.test('without lnocu, RS and LS of one subject share a key: first adds, last removes', async (t) => {
  const { p, lines } = peer({ lnoc: true });
  p.sendInterest(d(true, false));
  p.sendInterest(d(true, true));
  p.sendInterest(d(false, false));
  t.same(lines, ['RS+ $G foo'], 'the second contributor and the first removal send nothing');
  p.sendInterest(d(false, true));
  t.same(lines, ['RS+ $G foo', 'LS- $G foo'], 'the last removal, without origin');
  p.sendInterest(d(false, true));
  t.equal(lines.length, 2, 'a removal of something absent sends nothing');
});

t.test('without lnocu, collapsed queue weights are summed', async (t) => {
  const { p, lines } = peer({ lnoc: true });
  p.sendInterest(d(true, false, { queue: 'q', weight: 2 }));
  p.sendInterest(d(true, true, { queue: 'q', weight: 3 }));
  p.sendInterest(d(false, false, { queue: 'q' }));
  p.sendInterest(d(false, true, { queue: 'q' }));
  t.same(lines, ['RS+ $G foo q 2', 'RS+ $G foo q 5', 'LS+ o1 $G foo q 3', 'LS- $G foo q']);
});

t.test('without lnoc, leafnode-origin interest is sent as RS', async (t) => {
  const { p, lines } = peer({});
  p.sendInterest(d(true, true));
  p.sendInterest(d(false, true));
  t.same(lines, ['RS+ $G foo', 'RS- $G foo']);
});
