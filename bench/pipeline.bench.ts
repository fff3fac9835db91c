// The proxy's in-process message path end to end, without sockets: 64 KiB chunks of an RMSG
// stream through the route parser, the relay decision and the outbound writer of the one
// matching target, then one flush per chunk to a socket stand-in that discards (what one event-loop
// turn of a proxy does). The figure to set beside a proxy's CPU per message in bench:native:
// the difference is the socket, stream and event-loop cost.
import type { Writable } from 'node:stream';
import { InterestTable } from '../src/interest/interest-table.js';
import type { RoutedMsg } from '../src/protocol/msg.js';
import { RouteParser } from '../src/protocol/parser.js';
import type { RouteParserHandler } from '../src/protocol/types.js';
import { Relay } from '../src/relay/relay.js';
import type { RouteConnection } from '../src/route/connection.js';
import type { RouteManager } from '../src/route/manager.js';
import { writeUnchanged } from '../src/route/msg-writer.js';
import { Outbound } from '../src/route/outbound.js';
import type { PeerKind, RoutePeer } from '../src/route/peer.js';
import type { BenchGroup, BenchOptions } from './harness.js';
import { chunked, framesFor, rmsgStream, sizeLabel } from './streams.js';

// The part of RoutePeer the relay uses (adapt here when it changes): forward() writes as
// RouteConnection.sendMessage does for an unchanged frame.
class WritingPeer {
  readonly interest = new InterestTable();
  readonly main = { state: 'registered', interestCongested: false, whenDrained() {} };
  constructor(readonly kind: PeerKind, readonly out: Outbound | undefined) {}
  carriesInterest(): boolean { return true; }
  sendInterest(): void {}
  forward(m: RoutedMsg): boolean {
    writeUnchanged(this.out!, m);
    return true;
  }
}

// A socket stand-in that takes every write at once and completes it synchronously: a stream's
// callbacks would wait for process.nextTick, which a synchronous benchmark loop never reaches,
// so no slab would ever come back and the loop would measure allocation instead of the path.
function sink(): { socket: Writable; written: () => number } {
  let bytes = 0;
  const socket = {
    writableLength: 0,
    cork() {},
    uncork() {},
    write(chunk: Buffer, cb?: (err?: Error | null) => void): boolean {
      bytes += chunk.length;
      cb?.(null);
      return true;
    },
  };
  return { socket: socket as unknown as Writable, written: () => bytes };
}

function pipelineCase(size: number, target: number, subjects = 8) {
  const s = sink();
  const out = new Outbound(s.socket, { slabSize: 256 * 1024, highWater: 1 << 30, lowWater: 1 << 29, writeDeadlineMs: 0 }, {
    congested: () => {}, drained: () => {}, writeDeadline: () => {},
  });
  const relay = new Relay({} as RouteManager, Math.random);
  const server = new WritingPeer('server', undefined);
  const proxy = new WritingPeer('proxy', out);
  const other = new WritingPeer('proxy', out);
  for (const p of [server, proxy, other]) relay.peerRegistered(p as unknown as RoutePeer);
  for (const [p, subject] of [[proxy, 'bench.>'], [other, 'elsewhere.>']] as const) {
    const change = p.interest.apply({ add: true, leaf: false, account: '$G', subject });
    if (change) relay.interest(p as unknown as RoutePeer, change);
  }
  const conn = {} as RouteConnection;
  let n = 0;
  const noop = () => {};
  const handler: RouteParserHandler = {
    onInfo: noop, onConnect: noop, onPing: noop, onPong: noop, onOk: noop, onErr: noop, onInterest: noop,
    onMessage: (m) => {
      n++;
      relay.message(server as unknown as RoutePeer, conn, m);
    },
    onViolation: (v) => {
      throw new Error(`pipeline bench: violation ${v.reason}`);
    },
  };
  const parser = new RouteParser(handler);
  const frames = framesFor(size, target);
  const stream = rmsgStream(size, frames, '$G', subjects);
  const chunks = chunked(stream, 65536);
  const once = () => {
    for (let i = 0; i < chunks.length; i++) {
      parser.parse(chunks[i]!);
      out.flush();
    }
  };
  once();
  // Sanity check: every frame parsed and written unchanged, so a broken path fails the run.
  if (n !== frames || s.written() !== stream.length) {
    throw new Error(`pipeline bench: ${n} messages, ${s.written()} bytes written; expected ${frames}, ${stream.length}`);
  }
  return { name: `RMSG ${sizeLabel(size)}, 64 KiB chunks${subjects === 1 ? ', one subject' : ''}`, bytes: stream.length, items: frames, fn: once };
}

export default function groups(opts: BenchOptions): BenchGroup[] {
  const target = opts.quick ? 64 * 1024 : 1024 * 1024;
  return [{
    group: 'pipeline: parse → relay → outbound (one matching proxy)',
    reference: 'RMSG 128 B, 64 KiB chunks',
    // Eight subjects in turn: every line differs from the one before. One subject: a stream whose
    // lines repeat but for the size (what the benchmark's publisher sends), see protocol/line-memo.ts.
    cases: [...[16, 128, 1024, 16384].map((z) => pipelineCase(z, target)), pipelineCase(128, target, 1)],
  }];
}
