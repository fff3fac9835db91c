// The split-horizon rule with fake peers: interest aggregation per side, message fan-out,
// exactly-one queue delivery, never server→server nor proxy→proxy.
import t from 'tap';
import { Relay } from '../../src/relay/relay.js';
import { InterestTable } from '../../src/interest/interest-table.js';
import type { Interest } from '../../src/protocol/types.js';
import { queueNames, type RoutedMsg } from '../../src/protocol/msg.js';
import { RouteParser } from '../../src/protocol/parser.js';
import { encodeMsgLine } from '../../src/protocol/encode.js';
import type { RouteConnection } from '../../src/route/connection.js';
import type { RouteManager } from '../../src/route/manager.js';
import type { RoutePeer, PeerKind } from '../../src/route/peer.js';

class FakePeer {
  readonly interest = new InterestTable();
  readonly sent: Interest[] = [];
  readonly got: Array<{ subject: string; queues: string[] | undefined }> = [];
  refuse = false;
  /** The connection the registration snapshot streams to: never congested here. */
  readonly main = { state: 'registered', interestCongested: false, whenDrained() {} };
  carriesInterest(): boolean { return true; }
  constructor(readonly id: string, readonly kind: PeerKind) {}
  sendInterest(d: Interest) { this.sent.push(d); }
  forward(m: RoutedMsg, _from: unknown, sel: Uint8Array | null) {
    if (this.refuse) return false;
    const all = m.nq > 0 ? queueNames(m) : [];
    const queues = sel === null ? all : all.filter((_q, i) => sel[i] !== 0);
    this.got.push({ subject: m.line.toString('latin1', m.ss, m.se), queues: queues.length > 0 ? queues : undefined });
    return true;
  }
}

function setup(seed = 1) {
  let s = seed;
  const random = () => ((s = (s * 16807) % 2147483647) / 2147483647);
  const manager = {} as RouteManager;
  const relay = new Relay(manager, random);
  const peers: FakePeer[] = [];
  const add = (id: string, kind: PeerKind) => {
    const p = new FakePeer(id, kind);
    peers.push(p);
    relay.peerRegistered(p as unknown as RoutePeer);
    return p;
  };
  const sub = (p: FakePeer, op: Partial<Interest> & { subject: string }) => {
    const full: Interest = { add: true, leaf: false, account: '$G', ...op };
    const change = p.interest.apply(full);
    if (change) relay.interest(p as unknown as RoutePeer, change);
  };
  // Messages come through a real parser, as the relay gets them: a reused record of offsets.
  let source: FakePeer | undefined;
  // Run after each message of the chunk being parsed, in turn (changes made while a chunk is parsed).
  const between: Array<() => void> = [];
  let record: RoutedMsg | undefined;
  const conn = {} as RouteConnection;
  const parser = new RouteParser({
    onInfo() {}, onConnect() {}, onPing() {}, onPong() {}, onOk() {}, onErr() {}, onInterest() {}, onViolation() {},
    onMessage: (m) => {
      record = m;
      relay.message(source as unknown as RoutePeer, conn, m);
      between.shift()?.();
    },
  });
  const frame = (subject: string, queues?: string[], reply?: string) =>
    Buffer.concat([encodeMsgLine({ verb: 'RMSG', account: '$G', subject, reply, queues, size: 1 }), Buffer.from('\r\nx\r\n')]);
  const msg = (from: FakePeer, subject: string, queues?: string[], reply?: string) => {
    source = from;
    parser.parse(frame(subject, queues, reply));
  };
  /** Several messages in one chunk (repeated lines are recognised as repeats), `steps[i]` run after message i. */
  const chunk = (from: FakePeer, subjects: string[], steps: Array<() => void> = []) => {
    source = from;
    between.length = 0;
    between.push(...steps);
    parser.parse(Buffer.concat(subjects.map((s) => frame(s))));
  };
  return { relay, add, sub, msg, chunk, manager, peers, conn, record: () => record! };
}

