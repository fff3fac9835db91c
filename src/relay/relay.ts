// The split-horizon relay (design.md §1): relay between sites, never within one.
// Interest of local servers is aggregated and advertised to proxy peers; interest of proxy
// peers is aggregated and advertised to local servers. A message from one side goes at
// most once to each matching peer of the other side; each queue group the sender chose
// for us is forwarded to exactly one peer, picked by weight.
import { InterestAggregate, type AggregateDelta } from '../interest/aggregate.js';
import type { InterestChange } from '../interest/interest-table.js';
import type { RoutedMessage } from '../protocol/types.js';
import type { RouteObserver, RouteManager } from '../route/manager.js';
import type { PeerKind, RoutePeer } from '../route/peer.js';
import { pickWeighted, type QueueCandidate } from './queue-pick.js';

export interface RelayStats {
  msgsFromServers: number;
  msgsFromProxies: number;
  copiesToProxies: number;
  copiesToServers: number;
  /** Copies a slow peer's bounded queue refused. */
  copiesDropped: number;
  /** Queue groups the sender chose for us but no peer on the other side serves anymore. */
  queueMisses: number;
}

const other = (k: PeerKind): PeerKind => (k === 'server' ? 'proxy' : 'server');

export class Relay implements RouteObserver {
  /** Union of what our site's servers want: advertised to every proxy peer. */
  private readonly siteInterest = new InterestAggregate<RoutePeer>();
  /** Union of what the proxy peers want: advertised to every server of our site. */
  private readonly remoteInterest = new InterestAggregate<RoutePeer>();
  readonly stats: RelayStats = {
    msgsFromServers: 0, msgsFromProxies: 0, copiesToProxies: 0, copiesToServers: 0, copiesDropped: 0, queueMisses: 0,
  };
  private readonly servers = new Set<RoutePeer>();
  private readonly proxies = new Set<RoutePeer>();

  constructor(routes: RouteManager, private readonly random: () => number = Math.random) {
    routes.observer = this;
  }

  private side(kind: PeerKind): Set<RoutePeer> {
    return kind === 'server' ? this.servers : this.proxies;
  }

  private aggregateFrom(kind: PeerKind): InterestAggregate<RoutePeer> {
    return kind === 'server' ? this.siteInterest : this.remoteInterest;
  }

  peerRegistered(peer: RoutePeer): void {
    this.side(peer.kind).add(peer);
    // A new peer learns everything the other side currently wants.
    for (const d of this.aggregateFrom(other(peer.kind)).snapshot()) peer.sendInterest(d, true);
  }

  peerRemoved(peer: RoutePeer): void {
    this.side(peer.kind).delete(peer);
    this.propagate(other(peer.kind), this.aggregateFrom(peer.kind).removeOwner(peer));
  }

  interest(peer: RoutePeer, change: InterestChange): void {
    const d = this.aggregateFrom(peer.kind).set(peer, change, change.weight);
    if (d) this.propagate(other(peer.kind), [d]);
  }

  private propagate(to: PeerKind, deltas: readonly AggregateDelta[]): void {
    if (deltas.length === 0) return;
    for (const peer of this.side(to)) for (const d of deltas) peer.sendInterest(d);
  }

  message(from: RoutePeer, msg: RoutedMessage): void {
    const toProxies = from.kind === 'server';
    if (toProxies) this.stats.msgsFromServers++;
    else this.stats.msgsFromProxies++;
    const targets = this.side(other(from.kind));
    if (targets.size === 0) return;
    // Matched on the routed subject as nats-server does. A JetStream push delivery already
    // travels on its deliver subject; the `$JS.ACK…@<subject>` reply only tells the receiving
    // server which subject to show its client, so it passes through untouched.
    const subject = msg.subject;

    // Queue groups: exactly one target per group the sender chose for us.
    let assigned: Map<RoutePeer, string[]> | undefined;
    if (msg.queues && msg.queues.length > 0) {
      assigned = new Map();
      for (const q of msg.queues) {
        const candidates: QueueCandidate<RoutePeer>[] = [];
        for (const t of targets) {
          const w = t.interest.match(msg.account, subject).queues.get(q);
          if (w !== undefined && w > 0) candidates.push({ target: t, weight: w });
        }
        const chosen = pickWeighted(candidates, this.random);
        if (!chosen) {
          this.stats.queueMisses++;
          continue;
        }
        const list = assigned.get(chosen);
        if (list) list.push(q);
        else assigned.set(chosen, [q]);
      }
    }

    for (const t of targets) {
      const queues = assigned?.get(t);
      if (!queues && !t.interest.match(msg.account, subject).plain) continue;
      if (t.forward(msg, queues)) {
        if (toProxies) this.stats.copiesToProxies++;
        else this.stats.copiesToServers++;
      } else {
        this.stats.copiesDropped++;
      }
    }
  }
}
