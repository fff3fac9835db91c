// One peer's interest (what its RS+/RS-/LS+/LS- said), across accounts, with cached matching.
// Semantics follow route.go processRemoteSub/processRemoteUnsub (route-protocol.md §2.4): keys exclude the
// weight, a repeated queue RS+ replaces the weight, RS-/LS- remove the entry whatever its weight.
import type { InterestOp } from '../protocol/types.js';
import { Sublist } from './sublist.js';
import { isValidQueueName, isValidSubject } from './subject.js';

export interface InterestEntry {
  readonly account: string;
  readonly subject: string;
  readonly queue?: string;
  /** Queue entries only: the sender's member count. */
  readonly weight?: number;
  /** From LS+ (leafnode origin). */
  readonly leaf: boolean;
  readonly origin?: string;
}

/** What `apply` changed; shaped so it can be passed on to `InterestAggregate.set(owner, change, change.weight)`. */
export interface InterestChange {
  /** true: the entry is now present (new, or a queue weight changed); false: it was removed. */
  readonly add: boolean;
  readonly account: string;
  readonly subject: string;
  readonly queue?: string;
  readonly leaf: boolean;
  readonly origin?: string;
  /** Plain: 1 present / 0 removed. Queue: the new weight, 0 when removed. */
  readonly weight: number;
  /** The same measure before the change (0 when the entry is new). */
  readonly prevWeight: number;
}

export interface MatchResult {
  /** At least one non-queue entry matches. */
  readonly plain: boolean;
  /** Matching queue groups → summed weight over the matching entries of that group. */
  readonly queues: ReadonlyMap<string, number>;
}

const EMPTY_QUEUES: ReadonlyMap<string, number> = new Map();
export const NO_INTEREST: MatchResult = Object.freeze({ plain: false, queues: EMPTY_QUEUES });

function toMatchResult(items: readonly InterestEntry[]): MatchResult {
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
  readonly sublist: Sublist<InterestEntry, MatchResult>;
  /** key (see entryKey) → entry. */
  readonly entries = new Map<string, InterestEntry>();
  /** (subject, queue) → leaf entries, for an LS- that carries no origin (sender without lnocu). */
  readonly leafByTarget = new Map<string, Set<InterestEntry>>();

  constructor(cacheSize: number | undefined) {
    this.sublist = new Sublist<InterestEntry, MatchResult>({ cacheSize, derive: toMatchResult });
  }
}

// Subjects, queues and origins are wire tokens (no whitespace), so a space separates fields unambiguously.
function entryKey(subject: string, queue: string | undefined, leaf: boolean, origin: string | undefined): string {
  const base = subject + ' ' + (queue ?? '');
  return leaf ? 'L ' + base + ' ' + (origin ?? '') : 'R ' + base;
}

function targetKey(subject: string, queue: string | undefined): string {
  return subject + ' ' + (queue ?? '');
}

function makeEntry(op: InterestOp, weight: number | undefined): InterestEntry {
  const e: { -readonly [K in keyof InterestEntry]: InterestEntry[K] } = {
    account: op.account,
    subject: op.subject,
    leaf: op.leaf,
  };
  if (op.queue !== undefined) {
    e.queue = op.queue;
    e.weight = weight;
  }
  if (op.leaf && op.origin !== undefined) e.origin = op.origin;
  return Object.freeze(e);
}

function measure(e: InterestEntry | undefined): number {
  if (e === undefined) return 0;
  return e.queue === undefined ? 1 : (e.weight ?? 1);
}

function change(add: boolean, e: InterestEntry, weight: number, prevWeight: number): InterestChange {
  const c: { -readonly [K in keyof InterestChange]: InterestChange[K] } = {
    add,
    account: e.account,
    subject: e.subject,
    leaf: e.leaf,
    weight,
    prevWeight,
  };
  if (e.queue !== undefined) c.queue = e.queue;
  if (e.origin !== undefined) c.origin = e.origin;
  return c;
}

