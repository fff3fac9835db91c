// Processes of the native bench: the sites (real nats-servers via test/helpers/nats-server.ts),
// the proxies as real daemons (`node dist/src/cli.js -c <conf>`), the C load programs, and
// what /proc says about each of them (CPU ticks, peak RSS).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, waitFor, type ServerVersion, type StartedServer } from '../test/helpers/nats-server.js';

export const SERVER_VERSION: ServerVersion = '2.10.27';

let clkTck = 0;
/** Clock ticks per second of /proc/<pid>/stat times. */
export function ticksPerSecond(): number {
  if (clkTck === 0) {
    try {
      clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

/** utime+stime of a process (all its threads) in µs, from /proc/<pid>/stat. */
export function cpuMicros(pid: number): number {
  let s: string;
  try {
    s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    throw new Error(`process ${pid} is gone (it exited or was killed during the run)`);
  }
  // Fields after the command name (which may contain spaces) start at field 3 (state).
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  const utime = Number(f[11]);
  const stime = Number(f[12]);
  return ((utime + stime) * 1e6) / ticksPerSecond();
}

/** Peak RSS (VmHWM) in bytes. */
export function peakRss(pid: number): number {
  const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/** Resets VmHWM to the current RSS (clear_refs 5, Linux ≥ 4.0); false when not allowed. */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

/** Spawns so that the child dies with us even if we are SIGKILLed (setpriv --pdeathsig). */
function spawnTied(cmd: string, args: string[], env?: NodeJS.ProcessEnv): ChildProcess {
  const child = SETPRIV
    ? spawn(SETPRIV, ['--pdeathsig', 'SIGKILL', '--', cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env })
    : spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
  live.add(child);
  child.once('close', () => live.delete(child));
  return child;
}

export interface RunningProxy {
  name: string;
  pid: number;
  port: number;
  routeUrl: string;
  logFile: string;
  /** The monitoring port (`http`), for /routez. */
  httpPort: number;
  /** SIGTERM (the daemon shuts down and exits, writing a --cpu-prof profile), SIGKILL after 10 s. */
  stop(): Promise<void>;
}

/** A proxy as operators run it: its own process, generated config, default proxy options. */
export async function startProxyProcess(opts: {
  name: string;
  cluster: string;
  routes: string[];
  dir: string;
  cli: string;
  cpuProfDir?: string;
  /** A `tls { }` block for the cluster section (route TLS on every route of this proxy). */
  tls?: string;
  /** More cluster lines (e.g. `compression: s2_auto`) and top-level lines (e.g. `proxy { lz4: true }`). */
  clusterExtra?: string;
  topExtra?: string;
}): Promise<RunningProxy> {
  const conf = join(opts.dir, `${opts.name}.conf`);
  const routes = opts.routes.length ? `  routes = [ ${opts.routes.map((r) => JSON.stringify(r)).join(', ')} ]\n` : '';
  const tls = opts.tls ? `  ${opts.tls}\n` : '';
  const cx = opts.clusterExtra ? `  ${opts.clusterExtra}\n` : '';
  const top = opts.topExtra ? `${opts.topExtra}\n` : '';
  // Monitoring on a random port: the runner reads the proxy link's byte counters from /routez.
  writeFileSync(conf, `server_name: ${opts.name}\nhttp: "127.0.0.1:-1"\n${top}cluster {\n  name: ${opts.cluster}\n  listen: "127.0.0.1:-1"\n${tls}${cx}${routes}}\n`);
  // 250 µs sampling (V8's default is 1 ms): a quick run's traffic window is ~10 ms, mostly idle,
  // and at 1 ms it could hold no busy sample at all.
  const nodeArgs = opts.cpuProfDir ? ['--cpu-prof', '--cpu-prof-interval=250', `--cpu-prof-dir=${opts.cpuProfDir}`] : [];
  const child = spawnTied(process.execPath, [...nodeArgs, opts.cli, '-c', conf]);
  const logFile = join(opts.dir, `${opts.name}.log`);
  const log = createWriteStream(logFile);
  let text = '';
  const exited = new Promise<void>((r) => child.once('close', () => r()));
  const [port, httpPort] = await new Promise<[number, number]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${opts.name}: no "Listening for route connections" within 10 s\n${text.slice(-3000)}`)), 10_000);
    const onData = (d: Buffer) => {
      log.write(d);
      if (text.length < 65536) text += d.toString('utf8');
      const m = /Listening for route connections on [^"]*:(\d+)/.exec(text);
      const h = /Starting http monitor on [^"]*:(\d+)/.exec(text);
      if (m && h) {
        clearTimeout(timer);
        resolve([Number(m[1]), Number(h[1])]);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`${opts.name} exited during startup\n${text.slice(-3000)}`));
    });
  });
  return {
    name: opts.name,
    pid: child.pid!,
    port,
    httpPort,
    routeUrl: `nats-route://127.0.0.1:${port}`,
    logFile,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
      await new Promise<void>((r) => log.end(() => r()));
    },
  };
}

export interface MeasuredProcess {
  label: string;
  role: 'server' | 'proxy';
  pid: number;
}

export type TopologyName = 'direct' | 'proxies' | 'tls' | 's2' | 'lz4'
  // Issue 8 (scripts/bench-native-pool.ts): pooled two-proxy paths and the head-of-line pair.
  | 'pool1' | 'pool3' | 'hol' | 'hol-direct';

/** What a proxy's /routez says about its connection to the other proxy (counters since it was made). */
export interface ProxyLinkStats {
  /** The negotiated mode /routez shows (off, s2_fast, lz4, …). */
  compression: string;
  /** Bytes that crossed the socket, both directions. */
  wireBytes: number;
  /** Messages and their payload bytes this proxy sent on the link. */
  outMsgs: number;
  logicalOutBytes: number;
}

interface RoutezEntry {
  compression?: string;
  out_msgs?: number;
  proxy?: { peer_kind?: string; wire_in_bytes?: number; wire_out_bytes?: number; logical_out_bytes?: number };
}

export async function proxyLinkStats(p: RunningProxy): Promise<ProxyLinkStats> {
  const res = await fetch(`http://127.0.0.1:${p.httpPort}/routez`);
  if (!res.ok) throw new Error(`${p.name}: /routez answered ${res.status}`);
  const routes = ((await res.json()) as { routes?: RoutezEntry[] }).routes ?? [];
  // The link is pooled (and $SYS pinned): every connection to the other proxy, summed.
  const links = routes.filter((r) => r.proxy?.peer_kind === 'proxy');
  if (links.length === 0) throw new Error(`${p.name}: /routez lists no connection to the other proxy`);
  const sum = (f: (r: RoutezEntry) => number | undefined) => links.reduce((n, r) => n + (f(r) ?? 0), 0);
  return {
    compression: links[0]!.compression ?? '',
    wireBytes: sum((r) => r.proxy?.wire_in_bytes) + sum((r) => r.proxy?.wire_out_bytes),
    outMsgs: sum((r) => r.out_msgs),
    logicalOutBytes: sum((r) => r.proxy?.logical_out_bytes),
  };
}

export interface Topology {
  name: TopologyName;
  /** The site servers by label (A1, B1), for /varz slow-consumer counts. */
  servers: Array<{ label: string; server: StartedServer }>;
  title: string;
  /** Where the publisher connects (site A server A1) and where the subscriber does (B1). */
  pubUrl: string;
  subUrl: string;
  a1: StartedServer;
  processes: MeasuredProcess[];
  proxies: RunningProxy[];
  stop(): Promise<void>;
}

const MAX_PAYLOAD = 'max_payload: 2MB'; // the 1 MiB scenario needs headroom over the 1 MB default

async function routedTo(s: StartedServer, n: number): Promise<void> {
  await waitFor(async () => ((await s.routez()).routes ?? []).length >= n || undefined, {
    timeoutMs: 15_000, what: `${s.name} has ${n} route(s)`,
  });
}

/** (a) direct route: A1 and B1 in one cluster. */
export async function directTopology(): Promise<Topology> {
  const a1 = await startServer(undefined, { version: SERVER_VERSION, name: 'direct-A1', cluster: { name: 'direct' }, extraConfig: MAX_PAYLOAD });
  const b1 = await startServer(undefined, {
    version: SERVER_VERSION, name: 'direct-B1', cluster: { name: 'direct', routes: [a1.routeUrl] }, extraConfig: MAX_PAYLOAD,
  });
  await routedTo(a1, 1);
  await routedTo(b1, 1);
  return {
    name: 'direct', title: 'direct route A1 → B1', pubUrl: a1.clientUrl, subUrl: b1.clientUrl, a1, proxies: [],
    servers: [{ label: 'A1', server: a1 }, { label: 'B1', server: b1 }],
    processes: [{ label: 'A1', role: 'server', pid: a1.pid }, { label: 'B1', role: 'server', pid: b1.pid }],
    stop: async () => {
      await Promise.all([a1.stop(), b1.stop()]);
    },
  };
}

/** The certificate files of the TLS topology (made by the runner, see test/helpers/certs.ts). */
export interface RouteTlsFiles {
  cert: string;
  key: string;
  ca: string;
}

/** The cluster `tls { }` block, the same for proxies and nats-servers. */
export function tlsBlock(f: RouteTlsFiles): string {
  return `tls { cert_file: ${JSON.stringify(f.cert)}, key_file: ${JSON.stringify(f.key)}, ca_file: ${JSON.stringify(f.ca)}, timeout: 5 }`;
}

/**
 * (b) two proxies: A1 → proxy A → proxy B → B1, proxies as separate processes with default options.
 * With `tls` (topology "tls"): route TLS on the proxy link. A proxy has one `cluster.tls` for all
 * its routes (as nats-server), so the site legs A1 → proxy A and proxy B → B1 run TLS as well.
 */
export async function proxyTopology(o: {
  dir: string; cli: string; cpuProfDir?: string; tag?: string; tls?: RouteTlsFiles;
  /** Compress the proxy link only (topologies s2 and lz4); the site legs stay plain. */
  compression?: 's2' | 'lz4';
  /** With cpuProfDir: profile proxy B as well (the decoding side of a compressed link). */
  cpuProfB?: boolean;
}): Promise<Topology> {
  const tag = o.tag ?? '';
  const block = o.tls ? tlsBlock(o.tls) : undefined;
  const cluster = o.tls ? 'tlsproxied' : o.compression ? `${o.compression}proxied` : 'proxied';
  const tls = block ? { tls: block } : {};
  // s2: `compression: s2_auto`, which a proxy link turns into its fixed default level (s2_fast,
  // no RTT switching). lz4: `proxy { lz4: true }` on both, chosen over S2 between proxies. The
  // site servers say `compression: off` so that only the proxy link is compressed (an s2_auto
  // proxy would otherwise compress the loopback legs at s2_uncompressed too).
  const comp = o.compression === 's2' ? { clusterExtra: 'compression: s2_auto' }
    : o.compression === 'lz4' ? { topExtra: 'proxy { lz4: true }' } : {};
  const pb = await startProxyProcess({
    name: `proxy-B${tag}`, cluster, routes: [], dir: o.dir, cli: o.cli, ...tls, ...comp, ...(o.cpuProfDir && o.cpuProfB ? { cpuProfDir: o.cpuProfDir } : {}),
  });
  const pa = await startProxyProcess({
    name: `proxy-A${tag}`, cluster, routes: [pb.routeUrl], dir: o.dir, cli: o.cli, ...tls, ...comp, ...(o.cpuProfDir ? { cpuProfDir: o.cpuProfDir } : {}),
  });
  const serverExtra = [block, o.compression ? 'compression: off' : undefined].filter((x) => x !== undefined).join('\n');
  const extra = serverExtra ? { extra: serverExtra } : {};
  const a1 = await startServer(undefined, {
    version: SERVER_VERSION, name: `${cluster}-A1${tag}`, cluster: { name: cluster, routes: [pa.routeUrl], ...extra }, extraConfig: MAX_PAYLOAD,
  });
  const b1 = await startServer(undefined, {
    version: SERVER_VERSION, name: `${cluster}-B1${tag}`, cluster: { name: cluster, routes: [pb.routeUrl], ...extra }, extraConfig: MAX_PAYLOAD,
  });
  await routedTo(a1, 1);
  await routedTo(b1, 1);
  return {
    name: o.tls ? 'tls' : o.compression ?? 'proxies',
    title: o.tls ? 'A1 → proxy A → proxy B → B1, route TLS on every leg'
      : o.compression ? `A1 → proxy A → proxy B → B1, proxy link compressed (${o.compression === 's2' ? 'S2' : 'LZ4'})` : 'A1 → proxy A → proxy B → B1',
    pubUrl: a1.clientUrl, subUrl: b1.clientUrl, a1, proxies: [pa, pb],
    servers: [{ label: 'A1', server: a1 }, { label: 'B1', server: b1 }],
    processes: [
      { label: 'A1', role: 'server', pid: a1.pid },
      { label: 'proxy A', role: 'proxy', pid: pa.pid },
      { label: 'proxy B', role: 'proxy', pid: pb.pid },
      { label: 'B1', role: 'server', pid: b1.pid },
    ],
    stop: async () => {
      await Promise.all([a1.stop(), b1.stop()]);
      await Promise.all([pa.stop(), pb.stop()]);
    },
  };
}

/** Waits until A1 lists `subject` among the subscriptions of one of its routes (the interest crossed). */
export async function waitForInterest(a1: StartedServer, subject: string, timeoutMs = 15_000): Promise<void> {
  await waitFor(async () => {
    const routes: Array<{ subscriptions_list?: string[] }> = (await a1.routez('subs=1')).routes ?? [];
    return routes.some((r) => (r.subscriptions_list ?? []).includes(subject)) || undefined;
  }, { timeoutMs, intervalMs: 25, what: `interest in ${subject} at ${a1.name}` });
}

export interface SlowConsumerCounts {
  /** label → nats-server's slow consumers on client / route connections (from /varz). */
  servers: Record<string, { clients: number; routes: number }>;
  /** label → "Slow Consumer Detected" lines a proxy logged. */
  proxies: Record<string, number>;
}

/** Counters now; subtract two with `slowConsumerDelta`. */
export async function slowConsumers(t: Topology): Promise<SlowConsumerCounts> {
  const out: SlowConsumerCounts = { servers: {}, proxies: {} };
  for (const { label, server } of t.servers) {
    const v = await server.varz();
    const st = v.slow_consumer_stats ?? {};
    out.servers[label] = { clients: st.clients ?? v.slow_consumers ?? 0, routes: st.routes ?? 0 };
  }
  for (const p of t.proxies) {
    let text = '';
    try {
      text = readFileSync(p.logFile, 'utf8');
    } catch {
      /* not written yet */
    }
    out.proxies[p.name.replace(/-([AB]).*$/, ' $1')] = (text.match(/Slow Consumer/g) ?? []).length;
  }
  return out;
}

export function slowConsumerDelta(a: SlowConsumerCounts, b: SlowConsumerCounts): SlowConsumerCounts {
  const out: SlowConsumerCounts = { servers: {}, proxies: {} };
  for (const k of Object.keys(b.servers)) {
    out.servers[k] = { clients: b.servers[k]!.clients - (a.servers[k]?.clients ?? 0), routes: b.servers[k]!.routes - (a.servers[k]?.routes ?? 0) };
  }
  for (const k of Object.keys(b.proxies)) out.proxies[k] = b.proxies[k]! - (a.proxies[k] ?? 0);
  return out;
}

/** "B1 clients 1, proxy A 2" — only the non-zero ones. */
export function describeSlowConsumers(d: SlowConsumerCounts): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(d.servers)) {
    if (v.clients) parts.push(`${k} client ${v.clients}`);
    if (v.routes) parts.push(`${k} route ${v.routes}`);
  }
  for (const [k, v] of Object.entries(d.proxies)) if (v) parts.push(`${k} ${v}`);
  return parts.join(', ');
}

