// The registration snapshot, streamed with backpressure (issue 12): a newly registered peer learns
// everything the other side wants, but a million entries must not become one buffer nor one
// array. Entries are pulled from a live iterator and written until the target connection is
// congested; the stream continues when it drains and ends when the iterator does or the target
// closes. Changes made meanwhile reach the target by the ordinary propagation (the iterator is
// live, so an entry removed before it is reached is never sent; a duplicate add is harmless).
// The target and the filter are parameters: with pooling, each connection of a peer gets only the
// accounts that map to it.
import type { Interest } from '../protocol/types.js';
import type { RouteConnection } from '../route/connection.js';
import type { RoutePeer } from '../route/peer.js';

/** Where a snapshot goes. */
export interface SnapshotTarget {
  /** Writes one entry (in the target's wire form). */
  send(d: Interest): void;
  /** True while more would only be held: the stream waits for room. */
  readonly congested: boolean;
  /** False once the target is gone: the stream stops. */
  readonly open: boolean;
  /** Calls `fn` once when there is room again; never if the target closes first. */
  whenDrained(fn: () => void): void;
}

/** Entries written per event-loop turn at most, so a target that never congests cannot starve the loop. */
const PER_TURN = 8192;

export interface SnapshotProgress {
  sent: number;
  skipped: number;
  /** Times the stream waited for the target to drain. */
  waits: number;
  done: boolean;
}

/**
 * Starts streaming `entries` (those `filter` keeps) to `target`; the first batch is written
 * synchronously. `onDone` runs once the iterator is exhausted (not when the target closed).
 */
export function streamInterest(
  entries: Iterator<Interest>,
  target: SnapshotTarget,
  filter?: (d: Interest) => boolean,
  onDone?: (p: SnapshotProgress) => void,
): SnapshotProgress {
  const p: SnapshotProgress = { sent: 0, skipped: 0, waits: 0, done: false };
  const pump = (): void => {
    let budget = PER_TURN;
    while (target.open) {
      if (target.congested) {
        p.waits++;
        target.whenDrained(pump);
        return;
      }
      if (budget-- === 0) {
        setImmediate(pump);
        return;
      }
      const r = entries.next();
      if (r.done === true) {
        p.done = true;
        onDone?.(p);
        return;
      }
      if (filter !== undefined && !filter(r.value)) {
        p.skipped++;
        continue;
      }
      target.send(r.value);
      p.sent++;
    }
  };
  pump();
  return p;
}

/** A peer's interest through one of its connections (its wire form and congestion are that connection's). */
export function peerConnectionTarget(peer: RoutePeer, conn: RouteConnection = peer.main): SnapshotTarget {
  return {
    send: (d) => peer.sendInterest(d),
    get congested() {
      return conn.interestCongested;
    },
    get open() {
      return conn.state !== 'closed';
    },
    whenDrained: (fn) => conn.whenDrained(fn),
  };
}
