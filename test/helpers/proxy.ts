// Starts nats-route-proxy in-process for a test, from NATS config text, with its log captured.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { parseConfigText } from '../../src/config/load.js';
import { buildOptions, formatIssue } from '../../src/config/build.js';
import type { Options } from '../../src/config/options.js';
import { runDaemon, type OptionsSource, type RunningDaemon } from '../../src/daemon.js';
import { waitFor } from './nats-server.js';

export interface StartedProxy {
  daemon: RunningDaemon;
  options: Options;
  port: number;
  routeUrl: string;
  serverId: string;
  logs(): string[];
  /** The structured log records (fields beside msg, e.g. a close's `code` and `reason`). */
  records(): Array<Record<string, unknown>>;
  waitForLog(re: RegExp, timeoutMs?: number): Promise<string>;
  stop(): Promise<void>;
}

interface Teardownable { teardown(fn: () => unknown): void }

export async function startProxy(
  t: Teardownable | undefined,
  conf: string,
  opts: { serverId?: string; level?: 'info' | 'debug' | 'trace'; source?: OptionsSource } = {},
): Promise<StartedProxy> {
  const built = buildOptions(parseConfigText(conf, 'test.conf'));
  if (!built.options || built.errors.length > 0) {
    throw new Error(`proxy config invalid:\n${built.errors.map(formatIssue).join('\n')}`);
  }
  const options = built.options;
  const lines: string[] = [];
  const records: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line === '') continue;
        try {
          const rec = JSON.parse(line) as Record<string, unknown> & { msg: string };
          lines.push(rec.msg);
          records.push(rec);
        } catch {
          lines.push(line);
        }
      }
      if (lines.length > 20000) lines.splice(0, lines.length - 20000);
      if (records.length > 20000) records.splice(0, records.length - 20000);
      cb();
    },
  });
  const logger = pino({ level: opts.level ?? 'debug', base: undefined }, sink);
  const daemon = await runDaemon(options, { logger, serverId: opts.serverId, ...(opts.source ? { source: opts.source } : {}) });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await daemon.close();
  };
  t?.teardown(stop);
  return {
    daemon,
    options,
    port: daemon.routes.listenPort,
    routeUrl: `nats://127.0.0.1:${daemon.routes.listenPort}`,
    serverId: daemon.routes.serverId,
    logs: () => lines,
    records: () => records,
    waitForLog: (re, timeoutMs = 10_000) =>
      waitFor(() => lines.find((l) => re.test(l)), { timeoutMs, what: `proxy log ${re}` }),
    stop,
  };
}

/**
 * Waits until the proxy's connections to peer `id` are complete: every pool slot filled and, when
 * pooling, the pinned $SYS connection up. Before that `peer.main` may still change (a pinned
 * connection can register before pool index 0), so tests that keep a rid wait for this first.
 */
export async function poolSettled(proxy: StartedProxy, id: string, timeoutMs = 15_000) {
  return waitFor(() => {
    const p = proxy.daemon.routes.getPeer(id);
    return p && !p.poolShort && (p.noPool || p.pinned.has('$SYS')) ? p : undefined;
  }, { what: `all connections to ${id}`, timeoutMs });
}

/** Options for a reload of a running proxy from config text: the same listen port as it runs on. */
export function reloadOptions(proxy: StartedProxy, text: string): Options {
  const b = buildOptions(parseConfigText(text, 'test.conf'));
  if (!b.options) throw new Error(b.errors.map(formatIssue).join('\n'));
  b.options.cluster.port = proxy.options.cluster.port;
  return b.options;
}
