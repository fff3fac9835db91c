// One peer's interest (what its RS+/RS-/LS+/LS- said), across accounts, with cached matching.
// Semantics follow route.go processRemoteSub/processRemoteUnsub (route-protocol.md §2.4): keys exclude the
// weight, a repeated queue RS+ replaces the weight, RS-/LS- remove the entry whatever its weight.
import type { Interest } from '../protocol/types.js';
import { keyInAccount } from './key.js';
import { Sublist } from './sublist.js';
import { isValidQueueName, isValidSubject } from './subject.js';

export interface MatchResult {
  /** At least one non-queue entry matches. */
  readonly plain: boolean;
  /** Matching queue groups → summed weight over the matching entries of that group. */
  readonly queues: ReadonlyMap<string, number>;
}

const EMPTY_QUEUES: ReadonlyMap<string, number> = new Map();
export const NO_INTEREST: MatchResult = Object.freeze({ plain: false, queues: EMPTY_QUEUES });

function toMatchResult(items: readonly Interest[]): MatchResult {
  let plain = false;
  let queues: Map<string, number> | undefined;
  for (const e of items) {
    if (e.queue === undefined) plain = true;
    else {
      queues ??= new Map();
      queues.set(e.queue, (queues.get(e.queue) ?? 0) + (e.weight ?? 1));
    }
  }
  if (!plain && queues === undefined) return NO_INTEREST;
  return Object.freeze({ plain, queues: queues ?? EMPTY_QUEUES });
}

class AccountInterest {
  readonly sublist: Sublist<Interest, MatchResult>;
  /** keyInAccount → entry. */
  readonly entries = new Map<string, Interest>();
  /** The RS key of (subject, queue) → its leaf entries, for an LS- without origin (sender lacks lnocu). */
  readonly leafByTarget = new Map<string, Set<Interest>>();

  constructor(cacheSize: number | undefined) {
    this.sublist = new Sublist<Interest, MatchResult>({ cacheSize, derive: toMatchResult });
  }
}

/** The (subject, queue) of a leaf entry, whatever its origin. */
function targetKey(e: Interest): string {
  return keyInAccount({ account: e.account, subject: e.subject, queue: e.queue, leaf: false });
}

/** The entry as stored: an add, with a weight only for queues, an origin only for leaf entries. */
function makeEntry(op: Interest, weight: number | undefined): Interest {
  const e: { -readonly [K in keyof Interest]: Interest[K] } = { add: true, account: op.account, subject: op.subject, leaf: op.leaf };
  if (op.queue !== undefined) {
    e.queue = op.queue;
    e.weight = weight;
  }
  if (op.leaf && op.origin !== undefined) e.origin = op.origin;
  return Object.freeze(e);
}

/** A removal of `e`, as a record. */
function removal(e: Interest): Interest {
  const r: { -readonly [K in keyof Interest]: Interest[K] } = { add: false, account: e.account, subject: e.subject, leaf: e.leaf };
  if (e.queue !== undefined) r.queue = e.queue;
  if (e.origin !== undefined) r.origin = e.origin;
  return r;
}

export interface InterestTableOptions {
  /** Per-account match cache size (default 1024). */
  cacheSize?: number;
  /** Told about an add that was refused (invalid subject or queue name), e.g. to log it. */
  onInvalid?: (op: Interest, reason: string) => void;
}

export class InterestTable {
  private readonly byAccount = new Map<string, AccountInterest>();
  private readonly cacheSize: number | undefined;
  private readonly onInvalid: ((op: Interest, reason: string) => void) | undefined;
  private count = 0;
  /** Adds refused because of an invalid subject or queue name. */
  invalid = 0;

  constructor(options: InterestTableOptions = {}) {
    this.cacheSize = options.cacheSize;
    this.onInvalid = options.onInvalid;
  }

  /** Number of entries over all accounts. */
  get size(): number {
    return this.count;
  }

  /**
   * Applies one RS+/RS-/LS+/LS-. Returns undefined when nothing changed (a repeated plain RS+, a queue RS+
   * with the same weight, a removal of something absent).
   * An add with an invalid subject or queue name is ignored (returns undefined), counted in `invalid` and
   * reported to `onInvalid`: nats-server logs it and keeps the route (its `-ERR 'Invalid Subscription'`
   * would make a Go peer close, so it is not ours to send).
   * An LS- without origin (sender lacks lnocu) removes one leaf entry with that subject and queue, the oldest,
   * since the origin that left cannot be known (nats-server keys such entries without origin at all).
   */
  apply(op: Interest): Interest | undefined {
    return op.add ? this.add(op) : this.remove(op);
  }