export interface InterestTableOptions {
  /** Per-account match cache size (default 1024). */
  cacheSize?: number;
  /** Told about an add that was refused (invalid subject or queue name), e.g. to log it. */
  onInvalid?: (op: InterestOp, reason: string) => void;
}

export class InterestTable {
  private readonly byAccount = new Map<string, AccountInterest>();
  private readonly cacheSize: number | undefined;
  private readonly onInvalid: ((op: InterestOp, reason: string) => void) | undefined;
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
  apply(op: InterestOp): InterestChange | undefined {
    return op.add ? this.add(op) : this.remove(op);
  }

  /** What the peer's interest says about a message on (account, subject). Cache hits return a shared object. */
  match(account: string, subject: string): MatchResult {
    const acc = this.byAccount.get(account);
    return acc === undefined ? NO_INTEREST : acc.sublist.matchResult(subject);
  }

  /** Looks up one entry by its key fields. */
  get(account: string, subject: string, queue?: string, leaf = false, origin?: string): InterestEntry | undefined {
    return this.byAccount.get(account)?.entries.get(entryKey(subject, queue, leaf, leaf ? origin : undefined));
  }

  *entries(): IterableIterator<InterestEntry> {
    for (const acc of this.byAccount.values()) yield* acc.entries.values();
  }

  /** Accounts with at least one entry. */
  accounts(): IterableIterator<string> {
    return this.byAccount.keys();
  }

  /** Removes everything and returns what was removed (to withdraw it when the peer leaves). */
  clear(): InterestEntry[] {
    const removed = [...this.entries()];
    this.byAccount.clear();
    this.count = 0;
    return removed;
  }

  private add(op: InterestOp): InterestChange | undefined {
    if (!isValidSubject(op.subject)) return this.refuse(op, 'invalid subject');
    if (op.queue !== undefined && !isValidQueueName(op.queue)) return this.refuse(op, 'invalid queue name');
    // Go never sends a non-positive weight; treat one as a single member rather than "present but unusable".
    const weight = op.queue === undefined ? undefined : op.weight !== undefined && op.weight >= 1 ? Math.floor(op.weight) : 1;
    const origin = op.leaf ? op.origin : undefined;
    const key = entryKey(op.subject, op.queue, op.leaf, origin);
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
      const tk = targetKey(entry.subject, entry.queue);
      let set = acc.leafByTarget.get(tk);
      if (set === undefined) acc.leafByTarget.set(tk, (set = new Set()));
      set.add(entry);
    }
    return change(true, entry, measure(entry), measure(old));
  }

  private remove(op: InterestOp): InterestChange | undefined {
    const acc = this.byAccount.get(op.account);
    if (acc === undefined) return undefined;
    let key = entryKey(op.subject, op.queue, op.leaf, op.leaf ? op.origin : undefined);
    let old = acc.entries.get(key);
    if (old === undefined && op.leaf && op.origin === undefined) {
      const set = acc.leafByTarget.get(targetKey(op.subject, op.queue));
      if (set !== undefined) {
        for (const e of set) {
          old = e;
          key = entryKey(e.subject, e.queue, true, e.origin);
          break;
        }
      }
    }
    if (old === undefined) return undefined;
    this.unlink(acc, key, old);
    this.count--;
    if (acc.entries.size === 0) this.byAccount.delete(op.account);
    return change(false, old, 0, measure(old));
  }

  private refuse(op: InterestOp, reason: string): undefined {
    this.invalid++;
    this.onInvalid?.(op, reason);
    return undefined;
  }

  private unlink(acc: AccountInterest, key: string, e: InterestEntry): void {
    acc.entries.delete(key);
    acc.sublist.remove(e.subject, e);
    if (e.leaf) {
      const tk = targetKey(e.subject, e.queue);
      const set = acc.leafByTarget.get(tk);
      if (set !== undefined) {
        set.delete(e);
        if (set.size === 0) acc.leafByTarget.delete(tk);
      }
    }
  }
}
