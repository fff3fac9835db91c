// Per-connection write batching with a bound (design.md §3): everything queued during one
// event-loop turn goes to the socket as one corked batch; pending bytes are capped so a slow
// peer is detected and reported instead of buffered forever.
import type { Writable } from 'node:stream';

/** A stage that transforms a whole outbound batch (compression slots in here). */
export interface OutboundStage {
  encode(batch: Buffer[]): Buffer[];
}

export interface OutboundStats {
  bytesQueued: number;
  msgsDropped: number;
  bytesDropped: number;
  slowConsumerEvents: number;
}

export class OutboundQueue {
  private batch: Buffer[] = [];
  private batchBytes = 0;
  private scheduled = false;
  private closed = false;
  stage: OutboundStage | undefined;
  readonly stats: OutboundStats = { bytesQueued: 0, msgsDropped: 0, bytesDropped: 0, slowConsumerEvents: 0 };
  private slow = false;

  constructor(
    private readonly socket: Writable,
    private readonly maxPending: number,
    /** Called once each time the connection becomes a slow consumer (not for every drop). */
    private readonly onSlowConsumer: (pending: number) => void,
    /** Called when even control traffic cannot be queued: the connection must be closed. */
    private readonly onOverflow: (pending: number) => void,
  ) {}

  /** Bytes handed to us but not yet written to the kernel. */
  get pending(): number {
    return this.batchBytes + this.socket.writableLength;
  }

  /**
   * Queues protocol control traffic (INFO, PING, RS±…). Control lines are never dropped
   * because dropping them would corrupt interest state; past twice the bound the
   * connection is given up (it reconnects and resynchronises). The interest snapshot sent
   * once at registration is exempt (`bounded` false): it is finite, and refusing it would
   * make a large site unable to register at all.
   */
  control(buf: Buffer, bounded = true): void {
    if (this.closed) return;
    if (bounded && this.pending + buf.length > this.maxPending * 2) {
      this.onOverflow(this.pending);
      return;
    }
    this.push(buf);
  }

  /**
   * Queues one message as several buffers (line, CRLF, data, CRLF). Returns false and
   * counts a drop when the bound is reached: the slow consumer loses messages, other
   * connections are unaffected.
   */
  message(bufs: readonly Buffer[], size: number): boolean {
    if (this.closed) return false;
    if (this.pending + size > this.maxPending) {
      this.stats.msgsDropped++;
      this.stats.bytesDropped += size;
      if (!this.slow) {
        this.slow = true;
        this.stats.slowConsumerEvents++;
        this.onSlowConsumer(this.pending);
      }
      return false;
    }
    if (this.slow && this.pending < this.maxPending / 2) this.slow = false;
    for (const b of bufs) this.push(b);
    return true;
  }

  private push(buf: Buffer): void {
    this.batch.push(buf);
    this.batchBytes += buf.length;
    this.stats.bytesQueued += buf.length;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }

  /** Writes the batch now (used before a close so the last -ERR reaches the peer). */
  readonly flush = (): void => {
    this.scheduled = false;
    if (this.batch.length === 0 || this.closed) return;
    let bufs = this.batch;
    this.batch = [];
    this.batchBytes = 0;
    if (this.stage) bufs = this.stage.encode(bufs);
    if (bufs.length === 1) {
      this.socket.write(bufs[0]!);
      return;
    }
    this.socket.cork();
    for (const b of bufs) this.socket.write(b);
    this.socket.uncork();
  };

  close(): void {
    this.closed = true;
    this.batch = [];
    this.batchBytes = 0;
  }
}
