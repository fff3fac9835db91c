// Route gossip (route-protocol.md §6.1): peers of one kind learn of each other through us (servers
// mesh with servers, proxies with proxies, never across), and a gossip INFO naming a server we do
// not know makes us dial it, within bounds a flood of INFOs cannot pass (issue 13): at most
// max_gossiped_routes such routes at once, an address given up on stays refused for a while, and a
// gossiped route expires once no connected peer names it.
import type { Options, RouteUrl } from '../config/options.js';
import type { Logger } from '../log.js';
import { encodeGossipInfo } from '../protocol/encode.js';
import type { RouteInfo } from '../protocol/types.js';
import type { RouteConnection } from './connection.js';
import type { RouteDialer } from './dialer.js';
import type { RoutePeer } from './peer.js';
import type { Refusals } from './refusals.js';

/** How long a gossiped address that was given up on stays refused (the longest retry delay). */
export const GOSSIP_HOLD_MS = 30_000;

/** What gossip needs of the route manager. */
export interface GossipHost {
  closing(): boolean;
  readonly serverId: string;
  peers(): Iterable<RoutePeer>;
  hasPeer(id: string): boolean;
  /** The dialer of an address (dialerKey), configured or gossiped. */
  dialer(key: string): RouteDialer | undefined;
  /** Starts a gossiped dialer; false when the address has one already. */
  solicit(url: RouteUrl, sendClusterAuth: boolean): boolean;
  /** Stops an address's dialer and its pooled/pinned extras. */
  dropDialer(key: string): void;
}

export class Gossip {
  /** Gossiped dialers (key: host:port) → the registered peers that named them; none left = expired. */
  private readonly namedBy = new Map<string, Set<string>>();
  /**
   * Gossiped addresses given up on (never registered) → until when they stay refused. They keep
   * their slot under max_gossiped_routes meanwhile, so a flood of INFOs naming fresh addresses,
   * or one trap address under fresh server_ids, costs at most the cap in dials per hold time.
   */
  private readonly held = new Map<string, number>();

  constructor(
    private readonly host: GossipHost,
    private readonly options: Options,
    private readonly refusals: Refusals,
    private readonly log: Logger,
  ) {}

  /**
   * Tells every other peer of the same kind about a new peer, so servers mesh with servers
   * (and proxies with proxies). Servers never learn of proxies, nor proxies of servers.
   */
  announcePeer(peer: RoutePeer, conn: RouteConnection): void {
    const others = [...this.host.peers()].filter((p) => p !== peer && p.kind === peer.kind);
    if (others.length === 0) return;
    const buf = gossipInfo(peer, conn, undefined);
    for (const other of others) other.main.sendControl(buf);
  }

  /**
   * A peer's pinned-account connection registered: the others of its kind that pool learn it with
   * `route_account`, so they dial their own dedicated connection to it (route.go:forwardNewRouteInfoToKnownServers).
   * Without this, servers meshed through us would never pin `$SYS` between each other.
   */
  announcePinned(peer: RoutePeer, conn: RouteConnection, account: string): void {
    const others = [...this.host.peers()].filter((p) => p !== peer && p.kind === peer.kind && !p.noPool);
    if (others.length === 0) return;
    const buf = gossipInfo(peer, conn, account);
    for (const other of others) (other.pinned.get(account) ?? other.main).sendControl(buf);
  }

