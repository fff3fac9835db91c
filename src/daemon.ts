// Starting and stopping the daemon: logger, route layer, monitoring, signals, reload, lame duck
// and systemd readiness. Signal semantics follow nats-server (server/signal.go):
//   SIGINT, SIGTERM  graceful stop (bounded); a second one exits at once
//   SIGHUP           reload the configuration file
//   SIGUSR1          reopen the logfile (logrotate)
//   SIGUSR2          lame duck mode: stop accepting routes, wait the grace period, stop
//   SIGQUIT          exit at once (no grace), logged
import { unlinkSync, writeFileSync } from 'node:fs';
import type { Options } from './config/options.js';
import { diffOptions, type OptionChange } from './config/diff.js';
import { createLogging, type Logger, type Logging } from './log.js';
import { RouteManager } from './route/manager.js';
import { Relay } from './relay/relay.js';
import { routeClosed, routeRegistered, type RouteRegisteredEvent } from './route/events.js';
import { MonitorServer } from './monitor/server.js';
import { noteRegistration, peerCounts } from './monitor/collect.js';
import { createMetrics } from './monitor/metrics.js';
import { createNotifier, type Notifier } from './systemd.js';

export interface RunningDaemon {
  readonly routes: RouteManager;
  readonly relay: Relay;
  readonly logger: Logger;
  readonly monitor: MonitorServer | undefined;
  /** The options running now (a reload changes them). */
  options(): Options;
  /** Reloads from `next`, or from the configuration source given at start. */
  reload(next?: Options): Promise<ReloadOutcome>;
  lameDuck(): Promise<void>;
  reopenLog(): boolean;
  close(): Promise<void>;
}

export interface ReloadOutcome {
  ok: boolean;
  changes: OptionChange[];
  errors: string[];
}

/** Re-reads the configuration (the CLI: the same file with the same flags). */
export type OptionsSource = () => { options: Options | undefined; errors: string[] };

export interface DaemonOptions {
  logger?: Logger;
  /** The CLI's logging (logfile reopen, level changes on reload). */
  logging?: Logging;
  /** Install signal and uncaught-error handlers (the CLI does; embedded use and tests do not). */
  handleSignals?: boolean;
  serverId?: string;
  source?: OptionsSource;
  notifier?: Notifier;
  /** Ends the process (default process.exit), after logs are flushed. */
  exit?: (code: number) => void;
}

/** Bound on a graceful stop: whatever is not flushed by then is given up. */
const SHUTDOWN_GRACE_MS = 10_000;
const DEFAULT_LDM_GRACE_MS = 10_000;

