// Interest held for a congested connection (issue 12): what collapses, what must still go out,
// in which order; then the same through a RouteConnection whose peer stops reading.
import t from 'tap';
import { Duplex } from 'node:stream';
import { InterestQueue } from '../../src/route/interest-queue.js';
import { RouteConnection, type ConnectionOwner } from '../../src/route/connection.js';
import { CloseReasons } from '../../src/route/close-reason.js';
import { encodeInterest } from '../../src/protocol/encode.js';
import type { Interest } from '../../src/protocol/types.js';
import { pino } from 'pino';

const add = (subject: string, extra: Partial<Interest> = {}): Interest => ({ add: true, leaf: false, account: '$G', subject, ...extra });
const del = (subject: string, extra: Partial<Interest> = {}): Interest => ({ add: false, leaf: false, account: '$G', subject, ...extra });
const line = (op: Interest, lnocu = true) => encodeInterest(op, false, lnocu).toString().trimEnd();

function queue() {
  const out: string[] = [];
  const q = new InterestQueue((op) => out.push(line(op)));
  return { q, out, all: () => q.writeOut(() => true) };
}

t.test('an add and its remove before the add was written send nothing', async (t) => {
  const { q, out, all } = queue();
  q.hold(add('a'), false);
  q.hold(del('a'), false);
  t.equal(q.size, 0);
  t.ok(all());
  t.same(out, []);
  t.same(q.stats, { held: 2, coalesced: 1, written: 0 });
});

t.test('a remove of what the peer has goes out; a re-add after it wins', async (t) => {
  const { q, out, all } = queue();
  q.hold(del('a'), false);
  all();
  t.same(out, ['RS- $G a']);
  q.hold(del('b'), false);
  q.hold(add('b'), false);
  all();
  t.same(out, ['RS- $G a', 'RS+ $G b'], 'remove then add of a key the peer had: the add (a duplicate RS+ is a no-op)');
  q.hold(del('c'), false);
  q.hold(add('c'), false);
  q.hold(del('c'), false);
  all();
  t.same(out.slice(2), ['RS- $G c'], 'remove, add, remove: the remove');
});

t.test('queue weights collapse to the last value; a remove after a weight still goes out', async (t) => {
  const { q, out, all } = queue();
  for (let w = 1; w <= 5; w++) q.hold(add('s', { queue: 'q', weight: w }), false);
  all();
  t.same(out, ['RS+ $G s q 5']);
  q.hold(add('s', { queue: 'q', weight: 7 }), false);
  q.hold(del('s', { queue: 'q' }), false);
  all();
  t.same(out.slice(1), ['RS- $G s q'], 'the peer may have had the group: its removal is not lost');
  q.hold(add('s', { queue: 'other', weight: 1 }), false);
  q.hold(add('s', { queue: 'q', weight: 2 }), false);
  all();
  t.same(out.slice(2), ['RS+ $G s other 1', 'RS+ $G s q 2'], 'groups are keys of their own');
});

t.test('written in order of first insertion, and only while there is room', async (t) => {
  const { q, out } = queue();
  for (const s of ['a', 'b', 'c', 'd']) q.hold(add(s), false);
  q.hold(add('b', { queue: 'q', weight: 1 }), false);
  q.hold(del('a'), false); // cancels a
  q.hold(add('a'), false); // a again: now after the others
  let room = 2;
  t.notOk(q.writeOut(() => room-- > 0), 'stopped when the connection was congested again');
  t.same(out, ['RS+ $G b', 'RS+ $G c']);
  t.equal(q.size, 3);
  t.ok(q.writeOut(() => true));
  t.same(out, ['RS+ $G b', 'RS+ $G c', 'RS+ $G d', 'RS+ $G b q 1', 'RS+ $G a']);
});

t.test('leaf origins: their own keys with lnocu, one key without', async (t) => {
  const { q, out, all } = queue();
  q.hold(add('x', { leaf: true, origin: 'o1' }), false);
  q.hold(del('x', { leaf: true, origin: 'o2' }), false);
  all();
  t.same(out, ['LS+ o1 $G x', 'LS- o2 $G x'], 'with lnocu an origin is its own subscription');
  // Without lnocu the peer keys by (account, subject, queue): the first add and the last removal
  // (from another origin) are one subscription.
  q.hold(add('y', { leaf: true, origin: 'o1' }), true);
  q.hold(del('y', { leaf: true, origin: 'o2' }), true);
  q.hold(add('y', { leaf: true, origin: 'o3' }), true);
  all();
  t.same(out.slice(2), ['LS+ o3 $G y'], 'one key: the last op');
  q.hold(add('z'), false);
  q.hold(del('z', { leaf: true, origin: 'o1' }), false);
  t.equal(q.size, 2, 'RS and LS of a subject are different keys with lnocu');
});

