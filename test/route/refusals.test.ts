import t from 'tap';
import { Refusals } from '../../src/route/refusals.js';

t.test('counts every refusal, logs each kind at most once per 10 s with what it skipped', async (t) => {
  const lines: string[] = [];
  const log = { warn: (m: string) => lines.push(m), info: (m: string) => lines.push(m), error: (m: string) => lines.push(m) };
  let now = 1000;
  const r = new Refusals(log as never, () => now);
  for (let i = 0; i < 5; i++) r.record('gossip_cap', 'cap');
  r.record('connection_cap', 'conn');
  now += 10_000;
  r.record('gossip_cap', 'cap');
  t.same(lines, ['cap', 'conn', 'cap (4 more not logged, 6 in total)']);
  t.equal(r.count('gossip_cap'), 6);
  t.equal(r.count('accept_error'), 0);
  t.same(r.snapshot(), { gossip_cap: 6, connection_cap: 1 });
});
