// Reload of cluster.compression on one connection (RouteCompression.reconfigure), the rules of
// nats-server's reload.go clusterOption.Apply: skip `not supported` and unchanged modes, close
// what needs a new negotiation (`off` before or after, `accept`), swap the writer for a level,
// pick s2_auto's level from the current RTT, and let PONGs re-pick only while s2_auto is configured.
import t from 'tap';
import { S2Decoder } from '../../src/compression/s2.js';
import { RouteCompression, type RouteCompressionConfig } from '../../src/route/compression.js';

const cfg = (mode: RouteCompressionConfig['mode'], rttThresholdsMs: number[] = [], lz4 = false): RouteCompressionConfig => ({ mode, rttThresholdsMs, lz4 });

/** A registered connection's compression: negotiated against `remote`, writer started at a 1 ms handshake RTT. */
function live(local: RouteCompressionConfig, remote: string | undefined, proxyOffer?: string[]): RouteCompression {
  const c = new RouteCompression(local, (err) => { throw err; });
  c.negotiate(remote, proxyOffer);
  c.startWriting(1);
  c.startReading();
  return c;
}

/** What the writer produces decodes (a new level is a new stream every S2 reader takes). */
function roundTrips(c: RouteCompression): boolean {
  const plain = Buffer.from('RMSG $G foo 11\r\nhello world\r\n'.repeat(200));
  const wire = Buffer.concat(c.encode([plain]));
  return Buffer.concat(new S2Decoder().push(wire)).equals(plain);
}

t.test('mode table (one connection per row)', async (t) => {
  const rows: Array<[string, RouteCompressionConfig, string | undefined, RouteCompressionConfig, string, string]> = [
    // [what, old config, remote INFO value, new config, expected outcome, expected mode after]
    ['level to level swaps the writer', cfg('s2_fast'), 'accept', cfg('s2_best'), 'level', 's2_best'],
    ['level to s2_better', cfg('s2_best'), 's2_best', cfg('s2_better'), 'level', 's2_better'],
    ['same mode: nothing', cfg('s2_fast'), 'accept', cfg('s2_fast'), 'unchanged', 's2_fast'],
    ['level to off: renegotiate', cfg('s2_fast'), 'accept', cfg('off'), 'close', 's2_fast'],
    ['level to accept: renegotiate', cfg('s2_fast'), 'accept', cfg('accept'), 'close', 's2_fast'],
    ['off to a level: renegotiate', cfg('off'), 's2_fast', cfg('s2_fast'), 'close', 'off'],
    ['accept/accept was off: renegotiate', cfg('accept'), 'accept', cfg('s2_best'), 'close', 'off'],
    ['a peer without compression stays as it is', cfg('s2_fast'), undefined, cfg('s2_best'), 'unchanged', 'not supported'],
    ['not supported as the new mode: renegotiate', cfg('s2_fast'), 'accept', cfg('not supported'), 'close', 's2_fast'],
    ['s2_auto from the current RTT (0 before a PONG: uncompressed)', cfg('s2_best'), 'accept', cfg('s2_auto', [10, 50, 100]), 'level', 's2_uncompressed'],
  ];
  for (const [what, old, remote, next, outcome, after] of rows) {
    const c = live(old, remote);
    t.equal(c.reconfigure(next, undefined), outcome, `${what}: ${outcome}`);
    t.equal(c.mode, after, `${what}: mode ${after}`);
    if (outcome === 'level') t.ok(roundTrips(c), `${what}: the new writer's output decodes`);
  }
});

t.test('s2_auto: the level comes from the RTT given, and PONGs re-pick only while s2_auto is configured', async (t) => {
  const c = live(cfg('s2_fast'), 'accept');
  t.equal(c.reconfigure(cfg('s2_auto', [10, 50, 100]), 70), 'level', 'to s2_auto at 70 ms');
  t.equal(c.level, 's2_better', '50 < 70 ≤ 100 ms: better');
  c.rtt(5);
  t.equal(c.level, 's2_uncompressed', 'a PONG now re-picks (s2_auto configured)');
  t.equal(c.reconfigure(cfg('s2_auto', [1, 2, 3]), 5), 'level', 'new thresholds re-pick at once');
  t.equal(c.level, 's2_best', 'over every threshold: best');
  t.equal(c.reconfigure(cfg('s2_fast'), 5), 'level', 'back to a fixed level');
  c.rtt(0.5);
  t.equal(c.level, 's2_fast', 'PONGs no longer change it');
  t.equal(c.reconfigure(cfg('s2_auto', [10, 50, 100]), 1), 'level');
  t.equal(c.reconfigure(cfg('s2_auto', [20, 60, 200]), 1), 'unchanged', 'thresholds changed, same band: nothing to swap');
});

t.test('proxy links: s2_auto is the fixed s2_fast, LZ4 is left to proxy { lz4 }', async (t) => {
  const s2 = live(cfg('s2_best'), 's2_best', []);
  t.equal(s2.reconfigure(cfg('s2_auto'), 500), 'level');
  t.equal(s2.mode, 's2_fast', 'not picked from the RTT');
  s2.rtt(500);
  t.equal(s2.mode, 's2_fast', 'and not re-picked on PONGs');
  const lz4 = live(cfg('accept', [], true), 'accept', ['lz4']);
  t.equal(lz4.mode, 'lz4');
  for (const m of ['off', 's2_best', 'accept'] as const) t.equal(lz4.reconfigure(cfg(m, [], true), 1), 'unchanged', `lz4 link, new mode ${m}: left alone`);
});

t.test('a connection still negotiating is left to the configuration it started with', async (t) => {
  const c = new RouteCompression(cfg('s2_fast'), (err) => { throw err; });
  t.equal(c.reconfigure(cfg('off'), undefined), 'unchanged');
  // Our INFO said s2_fast: the negotiation must still use it, or the two ends would disagree.
  const n = c.negotiate('accept');
  t.same(n, { compress: true, mode: 's2_fast' }, 'negotiates with the mode its INFO carried');
});
