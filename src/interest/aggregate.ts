// The union of several owners' interest, as one route peer would advertise it (design.md §1):
// a plain subject is advertised while at least one owner has it; a queue group's weight is the sum of the
// owners' weights. Deltas are exactly what must be sent (RS+/RS- or LS+/LS-) to keep a peer in sync.

import type { Interest, InterestKeyFields } from '../protocol/types.js';
import { keyInAccount } from './key.js';

interface Advertised<Owner> {
  /** Its key among its account's entries (keyInAccount). */
  readonly key: string;
  readonly account: string;
  readonly subject: string;
  readonly queue: string | undefined;
  readonly leaf: boolean;
  readonly origin: string | undefined;
  /**
   * The owners and their weights (plain: always 1); owners with weight 0 are not kept. Most
   * entries have one owner: it is kept inline, a Map only for the others (a Map per entry would
   * cost more than the rest of the entry).
   */
  first: Owner | undefined;
  firstWeight: number;
  others: Map<Owner, number> | undefined;
  total: number;
}

function weightOf<Owner>(rec: Advertised<Owner>, owner: Owner): number {
  return rec.first === owner ? rec.firstWeight : rec.others?.get(owner) ?? 0;
}

/** Sets a positive weight for `owner`. */
function setWeight<Owner>(rec: Advertised<Owner>, owner: Owner, w: number): void {
  if (rec.first === owner) rec.firstWeight = w;
  else if (rec.first === undefined && rec.others?.has(owner) !== true) {
    rec.first = owner;
    rec.firstWeight = w;
  } else (rec.others ??= new Map()).set(owner, w);
}

function dropOwner<Owner>(rec: Advertised<Owner>, owner: Owner): void {
  if (rec.first === owner) {
    rec.first = undefined;
    rec.firstWeight = 0;
  } else if (rec.others?.delete(owner) === true && rec.others.size === 0) rec.others = undefined;
}

function delta<Owner>(add: boolean, rec: Advertised<Owner>): Interest {
  const d: Interest = { add, account: rec.account, subject: rec.subject, leaf: rec.leaf };
  if (rec.queue !== undefined) {
    d.queue = rec.queue;
    if (add) d.weight = rec.total;
  }
  if (rec.origin !== undefined) d.origin = rec.origin;
  return d;
}

export class InterestAggregate<Owner> {
  /** account → keyInAccount → entry (per account, so a plain entry's key is its subject string). */
  private readonly recs = new Map<string, Map<string, Advertised<Owner>>>();
  private readonly byOwner = new Map<Owner, Set<Advertised<Owner>>>();
  private count = 0;

  /** Number of entries currently advertised. */
  get size(): number {
    return this.count;
  }

  /**
   * Sets `owner`'s contribution to `entry`. Plain: weight > 0 present, 0 absent. Queue: the owner's absolute
   * weight, 0 = removed. Returns the delta to advertise, or undefined when the union did not change.
   */
  set(owner: Owner, entry: InterestKeyFields, weight: number): Interest | undefined {
    const leaf = entry.leaf === true;
    const origin = leaf ? entry.origin : undefined;
    const key = keyInAccount({ account: entry.account, subject: entry.subject, queue: entry.queue, leaf, origin });
    let inAccount = this.recs.get(entry.account);
    let rec = inAccount?.get(key);
    const w = entry.queue === undefined ? (weight > 0 ? 1 : 0) : weight > 0 ? weight : 0;
    const prev = rec === undefined ? 0 : weightOf(rec, owner);
    if (w === prev) return undefined;
    if (rec === undefined) {
      rec = {
        key,
        account: entry.account,
        subject: entry.subject,
        queue: entry.queue,
        leaf,
        origin,
        first: undefined,
        firstWeight: 0,
        others: undefined,
        total: 0,
      };
      if (inAccount === undefined) this.recs.set(entry.account, (inAccount = new Map()));
      inAccount.set(key, rec);
      this.count++;
    }
    let mine = this.byOwner.get(owner);
    if (w > 0) {
      setWeight(rec, owner, w);
      if (mine === undefined) this.byOwner.set(owner, (mine = new Set()));
      mine.add(rec);
    } else {
      dropOwner(rec, owner);
      if (mine !== undefined) {
        mine.delete(rec);
        if (mine.size === 0) this.byOwner.delete(owner);
      }
    }
    return this.retotal(rec, w - prev);
  }

  /** Applies what one owner's interest table changed (an add with its weight, or a removal). */
  apply(owner: Owner, change: Interest): Interest | undefined {
    const weight = !change.add ? 0 : change.queue === undefined ? 1 : (change.weight ?? 1);
    return this.set(owner, change, weight);
  }

  /** Withdraws everything `owner` contributed; returns the resulting deltas. */
  removeOwner(owner: Owner): Interest[] {
    const mine = this.byOwner.get(owner);
    if (mine === undefined) return [];
    this.byOwner.delete(owner);
    const out: Interest[] = [];
    for (const rec of mine) {
      const prev = weightOf(rec, owner);
      dropOwner(rec, owner);
      const d = this.retotal(rec, -prev);
      if (d !== undefined) out.push(d);
    }
    return out;
  }

  /**
   * Everything currently advertised, as adds, made one by one as the caller pulls (a streamed
   * registration snapshot: no array of a million entries). Live: an entry removed before it is
   * reached is skipped, each reflects its state when reached; one added meanwhile may or may not be
   * reached (an account whose entries were already walked is not walked again), so a caller learns
   * of changes made meanwhile by the deltas, as the snapshot stream does.
   */
  *entries(): Generator<Interest, void, undefined> {
    for (const inAccount of this.recs.values()) for (const rec of inAccount.values()) yield delta(true, rec);
  }

  /** Everything currently advertised, as adds (for a newly connected peer). */
  snapshot(): Interest[] {
    const out: Interest[] = [];
    for (const inAccount of this.recs.values()) for (const rec of inAccount.values()) out.push(delta(true, rec));
    return out;
  }

  /** Owners currently contributing to at least one entry. */
  owners(): IterableIterator<Owner> {
    return this.byOwner.keys();
  }

  private retotal(rec: Advertised<Owner>, diff: number): Interest | undefined {
    const before = rec.total;
    // Plain entries count owners, so present ⇔ total > 0 for both kinds.
    rec.total = before + diff;
    if (rec.total <= 0) {
      const inAccount = this.recs.get(rec.account);
      if (inAccount?.delete(rec.key) === true) {
        this.count--;
        // An iterator walking this map sees it end; later adds of the account start a new one it reaches.
        if (inAccount.size === 0) this.recs.delete(rec.account);
      }
      return before > 0 ? delta(false, rec) : undefined;
    }
    if (rec.queue === undefined) return before > 0 ? undefined : delta(true, rec);
    return rec.total !== before ? delta(true, rec) : undefined;
  }
}
