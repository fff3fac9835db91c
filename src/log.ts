import { pino, type Logger } from 'pino';
import type { LoggingOptions } from './config/options.js';

export type { Logger };

// Credentials never reach the log: any field with these names is censored wherever it appears.
const REDACT_PATHS = ['pass', 'password', '*.pass', '*.password', 'connect.pass', 'authorization.password'];

export function createLogger(opts: Partial<LoggingOptions> = {}): Logger {
  const level = opts.trace ? 'trace' : opts.debug ? 'debug' : 'info';
  const destination = opts.logfile ? pino.destination({ dest: opts.logfile, mkdir: true, sync: false }) : pino.destination(1);
  return pino(
    {
      level,
      base: undefined,
      timestamp: opts.logtime === false ? false : pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}

/** A logger that drops everything (tests that only care about behaviour). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
