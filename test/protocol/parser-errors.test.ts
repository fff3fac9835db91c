// Parser-level rows of route-protocol.md §2.9: the exact -ERR text (or a silent close) and
// that nothing after a violation is parsed.
import t from 'tap';
import type { RouteParser } from '../../src/protocol/parser.js';
import { record } from './recorder.js';

const UNKNOWN = 'Unknown Protocol Operation';

interface Case {
  name: string;
  input: string;
  setup?: (p: RouteParser) => void;
  errText: string | undefined;
  reason?: string; // expected prefix of the log reason
  before?: number; // events expected before the violation
}

const cases: Case[] = [
  { name: 'unknown verb', input: 'BOGUS\r\n', errText: UNKNOWN },
  { name: 'unknown verb without LF (rejected at once)', input: 'BOGUS', errText: UNKNOWN },
  { name: 'unknown verb after a good frame', input: 'PING\r\nXYZ\r\n', errText: UNKNOWN, before: 1 },
  { name: 'empty line', input: '\r\n', errText: UNKNOWN },
  { name: 'truncated verb', input: 'PIN\r\n', errText: UNKNOWN },
  { name: 'verb without separator', input: 'RS+\r\n', errText: UNKNOWN },
  { name: 'verb glued to argument', input: 'RMSGx $G foo 1\r\n', errText: UNKNOWN },
  { name: 'RS with bad sign', input: 'RS* $G foo\r\n', errText: UNKNOWN },
  { name: 'A with upper-case U (Go accepts only "u")', input: 'AU $G\r\n', errText: UNKNOWN },
  { name: '-ERR without separator', input: "-ERR'x'\r\n", errText: UNKNOWN },
  { name: 'payload longer than size', input: 'RMSG $G foo 2\r\nabc\r\n', errText: UNKNOWN },
  { name: 'payload followed by CR then junk', input: 'RMSG $G foo 2\r\nab\rX', errText: UNKNOWN },
  { name: 'payload followed by junk (no LF yet)', input: 'RMSG $G foo 2\r\nabX', errText: UNKNOWN },
  { name: 'PUB payload not followed by CRLF', input: 'PUB foo 1\r\nab\r\n', errText: UNKNOWN },

  { name: 'RMSG bad size', input: 'RMSG $G foo x\r\n', errText: undefined, reason: 'processRoutedMsgArgs Bad or Missing Size' },
  { name: 'RMSG 10-digit size', input: 'RMSG $G foo 1000000000\r\n', errText: undefined, reason: 'processRoutedMsgArgs Bad or Missing Size' },
  { name: 'RMSG negative size', input: 'RMSG $G foo -1\r\n', errText: undefined, reason: 'processRoutedMsgArgs Bad or Missing Size' },
  { name: 'RMSG too few args', input: 'RMSG $G 2\r\n', errText: undefined, reason: 'processRoutedMsgArgs Parse Error' },
  { name: 'RMSG bad reply indicator', input: 'RMSG $G foo x y 2\r\n', errText: undefined, reason: 'processRoutedMsgArgs Bad or Missing Reply Indicator' },
  { name: 'RMSG long reply indicator', input: 'RMSG $G foo ++ r q 2\r\n', errText: undefined, reason: 'processRoutedMsgArgs Bad or Missing Reply Indicator' },
  { name: 'RMSG queue form bad size', input: 'RMSG $G foo | q zz\r\n', errText: undefined, reason: 'processRoutedMsgArgs Bad or Missing Size' },
  { name: 'RMSG pinned too few args', input: 'RMSG 2\r\n', setup: (p) => (p.pinnedAccount = 'A'), errText: undefined, reason: 'processRoutedMsgArgs Parse Error' },
  { name: 'HMSG too few args', input: 'HMSG $G foo 1\r\n', errText: undefined, reason: 'processRoutedHeaderMsgArgs Parse Error' },
  { name: 'HMSG bad header size', input: 'HMSG $G foo x 2\r\n', errText: undefined, reason: 'processRoutedHeaderMsgArgs Bad or Missing Header Size' },
  { name: 'HMSG bad total size', input: 'HMSG $G foo 1 x\r\n', errText: undefined, reason: 'processRoutedHeaderMsgArgs Bad or Missing Size' },
  { name: 'HMSG hdr_size > total', input: 'HMSG $G foo 3 2\r\n', errText: undefined, reason: 'processRoutedHeaderMsgArgs Header Size larger then TotalSize' },
  { name: 'HMSG bad reply indicator', input: 'HMSG $G foo * q 1 2\r\n', errText: undefined, reason: 'processRoutedHeaderMsgArgs Bad or Missing Reply Indicator' },
  { name: 'LMSG too few args', input: 'LMSG o $G foo 2\r\n', errText: undefined, reason: 'processRoutedOriginClusterMsgArgs Parse Error' },
  { name: 'LMSG hdr_size > total', input: 'LMSG o $G foo 3 2\r\n', errText: undefined, reason: 'processRoutedOriginClusterMsgArgs Header Size larger then TotalSize' },
  { name: 'LMSG bad header size', input: 'LMSG o $G foo r x 2\r\n', errText: undefined, reason: 'processRoutedOriginClusterMsgArgs Bad or Missing Header Size' },
  { name: 'LMSG bad reply indicator', input: 'LMSG o $G foo x q 0 1\r\n', errText: undefined, reason: 'processRoutedOriginClusterMsgArgs Bad or Missing Reply Indicator' },
  { name: 'LMSG pinned too few args', input: 'LMSG o foo\r\n', setup: (p) => (p.pinnedAccount = 'A'), errText: undefined, reason: 'processRoutedOriginClusterMsgArgs Parse Error' },

  { name: 'RS+ queue without weight', input: 'RS+ $G foo q\r\n', errText: undefined, reason: "processRemoteSub Parse Error: 'R $G foo q'" },
  { name: 'RS+ missing subject', input: 'RS+ $G\r\n', errText: undefined, reason: 'processRemoteSub Parse Error' },
  { name: 'RS+ only separator', input: 'RS+ \r\n', errText: undefined, reason: 'processRemoteSub Parse Error' },
  { name: 'RS+ pinned with account token', input: 'RS+ $G foo\r\n', setup: (p) => (p.pinnedAccount = 'A'), errText: undefined, reason: 'processRemoteSub Parse Error' },
  { name: 'LS+ queue without weight', input: 'LS+ o $G foo q\r\n', errText: undefined, reason: "processRemoteSub Parse Error: 'L o $G foo q'" },
  { name: 'RS- with weight', input: 'RS- $G foo q 1\r\n', errText: undefined, reason: "processRemoteUnsub parse error: '$G foo q 1'" },
  { name: 'RS- missing subject', input: 'RS- $G\r\n', errText: undefined, reason: 'processRemoteUnsub parse error' },
  { name: 'LS- with weight (no lnocu)', input: 'LS- $G foo q 1\r\n', errText: undefined, reason: 'processRemoteUnsub parse error' },
  { name: 'LS- without origin (lnocu)', input: 'LS- $G\r\n', setup: (p) => (p.peerLnocu = true), errText: undefined, reason: 'processRemoteUnsub parse error' },
  { name: 'UNSUB with weight', input: 'UNSUB $G foo q 1\r\n', errText: undefined, reason: 'processRemoteUnsub parse error' },

  { name: 'PUB too few args', input: 'PUB foo\r\n', errText: undefined, reason: 'processPub Parse Error' },
  { name: 'PUB bad size', input: 'PUB foo x\r\n', errText: undefined, reason: 'processPub Bad or Missing Size' },
  { name: 'HPUB hdr > total', input: 'HPUB foo 3 2\r\n', errText: undefined, reason: 'processHeaderPub Header Size larger then TotalSize' },

  { name: 'first operation not CONNECT', input: 'PING\r\n', setup: (p) => (p.expectConnect = true), errText: 'Authorization Violation' },
  { name: 'INFO before CONNECT', input: 'INFO {}\r\n', setup: (p) => (p.expectConnect = true), errText: 'Authorization Violation' },
];

