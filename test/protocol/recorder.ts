// Test helper: a RouteParser whose handler records every event as plain data.
import { RouteParser, type RouteParserOptions } from '../../src/protocol/parser.js';
import { describeMsg, LIFE_READ, type RoutedMsg } from '../../src/protocol/msg.js';
import type { Interest, ProtocolViolation, RouteParserHandler } from '../../src/protocol/types.js';

/** A routed message as plain values (the parser's record is reused, so it is copied at once). */
export interface RoutedMessage {
  verb: 'RMSG' | 'HMSG' | 'LMSG';
  origin?: string;
  account: string;
  subject: string;
  reply?: string;
  queues?: string[];
  hdrSize: number;
  /** A view of where the record pointed (for zero-copy checks; a reused buffer may change later). */
  data: Buffer;
  line: Buffer;
}

/** Plain values of the record, with the pinned account filled in as the old parser did. */
export function materialize(m: RoutedMsg, pinned: string | undefined): RoutedMessage {
  const v = describeMsg(m, false);
  // Field order as the parser's old objects had it (the split tests compare serialized events).
  const out = { verb: v.verb } as RoutedMessage;
  if (v.origin !== undefined) out.origin = v.origin;
  out.account = v.account ?? pinned ?? '';
  out.subject = v.subject;
  if (v.reply !== undefined) out.reply = v.reply;
  if (v.queues !== undefined) out.queues = v.queues;
  out.hdrSize = v.hdrSize;
  out.data = v.data;
  out.line = m.line.subarray(m.ls, m.le);
  return out;
}

export type Event =
  | { ev: 'info' | 'connect' | 'err'; text: string }
  | { ev: 'ping' | 'pong' | 'ok' }
  | { ev: 'interest'; op: Interest }
  | { ev: 'msg'; msg: Omit<RoutedMessage, 'data' | 'line'> & { data: string; line: string } }
  | { ev: 'violation'; v: ProtocolViolation };

export interface Recorder {
  parser: RouteParser;
  events: Event[];
  /** Raw messages as delivered (for zero-copy checks). */
  raw: RoutedMessage[];
  /** Called after each event; lets a test steer the parser from inside a callback. */
  after?: (e: Event) => void;
}

export function record(opts?: RouteParserOptions, setup?: (p: RouteParser) => void): Recorder {
  const r = { events: [] as Event[], raw: [] as RoutedMessage[] } as Recorder;
  const push = (e: Event): void => {
    r.events.push(e);
    r.after?.(e);
  };
  const handler: RouteParserHandler = {
    onInfo: (text) => push({ ev: 'info', text }),
    onConnect: (text) => push({ ev: 'connect', text }),
    onPing: () => push({ ev: 'ping' }),
    onPong: () => push({ ev: 'pong' }),
    onOk: () => push({ ev: 'ok' }),
    onErr: (text) => push({ ev: 'err', text }),
    onInterest: (op) => push({ ev: 'interest', op }),
    onMessage: (rec) => {
      const msg = materialize(rec, r.parser.pinnedAccount);
      r.raw.push(msg);
      const { data, line, ...rest } = msg;
      push({ ev: 'msg', msg: { ...rest, data: data.toString('latin1'), line: line.toString('latin1') } });
    },
    onViolation: (v) => push({ ev: 'violation', v }),
  };
  r.parser = new RouteParser(handler, opts);
  setup?.(r.parser);
  return r;
}

/** Parses `input` (string = latin1 bytes) in one chunk and returns the events. */
export function parseAll(input: string | Buffer, setup?: (p: RouteParser) => void, opts?: RouteParserOptions): Event[] {
  const r = record(opts, setup);
  r.parser.parse(typeof input === 'string' ? Buffer.from(input, 'latin1') : input);
  return r.events;
}

/**
 * Parses `input` split into chunks at the given offsets. Each piece is its own Buffer, like
 * Node's socket chunks; with `reused`, every piece is read into one shared buffer as LIFE_READ
 * and that buffer is scribbled over after each parse (the socket's reused read buffer).
 */
export function parseSplit(
  input: Buffer,
  cuts: number[],
  setup?: (p: RouteParser) => void,
  opts?: RouteParserOptions,
  reused = false,
): Event[] {
  const r = record(opts, setup);
  const shared = reused ? Buffer.alloc(input.length) : undefined;
  let prev = 0;
  for (const c of [...cuts, input.length]) {
    if (c > prev) {
      if (shared) {
        input.copy(shared, 0, prev, c);
        r.parser.parse(shared.subarray(0, c - prev), LIFE_READ);
        shared.fill(0x58);
      } else {
        r.parser.parse(Buffer.from(input.subarray(prev, c)));
      }
    }
    prev = c;
  }
  return r.events;
}
