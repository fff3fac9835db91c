// Test helper: an Outbound over an in-memory socket stand-in that records every write.
import { Writable } from 'node:stream';
import { Outbound, type OutboundEvents, type OutboundLimits } from '../../src/route/outbound.js';

export interface Sink {
  w: Writable;
  /** Buffers per write call (a writev batch is one call). */
  calls: number[];
  /** Everything written, in order. */
  bytes(): Buffer;
  /** Completes held writes (for a stalled sink). */
  release(): void;
}

/** A writable that records writes; `stall` holds their callbacks (a peer that does not read). */
export function sink(opts: { stall?: boolean; highWaterMark?: number } = {}): Sink {
  const calls: number[] = [];
  const chunks: Buffer[] = [];
  const held: Array<() => void> = [];
  let stall = opts.stall === true;
  const done = (cb: () => void) => (stall ? held.push(cb) : cb());
  const w = new Writable({
    highWaterMark: opts.highWaterMark ?? 16 * 1024,
    writev(list, cb) {
      calls.push(list.length);
      for (const c of list) chunks.push(Buffer.from(c.chunk as Buffer));
      done(cb);
    },
    write(chunk, _enc, cb) {
      calls.push(1);
      chunks.push(Buffer.from(chunk as Buffer));
      done(cb);
    },
  });
  return {
    w,
    calls,
    bytes: () => Buffer.concat(chunks),
    release: () => {
      stall = false;
      for (const cb of held.splice(0)) cb();
    },
  };
}

export const DEFAULT_TEST_LIMITS: OutboundLimits = { slabSize: 64 * 1024, highWater: 1 << 20, lowWater: 1 << 18, writeDeadlineMs: 0 };

export function outbound(s: Sink, limits: Partial<OutboundLimits> = {}, events: Partial<OutboundEvents> = {}): Outbound {
  return new Outbound(s.w, { ...DEFAULT_TEST_LIMITS, ...limits }, {
    congested: events.congested ?? (() => {}),
    drained: events.drained ?? (() => {}),
    writeDeadline: events.writeDeadline ?? (() => {}),
  });
}
