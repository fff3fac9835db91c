// The outbound side of one connection (design.md §3): frames are copied into large reused
// slabs and the socket gets one corked write per event-loop turn, so one writev moves
// megabytes instead of a few hundred small buffers. Runs of unchanged frames that lie next to
// each other in an input chunk are copied as one span; a long run in an immutable chunk or a
// large payload that owns its buffer is queued by reference instead of being copied at all.
//
// It also measures what it holds and reports the marks the flow control acts on: above the
// high-water mark the connection is congested (its producers get paused), below the low-water
// mark it has drained; no write progress within the write deadline means a stuck peer.
import type { Writable } from 'node:stream';
import { LIFE_FRAME, LIFE_READ, type Life } from '../protocol/msg.js';
import type { MemoryBudget } from './memory-budget.js';
import { copyBytes } from './byte-copy.js';

/** A stage that transforms a whole flushed batch (compression slots in here). */
export interface OutboundStage {
  encode(batch: Buffer[]): Buffer[];
}

export interface OutboundLimits {
  /** Bytes per slab (reused). */
  slabSize: number;
  /** Queued bytes at which the connection counts as congested. */
  highWater: number;
  /** Queued bytes under which a congested connection has drained. */
  lowWater: number;
  /** Milliseconds without write progress (while bytes are queued) before the peer is stuck; 0 = never. */
  writeDeadlineMs: number;
  /** The process-wide budget what this connection holds is accounted in. */
  budget?: MemoryBudget;
  /** Milliseconds without a slab switch before free slabs beyond a quiet connection's few go back (tests shorten it). */
  trimAfterMs?: number;
}

export interface OutboundEvents {
  congested(): void;
  drained(): void;
  /** No write progress within the deadline (`progress`: whether any byte went out meanwhile). */
  writeDeadline(progress: boolean): void;
}

export interface OutboundStats {
  /** Bytes handed to the socket (wire bytes, after a stage). */
  bytesFlushed: number;
  /** Bytes the socket reported written. */
  bytesWritten: number;
  flushes: number;
}

/** Outbounds holding a deferred span of a reused read buffer (see settleReads). */
const unsettled: Outbound[] = [];

/**
 * Called when a read callback is done with the socket's reused read buffer: every deferred span
 * still pointing into it is copied into its slab now, before the next read overwrites it.
 */
export function settleReads(): void {
  for (let i = 0; i < unsettled.length; i++) unsettled[i]!.settleRead();
  unsettled.length = 0;
}

/** Spans at least this long are queued by reference (their chunk is immutable) instead of copied. */
const REF_MIN = 16 * 1024;
/** Free slabs a quiet connection keeps for reuse. */
const FREE_SLABS = 4;
/**
 * A busy connection keeps up to this many times its high-water mark in free slabs. With only a
 * few, every burst allocates fresh 256 KiB slabs and drops them again, and that churn adds to
 * the external memory that drives V8 into mark-compacts (10-45 ms each) at 16 KiB full speed.
 * Measured through two proxies, 3 × 30,000 × 16 KiB per round, paired rounds on a loaded machine
 * (--trace-gc): GC time of both proxies 2.2 s and 2.7 s keeping 4 slabs, 1.2 s and 1.8 s keeping
 * 4× the mark. The larger part of that external memory is the socket's own 64 KiB read chunks.
 */
const KEEP_PER_HIGH_WATER = 4;
/** Free slabs beyond FREE_SLABS go back after this long without a new slab being needed. */
const TRIM_AFTER_MS = 2000;
const CRLF_0 = 0x0d;
const CRLF_1 = 0x0a;

interface Slab {
  buf: Buffer;
  /** Writes of this slab's bytes not yet completed by the socket. */
  inflight: number;
}

