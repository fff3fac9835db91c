import t from 'tap';
import { InterestAggregate } from '../../src/interest/aggregate.js';
import type { Interest, InterestKeyFields } from '../../src/protocol/types.js';
import { prng, pick } from './prng.js';

const e = (subject: string, queue?: string, extra: Partial<InterestKeyFields> = {}): InterestKeyFields => ({
  account: '$G',
  subject,
  ...(queue !== undefined ? { queue } : {}),
  ...extra,
});

t.test('plain: advertised while at least one owner has it', async (t) => {
  const ag = new InterestAggregate<string>();
  t.same(ag.set('A', e('foo'), 1), { add: true, account: '$G', subject: 'foo', leaf: false });
  t.equal(ag.set('A', e('foo'), 1), undefined);
  t.equal(ag.set('B', e('foo'), 1), undefined, '1→2 owners: nothing to send');
  t.equal(ag.set('A', e('foo'), 0), undefined, '2→1 owners');
  t.same(ag.set('B', e('foo'), 0), { add: false, account: '$G', subject: 'foo', leaf: false });
  t.equal(ag.set('B', e('foo'), 0), undefined);
  t.equal(ag.size, 0);
  t.match(ag.set('A', e('foo'), 7), { add: true }, 'any positive weight means present for plain');
  t.equal(ag.set('A', e('foo'), 1), undefined);
  t.equal(ag.size, 1);
});

t.test('queue: total weight is the sum over owners', async (t) => {
  const ag = new InterestAggregate<number>();
  t.same(ag.set(1, e('w', 'q'), 2), { add: true, account: '$G', subject: 'w', queue: 'q', weight: 2, leaf: false });
  t.same(ag.set(2, e('w', 'q'), 3), { add: true, account: '$G', subject: 'w', queue: 'q', weight: 5, leaf: false });
  t.equal(ag.set(2, e('w', 'q'), 3), undefined);
  t.same(ag.set(1, e('w', 'q'), 1), { add: true, account: '$G', subject: 'w', queue: 'q', weight: 4, leaf: false });
  t.same(ag.set(1, e('w', 'q'), 0), { add: true, account: '$G', subject: 'w', queue: 'q', weight: 3, leaf: false });
  t.same(ag.set(2, e('w', 'q'), 0), { add: false, account: '$G', subject: 'w', queue: 'q', leaf: false });
  t.equal(ag.size, 0);
});

t.test('plain, queue, leaf and origins are separate entries', async (t) => {
  const ag = new InterestAggregate<string>();
  t.ok(ag.set('A', e('foo'), 1));
  t.ok(ag.set('A', e('foo', 'q'), 1));
  t.same(ag.set('A', e('foo', undefined, { leaf: true, origin: 'o' }), 1), {
    add: true, account: '$G', subject: 'foo', leaf: true, origin: 'o',
  });
  t.ok(ag.set('A', e('foo', undefined, { leaf: true, origin: 'p' }), 1));
  t.ok(ag.set('A', { account: 'X', subject: 'foo' }, 1));
  t.equal(ag.size, 5);
  t.equal(ag.set('B', e('foo', undefined, { leaf: false, origin: 'ignored' }), 1), undefined, 'origin ignored for RS entries');
});

t.test('removeOwner withdraws exactly that owner\'s contribution', async (t) => {
  const ag = new InterestAggregate<string>();
  ag.set('A', e('foo'), 1);
  ag.set('B', e('foo'), 1);
  ag.set('A', e('bar'), 1);
  ag.set('A', e('w', 'q'), 2);
  ag.set('B', e('w', 'q'), 3);
  ag.set('A', e('v', 'q'), 4);
  const ds = ag.removeOwner('A');
  const norm = (xs: Interest[]) => xs.map((x) => JSON.stringify(x)).sort();
  t.same(norm(ds), norm([
    { add: false, account: '$G', subject: 'bar', leaf: false },
    { add: true, account: '$G', subject: 'w', leaf: false, queue: 'q', weight: 3 },
    { add: false, account: '$G', subject: 'v', leaf: false, queue: 'q' },
  ]));
  t.same(ag.removeOwner('A'), []);
  t.same([...ag.owners()], ['B']);
  t.same(norm(ag.snapshot()), norm([
    { add: true, account: '$G', subject: 'foo', leaf: false },
    { add: true, account: '$G', subject: 'w', leaf: false, queue: 'q', weight: 3 },
  ]));
});

