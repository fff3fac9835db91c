// Encoders: byte-exact output, round trips through the parser, INFO/CONNECT serialization.
import t from 'tap';
import {
  encodeConnect,
  encodeErr,
  encodeGossipInfo,
  encodeInfo,
  encodeInterest,
  encodeLsAdd,
  encodeLsDel,
  encodeMsgLine,
  encodeRsAdd,
  encodeRsDel,
  PING,
  PONG,
  type MsgLineSpec,
} from '../../src/protocol/encode.js';
import type { Interest, RouteConnect, RouteInfo } from '../../src/protocol/types.js';
import type { RoutedMessage } from './recorder.js';
import type { RoutedMsg } from '../../src/protocol/msg.js';
import { writeChanged } from '../../src/route/msg-writer.js';
import { outbound, sink } from '../helpers/outbound-sink.js';
import { parseAll, record } from './recorder.js';

const s = (b: Buffer): string => b.toString('latin1');

t.test('constants and -ERR', async (t) => {
  t.equal(s(PING), 'PING\r\n');
  t.equal(s(PONG), 'PONG\r\n');
  t.equal(s(encodeErr('Unknown Protocol Operation')), "-ERR 'Unknown Protocol Operation'\r\n");
  t.strictSame(parseAll(encodeErr('Stale Connection')), [{ ev: 'err', text: 'Stale Connection' }]);
});

// Every RouteInfo field, deliberately not in Go's order.
const fullInfo: RouteInfo = {
  nrp: { v: 1, site: 'eu' },
  leafnode_urls: ['nats-leaf://h:7422'],
  gateway_url: 'h:7222',
  gateway: 'gw',
  gossip_mode: 1,
  route_acc_add_reqid: 'req',
  route_account: 'ACC',
  route_pool_idx: 2,
  route_pool_size: 3,
  lnocu: true,
  lnoc: true,
  export: { allow: ['>'], deny: ['x'] },
  import: { allow: ['a.>'] },
  compression: 's2_auto',
  ldm: false,
  ws_connect_urls: ['ws://h:80'],
  connect_urls: ['h:4222', 'h2:4222'],
  cluster_dynamic: true,
  cluster: 'C1',
  nonce: 'AHONX7iKMcevSHY',
  ip: 'nats-route://adv:6222/',
  jetstream: false,
  max_payload: 1048576,
  tls_verify: true,
  tls_required: true,
  auth_required: true,
  headers: true,
  port: 6222,
  host: '0.0.0.0',
  go: 'go1.22',
  proto: 2,
  version: '2.10.27',
  server_name: 'proxy-a',
  server_id: 'NPROXY',
};

// nats-server server.go:Info struct order, restricted to the fields we model.
const GO_INFO_ORDER = [
  'server_id', 'server_name', 'version', 'proto', 'go', 'host', 'port', 'headers', 'auth_required', 'tls_required',
  'tls_verify', 'max_payload', 'jetstream', 'ip', 'nonce', 'cluster', 'cluster_dynamic', 'connect_urls',
  'ws_connect_urls', 'ldm', 'compression', 'import', 'export', 'lnoc', 'lnocu', 'route_pool_size', 'route_pool_idx',
  'route_account', 'route_acc_add_reqid', 'gossip_mode', 'gateway', 'gateway_url', 'leafnode_urls', 'nrp',
];

t.test('INFO', async (t) => {
  const out = s(encodeInfo(fullInfo));
  t.ok(out.startsWith('INFO {'), 'verb and space');
  t.ok(out.endsWith('} \r\n'), 'space before CRLF, like Go');
  const json = out.slice(5, -3);
  t.strictSame(JSON.parse(json), JSON.parse(JSON.stringify(fullInfo)), 'same content as JSON.stringify');
  t.strictSame(Object.keys(JSON.parse(json)), GO_INFO_ORDER, 'Go struct field order');
  t.equal(json.length, JSON.stringify(fullInfo).length, 'no extra bytes');

  const gossip = s(encodeGossipInfo(fullInfo));
  t.equal(gossip, `INFO ${json}\r\n`, 'gossip INFO has no space before CRLF');

  // Undefined fields are left out; values are escaped like JSON.stringify.
  const minimal: RouteInfo = { server_id: 'N"1\\', port: 1, headers: undefined, cluster: 'c\u2028' };
  t.equal(encodeInfo(minimal).toString('utf8'), `INFO ${JSON.stringify({ server_id: 'N"1\\', port: 1, cluster: 'c\u2028' })} \r\n`);
  t.strictSame(JSON.parse(encodeInfo(minimal).toString('utf8').slice(5, -3)), { server_id: 'N"1\\', port: 1, cluster: 'c\u2028' });

  // Round trip through the parser.
  t.strictSame(parseAll(encodeInfo(fullInfo)), [{ ev: 'info', text: json }]);
});