t.test('interest is aggregated per side and advertised only to the other side', async (t) => {
  const { add, sub, relay } = setup();
  const s1 = add('S1', 'server');
  const s2 = add('S2', 'server');
  const p1 = add('P1', 'proxy');
  sub(s1, { subject: 'foo' });
  sub(s2, { subject: 'foo' });
  t.same(p1.sent.map((d) => [d.add, d.subject]), [[true, 'foo']], 'plain subject advertised once for two servers');
  t.same(s1.sent, [], 'servers never hear of each other');
  sub(s1, { subject: 'work', queue: 'q', weight: 2 });
  sub(s2, { subject: 'work', queue: 'q', weight: 1 });
  t.same(p1.sent.slice(1).map((d) => d.weight), [2, 3], 'queue weight is the sum over the side');
  sub(s1, { subject: 'work', queue: 'q', add: false });
  t.same(p1.sent.at(-1), { add: true, account: '$G', subject: 'work', queue: 'q', weight: 1, leaf: false });
  // A proxy joining later gets the snapshot.
  const p2 = add('P2', 'proxy');
  t.same(p2.sent.map((d) => d.subject).sort(), ['foo', 'work']);
  // A proxy's interest goes to servers only.
  sub(p1, { subject: 'remote.>' });
  t.same(s1.sent.map((d) => d.subject), ['remote.>']);
  t.same(s2.sent.map((d) => d.subject), ['remote.>']);
  t.notOk(p2.sent.some((d) => d.subject === 'remote.>'), 'proxy interest never goes proxy→proxy');
  // Leaving withdraws exactly what the peer contributed.
  relay.peerRemoved(s2 as unknown as RoutePeer);
  t.same(p1.sent.slice(-1).map((d) => [d.add, d.subject, d.weight]), [[false, 'work', undefined]]);
  t.ok(p1.sent.every((d) => d.subject !== 'foo' || d.add), 'foo stays: S1 still has it');
});

t.test('messages go to the other side only, once per matching peer', async (t) => {
  const { add, sub, msg } = setup();
  const s1 = add('S1', 'server');
  const s2 = add('S2', 'server');
  const p1 = add('P1', 'proxy');
  const p2 = add('P2', 'proxy');
  sub(p1, { subject: 'a.*' });
  sub(p2, { subject: 'b.>' });
  sub(s2, { subject: 'a.x' });
  msg(s1, 'a.x');
  t.same(p1.got, [{ subject: 'a.x', queues: undefined }]);
  t.same(p2.got, []);
  t.same(s2.got, [], 'server→server never');
  msg(p1, 'a.x');
  t.same(s2.got.length, 1, 'proxy→server when matching');
  t.same(s1.got.length, 0, 'not to servers without interest');
  t.same(p2.got.length, 0, 'proxy→proxy never');
});

t.test('each queue group goes to exactly one peer, weighted', async (t) => {
  const { add, sub, msg } = setup(7);
  const s1 = add('S1', 'server');
  const p1 = add('P1', 'proxy');
  const p2 = add('P2', 'proxy');
  sub(p1, { subject: 'jobs', queue: 'w', weight: 1 });
  sub(p2, { subject: 'jobs', queue: 'w', weight: 3 });
  sub(p2, { subject: 'jobs' });
  for (let i = 0; i < 4000; i++) msg(s1, 'jobs', ['w']);
  const q1 = p1.got.filter((g) => g.queues?.includes('w')).length;
  const q2 = p2.got.filter((g) => g.queues?.includes('w')).length;
  t.equal(q1 + q2, 4000, 'exactly one peer per message for the group');
  t.ok(q2 / q1 > 2 && q2 / q1 < 4.5, `weights respected (${q1}:${q2})`);
  t.equal(p2.got.length, 4000, 'the plain subscriber on P2 gets every message, once');
  t.equal(p1.got.length, q1, 'P1 only gets what it serves for the group');
});

t.test('a queue nobody serves anymore is counted, a refusing peer is counted', async (t) => {
  const { add, sub, msg, relay } = setup();
  const s1 = add('S1', 'server');
  const p1 = add('P1', 'proxy');
  sub(p1, { subject: 'x' });
  msg(s1, 'x', ['gone']);
  t.equal(relay.stats.queueMisses, 1);
  t.same(p1.got, [{ subject: 'x', queues: undefined }], 'plain delivery still happens');
  p1.refuse = true;
  msg(s1, 'x');
  t.equal(relay.stats.copiesDropped, 1);
});

