// Issue 8 in the native bench: route pooling and pinned accounts across two proxies.
//   pool1 / pool3: A1 → proxy A → proxy B → B1 with `pool_size` 1 or 3 on every process
//     (nats-server 2.10.27 wants equal sizes on both ends), sites with accounts ACC1, ACC3, ACC5,
//     ACC7 (one user each). One pub/sub pair in one account, then four pairs in parallel, one per
//     account: with pool 3 those spread over the connections by FNV-1a (indexes 2, 1, 1, 0).
//   hol: accounts A and HEAVY, HEAVY pinned (`cluster.accounts: [HEAVY]` everywhere); a request/
//     reply probe in A (nb_rtt) idle and while nb_pub floods HEAVY at full speed, on the proxy
//     path and on a direct route between two nats-servers with the same configuration.
import { join } from 'node:path';
import { startServer, waitFor, type StartedServer } from '../test/helpers/nats-server.js';
import {
  cpuMicros, describeSlowConsumers, runC, SERVER_VERSION, slowConsumerDelta, slowConsumers, startProxyProcess, waitForInterest,
  type RunningProxy, type Topology,
} from './bench-native-procs.js';
import type {
  HolPath, HolReport, PoolComparison, PoolPair, PoolRun, PubResult, RttResult, RttSummary, SubResult,
} from './bench-native-types.js';

/** Chosen so that FNV-1a 32 mod 3 spreads them over all three pooled connections (2, 1, 1, 0);
 * ACC1..ACC4 would put three of four on index 2. */
export const POOL_ACCOUNTS = ['ACC1', 'ACC3', 'ACC5', 'ACC7'];
const HOL_ACCOUNTS = ['A', 'HEAVY'];
const PASSWORD = 'bench';

function accountsBlock(names: string[]): string {
  const accts = names.map((n) => `  ${n}: { users: [ { user: ${n.toLowerCase()}, password: ${PASSWORD} } ] }`).join('\n');
  return `max_payload: 2MB\naccounts {\n${accts}\n}`;
}

/** The client URL of `s` as the single user of `account`. */
export function userUrl(s: StartedServer, account: string): string {
  return s.clientUrl.replace('nats://', `nats://${account.toLowerCase()}:${PASSWORD}@`);
}

async function routeCount(s: StartedServer): Promise<number> {
  return ((await s.routez()).routes ?? []).length;
}

interface ProxyRoute { rid: number; out_msgs?: number; proxy?: { peer_kind?: string } }

/** Proxy A's connections to proxy B: rid → messages sent so far. */
async function linkOutMsgs(p: RunningProxy): Promise<Map<number, number>> {
  const res = await fetch(`http://127.0.0.1:${p.httpPort}/routez`);
  if (!res.ok) throw new Error(`${p.name}: /routez answered ${res.status}`);
  const routes = ((await res.json()) as { routes?: ProxyRoute[] }).routes ?? [];
  return new Map(routes.filter((r) => r.proxy?.peer_kind === 'proxy').map((r) => [r.rid, r.out_msgs ?? 0]));
}

export interface PooledTopology extends Topology {
  b1: StartedServer;
  poolSize: number;
}

/**
 * Two sites with accounts over two proxies (`direct: false`) or one direct route, every process
 * with `pool_size` and the pinned accounts. Waits until each server has all its routes: the pool,
 * the pinned accounts and the system account nats-server pins by itself.
 */