/** Starts everything or nothing: a failure to bind closes what was started and rejects. */
export async function runDaemon(options: Options, opts: DaemonOptions = {}): Promise<RunningDaemon> {
  const logging = opts.logging ?? (opts.logger ? undefined : createLogging(options.logging));
  const logger = opts.logger ?? logging!.logger;
  const notifier = opts.notifier ?? createNotifier(logger);
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  warnUnimplemented(options, logger);
  const startedAt = Date.now();
  let configLoadedAt = startedAt;
  let current = options;
  let ldm = false;

  const routes = new RouteManager(options, logger, opts.serverId);
  const relay = new Relay(routes);
  const onRegistered = (m: unknown) => {
    const e = m as RouteRegisteredEvent;
    noteRegistration(e.peer, e.conn);
    statusSoon();
  };
  const onClosed = () => statusSoon();
  routeRegistered.subscribe(onRegistered);
  routeClosed.subscribe(onClosed);
  const unsubscribe = () => {
    routeRegistered.unsubscribe(onRegistered);
    routeClosed.unsubscribe(onClosed);
  };

  const metrics = createMetrics(routes, relay, () => current);
  let monitor: MonitorServer | undefined;
  try {
    await routes.start();
    if (options.http) {
      monitor = new MonitorServer({
        routes, relay, logger, startedAt,
        options: () => current,
        configLoadedAt: () => configLoadedAt,
        lameDuck: () => ldm,
        metrics: () => metrics.render(),
      });
      await monitor.listen(options.http.host, options.http.port);
    }
    if (options.pidFile) writeFileSync(options.pidFile, `${process.pid}`);
  } catch (err) {
    unsubscribe();
    await monitor?.close();
    await routes.close();
    metrics.close();
    throw err;
  }

  // STATUS= tells `systemctl status` how many peers are connected; coalesced per turn.
  let statusTimer: NodeJS.Timeout | undefined;
  function statusLine(): string {
    const p = peerCounts(routes);
    return `STATUS=${ldm ? 'lame duck: ' : ''}${p.servers} server peer(s), ${p.proxies} proxy peer(s) connected`;
  }
  function statusSoon(): void {
    if (!notifier.enabled || statusTimer) return;
    statusTimer = setTimeout(() => {
      statusTimer = undefined;
      void notifier.notify(statusLine());
    }, 50);
    statusTimer.unref();
  }

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      logger.info('Initiating Shutdown...');
      notifier.stop();
      await notifier.notify('STOPPING=1');
      unsubscribe();
      if (statusTimer) clearTimeout(statusTimer);
      await monitor?.close();
      await routes.close();
      metrics.close();
      if (current.pidFile) {
        try { unlinkSync(current.pidFile); } catch { /* already gone */ }
      }
      logger.info('Server Exiting..');
      logging?.flush();
    })();
    return closing;
  };

  const reload = async (nextIn?: Options): Promise<ReloadOutcome> => {
    await notifier.notify('RELOADING=1', `MONOTONIC_USEC=${process.hrtime.bigint() / 1000n}`);
    try {
      let next = nextIn;
      if (!next) {
        const loaded = opts.source ? opts.source() : { options: undefined, errors: ['no configuration file to reload'] };
        if (!loaded.options || loaded.errors.length > 0) {
          const errors = loaded.errors.length > 0 ? loaded.errors : ['invalid configuration'];
          logger.error(`Failed to reload server configuration: ${errors.join('; ')}`);
          return { ok: false, changes: [], errors };
        }
        next = loaded.options;
      }
      const diff = diffOptions(current, next, { tlsReloadable: true });
      if (!diff.applicable) {
        logger.error(`Failed to reload server configuration: ${diff.refusals.join('; ')}`);
        return { ok: false, changes: diff.changes, errors: diff.refusals };
      }
      await applyChanges(current, next, diff.changes, routes, logger, logging);
      configLoadedAt = Date.now();
      logger.info('Reloaded server configuration');
      return { ok: true, changes: diff.changes, errors: [] };
    } catch (err) {
      logger.error({ err }, `Failed to reload server configuration: ${(err as Error).message}`);
      return { ok: false, changes: [], errors: [(err as Error).message] };
    } finally {
      await notifier.notify('READY=1', statusLine());
    }
  };

  const lameDuck = async (): Promise<void> => {
    if (ldm || closing) return;
    ldm = true;
    const grace = current.lameDuckGracePeriodMs ?? DEFAULT_LDM_GRACE_MS;
    logger.info(`Entering lame duck mode, stop accepting new route connections (closing routes in ${grace} ms)`);
    routes.stopAccepting();
    void notifier.notify(statusLine());
    await new Promise((r) => setTimeout(r, grace));
    await close();
  };

  const reopenLog = (): boolean => {
    const done = logging?.reopen() ?? false;
    logger.info(done ? 'Reopened log file' : 'No log file to reopen (logging to stdout)');
    return done;
  };

  if (opts.handleSignals) {
    const { handleSignal } = await import('./early-signals.js');
    const stopThenExit = (code: number) => {
      // A stop that hangs must not keep the process: the grace period bounds it.
      const timer = setTimeout(() => {
        logger.error(`Shutdown did not finish within ${SHUTDOWN_GRACE_MS} ms: exiting`);
        logging?.flush();
        exit(1);
      }, SHUTDOWN_GRACE_MS);
      timer.unref();
      void close().then(() => exit(code));
    };
    const onStop = (sig: NodeJS.Signals) => {
      if (closing) {
        logger.warn(`Trapped "${sig}" signal again: exiting at once`);
        logging?.flush();
        exit(1);
        return;
      }
      logger.info(`Trapped "${sig}" signal`);
      stopThenExit(0);
    };
    handleSignal('SIGINT', onStop);
    handleSignal('SIGTERM', onStop);
    handleSignal('SIGHUP', (sig) => {
      logger.info(`Trapped "${sig}" signal`);
      void reload();
    });
    handleSignal('SIGUSR1', (sig) => {
      logger.info(`Trapped "${sig}" signal`);
      reopenLog();
    });
    handleSignal('SIGUSR2', (sig) => {
      logger.info(`Trapped "${sig}" signal`);
      void lameDuck().then(() => exit(0));
    });
    handleSignal('SIGQUIT', (sig) => {
      logger.warn(`Trapped "${sig}" signal: exiting at once, without a graceful stop`);
      logging?.flush();
      exit(2);
    });
    // An error nobody handled leaves the daemon in an unknown state: log it, exit non-zero, let
    // systemd (Restart=on-failure) start a clean one.
    const fatal = (what: string) => (err: unknown) => {
      logger.fatal({ err }, `${what}: ${err instanceof Error ? err.message : String(err)}`);
      logging?.flush();
      exit(1);
    };
    process.on('uncaughtException', fatal('Unexpected error (uncaught exception), exiting'));
    process.on('unhandledRejection', fatal('Unexpected error (unhandled promise rejection), exiting'));
  }
  // Ready only once every handler is in place (a signal right after READY=1 is handled).
  logger.info(`Server "${options.serverName}" is ready (route proxy)`);
  void notifier.notify('READY=1', statusLine());
  notifier.startWatchdog();
  return {
    routes, relay, logger, monitor, close, reload, lameDuck, reopenLog,
    options: () => current,
  };
}

