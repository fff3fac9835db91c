// NATS subject rules (nats-server sublist.go: isValidSubject, subjectIsLiteral, IsValidLiteralSubject).
// Tokens are separated by '.'; a token that is exactly '*' matches one token, exactly '>' matches one or
// more trailing tokens and must be last. '*' or '>' inside a longer token is an ordinary character.

const DOT = 0x2e;
const STAR = 0x2a;
const GT = 0x3e;

/** Whitespace that nats-server refuses inside subjects (`" \t\n\r\f"`). */
function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0c;
}

/** A subscription subject: non-empty tokens, no whitespace, `>` only as the last token. */
export function isValidSubject(s: string): boolean {
  const n = s.length;
  if (n === 0) return false;
  let tokStart = 0;
  let sawFwc = false;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? s.charCodeAt(i) : DOT;
    if (c === DOT) {
      if (i === tokStart || sawFwc) return false;
      if (i - tokStart === 1 && s.charCodeAt(tokStart) === GT) sawFwc = true;
      tokStart = i + 1;
    } else if (isSpace(c)) {
      return false;
    }
  }
  return true;
}

/** True when no token is exactly `*` or `>` (does not check validity otherwise). */
export function isLiteralSubject(s: string): boolean {
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if ((c === STAR || c === GT) && (i === 0 || s.charCodeAt(i - 1) === DOT) && (i + 1 === n || s.charCodeAt(i + 1) === DOT)) {
      return false;
    }
  }
  return true;
}

/**
 * A publish subject: valid and without wildcard tokens. Stricter than nats-server's IsValidLiteralSubject,
 * which does not look at whitespace (subjects from the wire cannot contain any anyway).
 */
export function isValidLiteralSubject(s: string): boolean {
  return isValidSubject(s) && isLiteralSubject(s);
}

/** Queue group names are a single wire token: non-empty and without whitespace. */
export function isValidQueueName(q: string): boolean {
  const n = q.length;
  if (n === 0) return false;
  for (let i = 0; i < n; i++) if (isSpace(q.charCodeAt(i))) return false;
  return true;
}

/**
 * Reference matcher: does `pattern` (possibly with wildcards) match the literal `subject`?
 * Written for obviousness (split on '.'), not speed; tests compare the fast paths against it.
 */
export function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    const t = p[i];
    if (t === '>') return i === p.length - 1 && s.length > i;
    if (i >= s.length) return false;
    if (t !== '*' && t !== s[i]) return false;
  }
  return p.length === s.length;
}

/**
 * The same answer as subjectMatches without allocating (used to invalidate match caches).
 * Both arguments are assumed valid; `subject` is literal.
 */
export function subjectMatchesFast(pattern: string, subject: string): boolean {
  const pn = pattern.length;
  const sn = subject.length;
  let pi = 0;
  let si = 0;
  for (;;) {
    // At the start of a pattern token and a subject token.
    const pEnd = tokenEnd(pattern, pi);
    const plen = pEnd - pi;
    if (plen === 1) {
      const c = pattern.charCodeAt(pi);
      if (c === GT) return si < sn; // one or more tokens remain
      if (c === STAR) {
        if (si >= sn) return false;
        si = tokenEnd(subject, si);
        pi = pEnd;
        if (pi >= pn) return si >= sn;
        if (si >= sn) return false;
        pi++;
        si++;
        continue;
      }
    }
    if (si >= sn) return false;
    const sEnd = tokenEnd(subject, si);
    if (sEnd - si !== plen) return false;
    for (let k = 0; k < plen; k++) if (pattern.charCodeAt(pi + k) !== subject.charCodeAt(si + k)) return false;
    pi = pEnd;
    si = sEnd;
    if (pi >= pn) return si >= sn;
    if (si >= sn) return false;
    pi++;
    si++;
  }
}

function tokenEnd(s: string, from: number): number {
  const i = s.indexOf('.', from);
  return i < 0 ? s.length : i;
}
