// Go's time.ParseDuration and Duration.String(), because nats-server takes durations in
// that syntax and prints them in that form inside its messages (e.g. `[50ms 10ms]`).
import { goQuote } from './go-text.js';

const NS = 1n;
const UNITS: Record<string, bigint> = {
  ns: NS,
  us: 1000n,
  'µs': 1000n, // U+00B5 micro sign
  'μs': 1000n, // U+03BC Greek mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60n * 1_000_000_000n,
  h: 3600n * 1_000_000_000n,
};
const MAX = 1n << 63n;

export type DurationResult = { ns: bigint } | { error: string };

/** time.ParseDuration; errors carry Go's exact text (`time: invalid duration "abc"`). */
export function parseGoDuration(orig: string): DurationResult {
  const invalid = { error: `time: invalid duration ${goQuote(orig)}` };
  let s = orig;
  let neg = false;
  if (s !== '' && (s[0] === '-' || s[0] === '+')) {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return { ns: 0n };
  if (s === '') return invalid;
  let d = 0n;
  while (s !== '') {
    if (!(s[0] === '.' || isDigit(s[0]!))) return invalid;
    let i = 0;
    while (i < s.length && isDigit(s[i]!)) i++;
    const pre = i > 0;
    let v = pre ? BigInt(s.slice(0, i)) : 0n;
    if (v >= MAX) return invalid; // leadingInt overflow
    s = s.slice(i);
    let frac = '';
    let post = false;
    if (s !== '' && s[0] === '.') {
      s = s.slice(1);
      let j = 0;
      while (j < s.length && isDigit(s[j]!)) j++;
      frac = s.slice(0, j);
      post = j > 0;
      s = s.slice(j);
    }
    if (!pre && !post) return invalid;
    let k = 0;
    while (k < s.length && s[k] !== '.' && !isDigit(s[k]!)) k++;
    if (k === 0) return { error: `time: missing unit in duration ${goQuote(orig)}` };
    const u = s.slice(0, k);
    s = s.slice(k);
    const unit = UNITS[u];
    if (unit === undefined) return { error: `time: unknown unit ${goQuote(u)} in duration ${goQuote(orig)}` };
    if (v > MAX / unit) return invalid;
    v *= unit;
    if (frac !== '') {
      // Go accumulates the fraction as float64(f) * (unit / scale); digits beyond int64 are dropped.
      const digits = frac.replace(/0+$/, '');
      if (digits !== '') {
        const add = BigInt(Math.trunc(Number(`0.${frac}`) * Number(unit)));
        v += add;
        if (v > MAX) return invalid;
      }
    }
    d += v;
    if (d > MAX) return invalid;
  }
  if (neg) return { ns: -d };
  if (d > MAX - 1n) return invalid;
  return { ns: d };
}

function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}

/** Duration.String(): 10ms, 1.5s, 2m0s, 1h0m0s, 100µs, 0s. */
export function formatGoDuration(nsIn: bigint): string {
  if (nsIn === 0n) return '0s';
  const neg = nsIn < 0n;
  let u = neg ? -nsIn : nsIn;
  let out: string;
  if (u < 1_000_000_000n) {
    let unit: string;
    let prec: number;
    if (u < 1000n) { prec = 0; unit = 'ns'; }
    else if (u < 1_000_000n) { prec = 3; unit = 'µs'; }
    else { prec = 6; unit = 'ms'; }
    const [frac, rest] = fmtFrac(u, prec);
    out = `${rest}${frac}${unit}`;
  } else {
    const [frac, secsAll] = fmtFrac(u, 9);
    u = secsAll;
    out = `${u % 60n}${frac}s`;
    u /= 60n;
    if (u > 0n) {
      out = `${u % 60n}m${out}`;
      u /= 60n;
      if (u > 0n) out = `${u}h${out}`;
    }
  }
  return neg ? `-${out}` : out;
}

// The fraction of v/10**prec without trailing zeros (and without '.' when it is zero).
function fmtFrac(v: bigint, prec: number): [string, bigint] {
  let digits = '';
  let print = false;
  for (let i = 0; i < prec; i++) {
    const digit = v % 10n;
    print ||= digit !== 0n;
    if (print) digits = `${digit}${digits}`;
    v /= 10n;
  }
  return [print ? `.${digits}` : '', v];
}

export function nsToMs(ns: bigint): number {
  return Number(ns) / 1e6;
}

export function msToNs(ms: number): bigint {
  return BigInt(Math.round(ms * 1e6));
}
