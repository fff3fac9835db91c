// `npm run bench:native`: the native lab harness. On loopback, in one invocation: (a) a direct
// route between two nats-servers and (b) the same through two proxies (real daemon processes),
// driven by C programs built against the official NATS C client. Full-speed throughput with loss
// and duplicate counts, latency at half the measured maximum, CPU per message of every process,
// the proxies' peak RSS; a Markdown report, JSON and charts in bench-results/native-<stamp>/.
//   --quick                 small matrix (128 B and 16 KiB, short runs)
//   --sizes 16,128,1024     payload sizes in bytes (default 16,128,1024,16384,1048576)
//   --count N               messages per full-speed scenario (default: per size)
//   --topologies direct,proxies,tls,s2,lz4,interest   (tls: the two-proxy path with route TLS, at 128 B and
//                           16 KiB full speed only, as ratios to the plaintext paths; issue 10.
//                           s2, lz4: the two-proxy path with the proxy link compressed, JSON-like
//                           payloads at --compression-sizes, full speed, as ratios to the
//                           uncompressed two-proxy path with the same payloads; issue 9. interest:
//                           interest propagation, subjects/s, proxies / direct; issue 12, scripts/bench-interest.ts)
//   --topologies …,pool1,pool3,hol   (issue 8; scripts/bench-native-pool.ts. pool1, pool3: the
//                           two-proxy path with pool_size 1 / 3 everywhere and accounts in the sites:
//                           one pub/sub pair, then 4 pairs in 4 accounts in parallel, full speed at
//                           --pool-sizes, reported as pool3/pool1 ratios. hol: HEAVY pinned and
//                           flooded at full speed while a request/reply probe runs in account A,
//                           idle vs loaded, on the proxies and on a direct route as reference)
//   --pool-sizes 128,1024   payload sizes of the pool scenarios (default 128,1024; --quick 128)
//   --payload fill|json     filler of the main matrix's payloads (default fill: one repeated byte)
//   --compression-sizes 1024   payload sizes of the compressed paths (default 1024)
//   --compression-rounds 3     rounds of (uncompressed, s2, lz4) per size; the report gives the
//                           median of the per-round ratios (a shared machine's load moves single runs)
//   --interest-count N      distinct subjects of the interest scenario (default 200000, quick 20000)
//   --no-latency            skip the half-load latency scenarios
//   --subjects N            the publisher rotates over N subjects (default 1: every line repeats the
//                           one before it, which the proxies' line memo makes cheaper)
//   --pace sleep|spin       how the latency publisher paces (default sleep: a busy-waiting probe
//                           takes a core from the processes it measures; see native-bench/README.md)
//   --no-warmup             measure from a cold start (by default every path first carries an unmeasured
//                           warm-up: V8's JIT, the heaps and TCP buffers reach their steady state)
//   --cpu-prof              also profile proxy A (node --cpu-prof) on a 128 B full-speed run (at least 16 MiB of payload)
//   --cpu-prof-size N       payload size of that profiled run (default 128)
//   --proxy-cli <path>      run the proxies from another build's dist/src/cli.js (the same harness
//                           for a before/after comparison of two commits)
//   --out <dir>
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runGroup } from '../bench/harness.js';
import { machineInfo, machineLine, stamp } from '../bench/machine.js';
import { sizeLabel } from '../bench/streams.js';
import { TestPki } from '../test/helpers/certs.js';
import { binaryPath } from '../test/helpers/nats-server.js';
import {
  cpuMicros, describeSlowConsumers, directTopology, peakRss, proxyLinkStats, proxyTopology, resetPeakRss, runC, SERVER_VERSION, slowConsumerDelta,
  slowConsumers, waitForInterest, type ProxyLinkStats, type Topology, type TopologyName,
} from './bench-native-procs.js';
import { summarizeProfile } from './bench-native-profile.js';
import { renderInterest, runInterestBench } from './bench-interest.js';
import {
  comparePools, holReport, holTopology, POOL_ACCOUNTS, poolTopology, probeIdle, quiesce, runHol, runPoolScenario, setNativeBenchDir, type PooledTopology,
} from './bench-native-pool.js';
import { compareCompression, compareTls, evaluateTargets, renderCharts, renderMarkdown } from './bench-native-report.js';
import type { HolPath, NativeReport, PoolRun, ProcessCost, PubResult, ScenarioResult, SubResult } from './bench-native-types.js';

/** The profiled run carries at least this many payload bytes (16 MiB: 131,072 × 128 B). */
const PROFILE_MIN_BYTES = 16 * 1024 * 1024;

