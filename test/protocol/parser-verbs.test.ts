// Every verb a route may receive (route-protocol.md §2), table-driven, plus the captured bytes of §10.
import t from 'tap';
import type { RouteParser } from '../../src/protocol/parser.js';
import type { Interest } from '../../src/protocol/types.js';
import { parseAll, type Event } from './recorder.js';

type MsgFields = {
  verb: 'RMSG' | 'HMSG' | 'LMSG';
  account: string;
  subject: string;
  data: string;
  line: string;
  hdrSize?: number;
  reply?: string;
  queues?: string[];
  origin?: string;
};

function msg(f: MsgFields): Event {
  const m: Record<string, unknown> = { verb: f.verb };
  if (f.origin !== undefined) m.origin = f.origin;
  m.account = f.account;
  m.subject = f.subject;
  if (f.reply !== undefined) m.reply = f.reply;
  if (f.queues !== undefined) m.queues = f.queues;
  m.hdrSize = f.hdrSize ?? 0;
  m.data = f.data;
  m.line = f.line;
  return { ev: 'msg', msg: m } as Event;
}

const interest = (op: Interest): Event => ({ ev: 'interest', op });
const pinned = (acc: string) => (p: RouteParser) => {
  p.pinnedAccount = acc;
};
const lnocu = (p: RouteParser) => {
  p.peerLnocu = true;
};

interface Case {
  name: string;
  input: string;
  setup?: (p: RouteParser) => void;
  want: Event[];
}

const CONNECT_2_9_10 =
  '{"echo":true,"verbose":false,"pedantic":false,"user":"ruser","pass":"rpass","tls_required":false,"headers":true,"name":"NDYL","cluster":"C1","lnoc":true}';
const INFO_2_9_10 =
  '{"server_id":"NDYL","server_name":"A","version":"2.9.10","proto":2,"go":"go1.19.8","host":"127.0.0.1","port":16222,"headers":true,"auth_required":true,"max_payload":1048576,"nonce":"AHONX7iKMcevSHY","cluster":"C1","connect_urls":["127.0.0.1:4222"],"lnoc":true}';

