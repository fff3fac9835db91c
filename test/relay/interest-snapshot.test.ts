// The registration snapshot streamed with backpressure (issue 12): it stops at congestion, goes
// on at drain, honours a filter, stops for a closed target, and sees changes made meanwhile.
import t from 'tap';
import { InterestAggregate } from '../../src/interest/aggregate.js';
import { streamInterest, type SnapshotTarget } from '../../src/relay/interest-snapshot.js';
import type { Interest } from '../../src/protocol/types.js';

/** A target that is congested after every `room` entries until drain() is called. */
function target(room: number) {
  const got: Interest[] = [];
  let used = 0;
  let waiter: (() => void) | undefined;
  let waiters = 0;
  const t: SnapshotTarget & { got: Interest[]; drain(): void; close(): void; waiting(): boolean; waiters(): number } = {
    got,
    open: true,
    get congested() {
      return used >= room;
    },
    send(d) {
      got.push(d);
      used++;
    },
    whenDrained(fn) {
      waiters++;
      waiter = fn;
    },
    drain() {
      used = 0;
      const w = waiter;
      waiter = undefined;
      w?.();
    },
    close() {
      (t as { open: boolean }).open = false;
    },
    waiting: () => waiter !== undefined,
    waiters: () => waiters,
  };
  return t;
}

function aggregate(n: number, account = '$G'): InterestAggregate<string> {
  const ag = new InterestAggregate<string>();
  for (let i = 0; i < n; i++) ag.set('o', { account, subject: `s.${i}` }, 1);
  return ag;
}

t.test('writes until congested, continues on each drain, ends once', async (t) => {
  const ag = aggregate(2500);
  const tg = target(1000);
  let done = 0;
  const p = streamInterest(ag.entries(), tg, undefined, () => done++);
  t.equal(tg.got.length, 1000, 'stopped at congestion');
  t.ok(tg.waiting());
  tg.drain();
  t.equal(tg.got.length, 2000);
  tg.drain();
  t.equal(tg.got.length, 2500);
  t.equal(done, 1);
  t.same(p, { sent: 2500, skipped: 0, waits: 2, done: true });
  t.same(tg.got.map((d) => d.subject), [...Array(2500).keys()].map((i) => `s.${i}`), 'every entry once, in order');
  t.notOk(tg.waiting(), 'nothing waits after the end');
});

t.test('a filter (the accounts of one pooled connection)', async (t) => {
  const ag = aggregate(10, 'A');
  for (let i = 0; i < 10; i++) ag.set('o', { account: 'B', subject: `b.${i}`, queue: 'q' }, 2);
  const tg = target(1e9);
  const p = streamInterest(ag.entries(), tg, (d) => d.account === 'B');
  t.equal(p.sent, 10);
  t.equal(p.skipped, 10);
  t.ok(tg.got.every((d) => d.account === 'B' && d.add && d.queue === 'q' && d.weight === 2));
});

t.test('a closed target ends the stream without completing it', async (t) => {
  const ag = aggregate(300);
  const tg = target(100);
  let done = false;
  const p = streamInterest(ag.entries(), tg, undefined, () => { done = true; });
  tg.close();
  tg.drain();
  t.equal(tg.got.length, 100);
  t.notOk(done);
  t.notOk(p.done);
});

t.test('live: changes made while waiting are reflected, removals before reaching are skipped', async (t) => {
  const ag = aggregate(200);
  const tg = target(100);
  streamInterest(ag.entries(), tg);
  ag.set('o', { account: '$G', subject: 's.150' }, 0); // removed before reached: propagated as RS- by the relay
  ag.set('o', { account: '$G', subject: 'late' }, 1); // added meanwhile: reached at the end
  ag.set('o', { account: '$G', subject: 's.50' }, 0); // already sent
  tg.drain();
  const subjects = tg.got.map((d) => d.subject);
  t.equal(subjects.length, 200, '100 + 98 remaining + late');
  t.notOk(subjects.includes('s.150'));
  t.equal(subjects[subjects.length - 1], 'late');
});

t.test('a target that never congests is still written in bounded turns', async (t) => {
  const ag = aggregate(20_000);
  const tg = target(1e9);
  let resolve!: () => void;
  const finished = new Promise<void>((r) => { resolve = r; });
  const p = streamInterest(ag.entries(), tg, undefined, () => resolve());
  t.ok(tg.got.length < 20_000, `first turn wrote ${tg.got.length}, not everything`);
  await finished;
  t.equal(p.sent, 20_000);
  t.equal(tg.waiters(), 0, 'never waited for a drain');
});
