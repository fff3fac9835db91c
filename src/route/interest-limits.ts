// Per-peer interest limits (issue 13): each interest entry costs up to ~1 KB, and nats-server sets no
// subscription limit on routes, so one peer could otherwise grow us without bound. Over a limit we
// react as nats-server does for a client over max_subs (client.go maxSubsExceeded): the entry is not
// added, the peer gets -ERR 'maximum subscriptions exceeded', and the connection stays open (a Go
// route peer closes on any -ERR by itself). Counted and logged (throttled).
import type { Interest } from '../protocol/types.js';
import { encodeErr } from '../protocol/encode.js';
import type { RoutePeer } from './peer.js';
import type { Refusals } from './refusals.js';

export const MAX_SUBS_ERR = 'maximum subscriptions exceeded';

export class InterestLimits {
  /** Entries per account, per peer (only tracked when there is a per-account limit). */
  private readonly perAccount = new WeakMap<RoutePeer, Map<string, number>>();

  constructor(
    private readonly maxPerConnection: number,
    private readonly maxPerAccount: number,
    private readonly refusals: Refusals,
  ) {}

  /** Whether `op` may be applied; a refused add has been answered, counted and logged. */
  admit(peer: RoutePeer, op: Interest): boolean {
    if (!op.add || (this.maxPerConnection === 0 && this.maxPerAccount === 0)) return true;
    const overConnection = this.maxPerConnection > 0 && peer.interest.size >= this.maxPerConnection;
    const overAccount = this.maxPerAccount > 0 && (this.perAccount.get(peer)?.get(op.account) ?? 0) >= this.maxPerAccount;
    // Below both limits nothing needs looking up (the common case: one lookup less per RS+).
    if (!overConnection && !overAccount) return true;
    // Updating an entry the peer already has (a queue weight) adds nothing.
    if (peer.interest.get(op.account, op.subject, op.queue, op.leaf, op.origin) !== undefined) return true;
    if (overConnection) {
      return this.refuse(peer, op, 'interest_connection_cap', `max_interest_per_connection (${this.maxPerConnection})`);
    }
    return this.refuse(peer, op, 'interest_account_cap', `max_interest_per_account (${this.maxPerAccount}) in account ${op.account}`);
  }

  /** Keeps the per-account counts in step with what the peer's table really changed. */
  applied(peer: RoutePeer, change: Interest, entriesDelta: number): void {
    if (this.maxPerAccount === 0 || entriesDelta === 0) return; // a queue weight update adds no entry
    const isNew = entriesDelta > 0;
    let counts = this.perAccount.get(peer);
    if (counts === undefined) this.perAccount.set(peer, (counts = new Map()));
    const n = (counts.get(change.account) ?? 0) + (isNew ? 1 : -1);
    if (n > 0) counts.set(change.account, n);
    else counts.delete(change.account);
  }

  private refuse(peer: RoutePeer, op: Interest, kind: 'interest_connection_cap' | 'interest_account_cap', limit: string): false {
    const c = peer.main;
    this.refusals.record(kind, `${c.label} - ${MAX_SUBS_ERR}: ${limit} reached, ${op.leaf ? 'LS+' : 'RS+'} ${op.account} ${op.subject} refused`, 'error');
    c.sendControl(encodeErr(MAX_SUBS_ERR));
    return false;
  }
}
