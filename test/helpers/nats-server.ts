// Runs real nats-server processes (fetched by scripts/fetch-test-peers.sh) for
// interop tests: generated config, ports chosen by the server itself (-1) and read
// back from its log, readiness via /healthz, and guaranteed cleanup.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export type ServerVersion = '2.9.10' | '2.10.27' | '2.15.1';
export const SERVER_VERSIONS: readonly ServerVersion[] = ['2.9.10', '2.10.27', '2.15.1'];

/** The part of a tap Test this helper uses (a structural type keeps it plugin-agnostic). */
export interface TestLike {
  teardown(fn: () => unknown): void;
  passing?(): boolean;
}

export interface ClusterOptions {
  /** Cluster name; all members must agree. Default 'test-cluster'. */
  name?: string;
  /** Route URLs to dial, e.g. another server's `routeUrl`. */
  routes?: string[];
  /** Route credentials this server requires (and that its own `routeUrl` carries). */
  authorization?: { user: string; password: string; timeout?: number };
  /** `pool_size` (2.10+ only; 2.9 rejects the field). */
  poolSize?: number;
  /** Raw configuration lines placed inside `cluster { }`. */
  extra?: string;
}

export interface StartOptions {
  version: ServerVersion;
  name?: string;
  cluster?: ClusterOptions;
  /** Raw top-level configuration, e.g. an `accounts { }` block. */
  extraConfig?: string;
  /** Fixed route port (otherwise the server picks a free one). */
  clusterPort?: number;
}

export interface StartedServer {
  readonly version: ServerVersion;
  readonly name: string;
  readonly clientPort: number;
  readonly clusterPort: number;
  readonly httpPort: number;
  /** nats://127.0.0.1:<clientPort> */
  readonly clientUrl: string;
  /** nats-route://[user:password@]127.0.0.1:<clusterPort> (credentials when cluster.authorization is set) */
  readonly routeUrl: string;
  /** PID of the current process (changes on restart()). */
  readonly pid: number;
  /** Captured stdout+stderr (last ~2 MB), across restarts. */
  logs(): string;
  /** Absolute log offset now; pass as `since` to waitForLog to ignore older lines. */
  logOffset(): number;
  routez(query?: string): Promise<any>;
  varz(query?: string): Promise<any>;
  /** GET any monitoring endpoint, e.g. monitor('connz', 'subs=1'). */
  monitor(endpoint: string, query?: string): Promise<any>;
  /** SIGTERM, then SIGKILL after 3 s; resolves once the process exited. */
  stop(): Promise<void>;
  /**
   * Send a signal (default SIGKILL: abrupt death). For terminating signals resolves
   * once the process exited; for others (e.g. SIGHUP = config reload) right after sending.
   */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** stop() and start again on the same three ports. */
  restart(): Promise<void>;
  /** Resolves with the first log line (at or after `since`) matching `re`. */
  waitForLog(re: RegExp, timeoutMs?: number, since?: number): Promise<string>;
}

const HOST = '127.0.0.1';
const LOG_LIMIT = 2 * 1024 * 1024;
const START_TIMEOUT_MS = 10_000;
const STOP_GRACE_MS = 3_000;

// ---------------------------------------------------------------------------
// Binaries

function repoRoot(): string {
  // Compiled to dist/test/helpers/, sources in test/helpers/: walk up to package.json.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('nats-server helper: cannot find repository root (package.json)');
    dir = up;
  }
}

export function binaryPath(version: ServerVersion): string {
  const p = resolve(repoRoot(), '.cache', 'test-peers', 'bin', `nats-server-${version}`);
  if (!existsSync(p)) {
    throw new Error(`nats-server ${version} not found at ${p}; run \`npm run test-peers\` to fetch the test peers`);
  }
  return p;
}

// ---------------------------------------------------------------------------
// Polling

