// The routed message as the parser hands it out: one reused record of byte offsets (like
// nats-server's c.pa), valid only during the onMessage callback. Nothing here is a string:
// the relay reads account and subject bytes in place and creates a string only on a cache miss.

export const VERB_RMSG = 0;
export const VERB_HMSG = 1;
export const VERB_LMSG = 2;
export type MsgVerb = typeof VERB_RMSG | typeof VERB_HMSG | typeof VERB_LMSG;
export const VERB_NAMES = ['RMSG', 'HMSG', 'LMSG'] as const;

/**
 * How long a message's bytes stay as they are, which decides how an outbound queue may keep them:
 * FRAME until the next frame (the parser's reused line/payload buffers): copied at once;
 * READ until the read callback returns (the socket's reused read buffer): a writer may join it
 * with the next adjacent frame but copies it before the callback ends (`settleReads`);
 * STABLE never (a chunk of its own, an owned payload): a writer may keep a reference.
 */
export const LIFE_FRAME = 0;
export const LIFE_READ = 1;
export const LIFE_STABLE = 2;
export type Life = typeof LIFE_FRAME | typeof LIFE_READ | typeof LIFE_STABLE;

/** Offsets are into `line` (control line fields) or `data` (payload); -1 means "absent". */
export class RoutedMsg {
  verb: MsgVerb = VERB_RMSG;
  /** Holds the control line: the socket chunk itself, or the parser's reused line buffer. */
  line: Buffer = EMPTY;
  ls = 0; // control line start (the verb)
  le = 0; // control line end, before CR/LF
  /** Whether the line ended with CRLF (so line + CRLF + payload + CRLF can be one span). */
  crlf = true;
  /** How long `line` stays as it is (see Life). */
  lineLife: Life = LIFE_STABLE;
  os = -1; // LMSG origin
  oe = -1;
  as = -1; // account token; -1 on a pinned-account connection (the account is the connection's)
  ae = -1;
  ss = 0; // subject
  se = 0;
  rs = -1; // reply
  re = -1;
  /** Queue names: `nq` tokens, the first starting at qs, the last ending at qe, single tokens in between. */
  nq = 0;
  qs = -1;
  qe = -1;
  hdr = 0; // header bytes (0: none)
  size = 0; // headers + payload
  /** Holds the payload at data[ds, ds + size), followed by CRLF when `dataCrlf`. */
  data: Buffer = EMPTY;
  ds = 0;
  dataCrlf = true;
  /** How long `data` stays as it is (see Life). */
  dataLife: Life = LIFE_STABLE;
  /**
   * The payload buffer belongs to this message alone (a large payload assembled across chunks):
   * an outbound queue may keep a reference instead of copying it.
   */
  owned = false;
  /**
   * The control line repeats the previous message's up to the size (account, subject, reply and
   * queue groups alike; set by the parser, per connection): what a consumer derived from those
   * fields for the previous message still holds, unless what it depends on changed meanwhile.
   */
  repeat = false;
  /** A consumer's memo of the previous message (see `repeat`): never read by the parser. */
  memoStamp = -1;
  memoA: object | undefined = undefined;
  memoB: object | undefined = undefined;

  /** line + CRLF + payload + CRLF are one contiguous, unchanged wire frame in `line`. */
  get contiguous(): boolean {
    return this.crlf && this.data === this.line && this.ds === this.le + 2 && this.dataCrlf;
  }
}

const EMPTY = Buffer.alloc(0);

/** The same message as plain values (tests, traces, debugging): allocates, never on the hot path. */
export interface RoutedMessageView {
  verb: (typeof VERB_NAMES)[number];
  origin?: string;
  account?: string;
  subject: string;
  reply?: string;
  queues?: string[];
  hdrSize: number;
  data: Buffer;
  line: string;
}

export function describeMsg(m: RoutedMsg, copy = true): RoutedMessageView {
  const v: RoutedMessageView = {
    verb: VERB_NAMES[m.verb],
    subject: m.line.toString('latin1', m.ss, m.se),
    hdrSize: m.hdr,
    data: copy ? Buffer.from(m.data.subarray(m.ds, m.ds + m.size)) : m.data.subarray(m.ds, m.ds + m.size),
    line: m.line.toString('latin1', m.ls, m.le),
  };
  if (m.os >= 0) v.origin = m.line.toString('latin1', m.os, m.oe);
  if (m.as >= 0) v.account = m.line.toString('latin1', m.as, m.ae);
  if (m.rs >= 0) v.reply = m.line.toString('latin1', m.rs, m.re);
  if (m.nq > 0) v.queues = queueNames(m);
  return v;
}

/** The queue names of a message (allocates). */
export function queueNames(m: RoutedMsg): string[] {
  const out: string[] = [];
  let i = m.qs;
  const b = m.line;
  while (out.length < m.nq) {
    while (b[i] === 0x20 || b[i] === 0x09) i++;
    let j = i;
    while (j < m.qe && b[j] !== 0x20 && b[j] !== 0x09) j++;
    out.push(b.toString('latin1', i, j));
    i = j;
  }
  return out;
}