t.test('violations', async (t) => {
  for (const c of cases) {
    const r = record(undefined, c.setup);
    r.parser.parse(Buffer.from(c.input, 'latin1'));
    // Everything after a violation is ignored, in the same chunk and in later ones.
    r.parser.parse(Buffer.from('PING\r\nRS+ $G foo\r\n'));
    const n = c.before ?? 0;
    t.equal(r.events.length, n + 1, `${c.name}: one violation, nothing after`);
    const last = r.events[n];
    if (last?.ev !== 'violation') {
      t.fail(`${c.name}: expected a violation, got ${JSON.stringify(last)}`);
      continue;
    }
    t.equal(last.v.errText, c.errText, `${c.name}: errText`);
    t.equal('errText' in last.v, c.errText !== undefined, `${c.name}: errText key present only when sent`);
    if (c.reason !== undefined) t.ok(last.v.reason.startsWith(c.reason), `${c.name}: reason "${last.v.reason}"`);
    t.ok(r.parser.failed, `${c.name}: parser reports failure`);
  }
});

t.test('9-digit sizes are accepted', async (t) => {
  const r = record();
  r.parser.parse(Buffer.from('RMSG $G foo 999999999\r\nab'));
  t.strictSame(r.events, [], 'largest size waits for its payload');
  t.notOk(r.parser.failed);
  const r2 = record();
  r2.parser.parse(Buffer.from('HMSG $G foo 999999999 999999999\r\n'));
  t.strictSame(r2.events, []);
});