  /** What the peer's interest says about a message on (account, subject). Cache hits return a shared object. */
  match(account: string, subject: string): MatchResult {
    const acc = this.byAccount.get(account);
    return acc === undefined ? NO_INTEREST : acc.sublist.matchResult(subject);
  }

  /** Looks up one entry by its key fields. */
  get(account: string, subject: string, queue?: string, leaf = false, origin?: string): Interest | undefined {
    return this.byAccount.get(account)?.entries.get(keyInAccount({ account, subject, queue, leaf, origin: leaf ? origin : undefined }));
  }

  *entries(): IterableIterator<Interest> {
    for (const acc of this.byAccount.values()) yield* acc.entries.values();
  }

  /** Accounts with at least one entry. */
  accounts(): IterableIterator<string> {
    return this.byAccount.keys();
  }

  /** Entries of one account. */
  accountSize(account: string): number {
    return this.byAccount.get(account)?.entries.size ?? 0;
  }

  *accountEntries(account: string): IterableIterator<Interest> {
    const acc = this.byAccount.get(account);
    if (acc !== undefined) yield* acc.entries.values();
  }

  /** Removes one account's entries and returns their removals (its connection closed, the peer stays). */
  clearAccount(account: string): Interest[] {
    const acc = this.byAccount.get(account);
    if (acc === undefined) return [];
    this.byAccount.delete(account);
    this.count -= acc.entries.size;
    return [...acc.entries.values()].map(removal);
  }

  /** Removes everything and returns what was removed (to withdraw it when the peer leaves). */
  clear(): Interest[] {
    const removed = [...this.entries()];
    this.byAccount.clear();
    this.count = 0;
    return removed;
  }

  private add(op: Interest): Interest | undefined {
    if (!isValidSubject(op.subject)) return this.refuse(op, 'invalid subject');
    if (op.queue !== undefined && !isValidQueueName(op.queue)) return this.refuse(op, 'invalid queue name');
    // Go never sends a non-positive weight; treat one as a single member rather than "present but unusable".
    const weight = op.queue === undefined ? undefined : op.weight !== undefined && op.weight >= 1 ? Math.floor(op.weight) : 1;
    const key = keyInAccount(op); // the origin counts only for leaf entries (key.ts)
    let acc = this.byAccount.get(op.account);
    const old = acc?.entries.get(key);
    if (old !== undefined && (op.queue === undefined || old.weight === weight)) return undefined;
    if (acc === undefined) {
      acc = new AccountInterest(this.cacheSize);
      this.byAccount.set(op.account, acc);
    }
    const entry = makeEntry(op, weight);
    // A weight change swaps the (immutable) entry so cached match results are recomputed.
    if (old !== undefined) this.unlink(acc, key, old);
    else this.count++;
    acc.entries.set(key, entry);
    acc.sublist.insert(entry.subject, entry);
    if (entry.leaf) {
      const tk = targetKey(entry);
      let set = acc.leafByTarget.get(tk);
      if (set === undefined) acc.leafByTarget.set(tk, (set = new Set()));
      set.add(entry);
    }
    return entry;
  }

  private remove(op: Interest): Interest | undefined {
    const acc = this.byAccount.get(op.account);
    if (acc === undefined) return undefined;
    let key = keyInAccount(op);
    let old = acc.entries.get(key);
    if (old === undefined && op.leaf && op.origin === undefined) {
      const set = acc.leafByTarget.get(targetKey(op));
      if (set !== undefined) {
        for (const e of set) {
          old = e;
          key = keyInAccount(e);
          break;
        }
      }
    }
    if (old === undefined) return undefined;
    this.unlink(acc, key, old);
    this.count--;
    if (acc.entries.size === 0) this.byAccount.delete(op.account);
    return removal(old);
  }

  private refuse(op: Interest, reason: string): undefined {
    this.invalid++;
    this.onInvalid?.(op, reason);
    return undefined;
  }

  private unlink(acc: AccountInterest, key: string, e: Interest): void {
    acc.entries.delete(key);
    acc.sublist.remove(e.subject, e);
    if (e.leaf) {
      const tk = targetKey(e);
      const set = acc.leafByTarget.get(tk);
      if (set !== undefined) {
        set.delete(e);
        if (set.size === 0) acc.leafByTarget.delete(tk);
      }
    }
  }
}