export async function pooledTopology(o: {
  name: 'pool1' | 'pool3' | 'hol' | 'hol-direct'; dir: string; cli: string; poolSize: number; pinned: string[]; accounts: string[]; direct?: boolean;
}): Promise<PooledTopology> {
  const pinned = o.pinned.length ? `accounts: [ ${o.pinned.join(', ')} ]` : '';
  const cluster = o.name.replace(/[^a-z0-9]/g, '');
  const server = (label: string, routes: string[]) => startServer(undefined, {
    version: SERVER_VERSION, name: `${cluster}-${label}`, extraConfig: accountsBlock(o.accounts),
    cluster: { name: cluster, routes, poolSize: o.poolSize, ...(pinned ? { extra: `  ${pinned}` } : {}) },
  });
  const proxies: RunningProxy[] = [];
  let a1: StartedServer, b1: StartedServer;
  if (o.direct) {
    a1 = await server('A1', []);
    b1 = await server('B1', [a1.routeUrl]);
  } else {
    const clusterExtra = `pool_size: ${o.poolSize}${pinned ? `\n  ${pinned}` : ''}`;
    const pb = await startProxyProcess({ name: `proxy-B-${o.name}`, cluster, routes: [], dir: o.dir, cli: o.cli, clusterExtra });
    const pa = await startProxyProcess({ name: `proxy-A-${o.name}`, cluster, routes: [pb.routeUrl], dir: o.dir, cli: o.cli, clusterExtra });
    proxies.push(pa, pb);
    a1 = await server('A1', [pa.routeUrl]);
    b1 = await server('B1', [pb.routeUrl]);
  }
  const want = o.poolSize + o.pinned.length + 1; // + $SYS
  for (const s of [a1, b1]) {
    await waitFor(async () => (await routeCount(s)) >= want || undefined, { timeoutMs: 20_000, what: `${s.name} has ${want} routes` });
  }
  const [pa, pb] = proxies;
  return {
    name: o.name, poolSize: o.poolSize,
    title: o.direct ? `direct route A1 → B1, pool_size ${o.poolSize}` : `A1 → proxy A → proxy B → B1, pool_size ${o.poolSize}`,
    pubUrl: a1.clientUrl, subUrl: b1.clientUrl, a1, b1, proxies,
    servers: [{ label: 'A1', server: a1 }, { label: 'B1', server: b1 }],
    processes: [
      { label: 'A1', role: 'server', pid: a1.pid },
      ...(pa && pb ? [{ label: 'proxy A', role: 'proxy' as const, pid: pa.pid }, { label: 'proxy B', role: 'proxy' as const, pid: pb.pid }] : []),
      { label: 'B1', role: 'server', pid: b1.pid },
    ],
    stop: async () => {
      await Promise.all([a1.stop(), b1.stop()]);
      await Promise.all(proxies.map((p) => p.stop()));
    },
  };
}

export function poolTopology(name: 'pool1' | 'pool3', dir: string, cli: string): Promise<PooledTopology> {
  return pooledTopology({ name, dir, cli, poolSize: name === 'pool1' ? 1 : 3, pinned: [], accounts: POOL_ACCOUNTS });
}

export function holTopology(direct: boolean, dir: string, cli: string): Promise<PooledTopology> {
  return pooledTopology({ name: direct ? 'hol-direct' : 'hol', dir, cli, poolSize: 3, pinned: ['HEAVY'], accounts: HOL_ACCOUNTS, direct });
}

/** Waits until every process of the topology is (nearly) idle (a proxy may still drain a backlog). */
export async function quiesce(topo: Topology): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const before = topo.processes.map((p) => cpuMicros(p.pid));
    await new Promise((r) => setTimeout(r, 250));
    const busy = topo.processes.some((p, i) => cpuMicros(p.pid) - before[i]! > 25_000);
    if (!busy || Date.now() > deadline) return;
  }
}

let seq = 0;

