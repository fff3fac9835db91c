// Counting and logging what the route layer refused to protect itself (issue 13). A flood of
// refusals must not become a flood of log lines: each kind logs at once, then at most once per
// interval with the number it did not log.
import type { Logger } from '../log.js';

export type RefusalKind =
  | 'gossip_cap' // a gossiped route ignored: max_gossiped_routes reached
  | 'gossip_gave_up' // a gossiped route stopped after its retries (failed or closed before registering)
  | 'gossip_held' // a gossiped route ignored: the address was given up on less than 30 s ago
  | 'gossip_expired' // a gossiped route dropped: no registered peer names it any more
  | 'connection_cap' // an accepted connection refused: max_connections reached
  | 'accept_error' // the listener failed to accept (EMFILE, ENFILE…)
  | 'interest_connection_cap' // an interest entry refused: max_interest_per_connection
  | 'interest_account_cap' // an interest entry refused: max_interest_per_account
  | 'auth_busy'; // a CONNECT refused: too many authentication checks waiting

const LOG_INTERVAL_MS = 10_000;

export class Refusals {
  private readonly counts = new Map<RefusalKind, number>();
  private readonly lastLog = new Map<RefusalKind, { at: number; countAt: number }>();

  constructor(private readonly log: Logger, private readonly now: () => number = Date.now) {}

  /** Counts one refusal; logs `message` unless this kind logged within the interval. */
  record(kind: RefusalKind, message: string, level: 'warn' | 'info' | 'error' = 'warn'): void {
    const n = (this.counts.get(kind) ?? 0) + 1;
    this.counts.set(kind, n);
    const t = this.now();
    const last = this.lastLog.get(kind);
    if (last && t - last.at < LOG_INTERVAL_MS) return;
    const skipped = last ? n - 1 - last.countAt : 0;
    this.lastLog.set(kind, { at: t, countAt: n });
    this.log[level](skipped > 0 ? `${message} (${skipped} more not logged, ${n} in total)` : message);
  }

  count(kind: RefusalKind): number {
    return this.counts.get(kind) ?? 0;
  }

  /** Every kind seen so far and its count (for monitoring). */
  snapshot(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }
}
