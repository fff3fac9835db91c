// Property test: for generated frame sequences, the events are what the generator meant, and
// splitting the byte stream anywhere (every single cut, random multi-cuts, one byte per chunk)
// yields exactly the events of parsing it whole. Deterministic: seeded PRNG.
import t from 'tap';
import type { RouteParser } from '../../src/protocol/parser.js';
import type { Interest } from '../../src/protocol/types.js';
import { parseSplit, type Event } from './recorder.js';

/** mulberry32: small, seedable, good enough for test data. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

interface Gen {
  rnd: () => number;
  int(n: number): number;
  pick<T>(a: readonly T[]): T;
}

function gen(seed: number): Gen {
  const rnd = prng(seed);
  return {
    rnd,
    int: (n) => Math.floor(rnd() * n),
    pick: (a) => a[Math.floor(rnd() * a.length)]!,
  };
}

const TOKEN_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-$>*';

function token(g: Gen, max = 12): string {
  let s = '';
  const n = 1 + g.int(max);
  for (let i = 0; i < n; i++) s += TOKEN_CHARS[g.int(TOKEN_CHARS.length)];
  return s;
}

/** One or more spaces/tabs, usually a single space. */
function sep(g: Gen): string {
  if (g.rnd() < 0.8) return ' ';
  let s = '';
  const n = 1 + g.int(3);
  for (let i = 0; i < n; i++) s += g.pick([' ', '\t']);
  return s;
}

function randomCase(g: Gen, verb: string): string {
  return g.rnd() < 0.8 ? verb : [...verb].map((c) => (g.rnd() < 0.5 ? c.toLowerCase() : c.toUpperCase())).join('');
}

function eol(g: Gen): string {
  return g.rnd() < 0.9 ? '\r\n' : '\n';
}

/** Binary payloads, biased towards CR, LF and protocol text. */
function payload(g: Gen, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) {
    const r = g.rnd();
    b[i] = r < 0.15 ? 0x0d : r < 0.3 ? 0x0a : r < 0.4 ? 'PING RMSG'.charCodeAt(g.int(9)) : g.int(256);
  }
  return b;
}

interface Mode {
  pinned: string | undefined;
  lnocu: boolean;
}

interface Frame {
  bytes: Buffer;
  want: Event[];
}

function line(g: Gen, verb: string, args: string[]): string {
  return randomCase(g, verb) + sep(g) + args.map((a, i) => (i === 0 ? a : sep(g) + a)).join('');
}

function interestFrame(g: Gen, m: Mode): Frame {
  const kind = g.pick(['RS+', 'RS-', 'LS+', 'LS-', 'UNSUB'] as const);
  const add = kind.endsWith('+');
  const leaf = kind.startsWith('L');
  const account = m.pinned ?? token(g, 6);
  const subject = token(g);
  const args: string[] = [];
  const op: Interest = { add, leaf, account, subject };
  const origin = leaf && (add || m.lnocu) ? token(g, 5) : undefined;
  if (origin !== undefined) {
    args.push(origin);
    op.origin = origin;
  }
  if (m.pinned === undefined) args.push(account);
  args.push(subject);
  if (g.rnd() < 0.4) {
    op.queue = token(g, 6);
    args.push(op.queue);
    if (add) {
      op.weight = 1 + g.int(1000);
      args.push(String(op.weight));
    }
  }
  const text = line(g, kind, args) + eol(g);
  return { bytes: Buffer.from(text, 'latin1'), want: [{ ev: 'interest', op }] };
}