/** `accounts.length` pub/sub pairs in parallel, pair i in accounts[i], `count` messages each, full speed. */
export async function runPoolScenario(
  topo: PooledTopology, size: number, count: number, accounts: string[], quick: boolean,
): Promise<PoolRun> {
  await quiesce(topo);
  const subs: Array<ReturnType<typeof runC<SubResult>>> = [];
  const pubs: Array<ReturnType<typeof runC<PubResult>>> = [];
  const subjects = accounts.map((a) => `bench.${topo.name}.${size}.${a}.${++seq}`);
  try {
    for (let i = 0; i < accounts.length; i++) {
      const sub = runC<SubResult>(join(NB(), 'nb_sub'), [
        '--url', userUrl(topo.b1, accounts[i]!), '--subject', subjects[i]!, '--count', String(count), '--size', String(size),
        '--idle-ms', String(quick ? 1500 : 3000), '--timeout-ms', String(quick ? 60_000 : 240_000),
      ]);
      subs.push(sub);
      await sub.ready;
    }
    for (const s of subjects) await waitForInterest(topo.a1, s);
    const pa = topo.proxies[0]!;
    const linksBefore = await linkOutMsgs(pa);
    const scBefore = await slowConsumers(topo);
    const cpuBefore = topo.proxies.map((p) => cpuMicros(p.pid));
    for (let i = 0; i < accounts.length; i++) {
      pubs.push(runC<PubResult>(join(NB(), 'nb_pub'), [
        '--url', userUrl(topo.a1, accounts[i]!), '--subject', subjects[i]!, '--count', String(count), '--size', String(size), '--rate', '0',
      ]));
    }
    const p = await Promise.all(pubs.map((x) => x.result));
    const s = await Promise.all(subs.map((x) => x.result));
    const cpuAfter = topo.proxies.map((x) => cpuMicros(x.pid));
    const linksAfter = await linkOutMsgs(pa);
    const sc = describeSlowConsumers(slowConsumerDelta(scBefore, await slowConsumers(topo)));
    const pairs: PoolPair[] = s.map((r, i) => {
      const span = (r.last_recv_ns - (r.first_send_ns || p[i]!.start_ns)) / 1e9;
      return {
        account: accounts[i]!, msgsPerSec: r.unique > 0 && span > 0 ? r.unique / span : 0,
        delivered: r.unique, lost: r.lost, duplicates: r.duplicates, p99Us: r.latency_ns.p99 / 1000,
      };
    });
    const first = Math.min(...s.map((r, i) => r.first_send_ns || p[i]!.start_ns));
    const last = Math.max(...s.map((r) => r.last_recv_ns));
    const unique = s.reduce((n, r) => n + r.unique, 0);
    const total = count * accounts.length;
    // A connection "carried" the scenario when it sent at least a tenth of one pair's messages
    // (the $SYS connection's own chatter stays far below).
    const used = [...linksAfter].filter(([rid, n]) => n - (linksBefore.get(rid) ?? 0) >= count / 10).length;
    return {
      topology: topo.name as 'pool1' | 'pool3', size, accounts: accounts.length, count,
      msgsPerSec: unique > 0 && last > first ? unique / ((last - first) / 1e9) : 0, pairs,
      proxyUsPerMsg: { a: (cpuAfter[0]! - cpuBefore[0]!) / total, b: (cpuAfter[1]! - cpuBefore[1]!) / total },
      linksUsed: used, links: linksAfter.size, slowConsumers: sc,
    };
  } finally {
    for (const x of [...subs, ...pubs]) x.kill();
  }
}

export function comparePools(runs: PoolRun[]): PoolComparison[] {
  const keys = [...new Set(runs.map((r) => `${r.size}/${r.accounts}`))];
  return keys.map((k) => {
    const [size, accounts] = k.split('/').map(Number) as [number, number];
    const one = runs.find((r) => r.topology === 'pool1' && r.size === size && r.accounts === accounts);
    const three = runs.find((r) => r.topology === 'pool3' && r.size === size && r.accounts === accounts);
    const c: PoolComparison = { size, accounts };
    if (one) c.pool1MsgsPerSec = one.msgsPerSec;
    if (three) c.pool3MsgsPerSec = three.msgsPerSec;
    if (one && three && one.msgsPerSec > 0) c.ratio = three.msgsPerSec / one.msgsPerSec;
    return c;
  });
}

