// Starting and stopping the daemon: logger, route layer, signals.
import type { Options } from './config/options.js';
import { createLogger, type Logger } from './log.js';
import { RouteManager } from './route/manager.js';
import { Relay } from './relay/relay.js';

export interface RunningDaemon {
  readonly routes: RouteManager;
  readonly relay: Relay;
  readonly logger: Logger;
  close(): Promise<void>;
}

export interface DaemonOptions {
  logger?: Logger;
  /** Install SIGINT/SIGTERM handlers (the CLI does; embedded use and tests do not). */
  handleSignals?: boolean;
  serverId?: string;
}

/** Starts everything or nothing: a failure to bind closes what was started and rejects. */
export async function runDaemon(options: Options, opts: DaemonOptions = {}): Promise<RunningDaemon> {
  const c = options.cluster;
  const logger = opts.logger ?? createLogger(options.logging);
  if (c.accounts.some((a) => a !== options.systemAccount)) {
    logger.warn('cluster.accounts (pinned accounts) is not implemented yet: all accounts share one route per server');
  }
  if (options.cluster.nameDynamic) logger.warn('Cluster name was dynamically generated, consider setting one');
  const routes = new RouteManager(options, logger, opts.serverId);
  const relay = new Relay(routes);
  try {
    await routes.start();
  } catch (err) {
    await routes.close();
    throw err;
  }
  logger.info(`Server "${options.serverName}" is ready (route proxy)`);

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      logger.info('Initiating Shutdown...');
      await routes.close();
      logger.info('Server Exiting..');
      logger.flush?.();
    })();
    return closing;
  };
  if (opts.handleSignals) {
    const onSignal = (sig: NodeJS.Signals) => {
      logger.info(`Trapped "${sig}" signal`);
      void close().then(() => process.exit(0));
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }
  return { routes, relay, logger, close };
}
