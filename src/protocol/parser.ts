// Incremental parser for the route protocol (route-protocol.md §2), modelled on nats-server
// server/parser.go and nats.js core/src/parser.ts, but line-oriented: line ends are found with
// Buffer.indexOf. Routed messages are handed out as one reused record of byte offsets
// (RoutedMsg, like Go's c.pa), valid only during the callback: no per-message object or string.
// A frame that fits in one chunk is not copied; a line that straddles chunks is assembled in a
// reused buffer, a straddling payload is copied once (into a reused buffer, or into a buffer of
// its own when it is large, which the outbound side may then keep without copying again).
//
// Contract with the caller: a chunk passed to parse() as LIFE_STABLE (the default) must not be
// modified afterwards, because pieces of frames that straddle chunks keep views into it until the
// frame is complete; for a LIFE_READ chunk (a reused read buffer) those pieces are copied.

import { LineMemo } from './line-memo.js';
import { LIFE_FRAME, LIFE_STABLE, RoutedMsg, VERB_HMSG, VERB_LMSG, VERB_NAMES, VERB_RMSG, type Life, type MsgVerb } from './msg.js';
import type { Interest, RouteParserHandler } from './types.js';

export interface RouteParserOptions {
  /** Longest accepted argument part of a control line (nats-server: 16 × max_control_line). */
  maxControlLine?: number;
  /**
   * Largest routed message (headers + payload) kept; a larger one is skipped without being
   * buffered and reported with onOversize. Unlimited by default (nats-server sets no limit).
   */
  maxPayload?: number;
  /**
   * Asked before a large payload that straddles chunks is given a buffer of its own (a
   * process-wide memory budget): false skips that message unbuffered, like one over maxPayload.
   */
  reserve?: (bytes: number) => boolean;
  /** Gives back what `reserve` granted, once the message was handed out. */
  release?: (bytes: number) => void;
}

export const DEFAULT_MAX_CONTROL_LINE = 65536;
/** Straddling payloads up to this size are assembled in a reused buffer; larger ones get their own. */
export const REUSED_PAYLOAD_MAX = 64 * 1024;

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const TAB = 0x09;

const ERR_UNKNOWN_OP = 'Unknown Protocol Operation';
const ERR_AUTH = 'Authorization Violation';
const ERR_MAX_CONTROL_LINE = 'maximum control line exceeded';

// Verb codes.
const V_INFO = 1;
const V_CONNECT = 2;
const V_PING = 3;
const V_PONG = 4;
const V_OK = 5;
const V_ERR = 6;
const V_RS_ADD = 7;
const V_RS_DEL = 8;
const V_LS_ADD = 9;
const V_LS_DEL = 10;
const V_RMSG = 11;
const V_HMSG = 12;
const V_LMSG = 13;
const V_A_ADD = 14;
const V_A_DEL = 15;
const V_SUB = 16;
const V_UNSUB = 17;
const V_PUB = 18;
const V_HPUB = 19;
const NEED_MORE = -1;
const BAD = -2;

// Lower-case spellings; the first bytes are already matched by the switch in matchVerb.
const W_PUB = Buffer.from('pub');
const W_PING = Buffer.from('ping');
const W_PONG = Buffer.from('pong');
const W_HPUB = Buffer.from('hpub');
const W_HMSG = Buffer.from('hmsg');
const W_SUB = Buffer.from('sub');
const W_UNSUB = Buffer.from('unsub');
const W_RMSG = Buffer.from('rmsg');
const W_LMSG = Buffer.from('lmsg');
const W_CONNECT = Buffer.from('connect');
const W_INFO = Buffer.from('info');
const W_OK = Buffer.from('+ok');
const W_ERR = Buffer.from('-err');

/** Longest verb ("CONNECT") plus one separator: enough bytes to classify any line. */
const VERB_PROBE = 9;
/** Log snippets of offending input are cut to this length. */
const SNIPPET = 256;

function lower(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
}

function isWs(c: number): boolean {
  return c === SP || c === TAB;
}