export class Outbound {
  /** The slab being filled; bytes [flushedTo, pos) are not yet handed to the socket. */
  private slab: Slab;
  pos = 0;
  private flushedTo = 0;
  private readonly free: Slab[] = [];
  /** Parts ready for the next flush, in order (slab pieces and referenced buffers). */
  private parts: Buffer[] = [];
  private partSlabs: (Slab | undefined)[] = [];
  private partsBytes = 0;
  /** A deferred span of a stable or read buffer, extended while frames follow each other in it. */
  private spanSrc: Buffer | undefined = undefined;
  private spanS = 0;
  private spanE = 0;
  /** The deferred span is in a reused read buffer: copied (never referenced) by settleReads() at the latest. */
  private spanRead = false;
  private scheduled = false;
  private closed = false;
  /** Memory held for this connection: slabs allocated plus referenced buffers not yet written. */
  held = 0;
  congested = false;
  stage: OutboundStage | undefined;
  readonly stats: OutboundStats = { bytesFlushed: 0, bytesWritten: 0, flushes: 0 };
  private deadlineTimer: NodeJS.Timeout | undefined;
  private writtenAtArm = 0;
  /** Slab switches since the trim timer last looked (0: nothing needed a new slab meanwhile). */
  private slabTurns = 0;
  private trimTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly socket: Writable,
    /** Marks and deadline; a reload may change them in place (they are read on every use). */
    readonly limits: OutboundLimits,
    private readonly events: OutboundEvents,
  ) {
    this.slab = { buf: Buffer.allocUnsafe(limits.slabSize), inflight: 0 };
    this.hold(limits.slabSize);
  }

  /** Bytes queued and not yet taken by the kernel (ours plus the socket's buffer). */
  get pending(): number {
    return this.partsBytes + (this.pos - this.flushedTo) + (this.spanE - this.spanS) + this.socket.writableLength;
  }

  // ── appending ──────────────────────────────────────────────────────

  /**
   * Makes room for `n` contiguous bytes at `this.pos` in the current slab and returns the slab's
   * buffer (write at `pos`, then advance `pos`). `n` must not exceed the slab size.
   */
  room(n: number): Buffer {
    if (this.spanSrc !== undefined) this.materialize();
    if (this.pos + n > this.slab.buf.length) this.nextSlab();
    this.touch();
    return this.slab.buf;
  }

  /**
   * Appends src[s, e). `life` (msg.ts): FRAME bytes are copied now; READ and STABLE ones may be
   * deferred to join a following adjacent span; a long STABLE span is referenced, not copied.
   */
  span(src: Buffer, s: number, e: number, life: Life): void {
    if (e <= s) return;
    if (life !== LIFE_FRAME) {
      if (this.spanSrc === src && this.spanE === s) {
        this.spanE = e;
      } else {
        if (this.spanSrc !== undefined) this.materialize();
        this.spanSrc = src;
        this.spanS = s;
        this.spanE = e;
        this.touch();
      }
      if (life === LIFE_READ && !this.spanRead) {
        this.spanRead = true;
        unsettled.push(this);
      }
      return;
    }
    if (this.spanSrc !== undefined) this.materialize();
    this.copyIn(src, s, e);
    this.touch();
  }

  /** Appends CRLF. */
  crlf(): void {
    const b = this.room(2);
    b[this.pos++] = CRLF_0;
    b[this.pos++] = CRLF_1;
  }

  /** Appends a whole buffer (control lines: INFO, PING, RS+ …). */
  bytes(buf: Buffer): void {
    this.span(buf, 0, buf.length, LIFE_FRAME);
  }

  private materialize(): void {
    const src = this.spanSrc!;
    const s = this.spanS;
    const e = this.spanE;
    const read = this.spanRead;
    this.spanSrc = undefined;
    this.spanS = this.spanE = 0;
    this.spanRead = false;
    if (!read && e - s >= REF_MIN) this.ref(src.subarray(s, e));
    else this.copyIn(src, s, e);
  }

  /** Copies a deferred span of the read buffer before that buffer is reused (see settleReads). */
  settleRead(): void {
    if (this.spanRead && this.spanSrc !== undefined) this.materialize();
    this.spanRead = false;
  }

  /** Queues a buffer by reference (it must not change until written). */
  private ref(buf: Buffer): void {
    this.cut();
    this.parts.push(buf);
    this.partSlabs.push(undefined);
    this.partsBytes += buf.length;
    this.hold(buf.length);
  }

  private copyIn(src: Buffer, s: number, e: number): void {
    while (s < e) {
      let free = this.slab.buf.length - this.pos;
      if (free === 0) {
        this.nextSlab();
        free = this.slab.buf.length - this.pos;
      }
      const n = Math.min(free, e - s);
      copyBytes(src, s, s + n, this.slab.buf, this.pos);
      this.pos += n;
      s += n;
    }
  }

  /** Moves the filled part of the current slab into the parts list. */
  private cut(): void {
    if (this.pos === this.flushedTo) return;
    this.parts.push(this.slab.buf.subarray(this.flushedTo, this.pos));
    this.partSlabs.push(this.slab);
    this.slab.inflight++;
    this.partsBytes += this.pos - this.flushedTo;
    this.flushedTo = this.pos;
  }

  private nextSlab(): void {
    this.cut();
    const old = this.slab;
    if (old.inflight === 0) {
      // Nothing of it is queued any more: start it over.
      this.pos = this.flushedTo = 0;
      return;
    }
    this.slabTurns++;
    const reuse = this.free.pop();
    if (reuse !== undefined) {
      this.slab = reuse;
    } else {
      this.slab = { buf: Buffer.allocUnsafe(this.limits.slabSize), inflight: 0 };
      this.hold(this.limits.slabSize);
    }
    this.pos = this.flushedTo = 0;
  }

  private hold(n: number): void {
    if (this.closed) return; // close() gave everything back at once
    this.held += n;
    this.limits.budget?.add(n);
  }

  /** Something was appended: schedule the flush and check the high-water mark. */
  private touch(): void {
    if (!this.scheduled && !this.closed) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
    if (!this.congested && this.pending > this.limits.highWater) {
      this.congested = true;
      this.events.congested();
    }
  }

  // ── flushing ───────────────────────────────────────────────────────

  /** Hands everything queued to the socket in one corked write (also used right before a close). */
  readonly flush = (): void => {
    this.scheduled = false;
    if (this.closed) return;
    if (this.spanSrc !== undefined) this.materialize();
    this.cut();
    if (this.parts.length === 0) return;
    const parts = this.parts;
    const slabs = this.partSlabs;
    this.parts = [];
    this.partSlabs = [];
    this.partsBytes = 0;
    this.stats.flushes++;
    if (this.stage) {
      // The stage gets the whole batch (one compressed stream per flush, as nats-server does);
      // the slabs are free once it has consumed them.
      const out = this.stage.encode(parts);
      for (let i = 0; i < slabs.length; i++) this.release(slabs[i], parts[i]!.length, false);
      this.writeAll(out, undefined);
    } else {
      this.writeAll(parts, slabs);
    }
    if (this.slab.inflight === 0 && this.pos === this.flushedTo) this.pos = this.flushedTo = 0;
    this.armDeadline();
  };

  private writeAll(bufs: Buffer[], slabs: (Slab | undefined)[] | undefined): void {
    const socket = this.socket;
    const many = bufs.length > 1;
    if (many) socket.cork();
    if (slabs === undefined) {
      // A stage's pieces (one compressed stream) own no slab: one completion for all of them,
      // not a callback (and a nextTick) per piece.
      let n = 0;
      for (let i = 0; i < bufs.length; i++) {
        const b = bufs[i]!;
        n += b.length;
        if (i < bufs.length - 1) socket.write(b);
        else socket.write(b, (err) => this.written(undefined, n, true, err));
      }
      this.stats.bytesFlushed += n;
      if (many) socket.uncork();
      return;
    }
    for (let i = 0; i < bufs.length; i++) {
      const b = bufs[i]!;
      const slab = slabs?.[i];
      this.stats.bytesFlushed += b.length;
      socket.write(b, (err) => this.written(slab, b.length, slabs === undefined || slab !== undefined, err));
    }
    if (many) socket.uncork();
  }

  private written(slab: Slab | undefined, n: number, viaSlab: boolean, err: Error | null | undefined): void {
    if (!err) this.stats.bytesWritten += n;
    if (viaSlab) this.release(slab, n, true);
    else this.hold(-n); // a referenced buffer
    if (this.congested && this.pending < this.limits.lowWater) {
      this.congested = false;
      this.events.drained();
    }
  }

  private release(slab: Slab | undefined, n: number, fromWrite: boolean): void {
    if (slab === undefined) {
      if (!fromWrite) this.hold(-n);
      return;
    }
    if (--slab.inflight > 0 || slab === this.slab) return;
    if (this.closed) return;
    if (this.free.length < Math.max(FREE_SLABS, Math.ceil((KEEP_PER_HIGH_WATER * this.limits.highWater) / this.limits.slabSize))) {
      this.free.push(slab);
      if (this.free.length > FREE_SLABS && this.trimTimer === undefined) {
        this.slabTurns = 0;
        this.trimTimer = setTimeout(this.trim, this.limits.trimAfterMs ?? TRIM_AFTER_MS);
        this.trimTimer.unref();
      }
    } else {
      this.hold(-slab.buf.length);
    }
  }

  /** Gives the free slabs beyond FREE_SLABS back once no new slab was needed for a while. */
  private readonly trim = (): void => {
    this.trimTimer = undefined;
    if (this.closed || this.free.length <= FREE_SLABS) return;
    if (this.slabTurns === 0) {
      while (this.free.length > FREE_SLABS) this.hold(-this.free.pop()!.buf.length);
      return;
    }
    this.slabTurns = 0;
    this.trimTimer = setTimeout(this.trim, this.limits.trimAfterMs ?? TRIM_AFTER_MS);
    this.trimTimer.unref();
  };

  // ── write deadline ─────────────────────────────────────────────────

  private armDeadline(): void {
    const ms = this.limits.writeDeadlineMs;
    if (ms <= 0 || this.deadlineTimer !== undefined || this.socket.writableLength === 0) return;
    this.writtenAtArm = this.stats.bytesWritten;
    this.deadlineTimer = setTimeout(this.deadlineCheck, ms);
    this.deadlineTimer.unref();
  }

  private readonly deadlineCheck = (): void => {
    this.deadlineTimer = undefined;
    if (this.closed || this.socket.writableLength === 0) return;
    this.events.writeDeadline(this.stats.bytesWritten !== this.writtenAtArm);
    this.armDeadline();
  };

  close(): void {
    this.closed = true;
    this.parts = [];
    this.partSlabs = [];
    this.partsBytes = 0;
    this.spanSrc = undefined;
    this.spanS = this.spanE = 0;
    this.pos = this.flushedTo = 0;
    this.free.length = 0;
    // What the socket still has queued is gone with it: nothing stays accounted.
    this.limits.budget?.add(-this.held);
    this.held = 0;
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
    if (this.trimTimer) clearTimeout(this.trimTimer);
    this.trimTimer = undefined;
  }
}
