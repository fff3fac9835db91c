// A remote route peer (one server_id). It owns its connections: one no-pool connection, or the
// pooled slots plus one connection per pinned account (route-protocol.md §3, §4). It knows the
// peer's capabilities and which connection carries which account, so callers hand it interest
// and messages without knowing the wire form or the connection.
import type { Interest, RouteInfo } from '../protocol/types.js';
import { VERB_HMSG, VERB_LMSG, VERB_RMSG, type MsgVerb, type RoutedMsg } from '../protocol/msg.js';
import { InterestTable } from '../interest/interest-table.js';
import { interestKey } from '../interest/key.js';
import type { RouteConnection } from './connection.js';
import type { Pausable } from './flow.js';
import type { AccountSlot, PoolLayout } from './pool.js';

/** A nats-server of our own site, or another nats-route-proxy. */
export type PeerKind = 'server' | 'proxy';

export class RoutePeer {
  readonly interest = new InterestTable();
  /** Peers without lnocu only: wire key → the aggregate entries that share it. */
  private readonly collapsed = new Map<string, Map<string, Interest>>();
  readonly connectedAt = Date.now();
  /** Capabilities, read once: they decide the frame form on every message. */
  private readonly lnoc: boolean;
  private readonly headers: boolean;

  /** Pooled connections by pool index (one slot when either side does not pool). */
  readonly slots: Array<RouteConnection | undefined>;
  /** Pinned-account connections by account. */
  readonly pinned = new Map<string, RouteConnection>();
  /** The peer (or we) do not pool: one connection carries every account, with its token (§3.7). */
  readonly noPool: boolean;
  /** The peer's advertised route_pool_size (0: none). */
  readonly remotePoolSize: number;

  constructor(
    readonly id: string,
    readonly kind: PeerKind,
    public info: RouteInfo,
    private readonly layout: PoolLayout,
  ) {
    this.lnoc = info.lnoc === true;
    this.headers = info.headers === true;
    this.remotePoolSize = typeof info.route_pool_size === 'number' && info.route_pool_size > 0 ? info.route_pool_size : 0;
    this.noPool = this.remotePoolSize === 0 || !layout.pooling;
    // 2.11.2+: the effective size is the larger of the two (§3.2).
    this.slots = new Array<RouteConnection | undefined>(this.noPool ? 1 : Math.max(layout.poolSize, this.remotePoolSize)).fill(undefined);
  }

  /** The first pooled connection (or any one): gossip, lame-duck notices and tests use it. */
  get main(): RouteConnection {
    for (const c of this.slots) if (c !== undefined) return c;
    return this.pinned.values().next().value as RouteConnection;
  }

  /** Every live connection of this peer: pooled ones by index, then pinned ones. */
  connections(): RouteConnection[] {
    const out: RouteConnection[] = [];
    for (const c of this.slots) if (c !== undefined) out.push(c);
    for (const c of this.pinned.values()) out.push(c);
    return out;
  }

  get connectionCount(): number {
    let n = this.pinned.size;
    for (const c of this.slots) if (c !== undefined) n++;
    return n;
  }

  /** Pooled connections still missing (the dialer keeps opening them, one per PONG). */
  get poolShort(): boolean {
    for (const c of this.slots) if (c === undefined) return true;
    return false;
  }

  /**
   * The effective pool size after a reload on either side: grows at once, shrinks by the free slots
   * at the end (connections past the new size are being closed by whoever reloaded).
   */
  resizePool(size: number): void {
    if (this.noPool) return;
    while (this.slots.length < size) this.slots.push(undefined);
    while (this.slots.length > size && this.slots[this.slots.length - 1] === undefined) this.slots.pop();
  }

  /** First free slot (a connection we dialed), or -1 when the pool is full. */
  freeSlot(): number {
    return this.slots.indexOf(undefined);
  }

  /** Detaches a closed connection; true when it was one of this peer's. */
  remove(conn: RouteConnection): boolean {
    const account = conn.pinnedAccount;
    if (account !== undefined) {
      if (this.pinned.get(account) !== conn) return false;
      this.pinned.delete(account);
    } else {
      const i = this.slots.indexOf(conn);
      if (i < 0) return false;
      this.slots[i] = undefined;
    }
    this.connectionLost(conn);
    return true;
  }

  /** Where messages of an account go: its pinned connection, else its pooled one (§4.3 when the peer does not pin it). */
  messageConn(acc: AccountSlot): RouteConnection | undefined {
    if (this.noPool) return this.slots[0];
    if (acc.pinned) {
      const c = this.pinned.get(acc.name);
      if (c !== undefined) return c;
    }
    return this.slots[acc.poolIdx];
  }

