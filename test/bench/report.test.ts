// The pure parts of the native bench report: target evaluation (ratios, pass/miss), the
// .cpuprofile summary (windowing, stages), the SVG chart (bars, log axis).
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { machineInfo } from '../../bench/machine.js';
import { barChartSvg } from '../../scripts/bench-native-charts.js';
import { stageOf, summarizeProfile } from '../../scripts/bench-native-profile.js';
import { comparePools } from '../../scripts/bench-native-pool.js';
import { compareCompression, compareTls, evaluateTargets, renderMarkdown } from '../../scripts/bench-native-report.js';
import type { NativeReport, PoolRun, ScenarioResult } from '../../scripts/bench-native-types.js';

function scenario(topology: ScenarioResult['topology'], size: number, mode: 'full' | 'half', o: Omit<Partial<ScenarioResult>, 'cpu'> & { cpu?: Record<string, number> } = {}): ScenarioResult {
  const cpu = Object.entries(o.cpu ?? {}).map(([label, usPerMsg]) => ({ label, role: 'server' as const, cpuMs: 0, usPerMsg }));
  const { cpu: _c, ...rest } = o;
  return {
    topology, size, payload: 'fill', mode, count: 1000, rate: 0, msgsPerSec: 1000, mbPerSec: 1, pubMsgsPerSec: 1000, delivered: 1000, lost: 0,
    duplicates: 0, outOfOrder: 0, end: 'complete', latencyUs: { p50: 100, p90: 200, p99: 300, p999: 400, max: 500, mean: 120, count: 1000 },
    cpu, peakRss: [], wallSeconds: 1, slowConsumers: '', windowNs: { start: 0, end: 0 }, ...rest,
  };
}

function report(scenarios: ScenarioResult[], parser?: number): NativeReport {
  const r: NativeReport = {
    kind: 'native', machine: machineInfo(),
    versions: { natsServer: 'nats-server: v2.10.27', libnats: '3.4.1', proxy: '0.1.0', proxyCommit: 'abc', cc: 'cc' },
    settings: { quick: true, sizes: [128, 16384], counts: {}, topologies: ['direct', 'proxies'], halfLoadRule: 'rule', payload: 'fill', compressionSizes: [] },
    scenarios, errors: [], targets: [], charts: [], durationSeconds: 1,
  };
  if (parser !== undefined) r.parser128MsgsPerSec = parser;
  return r;
}

t.test('targets are ratios against the direct route of the same run', async (t) => {
  const r = report([
    scenario('direct', 128, 'full', { msgsPerSec: 600_000, cpu: { A1: 1.0, B1: 1.2 } }),
    scenario('proxies', 128, 'full', { msgsPerSec: 480_000, cpu: { 'proxy A': 0.5, 'proxy B': 0.6 } }),
    scenario('direct', 16384, 'full', { msgsPerSec: 50_000 }),
    scenario('proxies', 16384, 'full', { msgsPerSec: 40_000, lost: 3 }),
    scenario('direct', 128, 'half', { latencyUs: { p50: 50, p90: 80, p99: 200, p999: 300, max: 400, mean: 60, count: 10 } }),
    scenario('proxies', 128, 'half', { rate: 240_000, latencyUs: { p50: 90, p90: 150, p99: 1100, p999: 1500, max: 1600, mean: 100, count: 10 } }),
    scenario('direct', 16384, 'half'),
    scenario('proxies', 16384, 'half', { latencyUs: { p50: 90, p90: 150, p99: 1301, p999: 1500, max: 1600, mean: 100, count: 10 } }),
  ], 3_000_000);
  const byName = Object.fromEntries(evaluateTargets(r).map((x) => [x.name, x]));
  t.equal(byName['throughput through two proxies at 128 B']!.pass, true, '80% ≥ 70%');
  t.match(byName['throughput through two proxies at 128 B']!.measured, /^80% /);
  t.equal(byName['throughput through two proxies at 16 KiB']!.pass, false, '80% < 90%');
  t.equal(byName['proxy CPU per relayed 128 B message']!.pass, false, '0.6 µs > 50% of 1.1 µs');
  t.match(byName['proxy CPU per relayed 128 B message']!.measured, /\(55%\)/);
  t.equal(byName['p99 latency at half load, 128 B']!.pass, true, '1100 − 200 = +900 µs ≤ 1 ms');
  t.match(byName['p99 latency at half load, 128 B']!.measured, /\+900\.0 µs at 240,000 msg\/s/);
  t.equal(byName['p99 latency at half load, 16 KiB']!.pass, false, '1301 − 300 = +1001 µs > 1 ms');
  t.equal(byName['route parser alone, 128 B RMSG']!.pass, true, '3 M is 5× 600 k');
  t.equal(byName['loss and duplicates at full speed, up to 16 KiB']!.pass, false, 'any loss misses');
  t.match(byName['loss and duplicates at full speed, up to 16 KiB']!.measured, /proxies 16 KiB: 3 lost/);
  const md = renderMarkdown({ ...r, targets: evaluateTargets(r) });
  t.match(md, /\| throughput through two proxies at 16 KiB \| ≥ 90% of direct \| 80% .*\| \*\*missed\*\* \|/);
});

