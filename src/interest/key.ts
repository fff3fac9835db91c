// The one key function for interest: the interest table, the aggregate and the collapsed form
// towards old servers all identify an entry the same way (route-protocol.md §2.4: the key is the
// raw argument bytes without the weight). Wire tokens contain no whitespace, so a space
// separates the fields unambiguously.
import type { InterestKeyFields } from '../protocol/types.js';

export function interestKey(i: InterestKeyFields): string {
  const base = i.account + ' ' + i.subject + ' ' + (i.queue ?? '');
  return i.leaf === true ? base + ' L ' + (i.origin ?? '') : base + ' R';
}