const here = dirname(fileURLToPath(import.meta.url)); // dist/scripts
const repo = resolve(here, '..', '..');
let CLI = join(repo, 'dist', 'src', 'cli.js');
const NB = join(repo, 'native-bench', 'build');

const DEFAULT_SIZES = [16, 128, 1024, 16384, 1 << 20];
// Messages per full-speed scenario: long enough to leave start-up behind, short enough that the
// whole default run takes a few minutes on 2 cores.
const DEFAULT_COUNTS: Record<number, number> = { 16: 300_000, 128: 500_000, 1024: 150_000, 16384: 30_000, [1 << 20]: 400 };
const QUICK_COUNTS: Record<number, number> = { 16: 20_000, 128: 20_000, 1024: 10_000, 16384: 2_000, [1 << 20]: 40 };
// Issue 10 asks for the TLS ratio at these sizes; the TLS path runs only where they are selected.
const TLS_SIZES = [128, 16384];
// Issue 9 asks for the compressed proxy link at 1 KiB JSON-like payloads.
const COMPRESSION_SIZES = [1024];
// Issue 8: pooled paths. Messages per pair: one pair alone, or each of the four account pairs.
const POOL_SIZES = [128, 1024];
const POOL_COUNTS: Record<number, [number, number]> = { 128: [300_000, 150_000], 1024: [100_000, 50_000] };
const POOL_QUICK_COUNTS: [number, number] = [20_000, 10_000];
// Head-of-line: sequential requests per probe (idle, then loaded), request and flood payloads.
const HOL_PROBES = 2000;
const HOL_QUICK_PROBES = 300;
// …or this long per probe, whichever ends first (a path slowed by the flood must not stretch the run).
const HOL_PROBE_MS = 15_000;
const HOL_QUICK_PROBE_MS = 5_000;
const HOL_PROBE_SIZE = 128;
const HOL_FLOOD_SIZE = 1024;

// ---------------------------------------------------------------------------
// Progress display: one live line on a terminal, plain lines otherwise.

class Progress {
  private readonly tty = process.stderr.isTTY === true;
  private label = '';
  private since = Date.now();
  private readonly started = Date.now();
  private timer: NodeJS.Timeout | undefined;
  constructor(private readonly total: number, private done = 0) {}
  phase(label: string): void {
    this.label = label;
    this.since = Date.now();
    if (this.tty) {
      this.draw();
      this.timer ??= setInterval(() => this.draw(), 250);
    } else {
      process.stderr.write(`[${this.done}/${this.total}] ${label}\n`);
    }
  }
  step(): void {
    this.done++;
  }
  note(s: string): void {
    if (this.tty) process.stderr.write('\r\x1b[K');
    process.stderr.write(`${s}\n`);
    if (this.tty) this.draw();
  }
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.tty) process.stderr.write('\r\x1b[K');
  }
  private draw(): void {
    const t = ((Date.now() - this.since) / 1000).toFixed(1);
    const all = ((Date.now() - this.started) / 1000).toFixed(0);
    const width = 20;
    const fill = Math.round((this.done / Math.max(1, this.total)) * width);
    const line = `[${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${this.done}/${this.total} ${this.label} (${t} s; ${all} s total)`;
    // Never wider than the terminal: a wrapped line would not be redrawn in place.
    process.stderr.write(`\r\x1b[K${line.slice(0, Math.max(20, (process.stderr.columns ?? 120) - 1))}`);
  }
}

// ---------------------------------------------------------------------------
// One scenario

let subjectSeq = 0;

// Unmeasured traffic through a path before its first scenario. A fresh proxy runs its first few
// hundred thousand messages at up to twice its steady cost (JIT tiers, heap growth: ~9,000 page
// faults in the first 500,000 × 128 B, ~300 in the third), and whichever scenario came first
// would carry that; nats-server warms up too (less), so both paths get the same warm-up.
const WARMUP: Array<[size: number, full: number, quick: number]> = [[128, 300_000, 30_000], [16384, 5_000, 1_000]];