  /** A gossip INFO about another server: dial it unless we know it already (§6.1 receiver). */
  received(via: RoutePeer, info: RouteInfo): void {
    if (this.host.closing() || info.server_id === this.host.serverId) return;
    if (info.route_account) return; // pinned gossip while we do not pool
    const url = gossipUrl(info);
    if (!url) return;
    for (const r of this.options.cluster.routes) {
      if (r.host === url.host && r.port === url.port) return; // configured: its own dialer handles it
    }
    const key = dialerKey(url);
    const names = this.namedBy.get(key);
    if (names) {
      names.add(via.id); // one more peer names a route we already solicit: it lives while any does
      return;
    }
    if (this.host.hasPeer(info.server_id) || this.host.dialer(key) !== undefined) return;
    const now = Date.now();
    for (const [k, until] of this.held) if (until <= now) this.held.delete(k);
    if (this.held.has(key)) {
      this.refusals.record('gossip_held', `Gossiped route to ${url.display} (${info.server_id}) via "${via.name}" ignored: given up less than ${GOSSIP_HOLD_MS / 1000} s ago`);
      return;
    }
    const cap = this.options.proxy.maxGossipedRoutes;
    if (cap > 0 && this.namedBy.size + this.held.size >= cap) {
      this.refusals.record('gossip_cap', `Gossiped route to ${url.display} (${info.server_id}) via "${via.name}" ignored: max_gossiped_routes (${cap}) reached`);
      return;
    }
    this.log.debug(`Gossiped route to ${url.display} (${info.server_id}) via "${via.name}"`);
    if (this.host.solicit(url, info.auth_required === true)) this.namedBy.set(key, new Set([via.id]));
  }

  /** A gossiped dialer ran out of attempts: its address is refused for GOSSIP_HOLD_MS, keeping its slot. */
  gaveUp(d: RouteDialer): void {
    const key = dialerKey(d.url);
    this.namedBy.delete(key);
    this.held.set(key, Date.now() + GOSSIP_HOLD_MS);
    this.refusals.record('gossip_gave_up', `Gossiped route to ${d.url.display} given up after ${d.attempt} attempt(s)`, 'info');
  }

  /** A gossiped route nobody registered names any more (the naming peers left). */
  expired(dialer: RouteDialer): boolean {
    if (dialer.explicit) return false;
    const names = this.namedBy.get(dialerKey(dialer.url));
    if (names === undefined || names.size > 0) return false;
    this.refusals.record('gossip_expired', `Gossiped route to ${dialer.url.display} expired: no connected peer names it any more`, 'info');
    return true;
  }

  /** A peer left: gossiped routes only it named stop now, or when their connection closes. */
  forgetNamesBy(peerId: string): void {
    for (const [key, names] of this.namedBy) {
      if (!names.delete(peerId) || names.size > 0) continue;
      const d = this.host.dialer(key);
      if (!d || d.busy) continue; // connected: it expires when that connection closes
      this.expired(d);
      this.host.dropDialer(key);
      this.namedBy.delete(key);
    }
  }

  /** The address's dialer stopped for good. */
  forget(key: string): void {
    this.namedBy.delete(key);
  }

  clear(): void {
    this.namedBy.clear();
  }
}

/**
 * The gossip INFO about a peer, from the INFO of the connection that registered (the peer's first
 * one may be a pinned account's): no nonce, no pool index, `route_account` only for a pinned
 * connection's, and `ip` from the observed address when the peer did not advertise one.
 */
function gossipInfo(peer: RoutePeer, conn: RouteConnection, account: string | undefined): Buffer {
  const info: RouteInfo = { ...(conn.remoteInfo ?? peer.info) };
  delete info.nonce;
  delete info.route_pool_idx;
  delete info.route_account;
  if (account !== undefined) info.route_account = account;
  if (!info.ip) {
    const addr = conn.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '';
    info.ip = `nats-route://${hostPort(addr, info.port ?? 0)}/`;
  }
  return encodeGossipInfo(info);
}

/** The URL to dial for a gossiped server: its `ip` if given, else host:port. */
function gossipUrl(info: RouteInfo): RouteUrl | undefined {
  let host = info.host ?? '';
  let port = info.port ?? 0;
  if (info.ip) {
    try {
      const u = new URL(info.ip);
      host = u.hostname.replace(/^\[|\]$/g, '');
      port = Number(u.port) || port;
    } catch {
      return undefined;
    }
  }
  // A gossiped address is peer input: anything that is not a real port is ignored.
  if (!host || !Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  return { display: `nats-route://${hostPort(host, port)}`, protocol: 'nats-route:', host, port };
}

/** One dialer per address, configured or gossiped. */
export function dialerKey(url: RouteUrl): string {
  return hostPort(url.host, url.port);
}

export function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
