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

/** Keys whose value is a secret: a value error under them must not quote the value. */
export function isSecretKey(key: string): boolean {
  return /^pass(word)?$/i.test(key);
}

/** A parse message about `text` with every copy of the text replaced by [REDACTED]. */
export function redactValueText(message: string, text: string): string {
  return text === '' ? message : message.split(text).join(REDACTED);
}
