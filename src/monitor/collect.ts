// The ONE place the monitor reads route-layer internals (peers, connections, their stats,
// RTT and pending bytes). Everything else in src/monitor/ works on the plain records below,
// so a renamed field in the route layer is adapted here and nowhere else.
import type { Options } from '../config/options.js';
import type { RouteManager } from '../route/manager.js';
import type { RouteConnection } from '../route/connection.js';
import type { RoutePeer } from '../route/peer.js';
import type { Relay } from '../relay/relay.js';

/** One route connection as the monitor sees it (nats-server's Routez entry plus our extras). */
export interface ConnectionRecord {
  rid: number;
  remoteId: string;
  remoteName: string;
  solicited: boolean;
  configured: boolean;
  ip: string;
  port: number;
  startMs: number;
  lastActivityMs: number;
  /** Undefined until the first PONG. */
  rttMs: number | undefined;
  pendingBytes: number;
  msgsIn: number;
  msgsOut: number;
  /** What the protocol carried (compression would make the wire differ). */
  bytesIn: number;
  bytesOut: number;
  /** What crossed the socket. */
  wireBytesIn: number;
  wireBytesOut: number;
  subscriptions: number;
  subjects: () => string[];
  account: string | undefined;
  compression: string;
  // Proxy-only extras.
  kind: 'server' | 'proxy';
  site: string;
  poolIndex: number;
  pausedMs: number;
  slowConsumers: number;
  msgsDropped: number;
  bytesDropped: number;
  msgsOversize: number;
  reconnects: number;
}

export interface Totals {
  msgsIn: number; msgsOut: number; bytesIn: number; bytesOut: number; slowConsumers: number;
}

const MAX_TRACKED_IDS = 10_000;

/** Per server id: the slots (pool index or pinned account) that have had a connection, and re-registrations. */
const registrations = new Map<string, { slots: Set<string>; reconnects: number }>();

/**
 * Called on each registration event: counts reconnects. A pooled
 * peer registers several connections; only a connection that fills a slot that had one before
 * (the same pool index or pinned account of the same server) is a reconnect.
 */
export function noteRegistration(peer: RoutePeer, conn: RouteConnection): void {
  let r = registrations.get(peer.id);
  if (r === undefined) registrations.set(peer.id, (r = { slots: new Set(), reconnects: 0 }));
  const slot = conn.pinnedAccount !== undefined ? `acc ${conn.pinnedAccount}` : `idx ${conn.poolIdx}`;
  if (r.slots.has(slot)) r.reconnects++;
  else r.slots.add(slot);
  // Server ids change with every restart: keep the most recent ones only.
  if (registrations.size > MAX_TRACKED_IDS) registrations.delete(registrations.keys().next().value as string);
}

export function reconnectsOf(serverId: string): number {
  return registrations.get(serverId)?.reconnects ?? 0;
}

/** Entries of the peer's interest that arrived on one connection (nats-server counts per route connection). */
function connectionInterest(peer: RoutePeer, conn: RouteConnection): { count: number; subjects: () => string[] } {
  let count = 0;
  for (const acc of conn.interestAccounts) count += peer.interest.accountSize(acc);
  const subjects = (): string[] => {
    const out: string[] = [];
    for (const acc of conn.interestAccounts) for (const e of peer.interest.accountEntries(acc)) out.push(e.subject);
    return out;
  };
  return { count, subjects };
}

function record(routes: RouteManager, peer: RoutePeer, conn: RouteConnection): ConnectionRecord {
  const info = peer.info;
  const interest = connectionInterest(peer, conn);
  const ext = (info as { nrp?: { site?: unknown } }).nrp;
  return {
    rid: conn.rid,
    remoteId: peer.id,
    remoteName: info.server_name ?? '',
    solicited: conn.solicited,
    configured: routes.isConfigured(conn),
    ip: conn.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '',
    port: conn.socket.remotePort ?? 0,
    startMs: conn.createdAt,
    lastActivityMs: conn.lastActivityAt,
    rttMs: conn.rttMs,
    pendingBytes: conn.out.pending,
    msgsIn: conn.stats.msgsIn,
    msgsOut: conn.stats.msgsOut,
    bytesIn: conn.stats.bytesIn,
    bytesOut: conn.stats.bytesOut,
    wireBytesIn: conn.bytesInWire,
    wireBytesOut: conn.bytesOutWire,
    subscriptions: interest.count,
    subjects: interest.subjects,
    account: conn.pinnedAccount,
    compression: conn.compressionMode,
    kind: peer.kind,
    site: ext && typeof ext.site === 'string' ? ext.site : '',
    poolIndex: conn.pinnedAccount !== undefined ? -1 : conn.poolIdx,
    pausedMs: Math.round(conn.stats.pausedMs),
    slowConsumers: conn.flow.stats.slowConsumers,
    msgsDropped: conn.stats.msgsDropped,
    bytesDropped: conn.stats.bytesDropped,
    msgsOversize: conn.stats.msgsOversize,
    reconnects: reconnectsOf(peer.id),
  };
}

/** Every registered route connection, one record each (as nats-server lists pooled connections). */
export function collectConnections(routes: RouteManager): ConnectionRecord[] {
  const out: ConnectionRecord[] = [];
  for (const peer of routes.getPeers()) {
    for (const conn of peer.connections()) if (conn.state === 'registered') out.push(record(routes, peer, conn));
  }
  return out;
}

export function totals(conns: readonly ConnectionRecord[]): Totals {
  const t: Totals = { msgsIn: 0, msgsOut: 0, bytesIn: 0, bytesOut: 0, slowConsumers: 0 };
  for (const c of conns) {
    t.msgsIn += c.msgsIn; t.msgsOut += c.msgsOut; t.bytesIn += c.bytesIn; t.bytesOut += c.bytesOut;
    t.slowConsumers += c.slowConsumers;
  }
  return t;
}

export interface Identity {
  serverId: string; serverName: string; clusterName: string; listenHost: string; listenPort: number;
  advertise: string | undefined; routeUrls: string[]; poolSize: number;
}

export function identity(routes: RouteManager, options: Options): Identity {
  return {
    serverId: routes.serverId,
    serverName: routes.identity.serverName,
    clusterName: routes.identity.clusterName,
    listenHost: options.cluster.host,
    listenPort: routes.listenPort,
    advertise: options.cluster.advertise,
    poolSize: options.cluster.poolSize,
    // nats-server lists the configured route URLs as host:port (no scheme, no credentials).
    routeUrls: options.cluster.routes.map((r) => (r.host.includes(':') ? `[${r.host}]:${r.port}` : `${r.host}:${r.port}`)),
  };
}

/** Readiness: the listener is bound and every configured route (servers and proxy peers) is registered. */
export function readiness(routes: RouteManager): { ready: boolean; problems: string[] } {
  const problems: string[] = [];
  if (routes.listenPort === 0) problems.push('route listener is not bound');
  for (const r of routes.configuredRoutes()) if (!r.registered) problems.push(`route ${r.url} is not connected`);
  return { ready: problems.length === 0, problems };
}

export function relayStats(relay: Relay): Relay['stats'] {
  return relay.stats;
}

/** Peers connected by kind, for STATUS= lines and logs. */
export function peerCounts(routes: RouteManager): { servers: number; proxies: number } {
  let servers = 0;
  let proxies = 0;
  for (const p of routes.getPeers()) if (p.kind === 'proxy') proxies++; else servers++;
  return { servers, proxies };
}