const cases: Case[] = [
  // Keepalive and status.
  { name: 'PING', input: 'PING\r\n', want: [{ ev: 'ping' }] },
  { name: 'PONG lower case', input: 'pong\r\n', want: [{ ev: 'pong' }] },
  { name: '+OK', input: '+OK\r\n', want: [{ ev: 'ok' }] },
  { name: 'PING with bare LF', input: 'PING\n', want: [{ ev: 'ping' }] },
  { name: 'PING with trailing junk (Go ignores it)', input: 'PiNg xyz\r\n', want: [{ ev: 'ping' }] },
  { name: '-ERR quoted', input: "-ERR 'Unknown Protocol Operation'\r\n", want: [{ ev: 'err', text: 'Unknown Protocol Operation' }] },
  { name: '-ERR unquoted', input: '-err\tStale Connection\r\n', want: [{ ev: 'err', text: 'Stale Connection' }] },
  { name: '-ERR quote inside', input: "-ERR 'No route for account \"X\"'\r\n", want: [{ ev: 'err', text: 'No route for account "X"' }] },

  // INFO / CONNECT: JSON handed over as text.
  { name: 'INFO with Go trailing space', input: 'INFO {"server_id":"X"} \r\n', want: [{ ev: 'info', text: '{"server_id":"X"}' }] },
  { name: 'INFO without space, tabs', input: 'info\t\t{"a":1}\r\n', want: [{ ev: 'info', text: '{"a":1}' }] },
  { name: 'INFO directly followed by JSON', input: 'INFO{"a":1}\r\n', want: [{ ev: 'info', text: '{"a":1}' }] },
  { name: 'CONNECT', input: 'CONNECT {"name":"N"}\r\n', want: [{ ev: 'connect', text: '{"name":"N"}' }] },
  { name: 'captured 2.9.10 dialer', input: `CONNECT ${CONNECT_2_9_10}\r\nINFO ${INFO_2_9_10} \r\nPING\r\n`, want: [{ ev: 'connect', text: CONNECT_2_9_10 }, { ev: 'info', text: INFO_2_9_10 }, { ev: 'ping' }] },

  // RS+ / RS-.
  { name: 'RS+ plain', input: 'RS+ $G foo\r\n', want: [interest({ add: true, leaf: false, account: '$G', subject: 'foo' })] },
  { name: 'RS+ queue', input: 'RS+ $G bar lq 1\r\n', want: [interest({ add: true, leaf: false, account: '$G', subject: 'bar', queue: 'lq', weight: 1 })] },
  { name: 'RS+ queue weight 42, odd spacing', input: 'rs+ \t$G  bar\tlq   42\r\n', want: [interest({ add: true, leaf: false, account: '$G', subject: 'bar', queue: 'lq', weight: 42 })] },
  { name: 'RS+ bad weight accepted as 1 (Go does not reject it)', input: 'RS+ $G bar lq x\r\n', want: [interest({ add: true, leaf: false, account: '$G', subject: 'bar', queue: 'lq', weight: 1 })] },
  { name: 'RS+ pinned', input: 'RS+ foo\r\n', setup: pinned('ACC'), want: [interest({ add: true, leaf: false, account: 'ACC', subject: 'foo' })] },
  { name: 'RS+ pinned queue', input: 'RS+ foo q 3\r\n', setup: pinned('ACC'), want: [interest({ add: true, leaf: false, account: 'ACC', subject: 'foo', queue: 'q', weight: 3 })] },
  { name: 'RS- plain', input: 'RS- $G foo\r\n', want: [interest({ add: false, leaf: false, account: '$G', subject: 'foo' })] },
  { name: 'RS- queue', input: 'RS- $G bar lq\r\n', want: [interest({ add: false, leaf: false, account: '$G', subject: 'bar', queue: 'lq' })] },
  { name: 'RS- pinned queue', input: 'RS- foo q\r\n', setup: pinned('ACC'), want: [interest({ add: false, leaf: false, account: 'ACC', subject: 'foo', queue: 'q' })] },
  { name: 'UNSUB is RS-', input: 'UNSUB $G foo\r\n', want: [interest({ add: false, leaf: false, account: '$G', subject: 'foo' })] },
  { name: 'UNSUB pinned queue', input: 'unsub foo q\r\n', setup: pinned('A'), want: [interest({ add: false, leaf: false, account: 'A', subject: 'foo', queue: 'q' })] },

  // LS+ / LS-.
  { name: 'LS+ plain', input: 'LS+ org $G foo\r\n', want: [interest({ add: true, leaf: true, origin: 'org', account: '$G', subject: 'foo' })] },
  { name: 'LS+ queue', input: 'LS+ org $G foo q 2\r\n', want: [interest({ add: true, leaf: true, origin: 'org', account: '$G', subject: 'foo', queue: 'q', weight: 2 })] },
  { name: 'LS+ pinned', input: 'LS+ org foo\r\n', setup: pinned('P'), want: [interest({ add: true, leaf: true, origin: 'org', account: 'P', subject: 'foo' })] },
  { name: 'LS+ pinned queue', input: 'LS+ org foo q 5\r\n', setup: pinned('P'), want: [interest({ add: true, leaf: true, origin: 'org', account: 'P', subject: 'foo', queue: 'q', weight: 5 })] },
  { name: 'LS- without lnocu', input: 'LS- $G foo\r\n', want: [interest({ add: false, leaf: true, account: '$G', subject: 'foo' })] },
  { name: 'LS- without lnocu, queue', input: 'LS- $G foo q\r\n', want: [interest({ add: false, leaf: true, account: '$G', subject: 'foo', queue: 'q' })] },
  { name: 'LS- with lnocu', input: 'LS- org $G foo\r\n', setup: lnocu, want: [interest({ add: false, leaf: true, origin: 'org', account: '$G', subject: 'foo' })] },
  { name: 'LS- with lnocu, queue', input: 'LS- org $G foo q\r\n', setup: lnocu, want: [interest({ add: false, leaf: true, origin: 'org', account: '$G', subject: 'foo', queue: 'q' })] },
  {
    name: 'LS- pinned with lnocu, queue',
    input: 'LS- org foo q\r\n',
    setup: (p) => {
      p.pinnedAccount = 'P';
      p.peerLnocu = true;
    },
    want: [interest({ add: false, leaf: true, origin: 'org', account: 'P', subject: 'foo', queue: 'q' })],
  },
  { name: 'LS- pinned without lnocu', input: 'LS- foo\r\n', setup: pinned('P'), want: [interest({ add: false, leaf: true, account: 'P', subject: 'foo' })] },

  // Captured 2.9.10 messages (§10).
  { name: 'captured RMSG', input: 'RMSG $G foo 2\r\nab\r\n', want: [msg({ verb: 'RMSG', account: '$G', subject: 'foo', data: 'ab', line: 'RMSG $G foo 2' })] },
  {
    name: 'captured RMSG + reply queues',
    input: 'RMSG $G bar + rep.1 qgrp q2 2\r\ncd\r\n',
    want: [msg({ verb: 'RMSG', account: '$G', subject: 'bar', reply: 'rep.1', queues: ['qgrp', 'q2'], data: 'cd', line: 'RMSG $G bar + rep.1 qgrp q2 2' })],
  },
  {
    name: 'captured HMSG | queues',
    input: 'HMSG $G bar | qgrp q2 12 14\r\nNATS/1.0\r\n\r\nef\r\n',
    want: [msg({ verb: 'HMSG', account: '$G', subject: 'bar', queues: ['qgrp', 'q2'], hdrSize: 12, data: 'NATS/1.0\r\n\r\nef', line: 'HMSG $G bar | qgrp q2 12 14' })],
  },
  {
    name: 'captured RMSG | queues',
    input: 'RMSG $G bar | qgrp q2 2\r\ngh\r\n',
    want: [msg({ verb: 'RMSG', account: '$G', subject: 'bar', queues: ['qgrp', 'q2'], data: 'gh', line: 'RMSG $G bar | qgrp q2 2' })],
  },
  { name: 'RMSG reply', input: 'RMSG $G foo rep 3\r\nabc\r\n', want: [msg({ verb: 'RMSG', account: '$G', subject: 'foo', reply: 'rep', data: 'abc', line: 'RMSG $G foo rep 3' })] },
  { name: 'RMSG empty payload', input: 'RMSG $G foo 0\r\n\r\n', want: [msg({ verb: 'RMSG', account: '$G', subject: 'foo', data: '', line: 'RMSG $G foo 0' })] },
  {
    name: 'RMSG + reply without queues',
    input: 'RMSG $G foo + rep 1\r\nx\r\n',
    want: [msg({ verb: 'RMSG', account: '$G', subject: 'foo', reply: 'rep', data: 'x', line: 'RMSG $G foo + rep 1' })],
  },
  {
    name: 'RMSG payload with CRLF and verbs inside',
    input: 'RMSG $G foo 13\r\nPING\r\n\r\nRS+\r\n\r\n',
    want: [msg({ verb: 'RMSG', account: '$G', subject: 'foo', data: 'PING\r\n\r\nRS+\r\n', line: 'RMSG $G foo 13' })],
  },
  {
    name: 'RMSG binary payload with CRLF inside',
    input: 'RMSG $G foo 6\r\n\x00\r\n\xff\r\n\r\nPONG\r\n',
    want: [msg({ verb: 'RMSG', account: '$G', subject: 'foo', data: '\x00\r\n\xff\r\n', line: 'RMSG $G foo 6' }), { ev: 'pong' }],
  },
  { name: 'rmsg lower case, tabs', input: 'rmsg\t$G\t\tfoo 1\r\nz\r\n', want: [msg({ verb: 'RMSG', account: '$G', subject: 'foo', data: 'z', line: 'rmsg\t$G\t\tfoo 1' })] },
  { name: 'RMSG pinned', input: 'RMSG foo 2\r\nab\r\n', setup: pinned('ACC'), want: [msg({ verb: 'RMSG', account: 'ACC', subject: 'foo', data: 'ab', line: 'RMSG foo 2' })] },
  { name: 'RMSG pinned reply', input: 'RMSG foo r 2\r\nab\r\n', setup: pinned('ACC'), want: [msg({ verb: 'RMSG', account: 'ACC', subject: 'foo', reply: 'r', data: 'ab', line: 'RMSG foo r 2' })] },
  {
    name: 'RMSG pinned | queues',
    input: 'RMSG foo | q1 2\r\nab\r\n',
    setup: pinned('ACC'),
    want: [msg({ verb: 'RMSG', account: 'ACC', subject: 'foo', queues: ['q1'], data: 'ab', line: 'RMSG foo | q1 2' })],
  },
  {
    name: 'RMSG pinned + reply queues',
    input: 'RMSG foo + r q1 q2 2\r\nab\r\n',
    setup: pinned('ACC'),
    want: [msg({ verb: 'RMSG', account: 'ACC', subject: 'foo', reply: 'r', queues: ['q1', 'q2'], data: 'ab', line: 'RMSG foo + r q1 q2 2' })],
  },
  { name: 'HMSG', input: 'HMSG $G foo 5 7\r\nhhhhhpp\r\n', want: [msg({ verb: 'HMSG', account: '$G', subject: 'foo', hdrSize: 5, data: 'hhhhhpp', line: 'HMSG $G foo 5 7' })] },
  { name: 'HMSG reply, hdr 0', input: 'HMSG $G foo rep 0 2\r\nab\r\n', want: [msg({ verb: 'HMSG', account: '$G', subject: 'foo', reply: 'rep', data: 'ab', line: 'HMSG $G foo rep 0 2' })] },
  {
    name: 'HMSG + reply queue',
    input: 'HMSG $G foo + rep q 1 2\r\nab\r\n',
    want: [msg({ verb: 'HMSG', account: '$G', subject: 'foo', reply: 'rep', queues: ['q'], hdrSize: 1, data: 'ab', line: 'HMSG $G foo + rep q 1 2' })],
  },
  { name: 'HMSG pinned', input: 'HMSG foo 1 2\r\nab\r\n', setup: pinned('P'), want: [msg({ verb: 'HMSG', account: 'P', subject: 'foo', hdrSize: 1, data: 'ab', line: 'HMSG foo 1 2' })] },
  {
    name: 'HMSG pinned | queues',
    input: 'HMSG foo | a b 1 2\r\nab\r\n',
    setup: pinned('P'),
    want: [msg({ verb: 'HMSG', account: 'P', subject: 'foo', queues: ['a', 'b'], hdrSize: 1, data: 'ab', line: 'HMSG foo | a b 1 2' })],
  },
  { name: 'LMSG', input: 'LMSG org $G foo 0 2\r\nab\r\n', want: [msg({ verb: 'LMSG', origin: 'org', account: '$G', subject: 'foo', data: 'ab', line: 'LMSG org $G foo 0 2' })] },
  {
    name: 'LMSG reply',
    input: 'LMSG org $G foo rep 1 2\r\nab\r\n',
    want: [msg({ verb: 'LMSG', origin: 'org', account: '$G', subject: 'foo', reply: 'rep', hdrSize: 1, data: 'ab', line: 'LMSG org $G foo rep 1 2' })],
  },
  {
    name: 'LMSG + reply queue',
    input: 'LMSG org $G foo + rep q1 1 3\r\nabc\r\n',
    want: [msg({ verb: 'LMSG', origin: 'org', account: '$G', subject: 'foo', reply: 'rep', queues: ['q1'], hdrSize: 1, data: 'abc', line: 'LMSG org $G foo + rep q1 1 3' })],
  },
  {
    name: 'LMSG | queues',
    input: 'LMSG org $G foo | q1 q2 0 1\r\na\r\n',
    want: [msg({ verb: 'LMSG', origin: 'org', account: '$G', subject: 'foo', queues: ['q1', 'q2'], data: 'a', line: 'LMSG org $G foo | q1 q2 0 1' })],
  },
  { name: 'LMSG pinned', input: 'LMSG org foo 0 2\r\nab\r\n', setup: pinned('P'), want: [msg({ verb: 'LMSG', origin: 'org', account: 'P', subject: 'foo', data: 'ab', line: 'LMSG org foo 0 2' })] },
  {
    name: 'LMSG pinned | queue',
    input: 'LMSG org foo | q 0 2\r\nab\r\n',
    setup: pinned('P'),
    want: [msg({ verb: 'LMSG', origin: 'org', account: 'P', subject: 'foo', queues: ['q'], data: 'ab', line: 'LMSG org foo | q 0 2' })],
  },

  // Parsed and ignored.
  { name: 'A+ / A- / Au ignored', input: 'A+ $G\r\nA- $G\r\nAu $G\r\nPING\r\n', want: [{ ev: 'ping' }] },
  { name: 'SUB ignored', input: 'SUB foo 1\r\nsub foo q 2\r\nPING\r\n', want: [{ ev: 'ping' }] },
  { name: 'PUB payload skipped', input: 'PUB foo 3\r\na\r\n\r\nPING\r\n', want: [{ ev: 'ping' }] },
  { name: 'PUB reply payload skipped', input: 'pub foo r 0\r\n\r\nPONG\r\n', want: [{ ev: 'pong' }] },
  { name: 'HPUB payload skipped', input: 'HPUB foo 1 3\r\nabc\r\nPING\r\n', want: [{ ev: 'ping' }] },

  // Sizes: up to 9 digits.
  { name: 'size with leading zeros', input: 'RMSG $G foo 000000002\r\nab\r\n', want: [msg({ verb: 'RMSG', account: '$G', subject: 'foo', data: 'ab', line: 'RMSG $G foo 000000002' })] },
];

t.test('verbs', async (t) => {
  for (const c of cases) {
    t.strictSame(parseAll(c.input, c.setup), c.want, c.name);
  }
});

t.test('pinnedAccount can change between frames', async (t) => {
  const ev = parseAll('RS+ $G foo\r\n', (p) => {
    p.pinnedAccount = undefined;
  });
  t.equal((ev[0] as { op: Interest }).op.account, '$G');
  t.equal((parseAll('RS+ foo\r\n', pinned('')) as Event[])[0]!.ev, 'violation', "'' is not a pinned account");
});
