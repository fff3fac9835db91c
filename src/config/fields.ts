// Typed accessors shared by the option modules: Go's type-assertion messages at the key,
// nats-server's parseDuration and parseListen, and the random-map-order check.
import type { ConfEntry, ConfMap, ConfValue, SourcePos } from './tree.js';
import { goTypeName } from './tree.js';
import type { IssueSink } from './issues.js';
import { goAtoi, goQuote } from './go-text.js';
import { parseGoDuration } from './duration.js';
import { randomInt } from 'node:crypto';
import { splitHostPort } from './go-url.js';
import { hasUrlPassword, redactUrlText } from './route-url.js';

export const SECOND_NS = 1_000_000_000n;
export const RANDOM_ORDER = 'nats-server applies them in random order';

export function str(e: ConfEntry, sink: IssueSink): string | undefined {
  if (e.value.type === 'string') return e.value.value;
  sink.typeMismatch(e.keyPos, e.value, 'string');
  return undefined;
}

export function int(e: ConfEntry, sink: IssueSink): number | undefined {
  if (e.value.type === 'int') return e.value.value;
  sink.typeMismatch(e.keyPos, e.value, 'int64');
  return undefined;
}

export function bool(e: ConfEntry, sink: IssueSink): boolean | undefined {
  if (e.value.type === 'bool') return e.value.value;
  sink.typeMismatch(e.keyPos, e.value, 'bool');
  return undefined;
}

/** nats-server parseDuration: a duration string, or (deprecated) an integer of seconds. */
export function duration(field: string, e: ConfEntry, sink: IssueSink): bigint | undefined {
  const v = e.value;
  if (v.type === 'string') {
    const d = parseGoDuration(v.value);
    if ('error' in d) {
      sink.error(e.keyPos, `error parsing ${field}: ${d.error}`);
      return undefined;
    }
    return d.ns;
  }
  sink.fieldWarning(e.keyPos, field, `${field} should be converted to a duration`);
  if (v.type !== 'int') {
    sink.typeMismatch(e.keyPos, v, 'int64');
    return undefined;
  }
  return BigInt(v.value) * SECOND_NS;
}

export type Listen = { host: string; port: number } | { error: string };

/** nats-server parseListen: a port, or a "host:port" string. */
export function parseListen(v: ConfValue): Listen {
  if (v.type === 'int') return { host: '', port: v.value };
  if (v.type !== 'string') return { error: `expected port or host:port, got ${goTypeName(v)}` };
  const hp = splitHostPort(v.value);
  // Someone may write a URL with user info here: the message quotes the text minus the password.
  const secret = hasUrlPassword(v.value);
  if ('error' in hp) return { error: `could not parse address string ${goQuote(redactUrlText(v.value))}` };
  const p = goAtoi(hp.port);
  if ('error' in p) {
    return { error: secret ? `could not parse port in ${goQuote(redactUrlText(v.value))}` : `could not parse port ${goQuote(hp.port)}` };
  }
  return { host: hp.host, port: p.value };
}

export function checkPortRange(port: number, pos: SourcePos | undefined, sink: IssueSink): boolean {
  if (port >= -1 && port <= 65535) return true;
  sink.error(pos, `invalid port ${port}: use 1-65535, -1 for a random port, or 0 to disable`);
  return false;
}

/**
 * Keys nats-server would apply in random map order: the same option written twice in a
 * different letter case, or through two aliases. Reported at the later key.
 */
export function checkRandomOrder(m: ConfMap, groups: readonly string[][], sink: IssueSink): void {
  const seen = new Map<string, ConfEntry>();
  for (const [key, e] of m.entries) {
    const lk = key.toLowerCase();
    const canon = groups.find((g) => g.includes(lk))?.[0] ?? lk;
    const first = seen.get(canon);
    if (first) sink.error(e.keyPos, `cannot combine ${goQuote(key)} with ${goQuote(first.key)}: ${RANDOM_ORDER}`);
    else seen.set(canon, e);
  }
}

const NUID_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** A random 22-character NUID-like name, as nats-server generates for a missing cluster name. */
export function generateName(): string {
  let s = '';
  for (let i = 0; i < 22; i++) s += NUID_ALPHABET[randomInt(NUID_ALPHABET.length)];
  return s;
}
