import t from 'tap';
import { InterestTable, NO_INTEREST } from '../../src/interest/interest-table.js';
import type { Interest } from '../../src/protocol/types.js';
import { subjectMatches } from '../../src/interest/subject.js';
import { prng, pick, randomPattern, randomSubject } from './prng.js';

const rsAdd = (account: string, subject: string, queue?: string, weight?: number): Interest => ({
  add: true,
  leaf: false,
  account,
  subject,
  ...(queue !== undefined ? { queue, weight } : {}),
});
const rsDel = (account: string, subject: string, queue?: string): Interest => ({
  add: false,
  leaf: false,
  account,
  subject,
  ...(queue !== undefined ? { queue } : {}),
});
const lsAdd = (origin: string, account: string, subject: string, queue?: string, weight?: number): Interest => ({
  ...rsAdd(account, subject, queue, weight),
  leaf: true,
  origin,
});
const lsDel = (origin: string | undefined, account: string, subject: string, queue?: string): Interest => ({
  ...rsDel(account, subject, queue),
  leaf: true,
  ...(origin !== undefined ? { origin } : {}),
});
const queuesOf = (m: { queues: ReadonlyMap<string, number> }) => Object.fromEntries([...m.queues].sort());

t.test('plain RS+ / RS-', async (t) => {
  const it = new InterestTable();
  t.same(it.apply(rsAdd('$G', 'foo')), { add: true, account: '$G', subject: 'foo', leaf: false });
  t.equal(it.apply(rsAdd('$G', 'foo')), undefined, 'duplicate RS+ is a no-op');
  t.equal(it.apply(rsAdd('$G', 'foo', undefined, 5)), undefined, 'a weight on a plain RS+ is irrelevant');
  t.equal(it.size, 1);
  t.same(it.match('$G', 'foo'), { plain: true, queues: new Map() });
  t.equal(it.match('$G', 'bar'), NO_INTEREST);
  t.equal(it.match('ACC', 'foo'), NO_INTEREST, 'accounts are separate');
  t.same(it.apply(rsDel('$G', 'foo')), { add: false, account: '$G', subject: 'foo', leaf: false });
  t.equal(it.apply(rsDel('$G', 'foo')), undefined, 'RS- of something absent');
  t.equal(it.apply(rsDel('NOPE', 'foo')), undefined);
  t.equal(it.size, 0);
  t.same([...it.accounts()], [], 'empty accounts are dropped');
  t.equal(it.match('$G', 'foo'), NO_INTEREST);
});

t.test('queue weights replace, RS- removes whatever the weight', async (t) => {
  const it = new InterestTable();
  t.same(it.apply(rsAdd('$G', 'work.*', 'q', 2)), {
    add: true, account: '$G', subject: 'work.*', queue: 'q', leaf: false, weight: 2,
  });
  t.equal(it.apply(rsAdd('$G', 'work.*', 'q', 2)), undefined, 'same weight: no change');
  t.same(queuesOf(it.match('$G', 'work.a')), { q: 2 });
  const c = it.apply(rsAdd('$G', 'work.*', 'q', 5));
  t.same(c, { add: true, account: '$G', subject: 'work.*', queue: 'q', leaf: false, weight: 5 });
  t.same(queuesOf(it.match('$G', 'work.a')), { q: 5 }, 'weight replaced, cache invalidated');
  t.equal(it.size, 1);
  t.equal(it.get('$G', 'work.*', 'q')?.weight, 5);
  // Plain interest on the same subject is a different entry.
  it.apply(rsAdd('$G', 'work.*'));
  t.equal(it.size, 2);
  const m = it.match('$G', 'work.a');
  t.equal(m.plain, true);
  t.same(queuesOf(m), { q: 5 });
  // Same queue name via another pattern: weights add up in the match result.
  it.apply(rsAdd('$G', 'work.a', 'q', 3));
  it.apply(rsAdd('$G', 'work.>', 'other', 1));
  t.same(queuesOf(it.match('$G', 'work.a')), { q: 8, other: 1 });
  t.same(queuesOf(it.match('$G', 'work.b')), { q: 5, other: 1 });
  t.same(it.apply(rsDel('$G', 'work.*', 'q')), {
    add: false, account: '$G', subject: 'work.*', queue: 'q', leaf: false,
  });
  t.same(queuesOf(it.match('$G', 'work.a')), { q: 3, other: 1 });
  t.equal(it.match('$G', 'work.a').plain, true);
  t.equal(it.apply(rsDel('$G', 'work.*', 'q')), undefined);
  t.equal(it.apply(rsDel('$G', 'work.*', 'nope')), undefined);
});

