// Summary of a V8 .cpuprofile (`node --cpu-prof`): self time per function and per pipeline
// stage, so that a report can say which stage of the relay costs what.
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface FunctionCost {
  function: string;
  location: string;
  stage: string;
  selfMs: number;
  selfPercent: number;
}

export interface StageCost {
  stage: string;
  selfMs: number;
  selfPercent: number;
}

export interface ProfileSummary {
  file: string;
  /** Whether only samples inside the measured window were counted (else the whole profile). */
  windowed: boolean;
  totalMs: number;
  /** Time not idle: what the percentages of `busy*` columns are relative to. */
  busyMs: number;
  top: FunctionCost[];
  stages: StageCost[];
}

/** Which part of the data path a frame belongs to, by source file (design.md §2 layers). */
export function stageOf(functionName: string, url: string): string {
  if (functionName === '(idle)') return 'idle';
  if (functionName === '(garbage collector)') return 'GC';
  if (functionName === '(program)') return 'V8/native (program)';
  const u = url.replace(/^file:\/\//, '');
  const m = /\/dist\/src\/(.+)\.js$/.exec(u);
  if (m) {
    const f = m[1]!;
    if (f.startsWith('protocol/parser')) return 'parse (protocol/parser)';
    if (f.startsWith('protocol/encode') || f.startsWith('protocol/')) return 'encode (protocol)';
    if (f.startsWith('interest/')) return 'interest match (interest/)';
    if (f.startsWith('relay/')) return 'relay decision (relay/)';
    if (f.startsWith('route/outbound') || f.startsWith('route/msg-writer')) return 'outbound (route/outbound, msg-writer)';
    if (f.startsWith('route/flow')) return 'flow control (route/flow)';
    if (f.startsWith('route/')) return `route layer (${f})`;
    if (f.startsWith('compression/')) return 'compression';
    return `other src (${f})`;
  }
  if (/node:net|node:internal\/stream_base|stream_base_commons/.test(u)) return 'socket I/O (node:net)';
  if (/node:internal\/streams|node:stream/.test(u)) return 'Node streams';
  if (/node:internal\/(timers|priority_queue|process\/task_queues)|node:timers/.test(u)) return 'event loop (timers/immediates)';
  if (/node:buffer|node:internal\/buffer/.test(u)) return 'Buffer (alloc/subarray/copy)';
  if (/node:internal\/modules\//.test(u)) return 'module loading';
  if (/node_modules\/pino|sonic-boom/.test(u)) return 'logging (pino)';
  if (u.startsWith('node:')) return 'Node internals';
  if (u === '') return functionName ? `native (${functionName})` : 'native';
  return 'other';
}

/**
 * `window`: CLOCK_MONOTONIC bounds in ns (V8's profile timestamps are CLOCK_MONOTONIC µs on Linux)
 * of the measured traffic, so that start-up and shutdown are left out.
 */
export function summarizeProfile(file: string, window?: { startNs: number; endNs: number }, topN = 25): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  let windowed = false;
  if (p.samples && p.timeDeltas) {
    let lo = -Infinity;
    let hi = Infinity;
    if (window && window.startNs / 1000 >= p.startTime && window.startNs / 1000 <= p.endTime) {
      lo = window.startNs / 1000;
      hi = window.endNs / 1000;
      windowed = true;
    }
    // timeDeltas[i] leads to sample i; the time until the next sample is charged to sample i.
    let ts = p.startTime;
    for (let i = 0; i < p.samples.length; i++) {
      ts += p.timeDeltas[i] ?? 0;
      if (ts < lo || ts > hi) continue;
      const dt = p.timeDeltas[i + 1] ?? 0;
      selfUs.set(p.samples[i]!, (selfUs.get(p.samples[i]!) ?? 0) + Math.max(0, dt));
    }
  } else {
    const per = (p.endTime - p.startTime) / Math.max(1, p.nodes.reduce((s, n) => s + (n.hitCount ?? 0), 0));
    for (const n of p.nodes) selfUs.set(n.id, (n.hitCount ?? 0) * per);
  }
  const fn = new Map<string, FunctionCost>();
  const stages = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const [id, us] of selfUs) {
    const n = byId.get(id);
    if (!n) continue;
    const cf = n.callFrame;
    const name = cf.functionName || '(anonymous)';
    const loc = cf.url ? `${cf.url.replace(/^file:\/\/.*?\/dist\//, 'dist/')}:${cf.lineNumber + 1}` : '';
    const stage = stageOf(cf.functionName, cf.url);
    total += us;
    if (stage === 'idle') idle += us;
    stages.set(stage, (stages.get(stage) ?? 0) + us);
    const key = `${name}@${loc}`;
    const e = fn.get(key) ?? { function: name, location: loc, stage, selfMs: 0, selfPercent: 0 };
    e.selfMs += us / 1000;
    fn.set(key, e);
  }
  const busy = Math.max(1, total - idle);
  const top = [...fn.values()].filter((f) => f.stage !== 'idle').sort((a, b) => b.selfMs - a.selfMs).slice(0, topN);
  for (const f of top) f.selfPercent = (f.selfMs * 1000 * 100) / busy;
  const st = [...stages.entries()]
    .filter(([s]) => s !== 'idle')
    .map(([stage, us]) => ({ stage, selfMs: us / 1000, selfPercent: (us * 100) / busy }))
    .sort((a, b) => b.selfMs - a.selfMs);
  return { file, windowed, totalMs: total / 1000, busyMs: busy / 1000, top, stages: st };
}