t.test('clear forgets everything', async (t) => {
  const { q, out } = queue();
  q.hold(add('a'), false);
  q.clear();
  t.ok(q.writeOut(() => true));
  t.same(out, []);
});

/** A socket whose peer reads nothing until released. */
function stalledSocket() {
  const written: Buffer[] = [];
  const held: Array<() => void> = [];
  let stalled = true;
  const s = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      written.push(Buffer.from(chunk));
      if (stalled) held.push(cb);
      else cb();
    },
    writev(list, cb) {
      for (const c of list) written.push(Buffer.from(c.chunk as Buffer));
      if (stalled) held.push(cb);
      else cb();
    },
    highWaterMark: 1024,
  });
  return {
    s,
    text: () => Buffer.concat(written).toString('latin1'),
    release: () => {
      stalled = false;
      for (const cb of held.splice(0)) cb();
    },
  };
}

const owner: ConnectionOwner = {
  checkConnect: async () => undefined,
  register: () => ({ ok: true }),
  activated: () => {},
  poolPong: () => {},
  asyncInfo: () => {},
  interest: () => {},
  message: () => {},
  closed: () => {},
};

function connection(socket: Duplex) {
  const log = pino({ level: 'silent' });
  return new RouteConnection(socket as never, false, owner, {
    localInfo: () => ({ server_id: 'NTEST' }),
    handshakeTimeoutMs: 10_000,
    pingIntervalMs: 60_000,
    pingMax: 2,
    maxPending: 1 << 20,
    flow: { slabSize: 4096, highWater: 8192, lowWater: 2048, stallMs: 60_000, writeDeadlineMs: 0, writeTimeout: 'default' },
  }, log);
}

const tick = () => new Promise((r) => setImmediate(r));

t.test('a RouteConnection holds interest while congested and writes the survivors as it drains', async (t) => {
  const sock = stalledSocket();
  const c = connection(sock.s);
  const paused: string[] = [];
  const producer = { pauseInput: () => paused.push('pause'), resumeInput: () => paused.push('resume') };
  c.sendInterestOp(add('direct'), producer, true);
  // Fill past high water with a big control line the peer does not read.
  c.sendControl(Buffer.from(`INFO {"pad":"${'x'.repeat(9000)}"}\r\n`));
  t.ok(c.out.congested, 'congested');
  t.ok(c.interestCongested, 'a snapshot writer would wait');
  for (let i = 0; i < 1000; i++) c.sendInterestOp(add(`churn.${i}`), producer, true);
  for (let i = 0; i < 1000; i++) c.sendInterestOp(del(`churn.${i}`), producer, true);
  for (let w = 1; w <= 100; w++) c.sendInterestOp(add('g', { queue: 'workers', weight: w }), producer, true);
  c.sendInterestOp(add('kept'), producer, true);
  t.equal(c.interestQueue.size, 2, 'only the queue group and the kept subject are held');
  t.same(paused, ['pause'], 'the producer is paused once while the target is congested');
  let drainedCalls = 0;
  c.whenDrained(() => drainedCalls++);
  await tick();
  sock.release();
  await tick();
  await tick();
  const text = sock.text();
  t.notMatch(text, /churn/, 'cancelled churn never reached the wire');
  t.match(text, /RS\+ \$G direct\r\n/);
  const tail = text.slice(text.indexOf('"}\r\n') + 4);
  t.equal(tail, 'RS+ $G g workers 100\r\nRS+ $G kept\r\n', 'the survivors, last weight only, in order');
  t.equal(c.interestQueue.size, 0);
  t.same(paused, ['pause', 'resume'], 'resumed on drain');
  t.equal(drainedCalls, 1, 'a waiter is called once at the drain');
  c.sendInterestOp(add('after'), producer, true);
  await tick();
  t.match(sock.text(), /RS\+ \$G after\r\n$/, 'not congested: written at once');
  c.close(CloseReasons.ServerShutdown, undefined);
});