t.test('non-positive or missing queue weight counts as one member', async (t) => {
  const it = new InterestTable();
  t.equal(it.apply(rsAdd('$G', 'a', 'q', 0))?.weight, 1);
  t.equal(it.apply(rsAdd('$G', 'b', 'q'))?.weight, 1);
});

t.test('cache hits return the same immutable object', async (t) => {
  const it = new InterestTable();
  it.apply(rsAdd('$G', 'x.>', 'q', 2));
  const a = it.match('$G', 'x.y');
  t.equal(it.match('$G', 'x.y'), a);
  t.ok(Object.isFrozen(a));
  it.apply(rsAdd('$G', 'unrelated'));
  t.equal(it.match('$G', 'x.y'), a, 'unrelated change keeps the cached result');
  it.apply(rsAdd('$G', 'x.*'));
  t.not(it.match('$G', 'x.y'), a);
  t.equal(it.match('$G', 'x.y').plain, true);
});

t.test('LS+ and RS+ on the same subject are distinct; origins are distinct', async (t) => {
  const it = new InterestTable();
  t.ok(it.apply(rsAdd('$G', 'foo')));
  const c = it.apply(lsAdd('leafA', '$G', 'foo'));
  t.same(c, { add: true, account: '$G', subject: 'foo', leaf: true, origin: 'leafA' });
  t.ok(it.apply(lsAdd('leafB', '$G', 'foo')));
  t.equal(it.apply(lsAdd('leafB', '$G', 'foo')), undefined);
  t.equal(it.size, 3);
  t.ok(it.apply(rsDel('$G', 'foo')));
  t.equal(it.match('$G', 'foo').plain, true, 'leaf interest remains');
  t.equal(it.apply(rsDel('$G', 'foo')), undefined, 'RS- does not remove an LS+');
  t.same(it.apply(lsDel('leafA', '$G', 'foo')), {
    add: false, account: '$G', subject: 'foo', leaf: true, origin: 'leafA',
  });
  t.equal(it.apply(lsDel('leafA', '$G', 'foo')), undefined);
  t.equal(it.size, 1);
  t.ok(it.get('$G', 'foo', undefined, true, 'leafB'));
  t.notOk(it.get('$G', 'foo', undefined, true, 'leafA'));
});

t.test('LS- without origin (sender lacks lnocu) removes one leaf entry for that subject/queue', async (t) => {
  const it = new InterestTable();
  it.apply(rsAdd('$G', 'foo', 'q', 1));
  it.apply(lsAdd('o1', '$G', 'foo', 'q', 2));
  it.apply(lsAdd('o2', '$G', 'foo', 'q', 3));
  it.apply(lsAdd('o1', '$G', 'foo'));
  const c1 = it.apply(lsDel(undefined, '$G', 'foo', 'q'));
  t.match(c1, { add: false, leaf: true, origin: 'o1', queue: 'q' });
  const c2 = it.apply(lsDel(undefined, '$G', 'foo', 'q'));
  t.match(c2, { add: false, leaf: true, origin: 'o2', queue: 'q' });
  t.equal(it.apply(lsDel(undefined, '$G', 'foo', 'q')), undefined, 'RS queue entry is not touched');
  t.same(queuesOf(it.match('$G', 'foo')), { q: 1 });
  t.match(it.apply(lsDel(undefined, '$G', 'foo')), { add: false, leaf: true, origin: 'o1' });
  t.equal(it.size, 1);
});

t.test('invalid interest is ignored, counted and reported; removal of it is a no-op', async (t) => {
  const seen: string[] = [];
  const it = new InterestTable({ onInvalid: (op, reason) => seen.push(`${op.subject}/${op.queue ?? ''}: ${reason}`) });
  for (const s of ['', 'a..b', 'foo.>.bar', 'a b']) {
    t.equal(it.apply(rsAdd('$G', s)), undefined, JSON.stringify(s));
    t.equal(it.apply(rsDel('$G', s)), undefined);
  }
  t.equal(it.apply(rsAdd('$G', 'foo', 'bad q', 1)), undefined);
  t.equal(it.apply(lsAdd('o', '$G', 'foo', '', 1)), undefined);
  t.equal(it.invalid, 6);
  t.same(seen, [
    '/: invalid subject',
    'a..b/: invalid subject',
    'foo.>.bar/: invalid subject',
    'a b/: invalid subject',
    'foo/bad q: invalid queue name',
    'foo/: invalid queue name',
  ]);
  t.equal(it.size, 0);
  t.same([...it.accounts()], []);
});

