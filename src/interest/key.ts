// The one key function for interest: the interest table, the aggregate and the collapsed form
// towards old servers all identify an entry the same way (route-protocol.md §2.4: the key is the
// raw argument bytes without the weight). Wire tokens contain no whitespace, so a space
// separates the fields unambiguously.
import type { InterestKeyFields } from '../protocol/types.js';

/**
 * The key of an entry among its account's entries. A plain route entry (no queue, not leaf: nearly
 * all of a large interest set) is keyed by its subject string itself, which it already holds: a
 * concatenated key costs a cons-string chain plus its flat copy, ~130 B per entry in each of the
 * table and the aggregate. Every other key contains a space, which no subject does.
 */
export function keyInAccount(i: InterestKeyFields): string {
  if (i.leaf !== true && i.queue === undefined) return i.subject;
  const base = i.subject + ' ' + (i.queue ?? '');
  return i.leaf === true ? base + ' L ' + (i.origin ?? '') : base + ' R';
}

/** The key of an entry across accounts. */
export function interestKey(i: InterestKeyFields): string {
  return i.account + ' ' + keyInAccount(i);
}
