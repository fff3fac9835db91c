// The relay decision for one message with fake peers (no sockets): which targets get a copy,
// which one gets each queue group. What is measured is the decision, not the encoding: the
// fake peers' forward() only counts.
import { InterestTable } from '../src/interest/interest-table.js';
import type { RoutedMsg } from '../src/protocol/msg.js';
import type { Interest } from '../src/protocol/types.js';
import { encodeMsgLine } from '../src/protocol/encode.js';
import { Relay } from '../src/relay/relay.js';
import type { RouteConnection } from '../src/route/connection.js';
import type { RouteManager } from '../src/route/manager.js';
import type { PeerKind, RoutePeer } from '../src/route/peer.js';
import type { BenchGroup, BenchOptions } from './harness.js';
import { recordsOf } from './record.js';

const BATCH = 1024;

// The part of RoutePeer the relay uses (adapt here when it changes).
class FakePeer {
  readonly interest = new InterestTable();
  copies = 0;
  /** The connection the registration snapshot streams to: never congested here. */
  readonly main = { state: 'registered', interestCongested: false, whenDrained() {} };
  carriesInterest(): boolean { return true; }
  constructor(readonly id: string, readonly kind: PeerKind) {}
  sendInterest(): void {}
  forward(_m: RoutedMsg, _from: unknown, _sel: Uint8Array | null): boolean {
    this.copies++;
    return true;
  }
}

function world() {
  let seed = 7;
  const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const relay = new Relay({} as RouteManager, random);
  const peers: FakePeer[] = [];
  const add = (id: string, kind: PeerKind) => {
    const p = new FakePeer(id, kind);
    relay.peerRegistered(p as unknown as RoutePeer);
    peers.push(p);
    return p;
  };
  const sub = (p: FakePeer, op: Partial<Interest> & { subject: string }) => {
    const change = p.interest.apply({ add: true, leaf: false, account: '$G', ...op });
    if (change) relay.interest(p as unknown as RoutePeer, change);
  };
  return { relay, add, sub, peers };
}

function message(subject: string, queues?: string[]): RoutedMsg {
  const line = encodeMsgLine({ verb: 'RMSG', account: '$G', subject, ...(queues ? { queues } : {}), size: 128 });
  return recordsOf(Buffer.concat([line, Buffer.from('\r\n'), Buffer.alloc(128, 0x61), Buffer.from('\r\n')]))[0]!;
}

const CONN = {} as RouteConnection;

export default function groups(_opts: BenchOptions): BenchGroup[] {
  const w = world();
  const server = w.add('S1', 'server');
  w.add('S2', 'server');
  const p1 = w.add('P1', 'proxy');
  const p2 = w.add('P2', 'proxy');
  w.sub(p1, { subject: 'orders.>' });
  w.sub(p2, { subject: 'other.>' });
  w.sub(p1, { subject: 'both.*' });
  w.sub(p2, { subject: 'both.*' });
  w.sub(p1, { subject: 'work.*', queue: 'q1', weight: 1 });
  w.sub(p2, { subject: 'work.*', queue: 'q1', weight: 2 });
  const proxy = p1;
  w.sub(server, { subject: 'reply.>' });

  const run = (from: FakePeer, msg: RoutedMsg, expectCopies: number) => {
    const before = w.peers.reduce((s, p) => s + p.copies, 0);
    w.relay.message(from as unknown as RoutePeer, CONN, msg);
    const got = w.peers.reduce((s, p) => s + p.copies, 0) - before;
    if (got !== expectCopies) throw new Error(`relay bench: ${msg.line.toString("latin1", msg.ss, msg.se)} made ${got} copies, expected ${expectCopies}`);
    return {
      items: BATCH,
      fn: () => {
        for (let i = 0; i < BATCH; i++) w.relay.message(from as unknown as RoutePeer, CONN, msg);
      },
    };
  };
  return [{
    group: 'relay decision (1 message, fake peers)',
    reference: 'plain, 1 of 2 proxies matches',
    cases: [
      { name: 'plain, 1 of 2 proxies matches', ...run(server, message('orders.eu.42'), 1) },
      { name: 'plain, both proxies match', ...run(server, message('both.x'), 2) },
      { name: 'one queue group over 2 proxies', ...run(server, message('work.a', ['q1']), 1) },
      { name: 'no interest', ...run(server, message('nobody.here'), 0) },
      { name: 'from a proxy, 1 of 2 servers matches', ...run(proxy, message('reply.inbox.1'), 1) },
    ],
  }];
}