t.test('entries(), accounts(), clear()', async (t) => {
  const it = new InterestTable();
  it.apply(rsAdd('A', 'foo'));
  it.apply(rsAdd('A', 'bar.*', 'q', 4));
  it.apply(lsAdd('o', 'B', 'baz'));
  const entries: Interest[] = [...it.entries()];
  const norm = (es: Interest[]) => es.map((e) => JSON.stringify(e)).sort();
  t.same(norm(entries), norm([
    { add: true, account: 'A', subject: 'foo', leaf: false },
    { add: true, account: 'A', subject: 'bar.*', leaf: false, queue: 'q', weight: 4 },
    { add: true, account: 'B', subject: 'baz', leaf: true, origin: 'o' },
  ]));
  t.same([...it.accounts()].sort(), ['A', 'B']);
  const removed = it.clear();
  t.same(norm(removed), norm(entries));
  t.equal(it.size, 0);
  t.same([...it.entries()], []);
  t.equal(it.match('A', 'foo'), NO_INTEREST);
  t.equal(it.match('A', 'bar.x').queues.size, 0);
  // Usable after clear.
  t.ok(it.apply(rsAdd('A', 'foo')));
  t.equal(it.match('A', 'foo').plain, true);
});

t.test('random ops agree with a brute-force model', async (t) => {
  const rnd = prng(99);
  const tokens = ['a', 'b', 'c'];
  const it = new InterestTable({ cacheSize: 64 });
  type M = { subject: string; queue?: string; weight: number; leaf: boolean; origin?: string };
  const model = new Map<string, Map<string, M>>(); // account → key → entry
  const key = (m: { subject: string; queue?: string; leaf: boolean; origin?: string }) =>
    `${m.leaf ? 'L' : 'R'}|${m.subject}|${m.queue ?? ''}|${m.origin ?? ''}`;
  let bad = 0;
  for (let step = 0; step < 5000; step++) {
    const account = pick(rnd, ['$G', 'ACC']);
    const leaf = rnd() < 0.3;
    const origin = leaf ? pick(rnd, ['o1', 'o2']) : undefined;
    const subject = randomPattern(rnd, tokens, 3);
    const queue = rnd() < 0.4 ? pick(rnd, ['q1', 'q2']) : undefined;
    const r = rnd();
    const acc = model.get(account) ?? new Map<string, M>();
    model.set(account, acc);
    if (r < 0.5) {
      const weight = 1 + Math.floor(rnd() * 3);
      const op = leaf ? lsAdd(origin!, account, subject, queue, weight) : rsAdd(account, subject, queue, weight);
      const k = key({ subject, queue, leaf, origin });
      const old = acc.get(k);
      const w = queue ? weight : 1;
      const c = it.apply(op);
      const expectChange = old === undefined || old.weight !== w;
      if ((c !== undefined) !== expectChange || (c && (!c.add || (c.queue !== undefined ? c.weight : 1) !== w))) {
        bad++;
        t.fail(`add ${JSON.stringify(op)} → ${JSON.stringify(c)}`);
      }
      acc.set(k, { subject, queue, weight: w, leaf, origin });
    } else if (r < 0.75) {
      const k = key({ subject, queue, leaf, origin });
      const old = acc.get(k);
      const c = it.apply(leaf ? lsDel(origin, account, subject, queue) : rsDel(account, subject, queue));
      if ((c !== undefined) !== (old !== undefined) || (c && (c.add || c.weight !== undefined))) {
        bad++;
        t.fail(`del ${k} → ${JSON.stringify(c)}`);
      }
      acc.delete(k);
    } else {
      const s = randomSubject(rnd, tokens, 3);
      let plain = false;
      const queues = new Map<string, number>();
      for (const m of acc.values()) {
        if (!subjectMatches(m.subject, s)) continue;
        if (m.queue === undefined) plain = true;
        else queues.set(m.queue, (queues.get(m.queue) ?? 0) + m.weight);
      }
      const got = it.match(account, s);
      if (got.plain !== plain || JSON.stringify(queuesOf(got)) !== JSON.stringify(Object.fromEntries([...queues].sort()))) {
        bad++;
        if (bad < 5) t.fail(`match ${account} ${s}: ${JSON.stringify({ plain: got.plain, q: queuesOf(got) })}`);
      }
    }
    let total = 0;
    for (const a of model.values()) total += a.size;
    if (it.size !== total) {
      bad++;
      t.fail(`size ${it.size} != ${total}`);
      break;
    }
  }
  t.equal(bad, 0);
});