export async function waitFor<T>(
  fn: () => Promise<T | undefined | false | null> | T | undefined | false | null,
  opts: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const intervalMs = opts.intervalMs ?? 20;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false && v !== null) return v;
    } catch (err) {
      // A throwing probe (e.g. connection refused) counts as "not yet".
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const cause = lastError instanceof Error ? `; last error: ${lastError.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${opts.what ?? 'condition'}${cause}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

// ---------------------------------------------------------------------------
// Process registry: kill everything we started when the test process goes away.

const live = new Set<ChildProcess>();
const tempDirs = new Set<string>();
let exitHooksInstalled = false;

function killAllSync(): void {
  for (const c of live) {
    try {
      c.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
}

function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.on('exit', killAllSync);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      killAllSync();
      // Re-raise so the default action (or another handler such as tap's) still ends the process.
      process.removeListener(sig, onSignal);
      process.kill(process.pid, sig);
    };
    process.on(sig, onSignal);
  }
}

// setpriv --pdeathsig makes the kernel kill the server even if this process is SIGKILLed.
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));

// ---------------------------------------------------------------------------
// Log capture

interface LogWaiter {
  re: RegExp;
  since: number;
  resolve: (line: string) => void;
}

class LogBuffer {
  private text = '';
  private base = 0; // absolute offset of text[0]
  private waiters = new Set<LogWaiter>();

  get end(): number {
    return this.base + this.text.length;
  }

  all(): string {
    return this.text;
  }

  append(chunk: string): void {
    this.text += chunk;
    if (this.text.length > LOG_LIMIT) {
      let cut = this.text.length - LOG_LIMIT;
      const nl = this.text.indexOf('\n', cut);
      if (nl >= 0) cut = nl + 1;
      this.text = this.text.slice(cut);
      this.base += cut;
    }
    for (const w of this.waiters) {
      const line = this.find(w.re, w.since);
      if (line !== undefined) {
        this.waiters.delete(w);
        w.resolve(line);
      }
    }
  }

  /** First complete line at or after absolute offset `since` matching re. */
  find(re: RegExp, since: number): string | undefined {
    const from = Math.max(0, since - this.base);
    const lastNl = this.text.lastIndexOf('\n');
    if (lastNl < from) return undefined;
    const region = this.text.slice(from, lastNl + 1);
    for (const line of region.split('\n')) if (re.test(line)) return line;
    return undefined;
  }

  /** `cancel` settling aborts the wait (used to stop waiting once the process died). */
  wait(re: RegExp, timeoutMs: number, since: number, label: string, cancel?: Promise<unknown>): Promise<string> {
    const plain = new RegExp(re.source, re.flags.replace(/[gy]/g, '')); // no lastIndex state
    const hit = this.find(plain, since);
    if (hit !== undefined) return Promise.resolve(hit);
    return new Promise<string>((resolvePromise, reject) => {
      const w: LogWaiter = {
        re: plain,
        since,
        resolve: (line) => {
          clearTimeout(timer);
          resolvePromise(line);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(w);
        reject(new Error(`${label}: no log line matching ${re} within ${timeoutMs} ms\n${this.tail()}`));
      }, timeoutMs);
      this.waiters.add(w);
      cancel?.then(
        () => {
          if (!this.waiters.delete(w)) return;
          clearTimeout(timer);
          reject(new Error(`${label}: wait for ${re} cancelled`));
        },
        () => {},
      );
    });
  }

  tail(chars = 6000): string {
    return `--- server log (last ${chars} chars) ---\n${this.text.slice(-chars)}`;
  }
}

// ---------------------------------------------------------------------------
// Config

const q = (s: string): string => JSON.stringify(s);

interface Ports {
  client: number;
  cluster: number;
  http: number;
}

function renderConfig(name: string, opts: StartOptions, ports: Ports): string {
  const c = opts.cluster ?? {};
  const lines = [
    `server_name: ${q(name)}`,
    `listen: ${q(`${HOST}:${ports.client}`)}`,
    `http: ${q(`${HOST}:${ports.http}`)}`,
    'cluster {',
    `  name: ${q(c.name ?? 'test-cluster')}`,
    `  listen: ${q(`${HOST}:${ports.cluster}`)}`,
  ];
  if (c.authorization) {
    const a = c.authorization;
    lines.push(
      `  authorization { user: ${q(a.user)}, password: ${q(a.password)}${a.timeout !== undefined ? `, timeout: ${a.timeout}` : ''} }`,
    );
  }
  if (c.poolSize !== undefined) lines.push(`  pool_size: ${c.poolSize}`);
  if (c.routes?.length) lines.push(`  routes: [${c.routes.map(q).join(', ')}]`);
  if (c.extra) lines.push(c.extra);
  lines.push('}');
  if (opts.extraConfig) lines.push(opts.extraConfig);
  return lines.join('\n') + '\n';
}

// ---------------------------------------------------------------------------
// Server

let counter = 0;

const TERMINATING = new Set<NodeJS.Signals>(['SIGKILL', 'SIGTERM', 'SIGINT', 'SIGQUIT']);

export async function startServer(t: TestLike | undefined, opts: StartOptions): Promise<StartedServer> {
  installExitHooks();
  const bin = binaryPath(opts.version);
  const name = opts.name ?? `s${++counter}-${opts.version}`;
  const dir = mkdtempSync(join(tmpdir(), `nats-${name}-`));
  tempDirs.add(dir);
  const confPath = join(dir, 'server.conf');
  const log = new LogBuffer();

  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let ports: Ports = { client: -1, cluster: opts.clusterPort ?? -1, http: -1 };

  const launch = async (): Promise<void> => {
    writeFileSync(confPath, renderConfig(name, opts, ports));
    const since = log.end;
    const args = ['-c', confPath, '-D'];
    const proc = SETPRIV
      ? spawn(SETPRIV, ['--pdeathsig', 'SIGKILL', '--', bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    live.add(proc);
    proc.stdout!.setEncoding('utf8').on('data', (d: string) => log.append(d));
    proc.stderr!.setEncoding('utf8').on('data', (d: string) => log.append(d));
    let exitInfo: string | undefined; // set once the process is gone
    exited = new Promise<void>((r) => {
      // 'close' (not 'exit') so all output is captured before anyone reads the log.
      proc.once('close', (code, signal) => {
        live.delete(proc);
        exitInfo = signal ? `signal ${signal}` : `code ${code}`;
        r();
      });
      proc.once('error', (err) => {
        live.delete(proc);
        exitInfo = `spawn error: ${err.message}`;
        r();
      });
    });
    const label = `nats-server ${opts.version} '${name}'`;
    const died = exited.then(() => {
      throw new Error(`${label} exited during startup (${exitInfo})\n${log.tail()}`);
    });
    died.catch(() => {}); // only fatal while starting; later exits are the test's business
    const portOf = async (re: RegExp): Promise<number> => {
      const line = await log.wait(re, START_TIMEOUT_MS, since, label, exited);
      return Number(/:(\d+)\s*$/.exec(line)![1]);
    };
    const started = Promise.all([
      portOf(/Listening for client connections on /),
      portOf(/Listening for route connections on /),
      portOf(/Starting http monitor on /),
    ]);
    const [client, cluster, http] = await Promise.race([started, died]);
    ports = { client, cluster, http };
    const healthy = waitFor(
      // Once the process is gone `died` wins the race below; just stop polling.
      async () => exitInfo !== undefined || (await fetch(`http://${HOST}:${http}/healthz`)).status === 200 || undefined,
      { timeoutMs: START_TIMEOUT_MS, what: `${label} /healthz` },
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${log.tail()}`);
    });
    await Promise.race([healthy, died]);
  };

  const stop = async (): Promise<void> => {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  };

  const get = async (endpoint: string, query?: string): Promise<any> => {
    const res = await fetch(`http://${HOST}:${ports.http}/${endpoint}${query ? `?${query}` : ''}`);
    if (!res.ok) throw new Error(`GET /${endpoint} on '${name}': HTTP ${res.status}`);
    return await res.json();
  };

  const auth = opts.cluster?.authorization;
  const creds = auth ? `${encodeURIComponent(auth.user)}:${encodeURIComponent(auth.password)}@` : '';

  const server: StartedServer = {
    version: opts.version,
    name,
    get clientPort() {
      return ports.client;
    },
    get clusterPort() {
      return ports.cluster;
    },
    get httpPort() {
      return ports.http;
    },
    get clientUrl() {
      return `nats://${HOST}:${ports.client}`;
    },
    get routeUrl() {
      return `nats-route://${creds}${HOST}:${ports.cluster}`;
    },
    get pid() {
      return child?.pid ?? -1;
    },
    logs: () => log.all(),
    logOffset: () => log.end,
    routez: (query) => get('routez', query),
    varz: (query) => get('varz', query),
    monitor: (endpoint, query) => get(endpoint, query),
    stop,
    kill: async (signal = 'SIGKILL') => {
      const proc = child;
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill(signal);
      if (TERMINATING.has(signal)) await exited;
    },
    restart: async () => {
      await stop();
      await launch(); // ports now hold the real numbers, so the same ones are reused
    },
    waitForLog: (re, timeoutMs = 10_000, since = 0) => log.wait(re, timeoutMs, since, `'${name}'`),
  };

  const cleanup = async (passing: boolean): Promise<void> => {
    await stop();
    if (passing) {
      rmSync(dir, { recursive: true, force: true });
    } else {
      // Keep the evidence of a failing test around.
      writeFileSync(join(dir, 'server.log'), log.all());
      process.stderr.write(`# nats-server '${name}' log kept at ${join(dir, 'server.log')}\n`);
    }
    tempDirs.delete(dir);
  };

  if (t) t.teardown(() => cleanup(t.passing ? t.passing() : true));

  try {
    await launch();
  } catch (err) {
    if (!t) await cleanup(false);
    throw err;
  }
  return server;
}
