// The split-horizon relay (design.md §1): relay between sites, never within one.
// Interest of local servers is aggregated and advertised to proxy peers; interest of proxy
// peers is aggregated and advertised to local servers. A message from one side goes at
// most once to each matching peer of the other side; each queue group the sender chose
// for us is forwarded to exactly one peer, picked by weight.
//
// The message path allocates nothing on the common path: the account and the subject are
// looked up by their bytes in the input (SpanMap), the per-subject decision (which peers, which
// queue groups with which weights) is cached per account and direction and invalidated by the
// interest changes that can affect it, and queue assignments use reused scratch arrays.
import { InterestAggregate } from '../interest/aggregate.js';
import { peerConnectionTarget, streamInterest } from './interest-snapshot.js';
import type { Interest } from '../protocol/types.js';
import { SpanMap } from '../interest/span-map.js';
import { isLiteralSubject, subjectMatchesFast } from '../interest/subject.js';
import type { RoutedMsg } from '../protocol/msg.js';
import type { RouteConnection } from '../route/connection.js';
import type { RouteObserver, RouteManager } from '../route/manager.js';
import type { PeerKind, RoutePeer } from '../route/peer.js';
import { PoolLayout, type AccountSlot } from '../route/pool.js';

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

/** One queue group some target serves for a subject: who, with which weights. */
interface QueueRoute {
  readonly name: Buffer;
  readonly targets: number[]; // indexes into Decision.targets
  readonly weights: number[];
  readonly total: number;
}

/** Where a message on one (account, subject) goes, towards one side. */
interface Decision {
  readonly targets: RoutePeer[];
  readonly plain: Uint8Array; // 1: the target has plain interest
  readonly queues: QueueRoute[];
}

interface AccountRoutes {
  readonly name: string;
  /** Which connection of a peer carries the account (pool index, pinned), computed once. */
  readonly slot: AccountSlot;
  /** subject bytes → decision, for messages going to proxies / to servers. */
  readonly toProxies: SpanMap<Decision>;
  readonly toServers: SpanMap<Decision>;
}

/** Decisions cached per account and direction; past this the cache starts over (as a sublist cache sweep). */
const DECISIONS_MAX = 4096;
const NO_TARGETS: Decision = Object.freeze({ targets: [], plain: new Uint8Array(0), queues: [] });

const other = (k: PeerKind): PeerKind => (k === 'server' ? 'proxy' : 'server');