/** util.go:parseSize — decimal digits only, 1..9 of them; -1 otherwise. */
export function parseSize(b: Buffer, s: number, e: number): number {
  const l = e - s;
  if (l <= 0 || l > 9) return -1;
  let n = 0;
  for (let i = s; i < e; i++) {
    const d = b[i]! - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** Whether the verb takes no arguments (Go ignores everything up to LF after it). */
function isNoArg(v: number): boolean {
  return v === V_PING || v === V_PONG || v === V_OK;
}

/** Whether the verb's argument may follow without a separator (Go's OP_INFO / OP_CONNECT states). */
function isJsonArg(v: number): boolean {
  return v === V_INFO || v === V_CONNECT;
}

export class RouteParser {
  /** Account of a pinned-account connection: its token is absent from RS±/LS±/RMSG/HMSG/LMSG. */
  pinnedAccount: string | undefined = undefined;
  /** Whether the peer advertised lnocu, i.e. whether its LS- carries an origin. */
  peerLnocu = false;
  /** While true, an operation not starting with C/c is an authorization violation. */
  expectConnect = false;

  private readonly handler: RouteParserHandler;
  private readonly maxControlLine: number;
  /** Largest routed message kept (a reload may change it). */
  maxPayload: number;
  private readonly reserve: ((bytes: number) => boolean) | undefined;
  private readonly release: ((bytes: number) => void) | undefined;
  /** Bytes granted by `reserve` for the payload being assembled. */
  private reserved = 0;
  private dead = false;
  private stopRequested = false;
  private remainder: Buffer | undefined = undefined;

  // Verb match result: index just after the verb.
  private vEnd = 0;

  // Pending (incomplete) control line.
  private linePieces: Buffer[] | undefined = undefined;
  private lineLen = 0;
  private lineVerbChecked = false;
  private lineVerbEnd = 0;
  // Whitespace between the verb and the arguments of a pending line: not part of the limit
  // (as for a complete line), counted incrementally so every chunking gives the same verdict.
  private lineWs = 0;
  private lineArgsSeen = false;
  private lineScanIdx = 0;
  private lineScanOff = 0;

  // Pending payload: `need` = size + CRLF; `have` = bytes of it already consumed.
  private need = 0;
  private have = 0;
  private size = 0;
  private skipPayload = false;
  /** Where a straddling payload is assembled (the reused buffer, or one of its own). */
  private payloadBuf: Buffer | undefined = undefined;
  private reusedPayload: Buffer = Buffer.alloc(0);
  /** A straddling control line is assembled here (reused; grows up to the control-line limit). */
  private lineBuf: Buffer = Buffer.alloc(256);
  /** The line being processed was assembled in lineBuf (which the next straddling line reuses). */
  private lineAssembled = false;
  /** The Life of the chunk being parsed (see msg.ts). */
  private chunkLife: Life = LIFE_STABLE;

  /** The record handed to onMessage (reused for every message). */
  private readonly msg = new RoutedMsg();

  // Token boundaries of the current argument list (reused).
  private ts: number[] = [];
  private te: number[] = [];
  private nt = 0;
  /** The previous fast-path RMSG line, so that a repeat is not tokenized again (line-memo.ts). */
  private readonly memo = new LineMemo();

  constructor(handler: RouteParserHandler, opts?: RouteParserOptions) {
    this.handler = handler;
    this.maxControlLine = opts?.maxControlLine ?? DEFAULT_MAX_CONTROL_LINE;
    this.maxPayload = opts?.maxPayload ?? Infinity;
    this.reserve = opts?.reserve;
    this.release = opts?.release;
  }

  /** Ask parse() to return right after the frame being handled (call it from a handler callback). */
  stopAfterCurrent(): void {
    this.stopRequested = true;
  }

  /** Bytes of the last chunk left unparsed because of stopAfterCurrent(); cleared on read. */
  takeRemainder(): Buffer | undefined {
    const r = this.remainder;
    this.remainder = undefined;
    return r;
  }

  /**
   * Stops parsing for good without reporting a violation (the connection is closing, e.g. after a
   * rejected INFO); parse() returns after the current frame and ignores all later input.
   */
  halt(): void {
    this.dead = true;
    this.linePieces = undefined;
    this.payloadBuf = undefined;
    this.giveBack();
    this.need = 0;
    this.remainder = undefined;
  }

  /** chunk[pos..] to be kept past this call: a view of a chunk of its own, a copy of a reused one. */
  private keep(chunk: Buffer, pos: number): Buffer {
    return this.chunkLife === LIFE_STABLE ? chunk.subarray(pos) : Buffer.from(chunk.subarray(pos));
  }

  /** Copies the pieces of a straddling line into the reused line buffer; returns a view of it. */
  private assembleLine(total: number): Buffer {
    if (this.lineBuf.length < total) this.lineBuf = Buffer.allocUnsafe(Math.max(total, this.lineBuf.length * 2));
    let off = 0;
    for (const p of this.linePieces!) off += p.copy(this.lineBuf, off);
    return this.lineBuf.subarray(0, total);
  }

  /** Bytes this parser holds for frames in progress (for memory accounting). */
  get heldBytes(): number {
    return this.lineBuf.length + this.reusedPayload.length + (this.payloadBuf !== this.reusedPayload ? this.payloadBuf?.length ?? 0 : 0);
  }

  /** True once a violation was reported or halt() was called; all further input is ignored. */
  get failed(): boolean {
    return this.dead;
  }

  /**
   * Parses one chunk. `life`: how long its bytes stay as they are (LIFE_READ for the socket's
   * reused read buffer); what must outlive the call is copied.
   */
  parse(chunk: Buffer, life: Life = LIFE_STABLE): void {
    if (this.dead) return;
    this.chunkLife = life;
    // A repeat is recognised within one chunk only: the previous line must still be readable.
    this.memo.nextChunk();
    const len = chunk.length;
    let pos = 0;
    while (pos < len) {
      if (this.need > 0) {
        pos = this.consumePayload(chunk, pos);
      } else if (this.linePieces !== undefined) {
        const nl = chunk.indexOf(LF, pos);
        if (nl < 0) {
          this.addLinePiece(this.keep(chunk, pos));
          return;
        }
        this.linePieces.push(chunk.subarray(pos, nl + 1));
        const line = this.assembleLine(this.lineLen + nl + 1 - pos);
        this.linePieces = undefined;
        this.lineLen = 0;
        pos = nl + 1;
        this.lineAssembled = true;
        this.processLine(line, 0, line.length - 1);
        this.lineAssembled = false;
      } else {
        const c = chunk[pos]!;
        if (this.expectConnect && c !== 0x43 && c !== 0x63) {
          this.violation(ERR_AUTH, 'first operation is not CONNECT');
          return;
        }
        const nl = chunk.indexOf(LF, pos);
        if (nl < 0) {
          this.linePieces = [];
          this.lineLen = 0;
          this.lineVerbChecked = false;
          this.lineWs = 0;
          this.lineArgsSeen = false;
          this.lineScanIdx = 0;
          this.lineScanOff = 0;
          this.addLinePiece(this.keep(chunk, pos));
          return;
        }
        // The hot frame (upper-case RMSG, with or without the account token) takes a short path.
        if (chunk[pos] !== 0x52 || chunk[pos + 1] !== 0x4d || chunk[pos + 2] !== 0x53 || chunk[pos + 3] !== 0x47
          || chunk[pos + 4] !== SP || !this.fastRoutedMsg(chunk, pos, nl)) {
          this.processLine(chunk, pos, nl);
        }
        pos = nl + 1;
      }
      if (this.dead) return;
      if (this.stopRequested && this.need === 0 && this.linePieces === undefined) {
        this.stopRequested = false;
        this.remainder = pos < len ? chunk.subarray(pos) : undefined;
        return;
      }
    }
    // A stop request on the chunk's last frame leaves nothing behind.
    this.stopRequested = false;
    // A payload still to come needs its control line later, when a reused chunk holds other bytes.
    if (this.need > 0 && this.chunkLife !== LIFE_STABLE && this.msg.line === chunk) this.keepLine(chunk);
  }

  /** Moves the pending message's control line out of `chunk` into the line buffer (offsets rebased). */
  private keepLine(chunk: Buffer): void {
    const m = this.msg;
    const d = m.ls;
    const end = Math.min(m.le + 2, chunk.length);
    if (this.lineBuf.length < end - d) this.lineBuf = Buffer.allocUnsafe(Math.max(end - d, this.lineBuf.length * 2));
    chunk.copy(this.lineBuf, 0, d, end);
    m.line = this.lineBuf;
    m.lineLife = LIFE_FRAME;
    m.ls = 0;
    m.le -= d;
    if (m.os >= 0) { m.os -= d; m.oe -= d; }
    if (m.as >= 0) { m.as -= d; m.ae -= d; }
    m.ss -= d;
    m.se -= d;
    if (m.rs >= 0) { m.rs -= d; m.re -= d; }
    if (m.qs >= 0) { m.qs -= d; m.qe -= d; }
  }

  // ---- payloads ----

  /** Consumes payload bytes from chunk[pos..]; returns the new position. */
  private consumePayload(chunk: Buffer, pos: number): number {
    const avail = chunk.length - pos;
    if (this.have === 0 && avail >= this.need) {
      // Whole payload in this chunk: the record points into it, no copy.
      const end = pos + this.need;
      if (chunk[end - 2] !== CR || chunk[end - 1] !== LF) {
        this.violation(ERR_UNKNOWN_OP, 'message payload not followed by CRLF');
        return end;
      }
      this.need = 0;
      if (this.skipPayload) this.skipPayload = false;
      else this.finishPayload(chunk, pos, false, this.chunkLife);
      return end;
    }
    const take = Math.min(avail, this.need - this.have);
    // Check the trailing CRLF byte by byte as it arrives, as Go's MSG_END_R/N states do.
    for (let k = Math.max(this.have, this.size); k < this.have + take; k++) {
      const b = chunk[pos + k - this.have];
      if (b !== (k === this.size ? CR : LF)) {
        this.violation(ERR_UNKNOWN_OP, 'message payload not followed by CRLF');
        return pos + take;
      }
    }
    if (!this.skipPayload && this.payloadBuf === undefined && this.size > REUSED_PAYLOAD_MAX && this.reserve !== undefined) {
      if (this.reserve(this.size)) {
        this.reserved = this.size;
      } else {
        this.skipPayload = true;
        this.handler.onOversize?.(VERB_NAMES[this.msg.verb]!, this.size, 'memory budget');
      }
    }
    if (!this.skipPayload) {
      // Only the payload bytes are kept; the trailing CRLF was checked above.
      const keep = Math.min(take, this.size - Math.min(this.have, this.size));
      if (keep > 0) {
        if (this.payloadBuf === undefined) this.payloadBuf = this.payloadTarget(this.size);
        chunk.copy(this.payloadBuf, this.have, pos, pos + keep);
      }
    }
    this.have += take;
    if (this.have === this.need) {
      this.need = 0;
      this.have = 0;
      if (this.skipPayload) {
        this.skipPayload = false;
      } else {
        const buf = this.payloadBuf ?? this.payloadTarget(this.size);
        this.payloadBuf = undefined;
        try {
          this.finishPayload(buf, 0, buf !== this.reusedPayload, LIFE_STABLE);
        } finally {
          this.giveBack();
        }
      }
    }
    return pos + take;
  }

  /** Returns a reservation (the message was handed out, or abandoned). */
  private giveBack(): void {
    if (this.reserved === 0) return;
    const n = this.reserved;
    this.reserved = 0;
    this.release?.(n);
  }

  /** The buffer a straddling payload is copied into: reused when small, its own when large. */
  private payloadTarget(size: number): Buffer {
    if (size > REUSED_PAYLOAD_MAX) return Buffer.allocUnsafe(size);
    if (this.reusedPayload.length < size) this.reusedPayload = Buffer.allocUnsafe(REUSED_PAYLOAD_MAX);
    return this.reusedPayload;
  }

  private finishPayload(data: Buffer, ds: number, owned: boolean, life: Life): void {
    const m = this.msg;
    m.data = data;
    m.ds = ds;
    m.dataCrlf = data !== this.reusedPayload && !owned;
    m.dataLife = data === this.reusedPayload ? LIFE_FRAME : life;
    m.owned = owned;
    this.handler.onMessage(m);
  }

  /** A routed message's payload: kept, or skipped unbuffered when over maxPayload. */
  private startMessagePayload(size: number): void {
    const skip = size > this.maxPayload;
    if (skip) {
      // Never handed out: the next message cannot repeat it for the consumer.
      this.memo.clear();
      this.handler.onOversize?.(VERB_NAMES[this.msg.verb]!, size);
    }
    this.startPayload(size, skip);
  }

  private startPayload(size: number, skip: boolean): void {
    this.size = size;
    this.need = size + 2;
    this.have = 0;
    this.skipPayload = skip;
  }

  // ---- pending control lines ----

  private addLinePiece(piece: Buffer): void {
    this.linePieces!.push(piece);
    this.lineLen += piece.length;
    if (!this.lineVerbChecked) {
      // Reject a bad verb as soon as its bytes are in, like Go's byte-wise state machine.
      let probe: Buffer = this.linePieces![0]!;
      if (probe.length < VERB_PROBE && this.linePieces!.length > 1) {
        probe = Buffer.concat(this.linePieces!, Math.min(this.lineLen, VERB_PROBE));
      }
      const avail = Math.min(probe.length, VERB_PROBE);
      const v = this.matchVerb(probe, 0, avail);
      if (v === BAD) {
        this.unknownOp(probe, 0, avail);
        return;
      }
      if (v !== NEED_MORE) {
        if (!isNoArg(v) && !isJsonArg(v) && this.vEnd < avail) {
          if (!isWs(probe[this.vEnd]!)) {
            this.unknownOp(probe, 0, avail);
            return;
          }
          this.lineVerbChecked = true;
        } else if (isNoArg(v) || isJsonArg(v)) {
          this.lineVerbChecked = true;
        }
        this.lineVerbEnd = this.vEnd;
      }
    }
    // Bound memory for a line that never ends. The arguments so far may end with the CR of a
    // CRLF still to come, so one byte over is not yet a verdict: this never fires for a line
    // the complete-line check would accept, wherever the chunks were cut.
    if (this.lineVerbChecked) {
      if (!this.lineArgsSeen) this.scanLeadingWs();
      const args = this.lineLen - this.lineVerbEnd - this.lineWs;
      // A flood of blanks is bounded too (Go skips them unbuffered; we cannot).
      if (args - 1 > this.maxControlLine || this.lineWs > this.maxControlLine) {
        this.violation(ERR_MAX_CONTROL_LINE, `control line of more than ${this.maxControlLine} bytes`);
      }
    } else if (this.lineLen > this.maxControlLine + VERB_PROBE) {
      this.violation(ERR_MAX_CONTROL_LINE, `control line of more than ${this.maxControlLine} bytes`);
    }
  }

  /** Counts the blanks after the verb of the pending line, resuming where the last call stopped. */
  private scanLeadingWs(): void {
    const pieces = this.linePieces!;
    for (let i = this.lineScanIdx; i < pieces.length; i++) {
      const p = pieces[i]!;
      // Line offset of this piece is lineScanOff; blanks start at lineVerbEnd + lineWs.
      for (let j = Math.max(0, this.lineVerbEnd + this.lineWs - this.lineScanOff); j < p.length; j++) {
        if (!isWs(p[j]!)) {
          this.lineArgsSeen = true;
          return;
        }
        this.lineWs++;
      }
      this.lineScanOff += p.length;
      this.lineScanIdx = i + 1;
    }
  }

  // ---- verbs ----

  /**
   * Matches a verb at b[s..e). Returns its code (and sets vEnd), NEED_MORE when b ends inside a
   * valid verb prefix, or BAD. Case-insensitive, with Go's quirk that `A-` may be spelled `Au`.
   */
  private matchVerb(b: Buffer, s: number, e: number): number {
    if (s >= e) return NEED_MORE;
    let word: Buffer;
    let code: number;
    switch (lower(b[s]!)) {
      case 0x70: // p
        if (s + 1 >= e) return NEED_MORE;
        switch (lower(b[s + 1]!)) {
          case 0x75:
            word = W_PUB;
            code = V_PUB;
            break;
          case 0x69:
            word = W_PING;
            code = V_PING;
            break;
          case 0x6f:
            word = W_PONG;
            code = V_PONG;
            break;
          default:
            return BAD;
        }
        break;
      case 0x68: // h
        if (s + 1 >= e) return NEED_MORE;
        switch (lower(b[s + 1]!)) {
          case 0x70:
            word = W_HPUB;
            code = V_HPUB;
            break;
          case 0x6d:
            word = W_HMSG;
            code = V_HMSG;
            break;
          default:
            return BAD;
        }
        break;
      case 0x72: // r
      case 0x6c: {
        // l
        const leaf = lower(b[s]!) === 0x6c;
        if (s + 1 >= e) return NEED_MORE;
        const c1 = lower(b[s + 1]!);
        if (c1 === 0x73) {
          if (s + 2 >= e) return NEED_MORE;
          const c2 = b[s + 2]!;
          this.vEnd = s + 3;
          if (c2 === 0x2b) return leaf ? V_LS_ADD : V_RS_ADD;
          if (c2 === 0x2d) return leaf ? V_LS_DEL : V_RS_DEL;
          return BAD;
        }
        if (c1 !== 0x6d) return BAD;
        word = leaf ? W_LMSG : W_RMSG;
        code = leaf ? V_LMSG : V_RMSG;
        break;
      }
      case 0x61: {
        // a
        if (s + 1 >= e) return NEED_MORE;
        const c1 = b[s + 1]!;
        this.vEnd = s + 2;
        if (c1 === 0x2b) return V_A_ADD;
        if (c1 === 0x2d || c1 === 0x75) return V_A_DEL;
        return BAD;
      }
      case 0x73:
        word = W_SUB;
        code = V_SUB;
        break;
      case 0x75:
        word = W_UNSUB;
        code = V_UNSUB;
        break;
      case 0x63:
        word = W_CONNECT;
        code = V_CONNECT;
        break;
      case 0x69:
        word = W_INFO;
        code = V_INFO;
        break;
      case 0x2b:
        word = W_OK;
        code = V_OK;
        break;
      case 0x2d:
        word = W_ERR;
        code = V_ERR;
        break;
      default:
        return BAD;
    }
    const wl = word.length;
    for (let k = 1; k < wl; k++) {
      if (s + k >= e) return NEED_MORE;
      if (lower(b[s + k]!) !== word[k]) return BAD;
    }
    this.vEnd = s + wl;
    return code;
  }

  // ---- complete control lines ----

  /** Handles the control line b[s..nl) where b[nl] is LF. */
  private processLine(b: Buffer, s: number, nl: number): void {
    const v = this.matchVerb(b, s, nl);
    if (v < 0) {
      this.unknownOp(b, s, nl);
      return;
    }
    if (isNoArg(v)) {
      // Go ignores anything between these verbs and LF; only its length is bounded here.
      const junk = (nl > this.vEnd && b[nl - 1] === CR ? nl - 1 : nl) - this.vEnd;
      if (junk > this.maxControlLine) {
        this.violation(ERR_MAX_CONTROL_LINE, `control line of ${junk} bytes, limit ${this.maxControlLine}`);
        return;
      }
      if (v === V_PING) this.handler.onPing();
      else if (v === V_PONG) this.handler.onPong();
      else this.handler.onOk();
      return;
    }
    let a = this.vEnd;
    if (!isJsonArg(v)) {
      if (a >= nl || !isWs(b[a]!)) {
        this.unknownOp(b, s, nl);
        return;
      }
    }
    while (a < nl && isWs(b[a]!)) a++;
    let end = nl > a && b[nl - 1] === CR ? nl - 1 : nl;
    if (end - a > this.maxControlLine) {
      this.violation(ERR_MAX_CONTROL_LINE, `control line of ${end - a} bytes, limit ${this.maxControlLine}`);
      return;
    }
    if (isJsonArg(v)) {
      // Go's first INFO ends with ' \r\n'; hand over just the JSON text.
      while (end > a && isWs(b[end - 1]!)) end--;
    }
    switch (v) {
      case V_INFO:
        this.handler.onInfo(b.toString('utf8', a, end));
        return;
      case V_CONNECT:
        this.handler.onConnect(b.toString('utf8', a, end));
        return;
      case V_ERR: {
        let es = a;
        let ee = end;
        if (ee - es >= 2 && b[es] === 0x27 && b[ee - 1] === 0x27) {
          es++;
          ee--;
        }
        this.handler.onErr(b.toString('utf8', es, ee));
        return;
      }
      case V_RS_ADD:
        this.remoteSub(b, a, end, false);
        return;
      case V_LS_ADD:
        this.remoteSub(b, a, end, true);
        return;
      case V_RS_DEL:
      case V_UNSUB: // parser.go sends a route's UNSUB to processRemoteUnsub, like RS-
        this.remoteUnsub(b, a, end, false);
        return;
      case V_LS_DEL:
        this.remoteUnsub(b, a, end, true);
        return;
      case V_RMSG:
        this.routedMsgArgs(b, s, a, end);
        return;
      case V_HMSG:
        this.headerMsgArgs('HMSG', b, s, a, end);
        return;
      case V_LMSG:
        this.headerMsgArgs('LMSG', b, s, a, end);
        return;
      case V_PUB:
        this.pubArgs(b, a, end, false);
        return;
      case V_HPUB:
        this.pubArgs(b, a, end, true);
        return;
      case V_A_ADD:
      case V_A_DEL:
      case V_SUB:
        // Gateway-only (A±) or meaningless on a route (SUB): nats-server ignores them.
        return;
    }
  }

  /** Splits b[a..end) on space, tab and CR (Go's unrolled splitArgs). */
  private tokenize(b: Buffer, a: number, end: number): number {
    const ts = this.ts;
    const te = this.te;
    let n = 0;
    let start = -1;
    for (let i = a; i < end; i++) {
      const c = b[i]!;
      if (c === SP || c === TAB || c === CR) {
        if (start >= 0) {
          ts[n] = start;
          te[n] = i;
          n++;
          start = -1;
        }
      } else if (start < 0) {
        start = i;
      }
    }
    if (start >= 0) {
      ts[n] = start;
      te[n] = end;
      n++;
    }
    this.nt = n;
    return n;
  }

  private tok(b: Buffer, i: number): string {
    return b.toString('utf8', this.ts[i]!, this.te[i]!);
  }

  private tokSize(b: Buffer, i: number): number {
    return parseSize(b, this.ts[i]!, this.te[i]!);
  }

  /** Go prints the split args as `[a b c]` in its error text. */
  private argList(b: Buffer, ins: number): string {
    const parts: string[] = [];
    for (let i = 0; i < this.nt; i++) parts.push(this.tok(b, i));
    if (ins >= 0) parts.splice(ins, 0, this.pinnedAccount!);
    return clip(`[${parts.join(' ')}]`);
  }

  /** route.go:processRemoteSub (RS+ / LS+). */
  private remoteSub(b: Buffer, a: number, end: number, hasOrigin: boolean): void {
    const n = this.tokenize(b, a, end);
    const accInProto = !this.pinnedAccount;
    const subjIdx = (hasOrigin ? 1 : 0) + (accInProto ? 1 : 0);
    let queue: string | undefined;
    let weight: number | undefined;
    if (n === subjIdx + 3) {
      queue = this.tok(b, subjIdx + 1);
      // Go does not reject a bad weight: parseSize gives -1 and the delta stays 1.
      weight = Math.max(1, this.tokSize(b, subjIdx + 2));
    } else if (n !== subjIdx + 1) {
      this.silent(`processRemoteSub Parse Error: '${hasOrigin ? 'L' : 'R'} ${snippet(b, a, end, false)}'`);
      return;
    }
    const op: Interest = {
      add: true,
      leaf: hasOrigin,
      account: accInProto ? this.tok(b, subjIdx - 1) : this.pinnedAccount!,
      subject: this.tok(b, subjIdx),
    };
    if (hasOrigin) op.origin = this.tok(b, 0);
    if (queue !== undefined) {
      op.queue = queue;
      op.weight = weight!;
    }
    this.handler.onInterest(op);
  }

  /** route.go:processRemoteUnsub / parseUnsubProto (RS- / LS- / UNSUB). */
  private remoteUnsub(b: Buffer, a: number, end: number, leaf: boolean): void {
    const n = this.tokenize(b, a, end);
    const accInProto = !this.pinnedAccount;
    const hasOrigin = leaf && this.peerLnocu;
    const subjIdx = (hasOrigin ? 1 : 0) + (accInProto ? 1 : 0);
    if (n !== subjIdx + 1 && n !== subjIdx + 2) {
      this.silent(`processRemoteUnsub parse error: '${snippet(b, a, end, false)}'`);
      return;
    }
    const op: Interest = {
      add: false,
      leaf,
      account: accInProto ? this.tok(b, subjIdx - 1) : this.pinnedAccount!,
      subject: this.tok(b, subjIdx),
    };
    if (hasOrigin) op.origin = this.tok(b, 0);
    if (n === subjIdx + 2) op.queue = this.tok(b, subjIdx + 1);
    this.handler.onInterest(op);
  }

  /**
   * Reads the part of RMSG/HMSG/LMSG shared by all three after the account/subject:
   * logical argument k maps to token k - shift(k), where the pinned account is inserted
   * at logical index `ins` (-1: not pinned).
   */
  private phys(k: number, ins: number): number {
    return ins >= 0 && k > ins ? k - 1 : k;
  }

  private logicalTok(b: Buffer, k: number, ins: number): string {
    if (k === ins) return this.pinnedAccount!;
    return this.tok(b, this.phys(k, ins));
  }

  private logicalSize(b: Buffer, k: number, ins: number): number {
    if (k === ins) return -1;
    return this.tokSize(b, this.phys(k, ins));
  }

  private logicalIsIndicator(b: Buffer, k: number, ins: number): number {
    // Returns the indicator byte, or -1 if the argument is not exactly one byte long.
    if (k === ins) return this.pinnedAccount!.length === 1 ? this.pinnedAccount!.charCodeAt(0) : -1;
    const p = this.phys(k, ins);
    return this.te[p]! - this.ts[p]! === 1 ? b[this.ts[p]!]! : -1;
  }

  /**
   * `RMSG <account> <subject> [<reply>] <size>` (and the queue forms) without the general
   * machinery; returns false to leave anything unusual (errors included) to processLine.
   */
  private fastRoutedMsg(b: Buffer, s: number, nl: number): boolean {
    const end = b[nl - 1] === CR ? nl - 1 : nl;
    if (end - s > this.maxControlLine) return false;
    const pinned = this.pinnedAccount !== undefined;
    const sizeAt = this.memo.take(this.msg, b, s, end, pinned);
    if (sizeAt >= 0) {
      const size = parseSize(b, sizeAt, end);
      if (size >= 0) {
        const m = this.msg;
        m.ls = s;
        m.le = end;
        m.crlf = end !== nl;
        m.lineLife = this.chunkLife;
        m.size = size;
        m.repeat = true;
        this.memo.save(sizeAt, pinned);
        this.startMessagePayload(size);
        return true;
      }
    }
    const ts = this.ts;
    const te = this.te;
    // Tokens are counted logically: on a pinned-account connection the absent account is token 0.
    let n = 0;
    if (this.pinnedAccount !== undefined) {
      ts[0] = te[0] = -1;
      n = 1;
    }
    let i = s + 5;
    while (i < end) {
      let c = b[i]!;
      // A CR inside the line separates like a blank, as in tokenize() and Go's splitArgs.
      if (c === SP || c === TAB || c === CR) {
        i++;
        continue;
      }
      const start = i;
      do {
        i++;
        c = b[i]!;
      } while (i < end && c !== SP && c !== TAB && c !== CR);
      if (n === 8) return false;
      ts[n] = start;
      te[n] = i;
      n++;
    }
    if (n < 3) return false;
    const size = parseSize(b, ts[n - 1]!, te[n - 1]!);
    if (size < 0) return false;
    const m = this.msg;
    let qFrom = 0;
    if (n === 4) {
      m.rs = ts[2]!;
      m.re = te[2]!;
    } else if (n > 4) {
      if (te[2]! - ts[2]! !== 1) return false;
      const ind = b[ts[2]!];
      if (ind === 0x2b) {
        m.rs = ts[3]!;
        m.re = te[3]!;
        qFrom = 4;
      } else if (ind === 0x7c) {
        m.rs = m.re = -1;
        qFrom = 3;
      } else {
        return false;
      }
      if (qFrom >= n - 1) return false;
    } else {
      m.rs = m.re = -1;
    }
    this.nt = n;
    m.verb = VERB_RMSG;
    m.line = b;
    m.ls = s;
    m.le = end;
    m.crlf = end !== nl;
    m.lineLife = this.chunkLife;
    m.os = m.oe = -1;
    m.as = ts[0]!;
    m.ae = te[0]!;
    m.ss = ts[1]!;
    m.se = te[1]!;
    if (qFrom > 0) {
      m.nq = n - 1 - qFrom;
      m.qs = ts[qFrom]!;
      m.qe = te[n - 2]!;
    } else {
      m.nq = 0;
      m.qs = m.qe = -1;
    }
    m.hdr = 0;
    m.size = size;
    m.repeat = false;
    this.memo.save(ts[n - 1]!, pinned);
    this.startMessagePayload(size);
    return true;
  }

  /** route.go:processRoutedMsgArgs. */
  private routedMsgArgs(b: Buffer, s: number, a: number, end: number): void {
    const n = this.tokenize(b, a, end);
    const ins = this.pinnedAccount ? 0 : -1;
    const L = n + (ins >= 0 ? 1 : 0);
    const fn = 'processRoutedMsgArgs';
    let reply = -1; // logical index of the reply, -1 none
    let qFrom = 0;
    let qTo = 0;
    let size: number;
    if (L < 3) {
      this.silent(`${fn} Parse Error: '${this.argList(b, ins)}'`);
      return;
    } else if (L === 3) {
      size = this.logicalSize(b, 2, ins);
    } else if (L === 4) {
      reply = 2;
      size = this.logicalSize(b, 3, ins);
    } else {
      const ind = this.logicalIsIndicator(b, 2, ins);
      if (ind === 0x2b) reply = 3;
      else if (ind !== 0x7c) {
        this.silent(`${fn} Bad or Missing Reply Indicator: '${this.logicalTok(b, 2, ins)}'`);
        return;
      }
      size = this.logicalSize(b, L - 1, ins);
      qFrom = reply >= 0 ? 4 : 3;
      qTo = L - 1;
    }
    if (size < 0) {
      this.silent(`${fn} Bad or Missing Size: '${this.argList(b, ins)}'`);
      return;
    }
    this.setMessage(VERB_RMSG, b, s, end, -1, 0, reply, qFrom, qTo, 0, size, ins);
    this.startMessagePayload(size);
  }

  /**
   * route.go:processRoutedHeaderMsgArgs (HMSG) and processRoutedOriginClusterMsgArgs (LMSG):
   * the same grammar, LMSG with the origin cluster as an extra first argument.
   */
  private headerMsgArgs(verb: 'HMSG' | 'LMSG', b: Buffer, s: number, a: number, end: number): void {
    const n = this.tokenize(b, a, end);
    const o = verb === 'LMSG' ? 1 : 0;
    // The pinned account is inserted where the account token would be; Go does so for LMSG
    // only when there are more than 2 args.
    const ins = this.pinnedAccount && (o === 0 || n > 2) ? o : -1;
    const L = n + (ins >= 0 ? 1 : 0);
    const fn = o ? 'processRoutedOriginClusterMsgArgs' : 'processRoutedHeaderMsgArgs';
    let reply = -1;
    let qFrom = 0;
    let qTo = 0;
    if (L < 4 + o) {
      this.silent(`${fn} Parse Error: '${this.argList(b, ins)}'`);
      return;
    } else if (L === 5 + o) {
      reply = 2 + o;
    } else if (L > 5 + o) {
      const ind = this.logicalIsIndicator(b, 2 + o, ins);
      if (ind === 0x2b) reply = 3 + o;
      else if (ind !== 0x7c) {
        this.silent(`${fn} Bad or Missing Reply Indicator: '${this.logicalTok(b, 2 + o, ins)}'`);
        return;
      }
      qFrom = (reply >= 0 ? 4 : 3) + o;
      qTo = L - 2;
    }
    // Header size and total size are always the last two arguments.
    const hdr = this.logicalSize(b, L - 2, ins);
    const size = this.logicalSize(b, L - 1, ins);
    if (!this.checkSizes(fn, b, a, end, hdr, size, ins)) return;
    this.setMessage(o ? VERB_LMSG : VERB_HMSG, b, s, end, o ? 0 : -1, o, reply, qFrom, qTo, hdr, size, ins);
    this.startMessagePayload(size);
  }

  private checkSizes(fn: string, b: Buffer, a: number, end: number, hdr: number, size: number, ins: number): boolean {
    if (hdr < 0) {
      this.silent(`${fn} Bad or Missing Header Size: '${snippet(b, a, end, false)}'`);
      return false;
    }
    if (size < 0) {
      this.silent(`${fn} Bad or Missing Size: '${this.argList(b, ins)}'`);
      return false;
    }
    if (hdr > size) {
      // Go's wording, typo included.
      this.silent(`${fn} Header Size larger then TotalSize: '${snippet(b, a, end, false)}'`);
      return false;
    }
    return true;
  }

  /**
   * Fills the record with the offsets of the logical arguments: `origin`/`reply` are logical
   * indexes (-1 absent), the account is at logical `acc` (absent when it is the pinned one),
   * the subject follows it, queues are logical [qFrom, qTo).
   */
  private setMessage(
    verb: MsgVerb, b: Buffer, s: number, end: number, origin: number, acc: number,
    reply: number, qFrom: number, qTo: number, hdr: number, size: number, ins: number,
  ): void {
    const m = this.msg;
    const ts = this.ts;
    const te = this.te;
    m.repeat = false;
    this.memo.clear();
    m.verb = verb;
    m.line = b;
    m.ls = s;
    m.le = end;
    m.crlf = b[end] === CR && end + 1 < b.length && b[end + 1] === LF;
    m.lineLife = this.lineAssembled ? LIFE_FRAME : this.chunkLife;
    if (origin >= 0) {
      const p = this.phys(origin, ins);
      m.os = ts[p]!;
      m.oe = te[p]!;
    } else {
      m.os = m.oe = -1;
    }
    if (acc === ins) {
      m.as = m.ae = -1;
    } else {
      const p = this.phys(acc, ins);
      m.as = ts[p]!;
      m.ae = te[p]!;
    }
    const sp = this.phys(acc + 1, ins);
    m.ss = ts[sp]!;
    m.se = te[sp]!;
    if (reply >= 0) {
      const p = this.phys(reply, ins);
      m.rs = ts[p]!;
      m.re = te[p]!;
    } else {
      m.rs = m.re = -1;
    }
    if (qTo > qFrom) {
      m.nq = qTo - qFrom;
      m.qs = ts[this.phys(qFrom, ins)]!;
      m.qe = te[this.phys(qTo - 1, ins)]!;
    } else {
      m.nq = 0;
      m.qs = m.qe = -1;
    }
    m.hdr = hdr;
    m.size = size;
  }

  /** client.go:processPub / processHeaderPub: validated, then the payload is skipped. */
  private pubArgs(b: Buffer, a: number, end: number, headers: boolean): void {
    const n = this.tokenize(b, a, end);
    const fn = headers ? 'processHeaderPub' : 'processPub';
    let size: number;
    if (!headers) {
      if (n !== 2 && n !== 3) {
        this.silent(`${fn} Parse Error: '${snippet(b, a, end, false)}'`);
        return;
      }
      size = this.tokSize(b, n - 1);
      if (size < 0) {
        this.silent(`${fn} Bad or Missing Size: '${snippet(b, a, end, false)}'`);
        return;
      }
    } else {
      if (n !== 3 && n !== 4) {
        this.silent(`${fn} Parse Error: '${snippet(b, a, end, false)}'`);
        return;
      }
      const hdr = this.tokSize(b, n - 2);
      size = this.tokSize(b, n - 1);
      if (hdr < 0) {
        this.silent(`${fn} Bad or Missing Header Size: '${snippet(b, a, end, false)}'`);
        return;
      }
      if (size < 0) {
        this.silent(`${fn} Bad or Missing Total Size: '${snippet(b, a, end, false)}'`);
        return;
      }
      if (hdr > size) {
        this.silent(`${fn} Header Size larger then TotalSize: '${snippet(b, a, end, false)}'`);
        return;
      }
    }
    this.startPayload(size, true);
  }

  // ---- violations ----

  /** Unknown operation in b[s..e): the log shows the input up to the offending byte, like Go's parser state. */
  private unknownOp(b: Buffer, s: number, e: number): void {
    let i = s;
    while (i < e && this.matchVerb(b, s, i + 1) === NEED_MORE) i++;
    // Past the verb, the offending byte is the missing separator.
    const last = i < e && this.matchVerb(b, s, i + 1) >= 0 ? this.vEnd : i;
    this.violation(ERR_UNKNOWN_OP, `unknown protocol operation: ${snippet(b, s, Math.min(last + 1, e))}`);
  }

  private silent(reason: string): void {
    this.fail(undefined, reason);
  }

  private violation(errText: string, reason: string): void {
    this.fail(errText, reason);
  }

  private fail(errText: string | undefined, reason: string): void {
    if (this.dead) return;
    this.dead = true;
    this.linePieces = undefined;
    this.payloadBuf = undefined;
    this.giveBack();
    this.need = 0;
    this.remainder = undefined;
    this.handler.onViolation(errText === undefined ? { reason } : { errText, reason });
  }
}

function clip(s: string): string {
  return s.length > SNIPPET ? s.slice(0, SNIPPET) + '...' : s;
}

/** Printable excerpt of offending input for the log. */
function snippet(b: Buffer, s: number, e: number, quote = true): string {
  const t = clip(b.toString('latin1', s, Math.min(e, s + SNIPPET + 1)));
  return quote ? JSON.stringify(t) : t;
}