export interface CProgram<T> {
  pid: number;
  /** Resolves once the program printed READY (subscriber). */
  ready: Promise<void>;
  /** The JSON line it printed last, once it exited 0. */
  result: Promise<T>;
  kill(): void;
}

export function runC<T>(bin: string, args: string[]): CProgram<T> {
  const child = spawnTied(bin, args);
  let out = '';
  let err = '';
  let onReady: () => void = () => {};
  const ready = new Promise<void>((r) => (onReady = r));
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    if (/^READY$/m.test(out)) onReady();
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    if (err.length < 16384) err += d;
  });
  const result = new Promise<T>((resolve, reject) => {
    child.once('close', (code, signal) => {
      const line = out.trim().split('\n').filter((l) => l.startsWith('{')).pop();
      if (code === 0 && line) resolve(JSON.parse(line) as T);
      else reject(new Error(`${bin} ${args.join(' ')}: exit ${signal ?? code}\n${err}${out.slice(-2000)}`));
    });
  });
  result.catch(() => {});
  // A program that dies before READY must not leave the caller waiting forever.
  const readyOrExit = Promise.race([ready, result.then(() => { throw new Error(`${bin} exited before READY`); })]);
  readyOrExit.catch(() => {}); // only the subscriber's is awaited
  return { pid: child.pid!, ready: readyOrExit, result, kill: () => child.kill('SIGKILL') };
}