function msgFrame(g: Gen, m: Mode): Frame {
  const verb = g.pick(['RMSG', 'HMSG', 'LMSG'] as const);
  const size = g.rnd() < 0.1 ? 0 : g.int(g.rnd() < 0.9 ? 40 : 400);
  const hdr = verb === 'RMSG' ? 0 : g.int(size + 1);
  const account = m.pinned ?? token(g, 6);
  const subject = token(g);
  const args: string[] = [];
  const msg: Record<string, unknown> = { verb };
  if (verb === 'LMSG') {
    msg.origin = token(g, 5);
    args.push(msg.origin as string);
  }
  msg.account = account;
  msg.subject = subject;
  if (m.pinned === undefined) args.push(account);
  args.push(subject);
  const form = g.int(4);
  if (form === 1) {
    msg.reply = token(g);
    args.push(msg.reply as string);
  } else if (form >= 2) {
    const queues = Array.from({ length: 1 + g.int(3) }, () => token(g, 6));
    if (form === 2) {
      msg.reply = token(g);
      args.push('+', msg.reply as string);
    } else {
      args.push('|');
    }
    args.push(...queues);
    msg.queues = queues;
  }
  if (verb !== 'RMSG') args.push(String(hdr));
  args.push(String(size));
  msg.hdrSize = hdr;
  let ctl = line(g, verb, args);
  if (g.rnd() < 0.1) ctl += ' '; // trailing blank: Go tolerates it
  const data = payload(g, size);
  msg.data = data.toString('latin1');
  msg.line = ctl;
  const bytes = Buffer.concat([Buffer.from(ctl + eol(g), 'latin1'), data, Buffer.from('\r\n')]);
  return { bytes, want: [{ ev: 'msg', msg } as Event] };
}

function otherFrame(g: Gen): Frame {
  switch (g.int(9)) {
    case 0:
      return { bytes: Buffer.from(randomCase(g, 'PING') + eol(g)), want: [{ ev: 'ping' }] };
    case 1:
      return { bytes: Buffer.from(randomCase(g, 'PONG') + eol(g)), want: [{ ev: 'pong' }] };
    case 2:
      return { bytes: Buffer.from('+OK' + eol(g)), want: [{ ev: 'ok' }] };
    case 3: {
      const text = `Route Error ${token(g)}`;
      return { bytes: Buffer.from(`-ERR${sep(g)}'${text}'${eol(g)}`), want: [{ ev: 'err', text }] };
    }
    case 4: {
      const json = JSON.stringify({ server_id: token(g), port: g.int(65536), connect_urls: [token(g)] });
      return { bytes: Buffer.from(`INFO ${json}${g.rnd() < 0.5 ? ' ' : ''}${eol(g)}`), want: [{ ev: 'info', text: json }] };
    }
    case 5: {
      const json = JSON.stringify({ echo: true, name: token(g), cluster: token(g) });
      return { bytes: Buffer.from(`CONNECT ${json}${eol(g)}`), want: [{ ev: 'connect', text: json }] };
    }
    case 6:
      return { bytes: Buffer.from(line(g, g.pick(['A+', 'A-']), [token(g)]) + eol(g)), want: [] };
    case 7:
      return { bytes: Buffer.from(line(g, 'SUB', [token(g), String(g.int(100))]) + eol(g)), want: [] };
    default: {
      const n = g.int(20);
      const pub = Buffer.from(line(g, 'PUB', [token(g), String(n)]) + eol(g));
      return { bytes: Buffer.concat([pub, payload(g, n), Buffer.from('\r\n')]), want: [] };
    }
  }
}

/** Malformed endings, each with the errText nats-server would send (undefined = silent). */
function badFrame(g: Gen, m: Mode): { bytes: Buffer; errText: string | undefined } {
  const acc = m.pinned === undefined ? '$G ' : '';
  switch (g.int(5)) {
    case 0:
      return { bytes: Buffer.from('BOGUS\r\nPING\r\n'), errText: 'Unknown Protocol Operation' };
    case 1:
      return { bytes: Buffer.from(`RS+ ${acc}foo q\r\nPING\r\n`), errText: undefined };
    case 2:
      return { bytes: Buffer.from(`RMSG ${acc}foo 2\r\nabc\r\nPING\r\n`), errText: 'Unknown Protocol Operation' };
    case 3:
      return { bytes: Buffer.from(`HMSG ${acc}foo 3 2\r\nabc\r\n`), errText: undefined };
    default:
      return { bytes: Buffer.from(`RMSG ${acc}foo 1234567890\r\n`), errText: undefined };
  }
}

