// The Go behaviours nats-server's messages and acceptance rules depend on: time.ParseDuration,
// Duration.String, %q, %v of floats, net.SplitHostPort, net/url.Parse, and URL redaction.
import t from 'tap';
import { formatGoDuration, parseGoDuration } from '../../src/config/duration.js';
import { goFloatV, goQuote, goQuoteList, goAtoi } from '../../src/config/go-text.js';
import { parseGoUrl, splitHostPort } from '../../src/config/go-url.js';
import { parseRouteUrl, redactUrlText } from '../../src/config/route-url.js';

t.test('parseGoDuration', async (t) => {
  const ok: Array<[string, bigint]> = [
    ['0', 0n], ['2s', 2_000_000_000n], ['10ms', 10_000_000n], ['1.5s', 1_500_000_000n], ['1h30m', 5_400_000_000_000n],
    ['100us', 100_000n], ['100µs', 100_000n], ['-5ms', -5_000_000n], ['+1s', 1_000_000_000n], ['.5s', 500_000_000n],
    ['1.s', 1_000_000_000n], ['3ns', 3n],
  ];
  for (const [s, ns] of ok) t.same(parseGoDuration(s), { ns }, s);
  const bad: Array<[string, string]> = [
    ['', 'time: invalid duration ""'], ['abc', 'time: invalid duration "abc"'], ['10', 'time: missing unit in duration "10"'],
    ['1x', 'time: unknown unit "x" in duration "1x"'], ['.s', 'time: invalid duration ".s"'], ['-', 'time: invalid duration "-"'],
    ['99999999999h', 'time: invalid duration "99999999999h"'],
  ];
  for (const [s, error] of bad) t.same(parseGoDuration(s), { error }, s);
});

t.test('formatGoDuration', async (t) => {
  const cases: Array<[bigint, string]> = [
    [0n, '0s'], [10_000_000n, '10ms'], [1_500_000_000n, '1.5s'], [120_000_000_000n, '2m0s'], [3_600_000_000_000n, '1h0m0s'],
    [100_000n, '100µs'], [3n, '3ns'], [1_500_000n, '1.5ms'], [-50_000_000n, '-50ms'], [30_000_000_000n, '30s'],
  ];
  for (const [ns, s] of cases) t.equal(formatGoDuration(ns), s, s);
});

t.test('Go text formatting', async (t) => {
  t.equal(goQuote('a"b\\c'), '"a\\"b\\\\c"');
  t.equal(goQuote('\n\t\x01\x7f'), '"\\n\\t\\x01\\x7f"');
  t.equal(goQuote('héllo'), '"héllo"');
  t.equal(goQuoteList(['A', 'B']), '["A" "B"]');
  t.equal(goFloatV(0.5), '0.5');
  t.equal(goFloatV(61), '61');
  t.equal(goFloatV(1e6), '1e+06');
  t.equal(goFloatV(1234567), '1.234567e+06');
  t.equal(goFloatV(0.00001), '1e-05');
  t.equal(goFloatV(1.2), '1.2');
  t.same(goAtoi('-1'), { value: -1 });
  t.same(goAtoi('x'), { error: 'strconv.Atoi: parsing "x": invalid syntax' });
});

t.test('splitHostPort', async (t) => {
  t.same(splitHostPort('h:1'), { host: 'h', port: '1' });
  t.same(splitHostPort('[::1]:1'), { host: '::1', port: '1' });
  t.same(splitHostPort(':1'), { host: '', port: '1' });
  t.same(splitHostPort('h'), { error: 'address h: missing port in address' });
  t.same(splitHostPort('::1:1'), { error: 'address ::1:1: too many colons in address' });
  t.same(splitHostPort('[::1]'), { error: 'address [::1]: missing port in address' });
  t.same(splitHostPort('[::1'), { error: "address [::1: missing ']' in address" });
  t.same(splitHostPort('a[b:1'), { error: "address a[b:1: unexpected '[' in address" });
});

t.test('parseGoUrl acceptance', async (t) => {
  const accepted = ['nats://h:1', 'nats://h', 'localhost:4245', 'nats-route://u:p@h:1', 'nats://[::1]:1', 'nats://h:1/path?q#f',
    'nats://u:p@ss@h:1', 'nats://h:', '/just/a/path', 'nats://[fe80::1%25en0]:1'];
  for (const u of accepted) t.ok('url' in parseGoUrl(u), `accepts ${u}`);
  const rejected: Array<[string, string]> = [
    ['127.0.0.1:4245', 'parse "127.0.0.1:4245": first path segment in URL cannot contain colon'],
    ['nats://h:abc', 'parse "nats://h:abc": invalid port ":abc" after host'],
    [':foo', 'parse ":foo": missing protocol scheme'],
    ['nats://h:1/%zz', 'parse "nats://h:1/%zz": invalid URL escape "%zz"'],
    ['nats://h h:1', 'parse "nats://h h:1": invalid character " " in host name'],
    ['nats://u{x}@h:1', 'parse "nats://u{x}@h:1": net/url: invalid userinfo'],
    ['nats://[::1:1', 'parse "nats://[::1:1": missing \']\' in host'],
    ['nats://h\x01:1', 'parse "nats://h\\x01:1": net/url: invalid control character in URL'],
  ];
  for (const [u, error] of rejected) t.same(parseGoUrl(u), { error }, `rejects ${JSON.stringify(u)}`);
  const r = parseGoUrl('NATS://u:p%3Ax@h:1');
  t.ok('url' in r && r.url.scheme === 'nats' && r.url.user?.password === 'p:x', 'scheme lower-cased, password unescaped');
});

t.test('route URLs and redaction', async (t) => {
  t.equal(redactUrlText('nats://u:p@h:1'), 'nats://u:[REDACTED]@h:1');
  t.equal(redactUrlText('nats://u@h:1'), 'nats://u@h:1', 'no password, nothing to hide');
  t.equal(redactUrlText('nats://u:p@x@h:1/a'), 'nats://u:[REDACTED]@h:1/a', 'the last @ ends the user info');
  t.equal(redactUrlText('nats://h:1'), 'nats://h:1');
  const r = parseRouteUrl('nats://u:p@[::1]:6222');
  t.ok('url' in r);
  if ('url' in r) t.same(r.url, { display: 'nats://u:[REDACTED]@[::1]:6222', protocol: 'nats:', host: '::1', port: 6222, user: 'u', password: 'p' });
  t.same(parseRouteUrl('nats://u:p@h:abc'), { error: 'error parsing route url ["nats://u:[REDACTED]@h:abc"]' });
});