function forget(m: RoutedMsg): void {
  m.memoStamp = -1;
  m.memoA = m.memoB = undefined;
}

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
  /** Account bytes → its routes (interned: the name string is made once). */
  private readonly accounts = new SpanMap<AccountRoutes>(64);
  private readonly accountsByName = new Map<string, AccountRoutes>();
  // Scratch for queue assignment: target index per queue token of the current message.
  private assign = new Int32Array(16);
  private sel = new Uint8Array(16);
  private readonly pool: PoolLayout;
  /**
   * Bumped whenever a cached decision may have gone stale: a message repeating its predecessor's
   * line (RoutedMsg.repeat) reuses the account and decision memorized on its record while the
   * stamp is the same, without looking either up. Even: towards servers, odd: towards proxies.
   */
  private epoch = 0;
  /** The records holding a memo, by the connection they belong to: a removed peer must not stay reachable from them. */
  private readonly memos = new Map<RouteConnection, RoutedMsg>();

  constructor(routes: RouteManager, private readonly random: () => number = Math.random) {
    routes.observer = this;
    this.pool = routes.pool ?? new PoolLayout(-1, []);
  }

  private side(kind: PeerKind): Set<RoutePeer> {
    return kind === 'server' ? this.servers : this.proxies;
  }

  private aggregateFrom(kind: PeerKind): InterestAggregate<RoutePeer> {
    return kind === 'server' ? this.siteInterest : this.remoteInterest;
  }

  peerRegistered(peer: RoutePeer): void {
    this.side(peer.kind).add(peer);
    this.forgetDecisions(peer.kind);
    // A new peer learns everything the other side currently wants, streamed as it drains: its first
    // connection the accounts it carries, each further one its own (connectionAdded).
    const conn = peer.main;
    streamInterest(this.aggregateFrom(other(peer.kind)).entries(), peerConnectionTarget(peer, conn), (d) => peer.carriesInterest(conn, d.account));
  }

  /** Memorized decisions name peers: after a peer change none may keep a removed one alive. */
  private dropMemos(): void {
    for (const m of this.memos.values()) forget(m);
    this.memos.clear();
  }

  connectionRemoved(_peer: RoutePeer, conn: RouteConnection): void {
    const m = this.memos.get(conn);
    if (m === undefined) return;
    forget(m);
    this.memos.delete(conn);
  }

  /** A further connection of a peer: the interest of the accounts it carries (the others already have theirs). */
  connectionAdded(peer: RoutePeer, conn: RouteConnection): void {
    streamInterest(this.aggregateFrom(other(peer.kind)).entries(), peerConnectionTarget(peer, conn), (d) => peer.carriesInterest(conn, d.account));
  }

  /** After a reload unpinned an account: every peer gets its interest on the connection that now carries it. */
  accountMoved(account: string): void {
    for (const kind of ['server', 'proxy'] as const) {
      const deltas = this.aggregateFrom(other(kind)).snapshot().filter((d) => d.account === account);
      for (const peer of this.side(kind)) for (const d of deltas) peer.sendInterest(d);
    }
  }

  peerRemoved(peer: RoutePeer): void {
    this.side(peer.kind).delete(peer);
    this.forgetDecisions(peer.kind);
    this.propagate(other(peer.kind), this.aggregateFrom(peer.kind).removeOwner(peer), undefined);
  }

  interest(peer: RoutePeer, change: Interest): void {
    this.invalidate(peer.kind, change.account, change.subject);
    const d = this.aggregateFrom(peer.kind).apply(peer, change);
    if (d) this.propagate(other(peer.kind), [d], peer.main);
  }

  /** Sends interest deltas to one side; `from` (the connection they came from) is slowed by a congested target. */
  private propagate(to: PeerKind, deltas: readonly Interest[], from: RouteConnection | undefined): void {
    if (deltas.length === 0) return;
    for (const peer of this.side(to)) for (const d of deltas) peer.sendInterest(d, from);
  }

  // ── decisions ──────────────────────────────────────────────────────

  private account(b: Buffer, s: number, e: number): AccountRoutes {
    let acc = this.accounts.get(b, s, e);
    if (acc === undefined) {
      const name = b.toString('latin1', s, e);
      acc = this.named(name);
      this.accounts.set(b, s, e, acc);
    }
    return acc;
  }

  /** A pinned connection's messages carry no account token: the connection names it. */
  private named(name: string): AccountRoutes {
    let acc = this.accountsByName.get(name);
    if (acc === undefined) {
      acc = { name, slot: this.pool.slot(name), toProxies: new SpanMap(256), toServers: new SpanMap(256) };
      this.accountsByName.set(name, acc);
    }
    return acc;
  }

  /** An interest change of a `kind` peer changes where messages towards that side go. */
  private invalidate(kind: PeerKind, account: string, subject: string): void {
    this.epoch += 2;
    const acc = this.accountsByName.get(account);
    if (acc === undefined) return;
    const cache = kind === 'proxy' ? acc.toProxies : acc.toServers;
    if (cache.size === 0) return;
    if (isLiteralSubject(subject)) cache.deleteText(subject);
    else cache.deleteWhere((cached) => subjectMatchesFast(subject, cached));
  }

  private forgetDecisions(kind: PeerKind): void {
    this.epoch += 2;
    this.dropMemos();
    for (const acc of this.accountsByName.values()) (kind === 'proxy' ? acc.toProxies : acc.toServers).clear();
  }

  private decide(account: string, subject: string, side: Set<RoutePeer>): Decision {
    const targets: RoutePeer[] = [];
    const plain: number[] = [];
    const byQueue = new Map<string, { targets: number[]; weights: number[]; total: number }>();
    for (const t of side) {
      const m = t.interest.match(account, subject);
      if (!m.plain && m.queues.size === 0) continue;
      const idx = targets.length;
      targets.push(t);
      plain.push(m.plain ? 1 : 0);
      for (const [q, w] of m.queues) {
        if (!(w > 0)) continue;
        let qr = byQueue.get(q);
        if (qr === undefined) byQueue.set(q, (qr = { targets: [], weights: [], total: 0 }));
        qr.targets.push(idx);
        qr.weights.push(w);
        qr.total += w;
      }
    }
    if (targets.length === 0) return NO_TARGETS;
    const queues: QueueRoute[] = [];
    for (const [q, r] of byQueue) queues.push({ name: Buffer.from(q, 'latin1'), ...r });
    return { targets, plain: Uint8Array.from(plain), queues };
  }

  // ── messages ───────────────────────────────────────────────────────

  message(from: RoutePeer, conn: RouteConnection, m: RoutedMsg): void {
    const toProxies = from.kind === 'server';
    if (toProxies) this.stats.msgsFromServers++;
    else this.stats.msgsFromProxies++;
    const side = toProxies ? this.proxies : this.servers;
    const stamp = toProxies ? this.epoch + 1 : this.epoch;
    let acc: AccountRoutes;
    let d: Decision;
    if (m.repeat && m.memoStamp === stamp) {
      acc = m.memoA as AccountRoutes;
      d = m.memoB as Decision;
    } else {
      m.memoStamp = -1;
      if (side.size === 0) return;
      // Matched on the routed subject as nats-server does. A JetStream push delivery already
      // travels on its deliver subject; the `$JS.ACK…@<subject>` reply only tells the receiving
      // server which subject to show its client, so it passes through untouched.
      const pinned = conn.pinnedAccount;
      const found = m.as >= 0 ? this.account(m.line, m.as, m.ae) : pinned !== undefined ? this.named(pinned) : undefined;
      if (found === undefined) return;
      acc = found;
      const cache = toProxies ? acc.toProxies : acc.toServers;
      let got = cache.get(m.line, m.ss, m.se);
      if (got === undefined) {
        got = this.decide(acc.name, m.line.toString('latin1', m.ss, m.se), side);
        // Decisions memorized on records stay right: a sweep drops nothing that became wrong.
        if (cache.size >= DECISIONS_MAX) cache.clear();
        cache.set(m.line, m.ss, m.se, got);
      }
      d = got;
      if (m.memoA === undefined) this.memos.set(conn, m);
      m.memoStamp = stamp;
      m.memoA = acc;
      m.memoB = d;
    }
    const targets = d.targets;
    if (targets.length === 0) return;
    if (m.nq === 0) {
      for (let j = 0; j < targets.length; j++) if (d.plain[j] === 1) this.count(targets[j]!.forward(m, conn, null, acc.slot), toProxies);
      return;
    }
    this.assignQueues(m, d);
    const nq = m.nq;
    const assign = this.assign;
    for (let j = 0; j < targets.length; j++) {
      let mine = 0;
      for (let k = 0; k < nq; k++) if (assign[k] === j) mine++;
      if (mine === 0 && d.plain[j] !== 1) continue;
      let sel: Uint8Array | null = null;
      if (mine !== nq) {
        sel = this.sel;
        for (let k = 0; k < nq; k++) sel[k] = assign[k] === j ? 1 : 0;
      }
      this.count(targets[j]!.forward(m, conn, sel, acc.slot), toProxies);
    }
  }

  private count(ok: boolean, toProxies: boolean): void {
    if (!ok) this.stats.copiesDropped++;
    else if (toProxies) this.stats.copiesToProxies++;
    else this.stats.copiesToServers++;
  }

  /** For each queue token of the message, the index of the one target that serves it (-1: none). */
  private assignQueues(m: RoutedMsg, d: Decision): void {
    if (this.assign.length < m.nq) {
      this.assign = new Int32Array(m.nq * 2);
      this.sel = new Uint8Array(m.nq * 2);
    }
    const b = m.line;
    let i = m.qs;
    for (let k = 0; k < m.nq; k++) {
      while (b[i] === 0x20 || b[i] === 0x09) i++;
      let j = i;
      while (j < m.qe && b[j] !== 0x20 && b[j] !== 0x09) j++;
      this.assign[k] = this.pick(d.queues, b, i, j);
      i = j;
    }
  }

  private pick(queues: readonly QueueRoute[], b: Buffer, s: number, e: number): number {
    for (let q = 0; q < queues.length; q++) {
      const qr = queues[q]!;
      const name = qr.name;
      if (name.length !== e - s) continue;
      let same = true;
      for (let x = 0; x < name.length; x++) {
        if (name[x] !== b[s + x]) {
          same = false;
          break;
        }
      }
      if (!same) continue;
      if (qr.targets.length === 1) return qr.targets[0]!;
      let r = this.random() * qr.total;
      for (let x = 0; x < qr.targets.length; x++) {
        r -= qr.weights[x]!;
        if (r < 0) return qr.targets[x]!;
      }
      return qr.targets[qr.targets.length - 1]!;
    }
    this.stats.queueMisses++;
    return -1;
  }
}