t.test('random sequences: applied deltas always equal the brute-force union', async (t) => {
  const rnd = prng(31337);
  const ag = new InterestAggregate<string>();
  const owners = ['p1', 'p2', 'p3', 'p4'];
  const truth = new Map<string, Map<string, number>>(); // owner → entryKey → weight
  const advertised = new Map<string, number>(); // what a peer fed only the deltas would hold; plain = 0
  const keyOf = (x: { account: string; subject: string; queue?: string; leaf?: boolean; origin?: string }) =>
    JSON.stringify([x.account, x.subject, x.queue ?? null, x.leaf === true, x.leaf ? (x.origin ?? null) : null]);
  const applyDelta = (d: Interest) => {
    const k = keyOf(d);
    if (d.add) {
      if (d.queue === undefined && advertised.has(k)) t.fail(`duplicate plain add ${k}`);
      if (d.queue !== undefined && advertised.get(k) === d.weight) t.fail(`queue add without weight change ${k}`);
      advertised.set(k, d.queue === undefined ? 0 : d.weight!);
    } else {
      if (!advertised.has(k)) t.fail(`remove of unadvertised ${k}`);
      advertised.delete(k);
    }
  };
  const bruteForce = () => {
    const u = new Map<string, number>();
    for (const m of truth.values()) {
      for (const [k, w] of m) {
        const isQueue = JSON.parse(k)[2] !== null;
        u.set(k, isQueue ? (u.get(k) ?? 0) + w : 0);
      }
    }
    return u;
  };
  let bad = 0;
  let removeOwners = 0;
  let maxSize = 0;
  for (let step = 0; step < 8000; step++) {
    const owner = pick(rnd, owners);
    if (rnd() < 0.02) {
      const before = bruteForce();
      const mine = truth.get(owner) ?? new Map<string, number>();
      truth.delete(owner);
      const after = bruteForce();
      const ds = ag.removeOwner(owner);
      removeOwners++;
      // Exactly the withdrawals/reductions that owner caused, each key once.
      const touched = new Set(ds.map(keyOf));
      if (touched.size !== ds.length) t.fail('removeOwner repeated a key');
      for (const k of mine.keys()) {
        const changed = before.get(k) !== after.get(k) || before.has(k) !== after.has(k);
        if (changed !== touched.has(k)) {
          bad++;
          t.fail(`removeOwner delta mismatch for ${k}`);
        }
      }
      for (const d of ds) applyDelta(d);
    } else {
      const leaf = rnd() < 0.2;
      const entry: InterestKeyFields = {
        account: pick(rnd, ['$G', 'A']),
        subject: pick(rnd, ['a', 'b', 'c.*', 'd.>']),
        ...(rnd() < 0.5 ? { queue: pick(rnd, ['q1', 'q2']) } : {}),
        ...(leaf ? { leaf: true, origin: pick(rnd, ['o1', 'o2']) } : {}),
      };
      const weight = rnd() < 0.35 ? 0 : 1 + Math.floor(rnd() * 4);
      const k = keyOf(entry);
      let m = truth.get(owner);
      if (!m) truth.set(owner, (m = new Map()));
      const w = entry.queue === undefined ? (weight > 0 ? 1 : 0) : weight;
      if (w > 0) m.set(k, w);
      else m.delete(k);
      const d = ag.set(owner, entry, weight);
      if (d) applyDelta(d);
    }
    const u = bruteForce();
    maxSize = Math.max(maxSize, u.size);
    const same = u.size === advertised.size && [...u].every(([k, w]) => advertised.get(k) === w);
    if (!same || ag.size !== u.size) {
      bad++;
      if (bad < 5) t.fail(`step ${step}: union ${JSON.stringify([...u])} advertised ${JSON.stringify([...advertised])}`);
    }
    if (step % 500 === 0) {
      const snap = new Map(ag.snapshot().map((d) => [keyOf(d), d.queue === undefined ? 0 : d.weight!]));
      if (JSON.stringify([...snap].sort()) !== JSON.stringify([...u].sort())) {
        bad++;
        t.fail(`snapshot differs at step ${step}`);
      }
      if (JSON.stringify([...ag.entries()]) !== JSON.stringify(ag.snapshot())) {
        bad++;
        t.fail(`entries() differs from snapshot() at step ${step}`);
      }
    }
  }
  t.equal(bad, 0);
  t.ok(removeOwners > 50, `removeOwner exercised ${removeOwners}×`);
  t.ok(maxSize > 10, `union grew to ${maxSize}`);
});
