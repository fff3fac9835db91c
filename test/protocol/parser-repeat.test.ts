// A repeated RMSG line (same bytes up to the size, line-memo.ts) takes the previous line's fields
// shifted instead of being tokenized: the fields must be exactly what a fresh parse gives, and
// `repeat` set only when the previous message handed out came from the same chunk with the same
// prefix.
import t from 'tap';
import { describeMsg, type RoutedMsg } from '../../src/protocol/msg.js';
import { RouteParser } from '../../src/protocol/parser.js';
import type { RouteParserHandler } from '../../src/protocol/types.js';

interface Seen { view: ReturnType<typeof describeMsg>; repeat: boolean; offsets: number[] }

const offsets = (m: RoutedMsg): number[] => [m.ls, m.le, m.os, m.oe, m.as, m.ae, m.ss, m.se, m.rs, m.re, m.qs, m.qe, m.nq, m.hdr, m.size, m.crlf ? 1 : 0];

function parserFor(out: Seen[], pinned?: string, maxPayload?: number, violations?: string[]): RouteParser {
  const noop = () => {};
  const handler: RouteParserHandler = {
    onInfo: noop, onConnect: noop, onPing: noop, onPong: noop, onOk: noop, onErr: noop, onInterest: noop,
    onMessage: (m) => out.push({ view: describeMsg(m), repeat: m.repeat, offsets: offsets(m) }),
    onViolation: (v) => {
      if (!violations) throw new Error(`violation ${v.reason}`);
      violations.push(v.reason);
    },
  };
  const p = new RouteParser(handler, maxPayload === undefined ? undefined : { maxPayload });
  p.pinnedAccount = pinned;
  return p;
}

const frame = (line: string, payload = 'x'.repeat(Number(line.trim().split(/[ \t]+/).at(-1)))): string => `${line}\r\n${payload}\r\n`;

// Each frame with whether it repeats the one before it in a single chunk.
const FRAMES: Array<[string, boolean]> = [
  ['RMSG $G orders.eu.42 3', false],
  ['RMSG $G orders.eu.42 3', true],
  ['RMSG $G orders.eu.42 12', true], // another size: still the same prefix
  ['RMSG $G orders.eu.43 12', false], // differs in the subject's last byte
  ['RMSG $G orders.eu.43 12', true],
  ['RMSG $H orders.eu.43 12', false], // another account
  ['RMSG $H orders.eu.43 _INBOX.1 4', false], // a reply
  ['RMSG $H orders.eu.43 _INBOX.1 4', true],
  ['RMSG $H orders.eu.43 _INBOX.2 4', false],
  ['RMSG $H orders.eu.43 + _INBOX.2 q1 q2 5', false], // reply and queues
  ['RMSG $H orders.eu.43 + _INBOX.2 q1 q2 5', true],
  ['RMSG $H orders.eu.43 + _INBOX.2 q1 q3 5', false],
  ['RMSG $H orders.eu.43 | q1 q3 5', false],
  ['RMSG $H orders.eu.43 | q1 q3 7', true],
  ['RMSG $H orders.eu.43  | q1 q3 7', false], // two spaces: other bytes, the same fields
  ['RMSG $H orders.eu.43 | q1 q3 7', false],
  ['RMSG $H orders.eu.43 | q1 q3 7 ', false], // trailing space: not a plain size, so tokenized...
  ['RMSG $H orders.eu.43 | q1 q3 7', true], // ...with the same prefix, which this one repeats
  ['RMSG $H orders.eu.43 | q1 q3\t7', false], // a tab
  ['HMSG $H orders.eu.43 | q1 q3 2 7', false], // another verb between...
  ['RMSG $H orders.eu.43 | q1 q3 7', false], // ...so this is not a repeat
  ['RMSG $H orders.eu.43 | q1 q3 7', true],
  // Prefixes compared as 4-byte words from the end and the first bytes one by one: differences in each part.
  ['RMSG $G abc 3', false],
  ['RMSG $H abc 3', false],
  ['RMSG $H abd 3', false],
  ['RMSG $H abd 3', true],
];

function stream(frames: Array<[string, boolean]>): string {
  return frames.map(([l]) => (l.startsWith('HMSG') ? frame(l, 'hh' + 'x'.repeat(5)) : frame(l))).join('');
}

/** What each frame gives parsed alone (fresh parser, nothing to repeat). */
function alone(frames: Array<[string, boolean]>, pinned?: string): Seen[] {
  const out: Seen[] = [];
  for (const f of frames) parserFor(out, pinned).parse(Buffer.from(stream([f])));
  return out;
}

t.test('a repeated line gives the fields a fresh parse gives, and is flagged only as a repeat', async (t) => {
  const fixed = FRAMES;
  const out: Seen[] = [];
  const text = stream(fixed);
  parserFor(out).parse(Buffer.from(text));
  const ref = alone(fixed);
  t.equal(out.length, fixed.length);
  let at = 0;
  for (let i = 0; i < fixed.length; i++) {
    t.same(out[i]!.view, ref[i]!.view, `fields of ${JSON.stringify(fixed[i]![0])}`);
    // Offsets are the fresh parse's, moved to where the frame sits in the chunk.
    const shift = (x: number, k: number) => (x < 0 || k >= 12 ? x : x + at);
    t.same(out[i]!.offsets, ref[i]!.offsets.map(shift), `offsets of ${JSON.stringify(fixed[i]![0])}`);
    t.equal(out[i]!.repeat, fixed[i]![1], `repeat flag of frame ${i} ${JSON.stringify(fixed[i]![0])}`);
    at += stream([fixed[i]!]).length;
  }
});

