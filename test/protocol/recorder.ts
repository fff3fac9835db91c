// Test helper: a RouteParser whose handler records every event as plain data.
import { RouteParser, type RouteParserOptions } from '../../src/protocol/parser.js';
import type { InterestOp, ProtocolViolation, RoutedMessage, RouteParserHandler } from '../../src/protocol/types.js';

export type Event =
  | { ev: 'info' | 'connect' | 'err'; text: string }
  | { ev: 'ping' | 'pong' | 'ok' }
  | { ev: 'interest'; op: InterestOp }
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
    onMessage: (msg) => {
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

/** Parses `input` split into chunks at the given offsets. */
export function parseSplit(input: Buffer, cuts: number[], setup?: (p: RouteParser) => void, opts?: RouteParserOptions): Event[] {
  const r = record(opts, setup);
  let prev = 0;
  for (const c of [...cuts, input.length]) {
    // Each piece is its own Buffer, like socket chunks.
    if (c > prev) r.parser.parse(Buffer.from(input.subarray(prev, c)));
    prev = c;
  }
  return r.events;
}
