// The microbenchmark harness (`npm run bench`): each compiled `bench/*.bench.js` default-exports a
// function returning groups of cases; the runner (scripts/bench-micro.ts) measures them with
// tinybench and reports ops/s, ns/op, MB/s, items/s and a ratio to each group's reference case.
// Tiny operations should batch work inside one fn() call and say so with `items`, because a timer
// read costs tens of nanoseconds and would otherwise dominate the figure.
import { Bench } from 'tinybench';

export interface BenchCase { name: string; bytes?: number; items?: number; fn: () => void | Promise<void>; }
//   bytes: bytes processed per fn() call (for MB/s); items: logical items (messages, lookups) per call (for items/s)
export interface BenchGroup { group: string; reference?: string; cases: BenchCase[]; }
//   reference: name of the case in this group the others are reported against (ratio column)
export interface BenchOptions { quick: boolean; }
// each bench/*.bench.ts: export default function groups(opts: BenchOptions): BenchGroup[] | Promise<BenchGroup[]>

export interface CaseResult {
  group: string;
  name: string;
  /** Calls of fn() per second (1 / mean time per call). */
  opsPerSec: number;
  nsPerOp: number;
  /** Relative margin of error of the mean, in percent. */
  rmePercent: number;
  samples: number;
  bytes?: number;
  items?: number;
  mbPerSec?: number;
  itemsPerSec?: number;
  /** ns per logical item (nsPerOp / items), when items is given. */
  nsPerItem?: number;
  /** This case's ops/s divided by the reference case's (1 for the reference itself). */
  ratio?: number;
  error?: string;
}

export interface RunSettings {
  quick: boolean;
  /** Only cases whose "group/name" matches run. */
  filter?: RegExp;
  /** Called before each case (progress display). */
  onCase?: (group: string, name: string) => void;
}

/** Time budget per case: enough samples for a stable mean on a shared 2-core machine. */
function budget(quick: boolean): { time: number; warmupTime: number; iterations: number; warmupIterations: number } {
  return quick
    ? { time: 25, warmupTime: 5, iterations: 3, warmupIterations: 1 }
    : { time: 700, warmupTime: 150, iterations: 10, warmupIterations: 5 };
}

/** Measures every selected case of one group; cases run one at a time, never concurrently. */
export async function runGroup(g: BenchGroup, s: RunSettings): Promise<CaseResult[]> {
  const selected = g.cases.filter((c) => !s.filter || s.filter.test(`${g.group}/${c.name}`));
  const out: CaseResult[] = [];
  for (const c of selected) {
    s.onCase?.(g.group, c.name);
    const bench = new Bench({ ...budget(s.quick), throws: false });
    bench.add(c.name, c.fn);
    await bench.run();
    const task = bench.tasks[0]!;
    const r = task.result;
    const base: CaseResult = { group: g.group, name: c.name, opsPerSec: 0, nsPerOp: 0, rmePercent: 0, samples: 0 };
    if (c.bytes !== undefined) base.bytes = c.bytes;
    if (c.items !== undefined) base.items = c.items;
    if (r.state !== 'completed') {
      base.error = r.state === 'errored' ? String(r.error?.stack ?? r.error) : r.state;
      out.push(base);
      continue;
    }
    const periodMs = r.period;
    base.nsPerOp = periodMs * 1e6;
    base.opsPerSec = periodMs > 0 ? 1000 / periodMs : 0;
    base.rmePercent = r.latency.rme;
    base.samples = r.latency.df + 1;
    if (c.bytes !== undefined) base.mbPerSec = (base.opsPerSec * c.bytes) / 1e6;
    if (c.items !== undefined) {
      base.itemsPerSec = base.opsPerSec * c.items;
      base.nsPerItem = base.nsPerOp / c.items;
    }
    out.push(base);
  }
  // Ratios: by items/s when both sides count items (a reference may batch differently), else ops/s.
  const ref = out.find((r) => r.name === g.reference && !r.error);
  if (ref) {
    for (const r of out) {
      if (r.error) continue;
      const useItems = r.itemsPerSec !== undefined && ref.itemsPerSec !== undefined;
      const a = useItems ? r.itemsPerSec! : r.opsPerSec;
      const b = useItems ? ref.itemsPerSec! : ref.opsPerSec;
      if (b > 0) r.ratio = a / b;
    }
  }
  return out;
}

function si(v: number | undefined, digits = 3): string {
  if (v === undefined || !Number.isFinite(v)) return '';
  const abs = Math.abs(v);
  if (abs >= 1e9) return `${(v / 1e9).toPrecision(digits)} G`;
  if (abs >= 1e6) return `${(v / 1e6).toPrecision(digits)} M`;
  if (abs >= 1e3) return `${(v / 1e3).toPrecision(digits)} k`;
  return v.toPrecision(digits);
}

function ns(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '';
  if (v >= 1e6) return `${(v / 1e6).toFixed(2)} ms`;
  if (v >= 1e3) return `${(v / 1e3).toFixed(2)} µs`;
  return `${v.toFixed(1)} ns`;
}

/** Plain-text table of results, one section per group. */
export function formatTable(results: readonly CaseResult[]): string {
  const header = ['case', 'ops/s', 'ns/op', '±%', 'MB/s', 'items/s', 'ns/item', 'ratio'];
  const rows: string[][] = [];
  let lastGroup = '';
  for (const r of results) {
    if (r.group !== lastGroup) {
      rows.push([`[${r.group}]`, '', '', '', '', '', '', '']);
      lastGroup = r.group;
    }
    if (r.error) {
      rows.push([`  ${r.name}`, `ERROR: ${r.error.split('\n')[0]}`, '', '', '', '', '', '']);
      continue;
    }
    rows.push([
      `  ${r.name}`,
      si(r.opsPerSec),
      ns(r.nsPerOp),
      r.rmePercent.toFixed(1),
      r.mbPerSec === undefined ? '' : r.mbPerSec.toFixed(r.mbPerSec >= 100 ? 0 : 1),
      si(r.itemsPerSec),
      ns(r.nsPerItem),
      r.ratio === undefined ? '' : `${r.ratio.toFixed(2)}x`,
    ]);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i]!.startsWith('ERROR') ? 0 : r[i]!.length))));
  const fmt = (cells: string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.startsWith('ERROR') ? c : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [fmt(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt)].join('\n');
}