t.test('a missing path is reported as not measured, not as a pass', async (t) => {
  const r = report([scenario('direct', 128, 'full')]);
  const x = evaluateTargets(r).find((y) => y.name === 'throughput through two proxies at 128 B')!;
  t.equal(x.pass, undefined);
  t.equal(x.measured, 'not measured');
});

t.test('profile summary counts only samples inside the traffic window', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'nrp-prof-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const frame = (id: number, functionName: string, url: string) => ({ id, callFrame: { functionName, url, lineNumber: 0, columnNumber: 0 }, hitCount: 0 });
  const profile = {
    nodes: [
      frame(1, '(root)', ''),
      frame(2, 'routedMsgArgs', 'file:///x/dist/src/protocol/parser.js'),
      frame(3, '(garbage collector)', ''),
      frame(4, 'compileSourceTextModule', 'node:internal/modules/esm/utils'),
      frame(5, '(idle)', ''),
    ],
    startTime: 1_000_000, endTime: 1_000_000 + 7000,
    // t = 1000 µs: startup (4); 2000..5000: traffic (2, 2, 3, 5); 6000: shutdown (4).
    samples: [4, 2, 2, 3, 5, 4, 4],
    timeDeltas: [1000, 1000, 1000, 1000, 1000, 1000, 1000],
  };
  const file = join(dir, 'p.cpuprofile');
  writeFileSync(file, JSON.stringify(profile));
  const all = summarizeProfile(file);
  t.equal(all.windowed, false);
  t.ok(all.stages.some((s) => s.stage === 'module loading'), 'whole profile includes start-up');
  const w = summarizeProfile(file, { startNs: 1_001_500_000, endNs: 1_005_500_000 });
  t.equal(w.windowed, true);
  t.same(w.stages.map((s) => [s.stage, s.selfMs]), [['parse (protocol/parser)', 2], ['GC', 1]], 'only traffic, idle left out');
  t.equal(Math.round(w.stages[0]!.selfPercent), 67, 'shares are of busy time');
  t.equal(w.top[0]!.function, 'routedMsgArgs');
  t.equal(stageOf('x', 'node:net'), 'socket I/O (node:net)');
  t.equal(stageOf('flush', 'file:///r/dist/src/route/outbound.js'), 'outbound (route/outbound, msg-writer)');
  t.equal(stageOf('writeChanged', 'file:///r/dist/src/route/msg-writer.js'), 'outbound (route/outbound, msg-writer)');
});

t.test('bar chart: one bar per value, log axis in decades', async (t) => {
  const svg = barChartSvg({
    title: 'T', categories: ['16 B', '128 B'], yLabel: 'msg/s', log: true,
    series: [{ name: 'direct', values: [1000, 200_000] }, { name: 'proxies', values: [500, undefined] }],
  });
  t.equal((svg.match(/<rect x=/g) ?? []).length, 3 + 2, '3 bars + 2 legend swatches');
  for (const tick of ['100', '1k', '10k', '100k', '1M']) t.match(svg, new RegExp(`>${tick}</text>`), `tick ${tick}`);
  t.match(svg, /msg\/s \(log scale\)/);
});

