// Type declarations only: the benchmark runner (bench issue) exports the same names and
// replaces this file at merge.
export interface BenchCase { name: string; bytes?: number; items?: number; fn: () => void | Promise<void>; }
export interface BenchGroup { group: string; reference?: string; cases: BenchCase[]; }
export interface BenchOptions { quick: boolean; }
// each bench/*.bench.ts: export default function groups(opts: BenchOptions): BenchGroup[] | Promise<BenchGroup[]>
