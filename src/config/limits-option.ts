// proxy {} limits against hostile or broken peers (issue 13): integers, 0 = no limit.
import type { ConfEntry } from './tree.js';
import type { IssueSink } from './issues.js';
import type { ProxyLimits } from './options.js';

export const DEFAULT_PROXY_LIMITS: Readonly<ProxyLimits> = Object.freeze({
  // Route connections are few (servers × pool size); 1024 leaves room and fits the common soft fd limit's order.
  maxConnections: 1024,
  // A cluster gossips each of its servers once; 256 servers is far beyond any real cluster.
  maxGossipedRoutes: 256,
  // Under 1 KB per entry held (~0.45 KB measured, test/interest/memory.test.ts): 1M entries ≈ 1 GB
  // for one connection at most, 500k ≈ 500 MB for one account.
  maxInterestPerConnection: 1_000_000,
  maxInterestPerAccount: 500_000,
});

const KEYS: Record<string, keyof ProxyLimits> = {
  max_connections: 'maxConnections',
  max_gossiped_routes: 'maxGossipedRoutes',
  max_interest_per_connection: 'maxInterestPerConnection',
  max_interest_per_account: 'maxInterestPerAccount',
};

/** Handles one proxy {} key if it is a limit; false when the key is not one of ours. */
export function parseProxyLimit(key: string, e: ConfEntry, limits: ProxyLimits, sink: IssueSink): boolean {
  const field = KEYS[key];
  if (field === undefined) return false;
  if (e.value.type !== 'int') {
    sink.typeMismatch(e.keyPos, e.value, 'int64');
    return true;
  }
  const n = e.value.value;
  if (n < 0 || !Number.isSafeInteger(n)) sink.error(e.keyPos, `${key} must be 0 (no limit) or greater, got ${n}`);
  else limits[field] = n;
  return true;
}