  /** Where interest of an account goes: a pinned account only on its own connection (or a no-pool one). */
  interestConn(acc: AccountSlot): RouteConnection | undefined {
    if (this.noPool) return this.slots[0];
    if (acc.pinned) return this.pinned.get(acc.name);
    return this.slots[acc.poolIdx];
  }

  /** The connection that carries an account's messages (monitoring and tests; the relay passes its cached slot). */
  accountConn(account: string): RouteConnection | undefined {
    return this.messageConn(this.layout.slot(account));
  }

  /** Whether interest of `account` travels on `conn` (the registration snapshot of that connection). */
  carriesInterest(conn: RouteConnection, account: string): boolean {
    return this.interestConn(this.layout.slot(account)) === conn;
  }

  /** The collapsed-key counts of accounts that travelled on a lost connection start over with its successor's snapshot. */
  private connectionLost(conn: RouteConnection): void {
    if (this.collapsed.size === 0) return;
    for (const [key, group] of this.collapsed) {
      const first = group.values().next().value as Interest | undefined;
      if (first === undefined || this.interestConn(this.layout.slot(first.account)) === undefined) this.collapsed.delete(key);
    }
  }

  get name(): string {
    return this.info.server_name ?? this.id;
  }

  /**
   * Advertises one interest change; `from` is the connection it came from (paused while this
   * peer is congested). A peer without `lnoc` gets leafnode-origin interest as plain RS±
   * (nats-server falls back the same way); LS- carries the origin only with `lnocu`.
   */
  sendInterest(d: Interest, from?: Pausable): void {
    const conn = this.interestConn(this.layout.slot(d.account));
    // No connection for this account yet (or any more): its registration snapshot will carry it.
    if (conn === undefined) return;
    if (this.info.lnocu === true) {
      this.writeInterest(conn, d, from);
      return;
    }
    // Without lnocu a server keys route interest by (account, subject, queue) only, whether it
    // came as RS or as LS from any origin: contributions that collapse onto one key are counted
    // here so that the first adds it, the last removes it, and a queue carries the summed weight.
    const wireKey = interestKey({ account: d.account, subject: d.subject, queue: d.queue });
    const contributor = `${d.leaf ? 'L' : 'R'} ${d.origin ?? ''}`;
    let group = this.collapsed.get(wireKey);
    if (d.add) {
      const first = group === undefined;
      group ??= new Map();
      this.collapsed.set(wireKey, group);
      group.set(contributor, d);
      if (first) this.writeInterest(conn, d, from);
      else if (d.queue !== undefined) this.writeInterest(conn, collapsedQueue(group), from);
      return;
    }
    if (!group?.delete(contributor)) return;
    if (group.size === 0) {
      this.collapsed.delete(wireKey);
      this.writeInterest(conn, d, from);
    } else if (d.queue !== undefined) {
      this.writeInterest(conn, collapsedQueue(group), from);
    }
  }

  private writeInterest(conn: RouteConnection, d: Interest, from: Pausable | undefined): void {
    const op: Interest = { add: d.add, leaf: d.leaf && this.info.lnoc === true, account: d.account, subject: d.subject };
    if (d.queue !== undefined) op.queue = d.queue;
    if (d.weight !== undefined) op.weight = d.weight;
    if (d.origin !== undefined) op.origin = d.origin;
    conn.sendInterestOp(op, from, this.info.lnocu === true);
  }

  /**
   * Forwards a routed message of account `acc` fed by `from`, with the queue groups `sel[k] !== 0`
   * of its list (null: all of them, as received), on the connection that carries the account.
   * The input frame is passed on unchanged unless this connection needs another form (verb, or the
   * account token dropped for a pinned connection / added coming from one). False when it was not
   * queued: no connection carries the account right now, or a slow consumer's bounded queue refused it.
   */
  forward(m: RoutedMsg, from: Pausable, sel: Uint8Array | null, acc: AccountSlot): boolean {
    const conn = this.messageConn(acc);
    if (conn === undefined) return false;
    let verb: MsgVerb = m.verb;
    if (verb === VERB_LMSG && !this.lnoc) verb = VERB_HMSG;
    // A peer without header support gets the payload only (client.go:deliverMsg).
    if (verb !== VERB_RMSG && !this.headers) verb = VERB_RMSG;
    const pinnedOut = conn.pinnedAccount !== undefined;
    const pinnedIn = m.as < 0;
    const account = pinnedOut === pinnedIn ? undefined : pinnedOut ? null : acc.bytes;
    if (verb === m.verb && sel === null && account === undefined) return conn.sendMessage(m, from);
    return conn.sendMessage(m, from, verb, account, sel);
  }
}

/** The add to send for a collapsed queue key: the first contributor's form, the summed weight. */
function collapsedQueue(group: Map<string, Interest>): Interest {
  let weight = 0;
  for (const d of group.values()) weight += d.weight ?? 1;
  const first = group.values().next().value as Interest;
  return { ...first, add: true, weight };
}
