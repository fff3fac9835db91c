// What one interest entry costs a proxy (issue 12): a peer's table and the aggregate it feeds hold
// it, a million times over at scale. Heap bytes after a full GC are deterministic enough to bound
// (this is a size, not a timing): 859 B per entry before the keys and single-item nodes were
// made compact, 441 B after (Node 20, 64-bit, no pointer compression).
import t from 'tap';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { InterestAggregate } from '../../src/interest/aggregate.js';
import { InterestTable } from '../../src/interest/interest-table.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const N = 100_000;
/** The documented bound the interop test and README use is 1 KB per entry, both structures together. */
const MAX_BYTES_PER_ENTRY = 640;

t.test(`${N} route entries (1 in 11 a wildcard) in a table and the aggregate`, async (t) => {
  const owner = {};
  const table = new InterestTable();
  const agg = new InterestAggregate<object>();
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < N; i++) {
    // Subjects made from bytes, as the parser makes them.
    const subject = Buffer.from(i % 11 === 10 ? `scale.w.${i}.*` : `scale.p.${i}`).toString('latin1');
    const e = table.apply({ add: true, account: '$G', subject, leaf: false });
    if (e !== undefined) agg.apply(owner, e);
  }
  gc();
  const per = (process.memoryUsage().heapUsed - before) / N;
  t.equal(table.size + agg.size, 2 * N, 'every entry held by both');
  t.ok(per < MAX_BYTES_PER_ENTRY, `${per.toFixed(0)} B per entry < ${MAX_BYTES_PER_ENTRY}`);
});