t.test('control line limit', async (t) => {
  const limit = 65536;
  // Exactly at the limit (arguments only, as Go counts) is fine.
  const okArgs = '$G ' + 'a'.repeat(limit - 3);
  let r = record();
  r.parser.parse(Buffer.from(`RS+ ${okArgs}\r\n`));
  t.equal(r.events[0]?.ev, 'interest', 'line at the limit parses');

  r = record();
  r.parser.parse(Buffer.from(`RS+ ${okArgs}a\r\n`));
  t.strictSame(r.events, [{ ev: 'violation', v: { errText: 'maximum control line exceeded', reason: r.events[0]?.ev === 'violation' ? r.events[0].v.reason : '' } }]);

  // A line that never ends is cut off once it is certainly over the limit.
  r = record();
  r.parser.parse(Buffer.from('INFO {"a":"'));
  for (let i = 0; i < 20 && r.events.length === 0; i++) r.parser.parse(Buffer.alloc(4096, 0x61));
  t.equal(r.events.length, 1);
  t.equal(r.events[0]?.ev === 'violation' && r.events[0].v.errText, 'maximum control line exceeded', 'pending line bounded');

  // PING junk is bounded too.
  r = record();
  r.parser.parse(Buffer.from('PING' + ' '.repeat(limit + 1) + '\r\n'));
  t.equal(r.events[0]?.ev === 'violation' && r.events[0].v.errText, 'maximum control line exceeded');

  // The limit is configurable.
  r = record({ maxControlLine: 16 });
  r.parser.parse(Buffer.from('RS+ $G 0123456789abc\r\nRS+ $G 0123456789abcd\r\n'));
  t.equal(r.events.length, 2);
  t.equal(r.events[0]?.ev, 'interest');
  t.equal(r.events[1]?.ev === 'violation' && r.events[1].v.errText, 'maximum control line exceeded');

  // Oversized CONNECT split over many chunks, small limit.
  r = record({ maxControlLine: 100 });
  r.parser.parse(Buffer.from('CONNECT '));
  for (let i = 0; i < 30 && r.events.length === 0; i++) r.parser.parse(Buffer.from('0123456789'));
  t.equal(r.events[0]?.ev === 'violation' && r.events[0].v.errText, 'maximum control line exceeded');
});

t.test('expectConnect', async (t) => {
  // The connection clears the flag when it accepts the CONNECT.
  let r = record(undefined, (p) => (p.expectConnect = true));
  r.after = (e) => {
    if (e.ev === 'connect') r.parser.expectConnect = false;
  };
  r.parser.parse(Buffer.from('connect {}\r\nPING\r\n'));
  t.strictSame(r.events, [{ ev: 'connect', text: '{}' }, { ev: 'ping' }]);

  // Still expecting: the next operation is a violation.
  r = record(undefined, (p) => (p.expectConnect = true));
  r.parser.parse(Buffer.from('CONNECT {}\r\nPING\r\n'));
  t.equal(r.events.length, 2);
  t.equal(r.events[1]?.ev === 'violation' && r.events[1].v.errText, 'Authorization Violation');

  // Checked on the first byte, before the line is complete.
  r = record(undefined, (p) => (p.expectConnect = true));
  r.parser.parse(Buffer.from('P'));
  t.equal(r.events[0]?.ev === 'violation' && r.events[0].v.errText, 'Authorization Violation');

  // A bad verb that starts with C is an unknown operation, not an auth violation.
  r = record(undefined, (p) => (p.expectConnect = true));
  r.parser.parse(Buffer.from('CONECT {}\r\n'));
  t.equal(r.events[0]?.ev === 'violation' && r.events[0].v.errText, UNKNOWN);

  // A CONNECT split over chunks passes: only the first byte of an operation is checked.
  r = record(undefined, (p) => (p.expectConnect = true));
  r.parser.parse(Buffer.from('C'));
  r.parser.parse(Buffer.from('ONNECT {}'));
  r.parser.parse(Buffer.from('\r\n'));
  t.strictSame(r.events, [{ ev: 'connect', text: '{}' }]);
});