t.test('the TLS path as ratios to the plaintext paths of the same run (issue 10)', async (t) => {
  const r = report([
    scenario('direct', 128, 'full', { msgsPerSec: 200_000 }),
    scenario('proxies', 128, 'full', { msgsPerSec: 100_000, lost: 10, cpu: { 'proxy A': 2, 'proxy B': 1 } }),
    scenario('tls', 128, 'full', { msgsPerSec: 50_000, lost: 30, cpu: { 'proxy A': 5, 'proxy B': 1.5 } }),
    scenario('proxies', 16384, 'full', { msgsPerSec: 4_000, cpu: { 'proxy A': 40 } }),
    scenario('tls', 16384, 'full', { msgsPerSec: 3_000, cpu: { 'proxy A': 100 } }),
  ]);
  const [a, b] = compareTls(r, [128, 16384]);
  t.equal(a!.vsProxies, 0.5, 'throughput / plaintext proxies');
  t.equal(a!.vsDirect, 0.25, 'throughput / direct');
  t.same(a!.proxyA, { usPerMsg: 5, vsProxies: 2.5 }, 'proxy A CPU and ratio');
  t.same(a!.proxyB, { usPerMsg: 1.5, vsProxies: 1.5 }, 'proxy B CPU and ratio');
  t.same(a!.lossShare, { tls: 0.03, proxies: 0.01, direct: 0 }, 'loss shares');
  t.ok(Math.abs(a!.lossVsProxies! - 3) < 1e-9, 'loss ratio');
  t.equal(b!.vsDirect, undefined, 'no direct at 16 KiB: no ratio');
  t.equal(b!.lossVsProxies, undefined, 'plaintext lost none: no loss ratio');
  t.same(b!.proxyB, {}, 'proxy B not measured');
  r.tls = compareTls(r, [128, 16384]);
  const md = renderMarkdown(r);
  t.match(md, /\| 128 B \| 50,000 \| 0\.50× \| 0\.25× \| 5\.00 \| 2\.50× \| 1\.50 \| 1\.50× \| 3\.00% \| 1\.00% \| 0\.00% \| 3\.00× \|/, 'TLS row in the report');
  t.match(md, /\| 16 KiB \| 3,000 \| 0\.75× \| – \|.*\| none lost \|/, '16 KiB row: missing ratios shown as –');
});

t.test('compressed proxy links: ratios to the uncompressed path with the same JSON payloads', async (t) => {
  const link = (compression: string, wireBytesPerMsg: number) => ({ compression, wireBytes: wireBytesPerMsg * 1000, wireBytesPerMsg });
  const r = report([
    // A fill-payload run of the same size must not be taken as the reference.
    scenario('proxies', 1024, 'full', { msgsPerSec: 100_000, proxyLink: link('off', 1066) }),
    scenario('proxies', 1024, 'full', { payload: 'json', msgsPerSec: 50_000, proxyLink: link('off', 1000), cpu: { 'proxy A': 5, 'proxy B': 4 } }),
    scenario('s2', 1024, 'full', { payload: 'json', msgsPerSec: 30_000, proxyLink: link('s2_fast', 350), cpu: { 'proxy A': 10, 'proxy B': 6 } }),
    scenario('lz4', 1024, 'full', { payload: 'json', msgsPerSec: 29_000, proxyLink: link('lz4', 410) }),
  ]);
  r.compression = compareCompression(r, [1024]);
  const [s2, lz4] = r.compression;
  t.equal(s2!.mode, 's2_fast');
  t.equal(s2!.vsUncompressed, 0.6, 'against the JSON reference, not the fill run');
  t.equal(s2!.wireVsUncompressed, 0.35);
  t.same(s2!.proxyA, { usPerMsg: 10, vsUncompressed: 2 });
  t.same(s2!.proxyB, { usPerMsg: 6, vsUncompressed: 1.5 });
  const byName = Object.fromEntries(evaluateTargets(r).map((x) => [x.name, x]));
  t.equal(byName['throughput, S2 (s2_fast) proxy link, 1 KiB JSON']!.pass, true, '60% meets ≥ 60%');
  t.equal(byName['bytes on the proxy link, S2 (s2_fast) proxy link, 1 KiB JSON']!.pass, true, '35% < 40%');
  t.equal(byName['throughput, LZ4 proxy link, 1 KiB JSON']!.pass, false, '58% misses');
  t.equal(byName['bytes on the proxy link, LZ4 proxy link, 1 KiB JSON']!.pass, false, '41% misses the aim');
  t.equal(lz4!.proxyA.usPerMsg, undefined, 'no CPU measured: none reported');
  const md = renderMarkdown({ ...r, targets: evaluateTargets(r) });
  t.match(md, /\| 1 KiB JSON \| s2 \| s2_fast \| 30,000 \| 0\.60× \| 0\.60 \| 350\.0 \| 0\.35× \|/);
  t.match(md, /\| 1 KiB JSON \| proxies \(uncompressed\) \| off \| 50,000 \| 1\.00× \| 50,000 \| 1,000 \|/);
});