function warnUnimplemented(options: Options, logger: Logger): void {
  const c = options.cluster;
  if (c.nameDynamic) logger.warn('Cluster name was dynamically generated, consider setting one');
}

/** Applies a reload that diffOptions accepted, in place: the route layer holds `current`. */
async function applyChanges(
  current: Options, next: Options, changes: OptionChange[], routes: RouteManager, logger: Logger, logging: Logging | undefined,
): Promise<void> {
  const kinds = new Set(changes.map((ch) => ch.kind));
  const cur = current.cluster;
  const nc = next.cluster;
  // First, as the only step that can fail (bad certificate files): a failure changes nothing.
  // Re-read even when the paths did not change: as nats-server does on every reload, so files
  // replaced in place (certificate rotation) take effect on SIGHUP.
  if (nc.tls && (kinds.has('tls') || cur.tls)) {
    routes.reloadTls(nc.tls);
    cur.tls = nc.tls;
  }
  if (kinds.has('logging')) {
    current.logging.debug = next.logging.debug;
    current.logging.trace = next.logging.trace;
    if (logging) logging.setLevel(next.logging);
    else logger.level = next.logging.trace ? 'trace' : next.logging.debug ? 'debug' : 'info';
    routes.refreshLogLevel();
  }
  if (kinds.has('connection-settings')) {
    Object.assign(cur, {
      pingIntervalMs: nc.pingIntervalMs, pingMax: nc.pingMax, writeDeadlineMs: nc.writeDeadlineMs,
      writeTimeout: nc.writeTimeout, connectRetries: nc.connectRetries, connectBackoff: nc.connectBackoff,
    });
    current.lameDuckDurationMs = next.lameDuckDurationMs;
    current.lameDuckGracePeriodMs = next.lameDuckGracePeriodMs;
  }
  if (kinds.has('compression')) {
    const r = routes.updateCompression(nc.compression);
    cur.compression = nc.compression;
    if (r.levels + r.closed > 0) logger.info(`Reload: compression level changed on ${r.levels} route(s), ${r.closed} closed to renegotiate`);
  }
  if (kinds.has('pool')) {
    const r = await routes.updatePool(nc.poolSize, nc.accounts);
    logger.info(`Reload: pool_size ${nc.poolSize}, pinned accounts [${nc.accounts.join(', ')}]`
      + `${r.added.length ? `; pinned ${r.added.join(', ')}` : ''}${r.removed.length ? `; unpinned ${r.removed.join(', ')}` : ''}; ${r.closed} connection(s) closed`);
  }
  if (kinds.has('proxy')) routes.updateProxyBounds(next.proxy);
  if (kinds.has('authorization')) {
    cur.permissions = nc.permissions;
    cur.authTimeoutMs = nc.authTimeoutMs;
    const closed = await routes.updateAuthorization(nc.authorization);
    if (closed > 0) logger.info(`Reload: closed ${closed} route(s) that the new authorization refuses`);
  }
  if (kinds.has('routes')) {
    const r = routes.updateRoutes(nc.routes);
    for (const u of r.added) logger.info(`Reload: added route ${u}`);
    for (const u of r.removed) logger.info(`Reload: removed route ${u}`);
  }
  warnUnimplemented(current, logger);
  for (const ch of changes) logger.info(`Reloaded: ${ch.field}`);
}
