// proxy {} limits (issue 13): defaults, values, 0 = no limit, bad values positioned.
import t from 'tap';
import { parseConfigText } from '../../src/config/load.js';
import { buildOptions, formatIssue } from '../../src/config/build.js';
import { DEFAULT_PROXY_LIMITS } from '../../src/config/limits-option.js';

const build = (text: string) => buildOptions(parseConfigText(text, 't.conf'));

t.test('defaults', async (t) => {
  const r = build('cluster { port: 6222 }');
  t.same(r.errors, []);
  t.match(r.options!.proxy, {
    maxConnections: 1024, maxGossipedRoutes: 256, maxInterestPerConnection: 1_000_000, maxInterestPerAccount: 500_000,
  });
  t.same(DEFAULT_PROXY_LIMITS.maxConnections, 1024);
});

t.test('values, sizes and 0', async (t) => {
  const r = build('cluster { port: 6222 }\nproxy { max_connections: 10, MAX_GOSSIPED_ROUTES: 0, max_interest_per_connection: 2M, max_interest_per_account: 1k, max_pending: 1MB }');
  t.same(r.errors, []);
  t.same(r.options!.proxy, {
    maxPending: 1024 * 1024, maxConnections: 10, maxGossipedRoutes: 0, maxInterestPerConnection: 2_000_000, maxInterestPerAccount: 1000,
    // The flow marks follow a small max_pending down (high water at most max_pending, low water at most half of it).
    highWater: 1024 * 1024, lowWater: 512 * 1024, stallMs: 1000, slabSize: 256 * 1024, maxMemory: 512 * 1024 * 1024, lz4: false,
  });
});

t.test('wrong type and negative values are positioned errors', async (t) => {
  const r = build('cluster { port: 6222 }\nproxy {\n  max_connections: "many"\n  max_interest_per_account: -1\n  max_gossip: 3\n}');
  t.same(r.errors.map(formatIssue), [
    't.conf:3:3: interface conversion: interface {} is string, not int64',
    't.conf:4:3: max_interest_per_account must be 0 (no limit) or greater, got -1',
    't.conf:5:3: unknown field "max_gossip"',
  ]);
  t.equal(r.options, undefined);
});
