// Interest updates held back for one congested connection (issue 12). While the connection's
// outbound is past its high-water mark, RS±/LS± are not encoded into the slab but kept here, one
// entry per wire key (what the peer identifies a subscription by), so churn collapses before it
// costs bytes: an add then a remove of a key the peer never had sends nothing, repeated queue
// weight updates send only the last weight. Memory is bounded by the number of distinct keys,
// which the interest limits bound. Entries go out in order of first insertion when the
// connection drains, until it is congested again.
import type { Interest } from '../protocol/types.js';
import { interestKey } from '../interest/key.js';

/** What the peer had for a key when its entry was opened (the first held op tells). */
const enum Before {
  Absent, // first held op: a plain add
  Present, // first held op: a remove
  Unknown, // first held op: a queue weight (a new group, or an update of one the peer has)
}

interface Held {
  op: Interest;
  before: Before;
}

export interface InterestQueueStats {
  /** Ops that went into the queue instead of the slab. */
  held: number;
  /** Ops that were absorbed (an add and its remove cancelled, a weight replaced). */
  coalesced: number;
  /** Ops written out of the queue. */
  written: number;
}

export class InterestQueue {
  private readonly pending = new Map<string, Held>();
  readonly stats: InterestQueueStats = { held: 0, coalesced: 0, written: 0 };

  /** @param write encodes one op into the connection's outbound (the peer's wire form). */
  constructor(private readonly write: (op: Interest) => void) {}

  /** Keys held now. */
  get size(): number {
    return this.pending.size;
  }

  /**
   * Holds `op` (the caller decided the connection is congested, or the queue is not empty: the
   * queue must then take everything, or a later op could overtake a held one of the same key).
   * `collapsed`: the peer keys interest by (account, subject, queue) only (no lnocu), so leaf
   * origins share one key, as its LS- carries no origin.
   */
  hold(op: Interest, collapsed: boolean): void {
    const key = collapsed
      ? interestKey({ account: op.account, subject: op.subject, queue: op.queue })
      : interestKey(op);
    this.stats.held++;
    const h = this.pending.get(key);
    if (h === undefined) {
      const before = !op.add ? Before.Present : op.queue === undefined ? Before.Absent : Before.Unknown;
      this.pending.set(key, { op, before });
      return;
    }
    this.stats.coalesced++;
    if (!op.add && h.before === Before.Absent) {
      // Added and removed again before the add was written: the peer never learns of it.
      this.pending.delete(key);
      return;
    }
    // The last op wins: a later weight replaces an earlier one; a remove of a group whose first
    // held op was a weight still goes out (an RS- of a key the peer lacks is ignored by it).
    h.op = op;
  }

  /**
   * Writes held ops in order of first insertion while `more()` (the connection is not congested
   * again); what is left waits for the next drain. Returns whether the queue is empty.
   */
  writeOut(more: () => boolean): boolean {
    for (const [key, h] of this.pending) {
      if (!more()) return false;
      this.pending.delete(key);
      this.stats.written++;
      this.write(h.op);
    }
    return true;
  }

  /** The connection closed: what was held is gone with it. */
  clear(): void {
    this.pending.clear();
  }
}
