// The microbenchmark harness (`npm run bench`): each compiled `bench/*.bench.js` default-exports a
// function returning groups of cases; the runner (scripts/bench-micro.ts) measures them with
// tinybench and reports ops/s, ns/op, MB/s, items/s and a ratio to each group's reference case.
// Tiny operations should batch work inside one fn() call and say so with `items`, because a timer
// read costs tens of nanoseconds and would otherwise dominate the figure.
import { Bench } from 'tinybench';

export interface BenchCase { name: string; bytes?: number; items?: number; fn: () => void | Promise<void>; }
//   bytes: bytes processed per fn() call (for MB/s); items: logical items (messages, lookups) per call (for items/s)
export interface BenchGroup { group: string; reference?: string; cases: BenchCase[]; rounds?: number; }
//   reference: name of the case in this group the others are reported against (ratio column)
//   rounds: measure the cases in this many interleaved rounds (each a share of the time budget)
//   and report the median of the per-round ratios: a machine whose speed drifts over seconds
//   moves both sides of a ratio taken within one round alike (default 1: one pass)
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
  /** This case's ops/s divided by the reference case's (1 for the reference itself); with rounds, the median of the per-round ratios. */
  ratio?: number;
  /** With rounds: the lowest and highest per-round ratio. */
  ratioRange?: [number, number];
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

/** Measures one case once with tinybench. */
async function measure(g: BenchGroup, c: BenchCase, b: ReturnType<typeof budget>): Promise<CaseResult> {
  const bench = new Bench({ ...b, throws: false });
  bench.add(c.name, c.fn);
  await bench.run();
  const r = bench.tasks[0]!.result;
  const base: CaseResult = { group: g.group, name: c.name, opsPerSec: 0, nsPerOp: 0, rmePercent: 0, samples: 0 };
  if (c.bytes !== undefined) base.bytes = c.bytes;
  if (c.items !== undefined) base.items = c.items;
  if (r.state !== 'completed') {
    base.error = r.state === 'errored' ? String(r.error?.stack ?? r.error) : r.state;
    return base;
  }
  const periodMs = r.period;
  base.nsPerOp = periodMs * 1e6;
  base.opsPerSec = periodMs > 0 ? 1000 / periodMs : 0;
  base.rmePercent = r.latency.rme;
  base.samples = r.latency.df + 1;
  return base;
}

function withRates(r: CaseResult): CaseResult {
  if (r.error) return r;
  if (r.bytes !== undefined) r.mbPerSec = (r.opsPerSec * r.bytes) / 1e6;
  if (r.items !== undefined) {
    r.itemsPerSec = r.opsPerSec * r.items;
    r.nsPerItem = r.nsPerOp / r.items;
  }
  return r;
}

/** Ratio of a to the reference: by items/s when both count items (a reference may batch differently), else ops/s. */
function ratioTo(a: CaseResult, ref: CaseResult): number | undefined {
  const useItems = a.itemsPerSec !== undefined && ref.itemsPerSec !== undefined;
  const x = useItems ? a.itemsPerSec! : a.opsPerSec;
  const y = useItems ? ref.itemsPerSec! : ref.opsPerSec;
  return y > 0 ? x / y : undefined;
}

const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/**
 * Measures every selected case of one group; cases run one at a time, never concurrently. With
 * `rounds`, every case is measured once per round (order reversed every other round), and each
 * figure is the median over rounds; the ratio is the median of the ratios within each round.
 */
export async function runGroup(g: BenchGroup, s: RunSettings): Promise<CaseResult[]> {
  const selected = g.cases.filter((c) => !s.filter || s.filter.test(`${g.group}/${c.name}`));
  const rounds = s.quick ? 1 : Math.max(1, g.rounds ?? 1);
  const full = budget(s.quick);
  const share = rounds === 1 ? full : { ...full, time: full.time / rounds, iterations: Math.max(3, Math.ceil(full.iterations / rounds)) };
  const perRound: CaseResult[][] = [];
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? selected : [...selected].reverse();
    const got = new Map<BenchCase, CaseResult>();
    for (const c of order) {
      if (r === 0) s.onCase?.(g.group, c.name);
      got.set(c, withRates(await measure(g, c, r === 0 ? share : { ...share, warmupTime: share.warmupTime / 3 })));
    }
    perRound.push(selected.map((c) => got.get(c)!));
  }
  const out = selected.map((c, i) => {
    const all = perRound.map((round) => round[i]!);
    const bad = all.find((x) => x.error);
    if (bad) return bad; // an error in any round is the case's result
    if (rounds === 1) return all[0]!;
    const nsPerOp = median(all.map((x) => x.nsPerOp));
    return withRates({
      ...all[0]!, nsPerOp, opsPerSec: nsPerOp > 0 ? 1e9 / nsPerOp : 0,
      rmePercent: median(all.map((x) => x.rmePercent)), samples: all.reduce((a, x) => a + x.samples, 0),
    });
  });
  const refIndex = selected.findIndex((c) => c.name === g.reference);
  if (refIndex >= 0 && !out[refIndex]!.error) {
    // (The reference has no error only if none of its rounds had one.)
    for (let i = 0; i < out.length; i++) {
      const r = out[i]!;
      if (r.error) continue;
      const ratios = perRound.map((round) => ratioTo(round[i]!, round[refIndex]!)).filter((x): x is number => x !== undefined);
      if (ratios.length === 0) continue;
      r.ratio = median(ratios);
      if (rounds > 1) r.ratioRange = [Math.min(...ratios), Math.max(...ratios)];
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
      r.ratio === undefined ? '' : `${r.ratio.toFixed(2)}x${r.ratioRange ? ` (${r.ratioRange[0].toFixed(2)}-${r.ratioRange[1].toFixed(2)})` : ''}`,
    ]);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i]!.startsWith('ERROR') ? 0 : r[i]!.length))));
  const fmt = (cells: string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.startsWith('ERROR') ? c : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [fmt(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt)].join('\n');
}
