// Choosing the one peer that serves a queue group, weighted by the member counts the
// peers advertised (nats-server weighs route queue subscriptions the same way).

export interface QueueCandidate<T> {
  target: T;
  weight: number;
}

/** Picks one candidate with probability proportional to its weight; undefined if none. */
export function pickWeighted<T>(candidates: readonly QueueCandidate<T>[], random: () => number = Math.random): T | undefined {
  if (candidates.length === 0) return undefined;
  if (candidates.length === 1) return candidates[0]!.target;
  let total = 0;
  for (const c of candidates) total += c.weight;
  let r = random() * total;
  for (const c of candidates) {
    r -= c.weight;
    if (r < 0) return c.target;
  }
  return candidates[candidates.length - 1]!.target;
}
