// Go's text formatting, reproduced where nats-server messages embed it: %q (strconv.Quote),
// %q of a []string, %v of a float64, %f, and strconv.Atoi. Users compare our messages with
// nats-server's, so the quoting must match byte for byte on ordinary input.

const NAMED_ESCAPES: Record<number, string> = {
  0x07: '\\a', 0x08: '\\b', 0x0c: '\\f', 0x0a: '\\n', 0x0d: '\\r', 0x09: '\\t', 0x0b: '\\v',
};

/** Go's strconv.Quote (%q of a string). Non-printable runes follow Go's escape forms. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp === 0x22) out += '\\"';
    else if (cp === 0x5c) out += '\\\\';
    else if (cp < 0x20 || cp === 0x7f) out += NAMED_ESCAPES[cp] ?? `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (!isGoPrintable(cp)) out += cp > 0xffff ? `\\U${cp.toString(16).padStart(8, '0')}` : `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return out + '"';
}

// unicode.IsPrint approximation: ASCII space is printable, other spaces and controls are not.
function isGoPrintable(cp: number): boolean {
  if (cp >= 0x80 && cp <= 0xa0) return false;
  if (cp === 0xad || cp === 0x2028 || cp === 0x2029 || cp === 0xfeff) return false;
  if (cp >= 0x2000 && cp <= 0x200f) return false;
  if (cp >= 0xd800 && cp <= 0xdfff) return false;
  return true;
}

/** %q of a []string: `["A" "B"]`. */
export function goQuoteList(items: readonly string[]): string {
  return `[${items.map(goQuote).join(' ')}]`;
}

/** %v of a float64 (shortest representation, exponent form outside [1e-4, 1e6)). */
export function goFloatV(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '+Inf' : '-Inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const [mant, expText] = x.toExponential().split('e');
  const exp = Number(expText);
  if (exp < -4 || exp >= 6) {
    const sign = exp < 0 ? '-' : '+';
    return `${mant}e${sign}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return String(x);
}

/** %f of a float64. */
export function goFloatF(x: number): string {
  return x.toFixed(6);
}

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

/** strconv.Atoi; the error text is Go's (`strconv.Atoi: parsing "x": invalid syntax`). */
export function goAtoi(s: string): { value: number } | { error: string } {
  if (!/^[+-]?[0-9]+$/.test(s)) return { error: `strconv.Atoi: parsing ${goQuote(s)}: invalid syntax` };
  const n = BigInt(s);
  if (n > INT64_MAX || n < INT64_MIN) return { error: `strconv.Atoi: parsing ${goQuote(s)}: value out of range` };
  return { value: Number(n) };
}
