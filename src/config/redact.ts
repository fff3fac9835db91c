// Printable options: `-t` shows what the daemon would run with, minus secrets.
import type { Options } from './options.js';
import { REDACTED } from './route-url.js';

/** Pretty JSON of the options with every password shown as [REDACTED]. */
export function optionsToJSON(options: Options): string {
  return JSON.stringify(options, (key, value: unknown) => {
    if (key === 'password' && typeof value === 'string') return REDACTED;
    if (key === 'pos') return undefined; // source positions are noise here
    return value;
  }, 2);
}