t.test('CONNECT', async (t) => {
  // The captured 2.9.10 CONNECT (§10), built from an object in another order.
  const c: RouteConnect = {
    lnoc: true,
    cluster: 'C1',
    name: 'NDYL',
    headers: true,
    tls_required: false,
    pass: 'rpass',
    user: 'ruser',
    pedantic: false,
    verbose: false,
    echo: true,
  };
  t.equal(
    s(encodeConnect(c)),
    'CONNECT {"echo":true,"verbose":false,"pedantic":false,"user":"ruser","pass":"rpass","tls_required":false,"headers":true,"name":"NDYL","cluster":"C1","lnoc":true}\r\n',
  );
  const all: RouteConnect = { ...c, cluster_dynamic: true, lnocu: true, lang: 'go', gateway: 'g', account: 'a', new_account: true, nrp: { v: 1 } };
  const json = s(encodeConnect(all)).slice(8, -2);
  t.strictSame(JSON.parse(json), all, 'every RouteConnect field serialized');
  t.strictSame(parseAll(encodeConnect(c)), [{ ev: 'connect', text: s(encodeConnect(c)).slice(8, -2) }]);
});

t.test('interest, byte-exact', async (t) => {
  t.equal(s(encodeRsAdd('$G', 'foo')), 'RS+ $G foo\r\n');
  t.equal(s(encodeRsAdd('$G', 'bar', 'lq', 1)), 'RS+ $G bar lq 1\r\n');
  t.equal(s(encodeRsAdd('$G', 'bar', 'lq')), 'RS+ $G bar lq 1\r\n', 'a queue RS+ always carries a weight');
  t.equal(s(encodeRsAdd(undefined, 'foo', 'q', 3)), 'RS+ foo q 3\r\n');
  t.equal(s(encodeRsDel('$G', 'foo')), 'RS- $G foo\r\n');
  t.equal(s(encodeRsDel('$G', 'bar', 'lq')), 'RS- $G bar lq\r\n');
  t.equal(s(encodeRsDel(undefined, 'bar', 'lq')), 'RS- bar lq\r\n');
  t.equal(s(encodeLsAdd('$G', 'foo', undefined, undefined, 'org')), 'LS+ org $G foo\r\n');
  t.equal(s(encodeLsAdd(undefined, 'foo', 'q', 7, 'org')), 'LS+ org foo q 7\r\n');
  t.equal(s(encodeLsDel('$G', 'foo', 'q', 'org')), 'LS- org $G foo q\r\n');
  t.equal(s(encodeLsDel('$G', 'foo')), 'LS- $G foo\r\n');
  t.equal(s(encodeLsDel(undefined, 'foo')), 'LS- foo\r\n');
});

t.test('interest round trip in every form', async (t) => {
  let n = 0;
  for (const leaf of [false, true]) {
    for (const add of [true, false]) {
      for (const pinned of [false, true]) {
        for (const lnocu of [false, true]) {
          for (const queue of [undefined, 'qg']) {
            const op: Interest = { add, leaf, account: 'ACC', subject: 'a.b.>' };
            if (leaf) op.origin = 'org';
            if (queue !== undefined) {
              op.queue = queue;
              if (add) op.weight = 12;
            }
            const wire = encodeInterest(op, pinned, lnocu);
            const ev = parseAll(wire, (p) => {
              p.pinnedAccount = pinned ? 'ACC' : undefined;
              p.peerLnocu = lnocu;
            });
            const want = { ...op };
            if (leaf && !add && !lnocu) delete want.origin; // LS- carries the origin only with lnocu
            t.strictSame(ev, [{ ev: 'interest', op: want }], `${s(wire).trim()} (pinned=${pinned}, lnocu=${lnocu})`);
            n++;
          }
        }
      }
    }
  }
  t.equal(n, 32);
});

