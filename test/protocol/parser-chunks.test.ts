// Zero-copy message views, assembly across chunks, and stopAfterCurrent/takeRemainder.
import t from 'tap';
import { record } from './recorder.js';

// tap's Test type, taken from t.test's callback (its last overload is `test(cb)`).
type Test = Parameters<Parameters<typeof t.test>[0]>[0];

/** A chunk with its own ArrayBuffer (small Buffer.from() results share Node's pool). */
function own(text: string): Buffer {
  const b = Buffer.alloc(text.length);
  b.write(text, 'latin1');
  return b;
}

function within(t: Test, view: Buffer, chunk: Buffer, offset: number, what: string): void {
  t.equal(view.buffer, chunk.buffer, `${what}: same ArrayBuffer as the chunk`);
  t.equal(view.byteOffset, chunk.byteOffset + offset, `${what}: byteOffset inside the chunk`);
}

t.test('a frame inside one chunk is not copied', async (t) => {
  const r = record();
  // Put the chunk at a non-zero offset of a larger ArrayBuffer, as socket buffers often are.
  const pool = Buffer.alloc(1000);
  const text = 'PING\r\nHMSG $G foo 3 5\r\nh:1ab\r\nRMSG $G bar 2\r\nxy\r\n';
  const chunk = pool.subarray(100, 100 + text.length);
  chunk.write(text, 'latin1');
  r.parser.parse(chunk);
  t.equal(r.raw.length, 2);
  const [h, m] = r.raw;
  within(t, h!.data, chunk, text.indexOf('h:1ab'), 'HMSG data');
  within(t, h!.line, chunk, text.indexOf('HMSG'), 'HMSG line');
  t.equal(h!.data.toString(), 'h:1ab');
  t.equal(h!.line.toString(), 'HMSG $G foo 3 5');
  within(t, m!.data, chunk, text.indexOf('xy'), 'RMSG data');
  t.equal(m!.data.length, 2);
});

t.test('payload entirely in the next chunk is still a view', async (t) => {
  const r = record();
  r.parser.parse(Buffer.from('RMSG $G foo 5\r\n'));
  const second = own('hello\r\nPING\r\n');
  r.parser.parse(second);
  t.equal(r.raw.length, 1);
  within(t, r.raw[0]!.data, second, 0, 'data');
  t.equal(r.raw[0]!.line.toString(), 'RMSG $G foo 5');
  t.equal(r.events[1]?.ev, 'ping');
});

t.test('a straddling frame is assembled once, and does not alias the next chunk', async (t) => {
  const r = record();
  const a = own('RMSG $G fo');
  const b = own('o 6\r\nabc');
  const c = own('def\r\n');
  r.parser.parse(a);
  r.parser.parse(b);
  t.equal(r.raw.length, 0);
  r.parser.parse(c);
  t.equal(r.raw.length, 1);
  const m = r.raw[0]!;
  t.equal(m.data.toString(), 'abcdef');
  t.equal(m.line.toString(), 'RMSG $G foo 6');
  t.not(m.data.buffer, c.buffer, 'assembled, not a view of the last chunk');
  t.not(m.data.buffer, b.buffer, 'assembled, not a view of the middle chunk');
  t.equal(m.subject, 'foo');
});

t.test('stopAfterCurrent / takeRemainder', async (t) => {
  const r = record();
  r.after = (e) => {
    if (e.ev === 'info') r.parser.stopAfterCurrent();
  };
  // After the INFO the rest of the chunk is, say, S2: the parser must not touch it.
  const chunk = own('PING\r\nINFO {"a":1} \r\n\xff\x06\x00\x00S2sTwO');
  r.parser.parse(chunk);
  t.strictSame(r.events, [{ ev: 'ping' }, { ev: 'info', text: '{"a":1}' }]);
  const rest = r.parser.takeRemainder();
  t.equal(rest?.toString('latin1'), '\xff\x06\x00\x00S2sTwO');
  t.equal(rest?.buffer, chunk.buffer, 'remainder is a view of the chunk');
  t.equal(r.parser.takeRemainder(), undefined, 'cleared once taken');
  t.notOk(r.parser.failed);

  // Parsing continues normally with the next (decompressed) input.
  r.after = undefined;
  r.parser.parse(Buffer.from('PONG\r\n'));
  t.equal(r.events[2]?.ev, 'pong');
});

t.test('stop on the last frame of a chunk leaves no remainder', async (t) => {
  const r = record();
  r.after = () => r.parser.stopAfterCurrent();
  r.parser.parse(Buffer.from('PING\r\n'));
  t.equal(r.parser.takeRemainder(), undefined);
  // The request does not leak into the next parse() call.
  r.after = undefined;
  r.parser.parse(Buffer.from('PING\r\nPONG\r\n'));
  t.equal(r.events.length, 3);
  t.equal(r.parser.takeRemainder(), undefined);
});

t.test('stop after a message and after a frame completed from pending bytes', async (t) => {
  const r = record();
  r.after = (e) => {
    if (e.ev === 'msg') r.parser.stopAfterCurrent();
  };
  r.parser.parse(Buffer.from('RMSG $G foo 2\r\na'));
  r.parser.parse(Buffer.from('b\r\nPONG\r\nPING\r\n'));
  t.equal(r.events.length, 1);
  t.equal(r.parser.takeRemainder()?.toString(), 'PONG\r\nPING\r\n');

  const r2 = record();
  r2.after = (e) => {
    if (e.ev === 'info') r2.parser.stopAfterCurrent();
  };
  r2.parser.parse(Buffer.from('INFO {'));
  r2.parser.parse(Buffer.from('}\r\nXYZ'));
  t.strictSame(r2.events, [{ ev: 'info', text: '{}' }]);
  t.equal(r2.parser.takeRemainder()?.toString(), 'XYZ');
});

t.test('halt() from a callback stops parsing without a violation', async (t) => {
  const r = record();
  r.after = (e) => {
    if (e.ev === 'info') r.parser.halt();
  };
  r.parser.parse(Buffer.from('PING\r\nINFO {"port":"x"}\r\nPING\r\n'));
  r.parser.parse(Buffer.from('PONG\r\n'));
  t.strictSame(r.events.map((e) => e.ev), ['ping', 'info']);
  t.ok(r.parser.failed);
  t.equal(r.parser.takeRemainder(), undefined);
});
