// Interest matching: what the relay asks of a peer's InterestTable for every message.
// Literal, `*` and `>` interest, 10 k and 1 M subscriptions, cache hits (a few hot subjects)
// and misses (a stream of distinct subjects much larger than the per-account cache).
import { InterestTable } from '../src/interest/interest-table.js';
import type { BenchGroup, BenchOptions } from './harness.js';

const ACCOUNT = '$G';
const BATCH = 1024;
const HOT = 64; // distinct subjects of the cache-hit cases: all fit in the cache
const MISS_POOL = 65536; // distinct subjects of the miss cases: 64 × the default cache size

interface Table {
  table: InterestTable;
  n: number;
}

// 80% literal `lit.<i>.evt`, 10% `star.<i>.*`, 10% `fwc.<i>.>`.
function buildTable(n: number): Table {
  const table = new InterestTable();
  const lit = Math.floor(n * 0.8);
  const wc = Math.floor(n * 0.1);
  const add = (subject: string) => table.apply({ add: true, leaf: false, account: ACCOUNT, subject });
  for (let i = 0; i < lit; i++) add(`lit.${i}.evt`);
  for (let i = 0; i < wc; i++) add(`star.${i}.*`);
  for (let i = 0; i < wc; i++) add(`fwc.${i}.>`);
  return { table, n };
}

type Kind = 'literal' | '*' | '>' | 'no interest';

function subjectFor(kind: Kind, n: number, k: number): string {
  const lit = Math.floor(n * 0.8);
  const wc = Math.max(1, Math.floor(n * 0.1));
  switch (kind) {
    case 'literal': return `lit.${k % lit}.evt`;
    // The last tokens vary with k so that a miss pool has as many distinct subjects as it asks for.
    case '*': return `star.${k % wc}.x${k}`;
    case '>': return `fwc.${k % wc}.a.${k}`;
    case 'no interest': return `none.${k}.evt`;
  }
}

function label(n: number): string {
  return n >= 1e6 ? `${n / 1e6} M` : `${n / 1e3} k`;
}

function cases(t: Table): BenchGroup {
  const kinds: Kind[] = ['literal', '*', '>', 'no interest'];
  const out: BenchGroup = { group: `interest match, ${label(t.n)} subscriptions`, reference: 'literal, cache hit', cases: [] };
  for (const kind of kinds) {
    for (const hit of [true, false]) {
      // Spread the pool over the whole table so misses walk cold parts of the tree.
      const pool = hit ? HOT : MISS_POOL;
      const stride = Math.max(1, Math.floor(t.n / pool) | 1);
      const subjects = Array.from({ length: pool }, (_, i) => subjectFor(kind, t.n, i * stride));
      const want = kind !== 'no interest';
      for (const s of subjects.slice(0, 4)) {
        if (t.table.match(ACCOUNT, s).plain !== want) throw new Error(`interest bench: ${s} matched wrongly`);
      }
      let pos = 0;
      let sink = 0;
      out.cases.push({
        name: `${kind}, cache ${hit ? 'hit' : 'miss'}`,
        items: BATCH,
        fn: () => {
          for (let i = 0; i < BATCH; i++) {
            if (t.table.match(ACCOUNT, subjects[pos]!).plain) sink++;
            if (++pos === subjects.length) pos = 0;
          }
          if (sink < 0) throw new Error('unreachable');
        },
      });
    }
  }
  return out;
}

export default function groups(opts: BenchOptions): BenchGroup[] {
  // 1 M subscriptions take ~seconds to build and a few hundred MB: full runs only.
  const sizes = opts.quick ? [10_000] : [10_000, 1_000_000];
  return sizes.map((n) => cases(buildTable(n)));
}