t.test('JetStream push deliveries match on the routed subject; the @ reply passes through', async (t) => {
  // nats-server 2.10.27 sends `RMSG $G <deliver subject> $JS.ACK.…@<stream subject>` (observed).
  const { add, sub, msg } = setup();
  const s1 = add('S1', 'server');
  const p1 = add('P1', 'proxy');
  const p2 = add('P2', 'proxy');
  sub(p1, { subject: 'deliver.here' });
  sub(p2, { subject: 'orders.new' });
  msg(s1, 'deliver.here', undefined, '$JS.ACK.S.C.1.2.3.4.5@orders.new');
  t.equal(p1.got.length, 1, 'delivered where the deliver subject has interest');
  t.equal(p2.got.length, 0, 'not matched on the subject after @');
});

t.test('a repeated line reuses the decision only while nothing changed it', async (t) => {
  const { add, sub, chunk, relay } = setup();
  const s1 = add('S1', 'server');
  const p1 = add('P1', 'proxy');
  sub(p1, { subject: 'foo' });
  let p2: FakePeer | undefined;
  let p3: FakePeer | undefined;
  const got = (p: FakePeer | undefined) => p?.got.length ?? 0;
  const trail: number[][] = [];
  const snap = () => trail.push([got(p1), got(p2), got(p3)]);
  chunk(s1, ['foo', 'foo', 'foo', 'foo', 'foo', 'foo', 'foo', 'foo', 'foo'], [
    snap,
    () => { snap(); p2 = add('P2', 'proxy'); sub(p2, { subject: 'foo' }); }, // a peer joins with interest
    snap,
    () => { snap(); sub(p1, { subject: 'foo', add: false }); }, // a peer loses interest
    snap,
    () => { snap(); relay.peerRemoved(p2 as unknown as RoutePeer); }, // the only target leaves
    snap,
    () => { snap(); p3 = add('P3', 'proxy'); sub(p3, { subject: '*' }); }, // a wildcard
    snap,
  ]);
  t.same(trail, [[1, 0, 0], [2, 0, 0], [3, 1, 0], [4, 2, 0], [4, 3, 0], [4, 4, 0], [4, 4, 0], [4, 4, 0], [4, 4, 1]],
    'each message went where the interest of its moment says, repeat or not');
  t.equal(relay.stats.copiesToProxies, 4 + 4 + 1);
});

t.test('repeats towards servers and towards proxies keep their own decisions', async (t) => {
  const { add, sub, chunk } = setup();
  const s1 = add('S1', 'server');
  const p1 = add('P1', 'proxy');
  sub(p1, { subject: 'foo' });
  sub(s1, { subject: 'foo' });
  chunk(s1, ['foo', 'foo']);
  chunk(p1, ['foo', 'foo']);
  t.same([p1.got.length, s1.got.length], [2, 2]);
});

t.test('a memorized decision never keeps a removed peer reachable', async (t) => {
  const { add, sub, chunk, relay, record, conn } = setup();
  const s1 = add('S1', 'server');
  const p1 = add('P1', 'proxy');
  sub(p1, { subject: 'foo' });
  chunk(s1, ['foo', 'foo']);
  t.ok(record().memoB !== undefined, 'the record holds the decision (which names P1)');
  relay.peerRemoved(p1 as unknown as RoutePeer);
  t.same([record().memoA, record().memoB, record().memoStamp], [undefined, undefined, -1], 'forgotten with the peer');
  const p2 = add('P2', 'proxy');
  sub(p2, { subject: 'foo' });
  chunk(s1, ['foo', 'foo']);
  t.equal(p2.got.length, 2);
  t.ok(record().memoB !== undefined);
  relay.connectionRemoved(p2 as unknown as RoutePeer, conn);
  t.same([record().memoA, record().memoB], [undefined, undefined], 'and with the connection it belongs to');
  chunk(s1, ['foo', 'foo']);
  t.equal(p2.got.length, 4, 'a forgotten memo is only a lookup more');
});