async function warmUp(topo: Topology, quick: boolean, progress: Progress): Promise<void> {
  for (const [size, full, small] of WARMUP) {
    const count = quick ? small : full;
    progress.phase(`${topo.name}: warm-up, ${sizeLabel(size)} × ${count} (not measured)`);
    const subject = `bench.${topo.name}.warmup.${size}.${++subjectSeq}`;
    const sub = runC<SubResult>(join(NB, 'nb_sub'), [
      '--url', topo.subUrl, '--subject', subject, '--count', String(count), '--size', String(size),
      '--idle-ms', '1500', '--timeout-ms', '60000',
    ]);
    let pub: ReturnType<typeof runC<PubResult>> | undefined;
    try {
      await sub.ready;
      await waitForInterest(topo.a1, subject);
      pub = runC<PubResult>(join(NB, 'nb_pub'), ['--url', topo.pubUrl, '--subject', subject, '--count', String(count), '--size', String(size)]);
      await pub.result;
      await sub.result;
    } catch (err) {
      sub.kill();
      pub?.kill();
      throw new Error(`${topo.name} warm-up: ${(err as Error).message}`);
    }
  }
}

/** Subjects the publisher rotates over (--subjects; 1: one subject, every line repeats the one before). */
let SUBJECTS = 1;

async function runScenario(
  topo: Topology, size: number, count: number, rate: number, quick: boolean, progress: Progress, payload: 'fill' | 'json' = 'fill', pace = 'sleep',
): Promise<ScenarioResult> {
  const mode = rate > 0 ? 'half' : 'full';
  const label = `${topo.name} ${sizeLabel(size)}${payload === 'json' ? ' JSON' : ''} ${mode === 'full' ? 'full speed' : `at ${Math.round(rate)} msg/s`} × ${count}`;
  progress.phase(`${label}: waiting for idle`);
  try {
    await quiesce(topo);
  } catch (err) {
    throw new Error(`${label}: ${(err as Error).message}`);
  }
  const subject = `bench.${topo.name}.${size}.${mode}.${++subjectSeq}`;
  const subSubject = SUBJECTS > 1 ? `${subject}.*` : subject;
  progress.phase(`${label}: subscribing`);
  const idleMs = quick ? 1500 : 3000;
  const sub = runC<SubResult>(join(NB, 'nb_sub'), [
    '--url', topo.subUrl, '--subject', subSubject, '--count', String(count), '--size', String(size),
    '--idle-ms', String(idleMs), '--timeout-ms', String(quick ? 60_000 : 240_000),
  ]);
  let pub: ReturnType<typeof runC<PubResult>> | undefined;
  let p: PubResult, s: SubResult, cpuBefore: number[], cpuAfter: number[], rssReset: boolean[], sc: string, t0: number;
  let linkBefore: ProxyLinkStats | undefined;
  let linkAfter: ProxyLinkStats | undefined;
  try {
    await sub.ready;
    await waitForInterest(topo.a1, subSubject);
    rssReset = topo.proxies.map((x) => resetPeakRss(x.pid));
    const scBefore = await slowConsumers(topo);
    if (topo.proxies[0]) linkBefore = await proxyLinkStats(topo.proxies[0]);
    cpuBefore = topo.processes.map((x) => cpuMicros(x.pid));
    t0 = Date.now();
    progress.phase(`${label}: publishing`);
    pub = runC<PubResult>(join(NB, 'nb_pub'), [
      '--url', topo.pubUrl, '--subject', subject, '--count', String(count), '--size', String(size), '--rate', String(Math.round(rate)),
      '--payload', payload, '--pace', pace, '--subjects', String(SUBJECTS),
    ]);
    p = await pub.result;
    progress.phase(`${label}: receiving`);
    s = await sub.result;
    cpuAfter = topo.processes.map((x) => cpuMicros(x.pid));
    if (topo.proxies[0]) linkAfter = await proxyLinkStats(topo.proxies[0]);
    sc = describeSlowConsumers(slowConsumerDelta(scBefore, await slowConsumers(topo)));
  } catch (err) {
    // Leave nothing running into the next scenario.
    sub.kill();
    pub?.kill();
    throw new Error(`${label}: ${(err as Error).message}`);
  }
  const wallSeconds = (Date.now() - t0) / 1000;
  const perMsg = (us: number) => us / count;
  const cpu: ProcessCost[] = [
    { label: 'publisher', role: 'publisher', cpuMs: (p.cpu_user_us + p.cpu_sys_us) / 1000, usPerMsg: perMsg(p.cpu_user_us + p.cpu_sys_us) },
    ...topo.processes.map((x, i) => {
      const us = cpuAfter[i]! - cpuBefore[i]!;
      return { label: x.label, role: x.role, cpuMs: us / 1000, usPerMsg: perMsg(us) };
    }),
    { label: 'subscriber', role: 'subscriber', cpuMs: (s.cpu_user_us + s.cpu_sys_us) / 1000, usPerMsg: perMsg(s.cpu_user_us + s.cpu_sys_us) },
  ];
  const span = (s.last_recv_ns - (s.first_send_ns || p.start_ns)) / 1e9;
  const msgsPerSec = s.unique > 0 && span > 0 ? s.unique / span : 0;
  const us = (ns: number) => ns / 1000;
  const result: ScenarioResult = {
    topology: topo.name as ScenarioResult['topology'], // runScenario runs only the main matrix's paths
    size, payload, mode, count, rate: Math.round(rate),
    msgsPerSec, mbPerSec: (msgsPerSec * size) / 1e6,
    pubMsgsPerSec: p.flushed_ns > 0 ? (count * 1e9) / p.flushed_ns : 0,
    delivered: s.unique, lost: s.lost, duplicates: s.duplicates, outOfOrder: s.out_of_order, end: s.end,
    latencyUs: {
      p50: us(s.latency_ns.p50), p90: us(s.latency_ns.p90), p99: us(s.latency_ns.p99), p999: us(s.latency_ns.p999),
      max: us(s.latency_ns.max), mean: us(s.latency_ns.mean), count: s.latency_ns.count,
    },
    cpu,
    peakRss: topo.proxies.map((x, i) => ({ label: x.name.replace(/-([AB]).*$/, ' $1'), bytes: peakRss(x.pid), sinceScenarioStart: rssReset[i]! })),
    wallSeconds,
    slowConsumers: sc,
    windowNs: { start: p.start_ns, end: s.last_recv_ns || p.start_ns + p.flushed_ns },
  };
  if (linkBefore && linkAfter) {
    // Both directions of proxy A's connection to proxy B, per published message.
    const wire = linkAfter.wireBytes - linkBefore.wireBytes;
    result.proxyLink = { compression: linkAfter.compression, wireBytes: wire, wireBytesPerMsg: wire / count };
  }
  progress.step();
  const lat = `p99 ${result.latencyUs.p99.toFixed(0)} µs`;
  progress.note(`  ${label}: ${Math.round(msgsPerSec).toLocaleString('en-US')} msg/s, ${result.mbPerSec.toFixed(1)} MB/s, lost ${s.lost}, dup ${s.duplicates}, ${lat}${sc ? `; slow consumers: ${sc}` : ''}`);
  return result;
}

