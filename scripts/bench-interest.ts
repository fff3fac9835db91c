// Interest propagation rate (issue 12): how fast subscriptions made in site A become route
// interest in site B, through the two proxies, as a ratio to a direct route between two
// nats-servers measured in the same run. A bare client on A1 subscribes N distinct subjects in
// one pipelined stream (test/helpers/bulk-client.ts), then withdraws them all; the clock runs
// from the first SUB until B1's /routez shows the count on its route(s) towards site A.
// Part of `npm run bench:native` (topology "interest"), or alone: node dist/scripts/bench-interest.js [--count N].
import { parseArgs } from 'node:util';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor, type StartedServer } from '../test/helpers/nats-server.js';
import { BulkClient } from '../test/helpers/bulk-client.js';
import { directTopology, peakRss, proxyTopology, type Topology } from './bench-native-procs.js';

export interface InterestPhase {
  subjects: number;
  seconds: number;
  subjectsPerSec: number;
}

export interface InterestPathResult {
  path: 'direct' | 'proxies';
  subscribe: InterestPhase;
  unsubscribe: InterestPhase;
  /** Peak RSS (VmHWM) of each proxy over the run, bytes. */
  proxyPeakRss?: number[];
}

export interface InterestBenchResult {
  count: number;
  paths: InterestPathResult[];
  /** proxies / direct, subjects per second. */
  subscribeRatio?: number;
  unsubscribeRatio?: number;
}

/** B1's subscriptions on its routes to the peer(s) that are not of its own... i.e. towards A1's side. */
async function towardsA(b1: StartedServer, remoteId: string): Promise<number> {
  const rs = ((await b1.routez()).routes ?? []) as Array<{ remote_id: string; subscriptions: number }>;
  return rs.filter((r) => r.remote_id === remoteId).reduce((n, r) => n + r.subscriptions, 0);
}

async function measure(t: Topology, count: number): Promise<InterestPathResult> {
  const b1 = t.servers.find((s) => s.label === 'B1')!.server;
  const routes = ((await b1.routez()).routes ?? []) as Array<{ remote_id: string }>;
  const remoteId = routes[0]!.remote_id; // B1 has one peer: A1 (direct) or proxy B
  // Settled baseline (system subscriptions): unchanged over a few polls.
  let baseline = -1;
  await waitFor(async () => {
    const n = await towardsA(b1, remoteId);
    const same = n === baseline && n > 0;
    baseline = n;
    return same;
  }, { what: 'baseline interest', intervalMs: 300, timeoutMs: 20_000 });
  const bulk = await BulkClient.open(t.a1);
  const subject = (i: number) => `bench.interest.${i}`;
  const phase = async (lines: (i: number) => string, target: number): Promise<InterestPhase> => {
    const t0 = performance.now();
    await bulk.send(count, lines);
    await waitFor(async () => (await towardsA(b1, remoteId)) === target, {
      what: `B1 sees ${target} subscriptions`, intervalMs: 25, timeoutMs: 600_000,
    });
    const seconds = (performance.now() - t0) / 1000;
    return { subjects: count, seconds, subjectsPerSec: count / seconds };
  };
  try {
    const subscribe = await phase((i) => `SUB ${subject(i)} ${i + 1}\r\n`, baseline + count);
    const unsubscribe = await phase((i) => `UNSUB ${i + 1}\r\n`, baseline);
    const r: InterestPathResult = { path: t.name === 'direct' ? 'direct' : 'proxies', subscribe, unsubscribe };
    if (t.proxies.length) r.proxyPeakRss = t.proxies.map((p) => peakRss(p.pid));
    if (bulk.errors.length) throw new Error(`client got ${bulk.errors.join(', ')}`);
    return r;
  } finally {
    bulk.close();
  }
}

export async function runInterestBench(o: { count: number; dir: string; cli: string }): Promise<InterestBenchResult> {
  const result: InterestBenchResult = { count: o.count, paths: [] };
  for (const make of [() => directTopology(), () => proxyTopology({ dir: o.dir, cli: o.cli, tag: '-interest' })]) {
    const t = await make();
    try {
      result.paths.push(await measure(t, o.count));
    } finally {
      await t.stop();
    }
  }
  const [d, p] = result.paths;
  if (d && p) {
    result.subscribeRatio = p.subscribe.subjectsPerSec / d.subscribe.subjectsPerSec;
    result.unsubscribeRatio = p.unsubscribe.subjectsPerSec / d.unsubscribe.subjectsPerSec;
  }
  return result;
}

export function renderInterest(r: InterestBenchResult): string {
  const mb = (n: number) => `${Math.round(n / (1 << 20))} MB`;
  const row = (x: InterestPathResult) => `| ${x.path} | ${x.subscribe.seconds.toFixed(2)} s | ${Math.round(x.subscribe.subjectsPerSec)} `
    + `| ${x.unsubscribe.seconds.toFixed(2)} s | ${Math.round(x.unsubscribe.subjectsPerSec)} | ${x.proxyPeakRss ? x.proxyPeakRss.map(mb).join(' / ') : '—'} |`;
  const lines = [
    `## Interest propagation (${r.count} distinct subjects, A1 → B1)`, '',
    '| path | subscribe: converged | subjects/s | unsubscribe: converged | subjects/s | proxy A / B peak RSS |',
    '|---|---|---|---|---|---|',
    ...r.paths.map(row), '',
  ];
  if (r.subscribeRatio !== undefined) {
    lines.push(`Through the proxies / direct route: subscribe ${r.subscribeRatio.toFixed(2)}×, unsubscribe ${r.unsubscribeRatio!.toFixed(2)}×.`, '');
  }
  return lines.join('\n');
}

// Standalone.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { count: { type: 'string' } } });
  const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const dir = mkdtempSync(join(tmpdir(), 'bench-interest-'));
  runInterestBench({ count: Number(values.count ?? 200_000), dir, cli: join(repo, 'dist', 'src', 'cli.js') }).then((r) => {
    process.stdout.write(renderInterest(r) + '\n');
    process.exit(0);
  }, (err: unknown) => {
    process.stderr.write(`bench-interest: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}
