// Pool hashing: the account → pool slot choice (FNV-1a, as nats-server's computeRoutePoolIdx)
// made for every message on a pooled route.
import { computeRoutePoolIdx, fnv1a32 } from '../src/protocol/pool-index.js';
import type { BenchGroup, BenchOptions } from './harness.js';

const BATCH = 1024;

export default function groups(_opts: BenchOptions): BenchGroup[] {
  const short = Array.from({ length: 64 }, (_, i) => `A${i}`);
  const long = Array.from({ length: 64 }, (_, i) => `ACDEFGHIJKLMNOPQRSTUVWXYZ234567ACDEFGHIJKLMNOPQRSTUVWX${i}`.slice(0, 56));
  const mk = (name: string, accounts: string[], f: (a: string) => number) => {
    let sink = 0;
    return {
      name,
      items: BATCH,
      fn: () => {
        for (let i = 0; i < BATCH; i++) sink += f(accounts[i & 63]!);
        if (sink < 0) throw new Error('unreachable');
      },
    };
  };
  if (computeRoutePoolIdx(3, '$G') !== fnv1a32('$G') % 3) throw new Error('pool bench: unexpected pool index');
  return [{
    group: 'pool hashing',
    reference: 'computeRoutePoolIdx(3), short account',
    cases: [
      mk('computeRoutePoolIdx(3), short account', short, (a) => computeRoutePoolIdx(3, a)),
      mk('computeRoutePoolIdx(3), 56-char nkey account', long, (a) => computeRoutePoolIdx(3, a)),
      mk('fnv1a32, 56-char account', long, fnv1a32),
      mk('computeRoutePoolIdx(1) (pooling off)', short, (a) => computeRoutePoolIdx(1, a)),
    ],
  }];
}