// ---------------------------------------------------------------------------

function versions(): NativeReport['versions'] {
  const sh = (cmd: string, args: string[]) => {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8', cwd: repo, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return 'unknown';
    }
  };
  let libnats = 'unknown';
  try {
    libnats = /NATS_VERSION_STRING\s+"([^"]+)"/.exec(readFileSync(join(repo, '.cache/test-peers/libnats/usr/include/nats/version.h'), 'utf8'))?.[1] ?? 'unknown';
  } catch {
    /* reported as unknown */
  }
  const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string };
  return {
    natsServer: sh(binaryPath(SERVER_VERSION), ['--version']),
    libnats,
    proxy: pkg.version,
    proxyCommit: sh('git', ['describe', '--always', '--dirty']),
    cc: sh('cc', ['--version']).split('\n')[0] ?? 'unknown',
  };
}

async function parserRate(quick: boolean): Promise<number | undefined> {
  const mod = (await import('../bench/parser.bench.js')) as typeof import('../bench/parser.bench.js');
  const g = mod.default({ quick }).find((x) => x.group === 'parser RMSG 128 B');
  if (!g) return undefined;
  const r = await runGroup(g, { quick, filter: /chunks of 64 KiB/ });
  return r[0]?.itemsPerSec;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean' }, sizes: { type: 'string' }, count: { type: 'string' }, topologies: { type: 'string' },
      'no-latency': { type: 'boolean' }, 'no-warmup': { type: 'boolean' }, pace: { type: 'string' }, 'cpu-prof': { type: 'boolean' }, 'cpu-prof-size': { type: 'string' }, 'proxy-cli': { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' },
      payload: { type: 'string' }, 'compression-sizes': { type: 'string' }, 'compression-rounds': { type: 'string' }, 'interest-count': { type: 'string' },
      'pool-sizes': { type: 'string' }, subjects: { type: 'string' },
    },
  });
  if (values.help) {
    process.stdout.write('usage: npm run bench:native -- [--quick] [--sizes 16,128,...] [--count N] [--topologies direct,proxies,tls,s2,lz4,pool1,pool3,hol,interest] '
      + '[--pool-sizes 128,1024] [--payload fill|json] [--compression-sizes 1024,...] [--compression-rounds N] [--interest-count N] [--no-latency] [--no-warmup] [--pace sleep|spin] [--subjects N] [--cpu-prof] [--cpu-prof-size N] [--proxy-cli path] [--out dir]\n');
    return 0;
  }
  const quick = values.quick === true;
  if (values['proxy-cli']) CLI = resolve(values['proxy-cli']);
  const sizes = values.sizes ? values.sizes.split(',').map((s) => Number(s.trim())) : quick ? [128, 16384] : DEFAULT_SIZES;
  if (sizes.some((s) => !Number.isInteger(s) || s < 16 || s > 2_000_000)) throw new Error('--sizes: integers from 16 to 2000000');
  const requested = (values.topologies ?? 'direct,proxies,tls,s2,lz4,pool1,pool3,hol,interest').split(',').map((s) => s.trim());
  const known = ['direct', 'proxies', 'tls', 's2', 'lz4', 'pool1', 'pool3', 'hol', 'interest'];
  if (requested.some((t) => !known.includes(t))) throw new Error(`--topologies: any of ${known.join(', ')}`);
  const interestRun = requested.includes('interest');
  const interestCount = Number(values['interest-count'] ?? (quick ? 20_000 : 200_000));
  const topoNames = requested.filter((t) => t !== 'interest') as TopologyName[];
  const tlsSizes = topoNames.includes('tls') ? sizes.filter((z) => TLS_SIZES.includes(z)) : [];
  const payload = (values.payload ?? 'fill') as 'fill' | 'json';
  if (payload !== 'fill' && payload !== 'json') throw new Error('--payload: fill or json');
  const compressed = topoNames.filter((t): t is 's2' | 'lz4' => t === 's2' || t === 'lz4');
  const compressionSizes = values['compression-sizes'] ? values['compression-sizes'].split(',').map((s) => Number(s.trim())) : COMPRESSION_SIZES;
  if (compressionSizes.some((s) => !Number.isInteger(s) || s < 16 || s > 2_000_000)) throw new Error('--compression-sizes: integers from 16 to 2000000');
  const compSizes = compressed.length ? compressionSizes : [];
  const rounds = Number(values['compression-rounds'] ?? (quick ? 1 : 3));
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 20) throw new Error('--compression-rounds: an integer from 1 to 20');
  const countFor = (size: number): number => {
    if (values.count) return Number(values.count);
    const table = quick ? QUICK_COUNTS : DEFAULT_COUNTS;
    return table[size] ?? Math.max(quick ? 100 : 500, Math.round((quick ? 2e6 : 3e7) / size));
  };
  const latency = values['no-latency'] !== true;
  const pace = values.pace ?? 'sleep';
  if (pace !== 'sleep' && pace !== 'spin') throw new Error('--pace: sleep or spin');
  SUBJECTS = Number(values.subjects ?? 1);
  if (!Number.isInteger(SUBJECTS) || SUBJECTS < 1 || SUBJECTS > 65536) throw new Error('--subjects: an integer from 1 to 65536');
  const pools = topoNames.filter((t): t is 'pool1' | 'pool3' => t === 'pool1' || t === 'pool3');
  const poolSizes = pools.length
    ? values['pool-sizes'] ? values['pool-sizes'].split(',').map((s) => Number(s.trim())) : quick ? [128] : POOL_SIZES : [];
  if (poolSizes.some((s) => !Number.isInteger(s) || s < 16 || s > 2_000_000)) throw new Error('--pool-sizes: integers from 16 to 2000000');
  const poolCounts = (size: number): [number, number] => {
    if (values.count) return [Number(values.count), Number(values.count)];
    if (quick) return POOL_QUICK_COUNTS;
    return POOL_COUNTS[size] ?? [Math.max(1000, Math.round(3e8 / size / 1000)), Math.max(500, Math.round(1.5e8 / size / 1000))];
  };
  const hol = topoNames.includes('hol');
  const holProbes = quick ? HOL_QUICK_PROBES : HOL_PROBES;
  const holMs = quick ? HOL_QUICK_PROBE_MS : HOL_PROBE_MS;

  const started = Date.now();
  const machine = machineInfo();
  const out = resolve(values.out ?? join(repo, 'bench-results', `native-${stamp()}`));
  const logs = join(out, 'logs');
  mkdirSync(logs, { recursive: true });

  process.stderr.write('building native-bench/ … ');
  const built = execFileSync('bash', [join(repo, 'native-bench', 'build.sh')], { encoding: 'utf8' });
  process.stderr.write(`${built.trim()}\n`);
  setNativeBenchDir(NB);
  const ver = versions();
  if (values['proxy-cli']) ver.proxyCommit += `; proxies run from ${CLI}`;
  process.stdout.write(`native bench${quick ? ' (quick)' : ''}: ${machineLine(machine)}\n`);
  process.stdout.write(`${ver.natsServer}, libnats ${ver.libnats}, nats-route-proxy ${ver.proxy} (${ver.proxyCommit})\n`);

  const plain = topoNames.filter((t) => t === 'direct' || t === 'proxies').length;
  const progress = new Progress(
    sizes.length * plain * (latency ? 2 : 1) + tlsSizes.length + compSizes.length * rounds * (compressed.length + 1) + (values['cpu-prof'] ? 1 : 0)
      + poolSizes.length * 2 * pools.length + (hol ? 4 : 0),
  );
  const scenarios: ScenarioResult[] = [];
  const errors: string[] = [];
  let profile: NativeReport['profile'];
  const topos: Topology[] = [];
  try {
    progress.phase('starting sites and proxies');
    for (const n of topoNames) {
      if (n === 'pool1' || n === 'pool3' || n === 'hol') continue; // started for their own section below
      if (n === 'direct') topos.push(await directTopology());
      else if (n === 'proxies') topos.push(await proxyTopology({ dir: logs, cli: CLI }));
      else if (n === 's2' || n === 'lz4') topos.push(await proxyTopology({ dir: logs, cli: CLI, compression: n, tag: `-${n}` }));
      else if (tlsSizes.length) {
        // Fresh throwaway certificates in the results folder (never committed): one CA, one leaf
        // for every process (localhost + 127.0.0.1, serverAuth+clientAuth).
        const pki = new TestPki(undefined, { dir: join(out, 'tls') });
        const leaf = pki.leaf('bench-route');
        topos.push(await proxyTopology({ dir: logs, cli: CLI, tag: '-tls', tls: { ...leaf, ca: pki.ca.cert } }));
      }
    }
    if (values['no-warmup'] !== true) for (const t of topos) await warmUp(t, quick, progress);
    // A failing scenario (a path that broke, a process that died) is reported, not fatal: the
    // rest of the matrix still says something.
    const attempt = async (t: Topology, size: number, count: number, rate: number, pl = payload): Promise<ScenarioResult | undefined> => {
      try {
        const r = await runScenario(t, size, count, rate, quick, progress, pl, pace);
        scenarios.push(r);
        return r;
      } catch (err) {
        const msg = (err as Error).message.split('\n').slice(0, 6).join(' / ');
        errors.push(msg);
        progress.step();
        progress.note(`  FAILED ${msg}`);
        return undefined;
      }
    };
    for (const size of sizes) {
      const count = countFor(size);
      const full: ScenarioResult[] = [];
      for (const t of topos) {
        if (t.name === 's2' || t.name === 'lz4') continue;
        if (t.name === 'tls' && !tlsSizes.includes(size)) continue;
        const r = await attempt(t, size, count, 0);
        if (r && t.name !== 'tls') full.push(r);
      }
      if (!latency) continue;
      // The same offered load for both: half of the lower maximum, so neither path is saturated.
      const max = Math.min(...full.map((r) => r.msgsPerSec).filter((v) => v > 0));
      if (!Number.isFinite(max)) continue;
      const rate = Math.max(1, max / 2);
      const n = Math.min(count, Math.max(quick ? 200 : 1000, Math.round(rate * (quick ? 1 : 2))));
      // TLS is measured at full speed only (issue 10 asks for throughput ratios).
      for (const t of topos) if (t.name === 'direct' || t.name === 'proxies') await attempt(t, size, n, rate);
    }
    // Issue 9: the compressed proxy links at full speed with JSON-like payloads, each against the
    // uncompressed two-proxy path carrying the same payloads right before it (its own topology
    // when `proxies` is not selected).
    if (compSizes.length) {
      let ref = topos.find((t) => t.name === 'proxies');
      if (!ref) {
        ref = await proxyTopology({ dir: logs, cli: CLI, tag: '-ref' });
        topos.push(ref);
      }
      for (const size of compSizes) {
        const count = countFor(size);
        // Interleaved rounds: each compressed run is compared with the reference run just before it.
        for (let round = 1; round <= rounds; round++) {
          const r = await attempt(ref, size, count, 0, 'json');
          if (r) r.round = round;
          for (const t of topos) {
            if (t.name !== 's2' && t.name !== 'lz4') continue;
            const c = await attempt(t, size, count, 0, 'json');
            if (c) c.round = round;
          }
        }
      }
    }
  } finally {
    progress.phase('stopping');
    for (const t of topos) await t.stop();
  }

  // Issue 8: pooled paths (started here, after the main matrix has stopped its processes).
  const poolRuns: PoolRun[] = [];
  const holPaths: HolPath[] = [];
  const section = async (label: string, fn: () => Promise<void>): Promise<void> => {
    try {
      await fn();
    } catch (err) {
      const msg = `${label}: ${(err as Error).message.split('\n').slice(0, 6).join(' / ')}`;
      errors.push(msg);
      progress.note(`  FAILED ${msg}`);
    }
  };
  if (pools.length) {
    const started: PooledTopology[] = [];
    try {
      await section('pool topologies', async () => {
        for (const n of pools) {
          progress.phase(`starting ${n}`);
          started.push(await poolTopology(n, logs, CLI));
        }
      });
      let round = 0;
      for (const size of poolSizes) {
        for (const accounts of [POOL_ACCOUNTS.slice(0, 1), POOL_ACCOUNTS]) {
          const count = poolCounts(size)[accounts.length === 1 ? 0 : 1];
          // pool1 and pool3 back to back for each case, so their ratio sees the same machine load;
          // which goes first alternates, so a drift of the load does not always favour the same one.
          for (const t of round++ % 2 ? [...started].reverse() : started) {
            const label = `${t.name} ${sizeLabel(size)} ${accounts.length} account(s) × ${count}`;
            progress.phase(label);
            await section(label, async () => {
              const r = await runPoolScenario(t, size, count, accounts, quick);
              poolRuns.push(r);
              progress.note(`  ${label}: ${Math.round(r.msgsPerSec).toLocaleString('en-US')} msg/s summed`
                + ` (${r.pairs.map((p) => Math.round(p.msgsPerSec).toLocaleString('en-US')).join(' + ')}), lost ${r.pairs.reduce((n, p) => n + p.lost, 0)},`
                + ` ${r.linksUsed}/${r.links} proxy-link connections used${r.slowConsumers ? `; slow consumers: ${r.slowConsumers}` : ''}`);
            });
            progress.step();
          }
        }
      }
    } finally {
      for (const t of started) await t.stop();
    }
  }
  if (hol) {
    // Full speed on both paths, then both at half the flood rate the proxy path carried: at full
    // speed a proxy is CPU-bound, at half load it is not, and the two points tell those apart.
    const started: PooledTopology[] = [];
    try {
      await section('hol topologies', async () => {
        for (const direct of [false, true]) {
          progress.phase(`starting ${direct ? 'hol-direct' : 'hol'}`);
          started.push(await holTopology(direct, logs, CLI));
        }
      });
      const idle = new Map<PooledTopology, HolPath['idle']>();
      const one = async (t: PooledTopology, rate: number): Promise<void> => {
        const label = `${t.name}: request/reply in A with HEAVY flooding ${rate ? `at ${Math.round(rate).toLocaleString('en-US')} msg/s` : 'at full speed'}`;
        progress.phase(`${label} (${holProbes} requests or ${holMs / 1000} s)`);
        await section(label, async () => {
          if (!idle.has(t)) idle.set(t, await probeIdle(t, holProbes, HOL_PROBE_SIZE, holMs));
          const r = await runHol(t, idle.get(t)!, holProbes, HOL_PROBE_SIZE, HOL_FLOOD_SIZE, holMs, rate);
          holPaths.push(r);
          progress.note(`  ${label}: p50 ${r.idle.p50.toFixed(0)} → ${r.loaded.p50.toFixed(0)} µs (${r.p50Ratio.toFixed(2)}×), `
            + `p99 ${r.idle.p99.toFixed(0)} → ${r.loaded.p99.toFixed(0)} µs (${r.p99Ratio.toFixed(2)}×), flood ${Math.round(r.floodMsgsPerSec).toLocaleString('en-US')} msg/s`);
        });
        progress.step();
      };
      for (const t of started) await one(t, 0);
      const full = holPaths.find((p) => p.path === 'proxies' && p.floodRate === 0)?.floodMsgsPerSec ?? 0;
      if (full > 0) for (const t of started) await one(t, full / 2);
    } finally {
      for (const t of started) await t.stop();
    }
  }

  if (values['cpu-prof']) {
    const profSize = Number(values['cpu-prof-size'] ?? 128);
    if (!Number.isInteger(profSize) || profSize < 16 || profSize > 2_000_000) throw new Error('--cpu-prof-size: an integer from 16 to 2000000');
    const dir = join(out, 'cpu-prof');
    mkdirSync(dir, { recursive: true });
    progress.phase('starting proxies with proxy A under node --cpu-prof');
    const t = await proxyTopology({ dir: logs, cli: CLI, cpuProfDir: dir, tag: '-prof' });
    let scenario: ScenarioResult | undefined;
    try {
      if (values['no-warmup'] !== true) await warmUp(t, quick, progress);
      // Enough traffic for a profile worth reading whatever --count says: at a 250 µs sampling
      // interval a tiny run's window (a few ms, mostly idle) may hold no busy sample at all.
      const profCount = Math.max(countFor(profSize), Math.ceil(PROFILE_MIN_BYTES / profSize));
      scenario = await runScenario(t, profSize, profCount, 0, quick, progress);
    } catch (err) {
      errors.push(`--cpu-prof: ${(err as Error).message.split('\n')[0]}`);
    } finally {
      await t.stop();
    }
    const file = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(dir, f))[0];
    if (file && scenario) profile = { ...summarizeProfile(file, { startNs: scenario.windowNs.start, endNs: scenario.windowNs.end }), scenario };
    else progress.note('  --cpu-prof: no .cpuprofile was written by proxy A');
  }

  let interest: NativeReport['interest'];
  if (interestRun) {
    progress.phase(`interest propagation: ${interestCount} subjects, direct then proxies`);
    try {
      interest = await runInterestBench({ count: interestCount, dir: logs, cli: CLI });
    } catch (err) {
      errors.push(`interest: ${(err as Error).message.split('\n')[0]}`);
    }
  }

  progress.phase('route parser alone (128 B RMSG, 64 KiB chunks)');
  const parser128MsgsPerSec = await parserRate(quick);
  progress.stop();

  const report: NativeReport = {
    kind: 'native', machine, versions: ver,
    settings: {
      quick, sizes, counts: Object.fromEntries([...sizes, ...compSizes].map((s) => [String(s), countFor(s)])), topologies: requested,
      payload, subjects: SUBJECTS, compressionSizes: compSizes, compressionRounds: compSizes.length ? rounds : 0,
      warmup: values['no-warmup'] === true ? 'none (cold start)' : `every path first carried ${WARMUP.map(([z, f, q]) => `${(quick ? q : f).toLocaleString('en-US')} × ${sizeLabel(z)}`).join(' and ')}, not measured`,
      halfLoadRule: `latency runs offer 50% of the lower of the two full-speed maxima measured for that size in this run, to both paths (publisher pacing: ${pace === 'spin' ? 'busy-wait, evenly spaced' : 'sleep until due, sends that fell due meanwhile go back to back'})`,
    },
    scenarios, errors, targets: [], charts: [], durationSeconds: 0,
  };
  if (parser128MsgsPerSec !== undefined) report.parser128MsgsPerSec = parser128MsgsPerSec;
  if (profile) report.profile = profile;
  if (interest) report.interest = interest;
  report.targets = evaluateTargets(report);
  if (tlsSizes.length) report.tls = compareTls(report, tlsSizes);
  if (compSizes.length) report.compression = compareCompression(report, compSizes);
  if (pools.length) report.pool = { accounts: POOL_ACCOUNTS, runs: poolRuns, comparisons: comparePools(poolRuns) };
  if (hol) report.hol = holReport(holPaths, holProbes, HOL_PROBE_SIZE, HOL_FLOOD_SIZE, holMs);
  report.charts = await renderCharts(report, out);
  report.durationSeconds = (Date.now() - started) / 1000;
  const md = renderMarkdown(report) + (interest ? `\n${renderInterest(interest)}` : '');
  writeFileSync(join(out, 'report.md'), md);
  writeFileSync(join(out, 'results.json'), JSON.stringify(report, null, 2) + '\n');
  process.stdout.write(`\n${md}\n`);
  process.stdout.write(`report: ${join(out, 'report.md')}\nJSON:   ${join(out, 'results.json')}\n`);
  if (errors.length) process.stderr.write(`${errors.length} scenario(s) failed:\n${errors.join('\n')}\n`);
  return errors.length ? 1 : 0;
}

main().then((code) => process.exit(code), (err: unknown) => {
  process.stderr.write(`\nbench:native: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