function summarize(r: RttResult): RttSummary {
  const us = (ns: number) => ns / 1000;
  return { p50: us(r.rtt_ns.p50), p90: us(r.rtt_ns.p90), p99: us(r.rtt_ns.p99), max: us(r.rtt_ns.max), replies: r.replies, timeouts: r.timeouts };
}

async function probe(topo: PooledTopology, count: number, size: number, durationMs: number): Promise<RttResult> {
  return runC<RttResult>(join(NB(), 'nb_rtt'), [
    '--req-url', userUrl(topo.a1, 'A'), '--rep-url', userUrl(topo.b1, 'A'), '--subject', `rtt.${topo.name}.${++seq}`,
    '--count', String(count), '--size', String(size), '--timeout-ms', '5000', '--duration-ms', String(durationMs),
  ]).result;
}

async function inMsgs(s: StartedServer): Promise<number> {
  return Number((await s.varz()).in_msgs ?? 0);
}

/** The probe with no other traffic. */
export async function probeIdle(topo: PooledTopology, probeCount: number, probeSize: number, durationMs: number): Promise<RttSummary> {
  await quiesce(topo);
  return summarize(await probe(topo, probeCount, probeSize, durationMs));
}

/** The probe while HEAVY floods A1 → B1 on its pinned connection: at full speed (`floodRate` 0) or at a fixed rate. */
export async function runHol(
  topo: PooledTopology, idle: RttSummary, probeCount: number, probeSize: number, floodSize: number, durationMs: number, floodRate: number,
): Promise<HolPath> {
  await quiesce(topo);
  // The flood: more messages than the probe can outlast; both ends are killed when it is done.
  const floodCount = 50_000_000;
  const subject = `flood.${topo.name}.${++seq}`;
  const sub = runC<SubResult>(join(NB(), 'nb_sub'), [
    '--url', userUrl(topo.b1, 'HEAVY'), '--subject', subject, '--count', String(floodCount), '--size', String(floodSize),
    '--idle-ms', '600000', '--timeout-ms', '600000',
  ]);
  let pub: ReturnType<typeof runC<PubResult>> | undefined;
  try {
    await sub.ready;
    await waitForInterest(topo.a1, subject);
    const before = await inMsgs(topo.b1);
    pub = runC<PubResult>(join(NB(), 'nb_pub'), [
      '--url', userUrl(topo.a1, 'HEAVY'), '--subject', subject, '--count', String(floodCount), '--size', String(floodSize),
      '--rate', String(Math.round(floodRate)),
    ]);
    // Measure only once the flood reaches site B.
    await waitFor(async () => (await inMsgs(topo.b1)) - before > 10_000 || undefined, { timeoutMs: 20_000, intervalMs: 20, what: 'HEAVY flood at B1' });
    const t0 = Date.now();
    const at0 = await inMsgs(topo.b1);
    const l = summarize(await probe(topo, probeCount, probeSize, durationMs));
    const floodMsgsPerSec = ((await inMsgs(topo.b1)) - at0) / Math.max(0.001, (Date.now() - t0) / 1000);
    return {
      path: topo.proxies.length ? 'proxies' : 'direct', floodRate: Math.round(floodRate), idle, loaded: l,
      p50Ratio: idle.p50 > 0 ? l.p50 / idle.p50 : 0, p99Ratio: idle.p99 > 0 ? l.p99 / idle.p99 : 0, floodMsgsPerSec,
    };
  } finally {
    pub?.kill();
    sub.kill();
  }
}

export function holReport(paths: HolPath[], probeCount: number, probeSize: number, floodSize: number, durationMs: number): HolReport {
  return { probeCount, probeSize, floodSize, probeMaxMs: durationMs, paths };
}

let nbDir = '';
/** native-bench/build, set once by the runner. */
export function setNativeBenchDir(dir: string): void {
  nbDir = dir;
}
function NB(): string {
  if (!nbDir) throw new Error('setNativeBenchDir was not called');
  return nbDir;
}