function sequence(seed: number): { mode: Mode; stream: Buffer; want: Event[]; errText?: string | undefined; bad: boolean } {
  const g = gen(seed);
  const mode: Mode = { pinned: g.rnd() < 0.3 ? 'ACC' + g.int(10) : undefined, lnocu: g.rnd() < 0.5 };
  const parts: Buffer[] = [];
  const want: Event[] = [];
  const n = 4 + g.int(14);
  for (let i = 0; i < n; i++) {
    const r = g.rnd();
    const f = r < 0.45 ? msgFrame(g, mode) : r < 0.8 ? interestFrame(g, mode) : otherFrame(g);
    parts.push(f.bytes);
    want.push(...f.want);
  }
  const bad = g.rnd() < 0.25;
  let errText: string | undefined;
  if (bad) {
    const b = badFrame(g, mode);
    parts.push(b.bytes);
    errText = b.errText;
  }
  return { mode, stream: Buffer.concat(parts), want, errText, bad };
}

function setupFor(mode: Mode): (p: RouteParser) => void {
  return (p) => {
    p.pinnedAccount = mode.pinned;
    p.peerLnocu = mode.lnocu;
  };
}

t.test('generated sequences parse to the intended events, split anywhere', async (t) => {
  const SEQUENCES = 80;
  let totalSplits = 0;
  for (let seed = 1; seed <= SEQUENCES; seed++) {
    const s = sequence(seed);
    const setup = setupFor(s.mode);
    const whole = parseSplit(s.stream, [], setup);

    // Oracle: what the generator meant, then the violation if a bad frame ended the stream.
    if (s.bad) {
      const last = whole[whole.length - 1];
      t.strictSame(whole.slice(0, -1), s.want, `seed ${seed}: events before the violation`);
      t.equal(last?.ev === 'violation' ? last.v.errText : 'no violation', s.errText, `seed ${seed}: violation errText`);
    } else {
      t.strictSame(whole, s.want, `seed ${seed}: events`);
    }

    const ref = JSON.stringify(whole);
    const bad: string[] = [];
    for (let c = 1; c < s.stream.length; c++) {
      if (JSON.stringify(parseSplit(s.stream, [c], setup)) !== ref) bad.push(`cut ${c}`);
    }
    const g = gen(seed * 7919);
    for (let k = 0; k < 30; k++) {
      const cuts = Array.from({ length: 1 + g.int(12) }, () => g.int(s.stream.length)).sort((a, b) => a - b);
      if (JSON.stringify(parseSplit(s.stream, cuts, setup)) !== ref) bad.push(`cuts ${cuts.join(',')}`);
    }
    // The same through one reused read buffer (socket-reads.ts): what the parser keeps past a chunk is a copy.
    for (let c = 1; c < s.stream.length; c += 3) {
      if (JSON.stringify(parseSplit(s.stream, [c], setup, undefined, true)) !== ref) bad.push(`reused buffer, cut ${c}`);
    }
    for (let k = 0; k < 30; k++) {
      const cuts = Array.from({ length: 1 + g.int(12) }, () => g.int(s.stream.length)).sort((a, b) => a - b);
      if (JSON.stringify(parseSplit(s.stream, cuts, setup, undefined, true)) !== ref) bad.push(`reused buffer, cuts ${cuts.join(',')}`);
    }
    const everyByte = Array.from({ length: s.stream.length - 1 }, (_, i) => i + 1);
    if (JSON.stringify(parseSplit(s.stream, everyByte, setup)) !== ref) bad.push('one byte per chunk');
    if (JSON.stringify(parseSplit(s.stream, everyByte, setup, undefined, true)) !== ref) bad.push('reused buffer, one byte per chunk');
    totalSplits += s.stream.length + 30;
    t.strictSame(bad.slice(0, 5), [], `seed ${seed}: ${s.stream.length} bytes, all splits agree`);
  }
  t.ok(totalSplits > 10000, `exercised ${totalSplits} splits`);
});
