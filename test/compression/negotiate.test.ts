// Negotiation against route-protocol.md §5.2 (the matrix), §5.1 (INFO values), §5.6 (s2_auto)
// and the proxy-link rule of issue 9.
import t from 'tap';
import {
  infoCompressionValue, negotiateRouteCompression, proxyLinkOffer, reselectS2AutoLevel,
  selectCompressionMode, selectProxyLinkCodec, selectS2AutoLevel, initialS2Level, type RouteCompressionMode,
} from '../../src/compression/negotiate.js';

const LEVELS = ['s2_fast', 's2_better', 's2_best'] as const;

t.test('the §5.2 matrix', async (t) => {
  const R_ABSENT = [undefined, '', 'not supported'];
  // [local, remote, expected]
  const rows: Array<[RouteCompressionMode, string | undefined, string]> = [];
  for (const L of ['off', 'not supported'] as const) {
    // An empty field marks the peer "not supported"; a peer that says "not supported" is just off (route.go).
    for (const R of [undefined, '']) rows.push([L, R, 'not supported']);
    for (const R of ['not supported', 'off', 'accept', 's2_auto', ...LEVELS, 's2_uncompressed', 'lz4', 'bogus']) rows.push([L, R, L === 'off' ? 'off' : 'not supported']);
  }
  for (const L of ['accept', 's2_auto', ...LEVELS] as const) {
    for (const R of R_ABSENT) rows.push([L, R, 'not supported']);
    rows.push([L, 'off', 'off']);
  }
  rows.push(['accept', 'accept', 'off']);
  for (const R of LEVELS) rows.push(['accept', R, R]);
  rows.push(['accept', 's2_uncompressed', 's2_uncompressed']);
  rows.push(['accept', 's2_auto', 's2_fast']);
  for (const L of LEVELS) for (const R of ['accept', 's2_auto', 's2_uncompressed', ...LEVELS]) rows.push([L, R, L]);
  for (const R of ['accept', 's2_auto', 's2_uncompressed', ...LEVELS]) rows.push(['s2_auto', R, 's2_auto']);
  for (const [L, R, want] of rows) {
    const got = negotiateRouteCompression(L, R);
    t.equal('mode' in got ? got.mode : got.error, want, `L=${L} R=${String(R)} → ${want}`);
    t.equal(got.compress, want.startsWith('s2_'), `  compresses: ${want.startsWith('s2_')}`);
  }
});

t.test('unknown remote values fail the route with nats-server\'s -ERR (only when we negotiate)', async (t) => {
  for (const L of ['accept', 's2_fast', 's2_auto'] as const) {
    for (const R of ['lz4', 'S2_FAST', 'fast', 'on']) {
      const got = negotiateRouteCompression(L, R);
      t.same(got, { compress: false, error: `unsupported route compression mode "${R}"`, errLine: `-ERR 'unsupported route compression mode "${R}"'\r\n` }, `L=${L} R=${R}`);
    }
  }
  t.same(selectCompressionMode('accept', 'lz4'), { error: 'unsupported route compression mode "lz4"' });
});

t.test('INFO values (§5.1)', async (t) => {
  t.equal(infoCompressionValue('accept'), 'accept', 'acceptor: configured mode');
  t.equal(infoCompressionValue('s2_auto'), 's2_auto');
  t.equal(infoCompressionValue('off'), 'off');
  t.equal(infoCompressionValue('accept', 's2_fast'), 's2_fast', 'dialer: negotiated mode');
  t.equal(infoCompressionValue('s2_best', 's2_best'), 's2_best');
  t.equal(infoCompressionValue('accept', 'off'), 'off');
  t.equal(infoCompressionValue('s2_auto', 's2_auto'), 's2_auto', 'a side configured s2_auto always says s2_auto');
  t.equal(infoCompressionValue('off', 'not supported'), 'not supported');
});

t.test('s2_auto levels from RTT (§5.6)', async (t) => {
  const d = [10, 50, 100];
  const rows: Array<[number, readonly number[] | undefined, string]> = [
    [0, undefined, 's2_uncompressed'], [10, undefined, 's2_uncompressed'], [10.001, undefined, 's2_fast'], [50, d, 's2_fast'],
    [51, d, 's2_better'], [100, d, 's2_better'], [101, d, 's2_best'], [5000, d, 's2_best'],
    [1, [10], 's2_uncompressed'], [500, [10], 's2_uncompressed'], [500, [5, 15], 's2_fast'], [12, [5, 15], 's2_fast'],
    [5, [0, 0, 20], 's2_better'], [25, [0, 0, 20], 's2_best'], [0, [0, 0, 20], 's2_uncompressed'],
    [3, [1, 2, 3, 4], 's2_better'], [4, [1, 2, 3, 4], 's2_best'], [9, [1, 2, 3, 4], 's2_best'],
  ];
  for (const [rtt, th, want] of rows) t.equal(selectS2AutoLevel(rtt, th), want, `rtt ${rtt} ms, thresholds ${th ? `[${th}]` : 'default'} → ${want}`);
  t.equal(initialS2Level('s2_auto', 30), 's2_fast');
  t.equal(initialS2Level('s2_best', 1), 's2_best', 'a fixed level ignores RTT');
  t.equal(reselectS2AutoLevel('s2_fast', 20), undefined, 'same band: no change');
  t.equal(reselectS2AutoLevel('s2_fast', 200), 's2_best', 'band change on PONG');
});

t.test('proxy links: LZ4 only when both offer it, else what both support', async (t) => {
  const lz4s2 = proxyLinkOffer({ lz4: true, s2: 's2_fast' });
  const lz4only = proxyLinkOffer({ lz4: true, s2: 'off' });
  const s2only = proxyLinkOffer({ lz4: false, s2: 's2_better' });
  const none = proxyLinkOffer({ lz4: false, s2: 'off' });
  t.same(lz4s2, ['lz4', 's2']);
  t.same(none, []);
  const rows: Array<[string[], string[] | undefined, string]> = [
    [lz4s2, lz4s2, 'lz4'], [lz4s2, lz4only, 'lz4'], [lz4s2, s2only, 's2'], [s2only, lz4s2, 's2'],
    [lz4only, s2only, 'off'], [lz4s2, none, 'off'], [lz4s2, undefined, 'off'], [lz4s2, ['zstd', 's2'], 's2'],
  ];
  for (const [a, b, want] of rows) {
    t.equal(selectProxyLinkCodec(a, b), want, `[${a}] × [${b ?? 'absent'}] → ${want}`);
    if (b) t.equal(selectProxyLinkCodec(b, a), want, '  and the same seen from the other proxy');
  }
});