t.test('a size that is not a plain number falls back to the tokenizer, which decides', async (t) => {
  const out: Seen[] = [];
  const violations: string[] = [];
  const p = parserFor(out, undefined, undefined, violations);
  p.parse(Buffer.from(frame('RMSG $G a.b 3') + 'RMSG $G a.b 3x\r\nxxx\r\n'));
  t.equal(out.length, 1);
  t.equal(violations.length, 1, 'the second line is refused as a fresh parse refuses it');
});

t.test('every split of the stream gives the same messages; repeats only within a chunk', async (t) => {
  const fixed = FRAMES;
  const buf = Buffer.from(stream(fixed));
  const whole: Seen[] = [];
  parserFor(whole).parse(buf);
  for (let cut = 1; cut < buf.length; cut += 7) {
    const out: Seen[] = [];
    const p = parserFor(out);
    p.parse(buf.subarray(0, cut));
    p.parse(buf.subarray(cut));
    t.same(out.map((s) => s.view), whole.map((s) => s.view), `split at ${cut}`);
    // A repeat is only ever claimed where the unsplit stream claims one.
    t.ok(out.every((s, i) => !s.repeat || whole[i]!.repeat), `no extra repeat at split ${cut}`);
  }
});

t.test('a reused read buffer: the next chunk never repeats the previous one', async (t) => {
  const out: Seen[] = [];
  const p = parserFor(out);
  const reused = Buffer.from(frame('RMSG $G a.b 3'));
  p.parse(reused, 1);
  // Same buffer object, other bytes of the same length: a different subject.
  reused.write(frame('RMSG $G a.c 3'));
  p.parse(reused, 1);
  t.same(out.map((s) => [s.view.subject, s.repeat]), [['a.b', false], ['a.c', false]]);
});

t.test('pinned connections: the absent account token, repeats shifted the same way', async (t) => {
  const frames: Array<[string, boolean]> = [['RMSG foo 3', false], ['RMSG foo 3', true], ['RMSG foo r 3', false], ['RMSG foo r 3', true]];
  const out: Seen[] = [];
  parserFor(out, 'HEAVY').parse(Buffer.from(stream(frames)));
  const ref = alone(frames, 'HEAVY');
  t.same(out.map((s) => s.view), ref.map((s) => s.view));
  t.same(out.map((s) => s.repeat), frames.map(([, r]) => r));
  t.same(out.map((s) => s.offsets[4]), [-1, -1, -1, -1], 'no account offset');
});

t.test('a message skipped for its size is not handed out, so the next one is no repeat of it', async (t) => {
  const out: Seen[] = [];
  const p = parserFor(out, undefined, 10);
  p.parse(Buffer.from(frame('RMSG $G a 3') + frame('RMSG $G b 20') + frame('RMSG $G b 3') + frame('RMSG $G b 4')));
  t.same(out.map((s) => [s.view.subject, s.view.data.length, s.repeat]), [['a', 3, false], ['b', 3, false], ['b', 4, true]]);
});

t.test('a CR inside a line separates tokens on the fast path as on the general one (every split)', async (t) => {
  const text = frame('RMSG $G foo\r 1', 'x') + frame('RMSG $G foo\r 1', 'y') + frame('RMSG $G\rbar 1', 'z') + frame('RMSG $G\rbar 1', 'w');
  const buf = Buffer.from(text);
  const whole: Seen[] = [];
  parserFor(whole).parse(buf);
  t.same(whole.map((s) => [s.view.subject, s.view.reply ?? null]), [['foo', null], ['foo', null], ['bar', null], ['bar', null]]);
  t.same(whole.map((s) => s.repeat), [false, true, false, true]);
  for (let cut = 1; cut < buf.length; cut++) {
    const out: Seen[] = [];
    const p = parserFor(out);
    p.parse(buf.subarray(0, cut));
    p.parse(buf.subarray(cut));
    t.same(out.map((s) => s.view), whole.map((s) => s.view), `split at ${cut}`);
  }
  const violations: string[] = [];
  parserFor([], undefined, undefined, violations).parse(Buffer.from(frame('RMSG $G \r 1', 'x')));
  t.equal(violations.length, 1, 'a CR is no subject');
});

t.test('the memo lets go of a chunk when the next one comes', async (t) => {
  const p = parserFor([]);
  const big = Buffer.from(frame('RMSG $G a 1') + frame('RMSG $G a 1'));
  p.parse(big);
  const memo = (p as unknown as { memo: { viewOf?: Buffer } }).memo;
  t.equal(memo.viewOf, big, 'compared through a view of the chunk');
  p.parse(Buffer.from(frame('RMSG $G b 1')));
  t.equal(memo.viewOf, undefined, 'no view of the old chunk remains');
});