t.test('message lines, byte-exact (captured §10 forms)', async (t) => {
  const line = (m: MsgLineSpec) => s(encodeMsgLine(m));
  t.equal(line({ verb: 'RMSG', account: '$G', subject: 'foo', size: 2 }), 'RMSG $G foo 2');
  t.equal(line({ verb: 'RMSG', account: '$G', subject: 'bar', reply: 'rep.1', queues: ['qgrp', 'q2'], size: 2 }), 'RMSG $G bar + rep.1 qgrp q2 2');
  t.equal(line({ verb: 'HMSG', account: '$G', subject: 'bar', queues: ['qgrp', 'q2'], hdrSize: 12, size: 14 }), 'HMSG $G bar | qgrp q2 12 14');
  t.equal(line({ verb: 'RMSG', account: '$G', subject: 'bar', queues: ['qgrp', 'q2'], size: 2 }), 'RMSG $G bar | qgrp q2 2');
  t.equal(line({ verb: 'RMSG', account: '$G', subject: 'foo', reply: 'r', size: 0 }), 'RMSG $G foo r 0');
  t.equal(line({ verb: 'RMSG', account: '$G', subject: 'foo', reply: 'r', queues: [], size: 1 }), 'RMSG $G foo r 1', 'empty queue list = no list');
  t.equal(line({ verb: 'HMSG', account: undefined, subject: 'foo', reply: 'r', hdrSize: 0, size: 3 }), 'HMSG foo r 0 3');
  t.equal(line({ verb: 'LMSG', origin: 'org', account: '$G', subject: 'foo', size: 2 }), 'LMSG org $G foo 0 2', 'LMSG always has hdr_size');
  t.equal(line({ verb: 'LMSG', origin: 'org', account: undefined, subject: 'foo', reply: 'r', queues: ['q'], hdrSize: 1, size: 2 }), 'LMSG org foo + r q 1 2');
});

t.test('message round trip in every form, and re-encoded for a connection of the other form', async (t) => {
  const data = Buffer.from('NATS/1.0\r\n\r\n\x00\r\nPING\r\n', 'latin1');
  const frame = (line: Buffer, d: Buffer) => Buffer.concat([line, Buffer.from('\r\n'), d, Buffer.from('\r\n')]);
  let n = 0;
  for (const verb of ['RMSG', 'HMSG', 'LMSG'] as const) {
    for (const pinned of [false, true]) {
      for (const form of ['plain', 'reply', 'plus', 'pipe'] as const) {
        const spec: MsgLineSpec = { verb, account: pinned ? undefined : 'ACC', subject: 'sub.j', size: data.length };
        if (verb === 'LMSG') spec.origin = 'org';
        if (verb !== 'RMSG') spec.hdrSize = 12;
        if (form === 'reply' || form === 'plus') spec.reply = '_INBOX.x';
        if (form === 'plus' || form === 'pipe') spec.queues = ['q1', 'q2'];
        const line = encodeMsgLine(spec);
        // Re-encode inside the callback (the record is valid only there) for the other form and as is.
        const other = sink();
        const same = sink();
        const oOut = outbound(other);
        const sOut = outbound(same);
        const r = record(undefined, (p) => (p.pinnedAccount = pinned ? 'ACC' : undefined));
        const inner = r.parser as unknown as { handler: { onMessage(m: RoutedMsg): void } };
        const orig = inner.handler.onMessage;
        inner.handler.onMessage = (m: RoutedMsg) => {
          orig(m);
          writeChanged(oOut, m, m.verb, pinned ? Buffer.from('ACC') : null, null);
          writeChanged(sOut, m, m.verb, undefined, null);
        };
        r.parser.parse(frame(line, data));
        oOut.flush();
        sOut.flush();
        const m = r.raw[0];
        if (!m) {
          t.fail(`${s(line)}: no message (${JSON.stringify(r.events)})`);
          continue;
        }
        const want: Partial<RoutedMessage> = { verb, account: 'ACC', subject: 'sub.j', hdrSize: verb === 'RMSG' ? 0 : 12 };
        if (spec.origin) want.origin = spec.origin;
        if (spec.reply) want.reply = spec.reply;
        if (spec.queues) want.queues = spec.queues;
        const { data: got, line: gotLine, ...rest } = m;
        t.strictSame(rest, want, s(line));
        t.ok(got.equals(data), `${s(line)}: data`);
        t.ok(gotLine.equals(line), `${s(line)}: line`);

        const r2 = record(undefined, (p) => (p.pinnedAccount = !pinned ? 'ACC' : undefined));
        r2.parser.parse(other.bytes());
        const { data: d2, line: l2, ...rest2 } = r2.raw[0] ?? ({ data: Buffer.alloc(0), line: Buffer.alloc(0) } as RoutedMessage);
        t.strictSame(rest2, want, `${s(line)} → ${s(l2)}`);
        t.ok(d2.equals(data));
        t.equal(s(same.bytes()), s(frame(line, data)), 'same form re-encodes to the same bytes');
        n++;
      }
    }
  }
  t.equal(n, 24);
});