t.test('compressed proxy links over rounds: each ratio against its own round, then the median', async (t) => {
  const link = (compression: string, wireBytesPerMsg: number) => ({ compression, wireBytes: wireBytesPerMsg * 1000, wireBytesPerMsg });
  const json = { payload: 'json' as const };
  const r = report([
    scenario('proxies', 1024, 'full', { ...json, round: 1, msgsPerSec: 100_000, proxyLink: link('off', 1000) }),
    scenario('s2', 1024, 'full', { ...json, round: 1, msgsPerSec: 70_000, proxyLink: link('s2_fast', 300) }),
    scenario('proxies', 1024, 'full', { ...json, round: 2, msgsPerSec: 50_000, proxyLink: link('off', 1000) }),
    scenario('s2', 1024, 'full', { ...json, round: 2, msgsPerSec: 25_000, proxyLink: link('s2_fast', 400) }),
    scenario('proxies', 1024, 'full', { ...json, round: 3, msgsPerSec: 80_000, proxyLink: link('off', 1000) }),
    scenario('s2', 1024, 'full', { ...json, round: 3, msgsPerSec: 48_000, proxyLink: link('s2_fast', 350) }),
  ]);
  r.settings.compressionRounds = 3;
  const [s2] = compareCompression(r, [1024]);
  t.same(s2!.rounds.map((q) => q.vsUncompressed), [0.7, 0.5, 0.6], 'per round, against that round\'s reference');
  t.equal(s2!.vsUncompressed, 0.6, 'the median ratio');
  t.equal(s2!.msgsPerSec, 48_000, 'the median rate');
  t.equal(s2!.wireVsUncompressed, 0.35, 'the median byte ratio');
  r.compression = [s2!];
  const byName = Object.fromEntries(evaluateTargets(r).map((x) => [x.name, x]));
  t.match(byName['throughput, S2 (s2_fast) proxy link, 1 KiB JSON']!.measured, /^60% \(48,000 msg\/s; median of 3 rounds: 70%, 50%, 60%\)$/);
  t.match(renderMarkdown({ ...r, targets: evaluateTargets(r) }), /3 interleaved rounds/);
});

t.test('route pooling (issue 8): pool3 / pool1 per size and account count, and the head-of-line ratios', async (t) => {
  const run = (topology: 'pool1' | 'pool3', accounts: number, msgsPerSec: number): PoolRun => ({
    topology, size: 128, accounts, count: 1000, msgsPerSec, linksUsed: accounts === 1 ? 1 : 3, links: 4, slowConsumers: '',
    proxyUsPerMsg: { a: 1, b: 1 },
    pairs: Array.from({ length: accounts }, (_, i) => ({ account: `ACC${i}`, msgsPerSec: msgsPerSec / accounts, delivered: 1000, lost: 0, duplicates: 0, p99Us: 10 })),
  });
  const runs = [run('pool1', 1, 100_000), run('pool3', 1, 110_000), run('pool1', 4, 200_000), run('pool3', 4, 300_000)];
  const c = comparePools(runs.concat([{ ...run('pool3', 1, 5), size: 1024 }]));
  t.same(c.map((x) => [x.size, x.accounts, x.ratio === undefined ? undefined : Number(x.ratio.toFixed(2))]), [[128, 1, 1.1], [128, 4, 1.5], [1024, 1, undefined]],
    'ratio only where both pool sizes were measured');
  const rtt = (p50: number, p99: number) => ({ p50, p90: p99, p99, max: p99, replies: 100, timeouts: 0 });
  const r = report([]);
  r.pool = { accounts: ['ACC1', 'ACC3', 'ACC5', 'ACC7'], runs, comparisons: c };
  r.hol = {
    probeCount: 100, probeSize: 128, floodSize: 1024, probeMaxMs: 5000, paths: [
      { path: 'direct', floodRate: 0, idle: rtt(100, 200), loaded: rtt(150, 400), p50Ratio: 1.5, p99Ratio: 2, floodMsgsPerSec: 1000 },
      { path: 'proxies', floodRate: 0, idle: rtt(200, 400), loaded: rtt(600, 1600), p50Ratio: 3, p99Ratio: 4, floodMsgsPerSec: 900 },
    ],
  };
  const md = renderMarkdown(r);
  t.match(md, /## Route pooling: pool_size 3 vs 1 \(issue 8\)/);
  t.match(md, /\| 128 B \| 4 \| 200,000 \| 300,000 \| 1\.50× \|/, 'four-account ratio row');
  t.match(md, /\| 1 KiB \| 1 \| – \| 5 \| – \|/, 'unmeasured side shown as –');
  t.match(md, /## Head-of-line/);
  t.match(md, /\| A1 → proxy A → proxy B → B1 \| full speed \| 100 \/ 100 \| 200\.0 \| 400\.0 \| 600\.0 \| 1,600 \| 3\.00× \| 4\.00× \|/, 'idle vs loaded with ratios');
  t.match(md, /HEAVY at full speed: loaded p50 4\.00×, p99 4\.00×/, 'proxy path against the direct reference');
  t.notMatch(md, /## Full speed/, 'no empty main-matrix tables when only the pool sections ran');
});
