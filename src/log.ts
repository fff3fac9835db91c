// Logging: pino, one JSON event per line by default (journald and log shippers read it), a
// human-readable form when stdout is a terminal, or a `logfile` that SIGUSR1 reopens after
// logrotate moved it (as nats-server). Credentials never reach the log.
import { pino, type Logger, type DestinationStream } from 'pino';
import pretty from 'pino-pretty';
import type { LoggingOptions } from './config/options.js';

export type { Logger };

// Any field with these names is censored wherever it appears.
const REDACT_PATHS = ['pass', 'password', '*.pass', '*.password', 'connect.pass', 'authorization.password'];

export function levelOf(opts: Partial<LoggingOptions>): 'trace' | 'debug' | 'info' {
  return opts.trace ? 'trace' : opts.debug ? 'debug' : 'info';
}

/** A logger plus what the daemon needs to change it while running. */
export interface Logging {
  logger: Logger;
  /** Reopens the logfile (SIGUSR1); false when logging to stdout. */
  reopen(): boolean;
  /** Applies new levels (reload); a changed logfile or logtime needs reopen()/a restart of pino. */
  setLevel(opts: Partial<LoggingOptions>): void;
  flush(): void;
}

type FileDestination = ReturnType<typeof pino.destination>;

export function createLogging(opts: Partial<LoggingOptions> = {}, stdout: { isTTY?: boolean } = process.stdout): Logging {
  let file: FileDestination | undefined;
  let sonic: FileDestination | undefined;
  let stream: DestinationStream;
  if (opts.logfile) {
    file = pino.destination({ dest: opts.logfile, mkdir: true, sync: false });
    sonic = file;
    stream = file;
  } else if (stdout.isTTY) {
    stream = pretty({ colorize: true, sync: true, translateTime: 'SYS:yyyy/mm/dd HH:MM:ss.l', ignore: 'pid,hostname' });
  } else {
    sonic = pino.destination({ dest: 1, sync: false });
    stream = sonic;
  }
  const logger = pino(
    {
      level: levelOf(opts),
      base: undefined,
      timestamp: opts.logtime === false ? false : pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    stream,
  );
  return {
    logger,
    reopen() {
      if (!file) return false;
      file.reopen();
      return true;
    },
    setLevel(o) {
      logger.level = levelOf(o);
    },
    flush() {
      try {
        sonic?.flushSync();
      } catch {
        // not ready yet (sonic-boom opens asynchronously): nothing written, nothing lost
      }
    },
  };
}

export function createLogger(opts: Partial<LoggingOptions> = {}): Logger {
  return createLogging(opts).logger;
}

/** A logger that drops everything (tests that only care about behaviour). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
