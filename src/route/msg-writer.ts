// Writes a routed message into a connection's outbound slabs (design.md §3): unchanged frames
// as spans of their input (no re-encoding, joined with adjacent frames), changed ones by
// copying the fields that stay straight from the input bytes. Nothing here allocates.
import { VERB_LMSG, VERB_RMSG, type MsgVerb, type RoutedMsg } from '../protocol/msg.js';
import type { Outbound } from './outbound.js';
import { copyBytes } from './byte-copy.js';

const VERBS = [Buffer.from('RMSG '), Buffer.from('HMSG '), Buffer.from('LMSG ')];
const SP = 0x20;
const TAB = 0x09;
/** Room for what a re-encoded line may add to the input line: sizes, indicator, account. */
const LINE_SLACK = 32;

/** The frame exactly as it came in. */
export function writeUnchanged(out: Outbound, m: RoutedMsg): void {
  if (m.contiguous) {
    out.span(m.line, m.ls, m.ds + m.size + 2, m.lineLife);
    return;
  }
  out.span(m.line, m.ls, m.le, m.lineLife);
  out.crlf();
  out.span(m.data, m.ds, m.ds + m.size, m.dataLife);
  out.crlf();
}

/**
 * The frame with another control line: `verb` (LMSG→HMSG for a peer without lnoc, →RMSG with
 * the headers stripped for a peer without header support), `account` (undefined: the input's
 * token; null: none, a pinned-account target; bytes: insert, the input came pinned), and the
 * queue groups `sel[i] !== 0` of the input's list (null: all of them).
 */
export function writeChanged(
  out: Outbound, m: RoutedMsg, verb: MsgVerb, account: Buffer | null | undefined, sel: Uint8Array | null,
): void {
  const strip = verb === VERB_RMSG && m.verb !== VERB_RMSG;
  const size = strip ? m.size - m.hdr : m.size;
  const src = m.line;
  const b = out.room(m.le - m.ls + (account ? account.length : 0) + LINE_SLACK);
  let p = out.pos;
  p = copyInto(VERBS[verb]!, 0, 5, b, p);
  if (verb === VERB_LMSG && m.os >= 0) {
    p = copyInto(src, m.os, m.oe, b, p);
    b[p++] = SP;
  }
  if (account === undefined) {
    if (m.as >= 0) {
      p = copyInto(src, m.as, m.ae, b, p);
      b[p++] = SP;
    }
  } else if (account !== null) {
    p = copyInto(account, 0, account.length, b, p);
    b[p++] = SP;
  }
  p = copyInto(src, m.ss, m.se, b, p);
  let nsel = m.nq;
  if (sel !== null) {
    nsel = 0;
    for (let i = 0; i < m.nq; i++) if (sel[i] !== 0) nsel++;
  }
  if (nsel > 0) {
    if (m.rs >= 0) {
      b[p++] = SP;
      b[p++] = 0x2b; // '+'
      b[p++] = SP;
      p = copyInto(src, m.rs, m.re, b, p);
    } else {
      b[p++] = SP;
      b[p++] = 0x7c; // '|'
    }
    // Queue tokens are single words separated by blanks in the input line.
    let i = m.qs;
    let k = 0;
    while (k < m.nq) {
      while (src[i] === SP || src[i] === TAB) i++;
      let j = i;
      while (j < m.qe && src[j] !== SP && src[j] !== TAB) j++;
      if (sel === null || sel[k] !== 0) {
        b[p++] = SP;
        p = copyInto(src, i, j, b, p);
      }
      i = j;
      k++;
    }
  } else if (m.rs >= 0) {
    b[p++] = SP;
    p = copyInto(src, m.rs, m.re, b, p);
  }
  if (verb !== VERB_RMSG) {
    b[p++] = SP;
    p = writeUint(b, p, m.hdr);
  }
  b[p++] = SP;
  p = writeUint(b, p, size);
  b[p++] = 0x0d;
  b[p++] = 0x0a;
  out.pos = p;
  const ds = strip ? m.ds + m.hdr : m.ds;
  out.span(m.data, ds, ds + size, m.dataLife);
  out.crlf();
}

/**
 * src[s, e) into b at p; returns the new position. Fields of a control line are short, and a
 * byte loop beats both a native Buffer#copy call and copyBytes' view switch (its sources
 * alternate here: verb, account, line) for a few bytes.
 */
function copyInto(src: Buffer, s: number, e: number, b: Buffer, p: number): number {
  if (e - s > 48) return p + copyBytes(src, s, e, b, p);
  for (let i = s; i < e; i++) b[p++] = src[i]!;
  return p;
}

/** Decimal digits of n at b[p..]; returns the new position. */
function writeUint(b: Buffer, p: number, n: number): number {
  if (n < 10) {
    b[p] = 0x30 + n;
    return p + 1;
  }
  let digits = 1;
  for (let x = n; x >= 10; x = Math.floor(x / 10)) digits++;
  let q = p + digits;
  for (let x = n; ; ) {
    b[--q] = 0x30 + (x % 10);
    x = Math.floor(x / 10);
    if (x === 0) break;
  }
  return p + digits;
}

