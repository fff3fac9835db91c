// The route layer's owner: listener, dialers, registered peers, duplicate and self-route
// detection and cluster-name rules (route-protocol.md §1.6, §1.7); gossip (§6) is gossip.ts.
// Relay policy is not decided here: an observer (the relay) is told about peers,
// interest and messages, and decides what goes where.
import type net from 'node:net';
import type { Options, RouteTlsOptions, RouteUrl } from '../config/options.js';
import type { Logger } from '../log.js';
import { encodeGossipInfo } from '../protocol/encode.js';
import type { RoutedMsg } from '../protocol/msg.js';
import type { Interest, RouteConnect, RouteInfo } from '../protocol/types.js';
import { checkRouteCredentials, MAX_AUTH_CHECKS, prepareRouteCredentials, verifyRouteCredentials } from './auth.js';
import { RouteConnection, type ConnectionOwner, type RegisterVerdict } from './connection.js';
import { RouteDialer } from './dialer.js';
import { RouteListener } from './listener.js';
import { buildLocalConnect, buildLocalInfo, type LocalIdentity } from './local-info.js';
import { RoutePeer, type PeerKind } from './peer.js';
import { newServerId, nuid } from './ids.js';
import { CLUSTER_TLS_INSECURE_WARNING, RouteTls } from './tls.js';
import { Refusals } from './refusals.js';
import { MemoryBudget } from './memory-budget.js';
import { InterestLimits } from './interest-limits.js';
import { connectionCap, readFdLimit } from './fd-limit.js';
import { routeClosed, routeRegistered } from './events.js';
import { CloseReasons } from './close-reason.js';
import { PoolErrors, PoolLayout } from './pool.js';
import { dialerKey, Gossip, hostPort } from './gossip.js';

// A TLS handshake fails before there is a route connection to close: its log line carries the code.
const TLS_FAILURE = { code: CloseReasons.TLSHandshakeError.code, reason: CloseReasons.TLSHandshakeError.label };

/** What the relay (or a test) learns from the route layer. */
export interface RouteObserver {
  /** The peer's first connection registered. */
  peerRegistered(peer: RoutePeer): void;
  /** A further connection (pooled or pinned) of a registered peer: it needs the interest of its accounts. */
  connectionAdded?(peer: RoutePeer, conn: RouteConnection): void;
  /** One of several connections closed; the interest it delivered was withdrawn just before. */
  connectionRemoved?(peer: RoutePeer, conn: RouteConnection): void;
  /** A reload moved an account to another connection of each peer: its interest must be sent there. */
  accountMoved?(account: string): void;
  /** The peer left; whatever interest it had is gone with it. */
  peerRemoved(peer: RoutePeer): void;
  /** Called only when the op changed the peer's interest table. */
  interest(peer: RoutePeer, change: Interest): void;
  /** `msg` is the parser's reused record, valid only during the call; `conn` is where it came from. */
  message(peer: RoutePeer, conn: RouteConnection, msg: RoutedMsg): void;
}

export interface PeerSnapshot {
  serverId: string;
  serverName: string;
  kind: PeerKind;
  rid: number;
  solicited: boolean;
  url?: string;
  remoteAddress: string;
  remotePort: number;
  /** The port the peer listens on for routes (from its INFO). */
  routePort?: number;
  connectedAt: string;
  rttMs?: number;
  msgsIn: number;
  bytesIn: number;
  msgsOut: number;
  bytesOut: number;
  msgsDropped: number;
  pendingBytes: number;
  interestCount: number;
  /** No pooling with this peer (it or we do not pool): one connection carries every account. */
  noPool: boolean;
  /** Every connection of the peer: pooled ones by index, then pinned ones. */
  connections: ConnectionSnapshot[];
}

export interface ConnectionSnapshot {
  rid: number;
  /** Pool index; -1 for a pinned-account connection. */
  poolIdx: number;
  account?: string;
  solicited: boolean;
  msgsIn: number;
  msgsOut: number;
  bytesIn: number;
  bytesOut: number;
  pendingBytes: number;
  /** Entries of the peer's interest that arrived on this connection. */
  interestCount: number;
}

const HANDSHAKE_TIMEOUT_MS = 10_000;
/** A CONNECT refused because too many password checks are in flight is closed after this delay. */
const AUTH_BUSY_CLOSE_MS = 1_000;

export class RouteManager implements ConnectionOwner {
  readonly identity: LocalIdentity;
  /** Process-wide memory budget of every connection (proxy.max_memory). */
  readonly memory: MemoryBudget;
  private readonly listener: RouteListener;
  private readonly peers = new Map<string, RoutePeer>();
  private readonly connections = new Set<RouteConnection>();
  /** Every socket until its 'close' (a closed connection's socket may still be draining). */
  private readonly sockets = new Set<net.Socket>();
  private readonly dialers = new Map<string, RouteDialer>(); // key: host:port
  /** Further dialers of an address: pooled connections past the first, pinned accounts' (key: host:port). */
  private readonly extraDialers = new Map<string, Set<RouteDialer>>();
  /** pool_size and pinned accounts: which connection of a peer carries which account. */
  readonly pool: PoolLayout;
  /** Dialer whose connection was closed as a duplicate, waiting for that peer to go. */
  private readonly attached = new Map<string, RouteDialer[]>(); // key: server_id
  private readonly dialerOf = new WeakMap<RouteConnection, RouteDialer>();
  private readonly gossip: Gossip;
  /** What was refused to protect the daemon (counts for monitoring; logs throttled). */
  readonly refusals: Refusals;
  private readonly interestLimits: InterestLimits;
  observer: RouteObserver | undefined;
  /** Route TLS when cluster.tls is set: every connection, both roles, TLS before any protocol byte. */
  readonly tls: RouteTls | undefined;
  private closing = false;
  /** The port the listener is bound to (identity.port is what we advertise). */
  listenPort = 0;

  constructor(
    private readonly options: Options,
    private readonly log: Logger,
    serverId = newServerId(),
  ) {
    const c = options.cluster;
    this.identity = {
      serverId,
      serverName: options.serverName,
      clusterName: c.name,
      clusterDynamic: c.nameDynamic,
      host: c.host,
      port: c.port,
    };
    this.memory = new MemoryBudget(options.proxy.maxMemory);
    this.pool = new PoolLayout(c.poolSize, c.accounts);
    this.refusals = new Refusals(log);
    this.interestLimits = new InterestLimits(options.proxy.maxInterestPerConnection, options.proxy.maxInterestPerAccount, this.refusals);
    this.gossip = new Gossip({
      closing: () => this.closing,
      serverId,
      peers: () => this.peers.values(),
      hasPeer: (id) => this.peers.has(id),
      dialer: (key) => this.dialers.get(key),
      solicit: (url, sendClusterAuth) => this.solicit(url, false, sendClusterAuth) !== undefined,
      dropDialer: (key) => {
        this.dialers.get(key)?.stop();
        this.dialers.delete(key);
        this.stopExtras(key);
      },
    }, options, this.refusals, log);
    this.listener = new RouteListener((socket) => this.accept(socket), {
      refused: (socket) => this.refusals.record('connection_cap',
        `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'} - Route connection refused: max_connections (${this.listener.maxConnections}) reached`),
      acceptError: (err) => this.refusals.record('accept_error', `Temporary Route Accept Error (${err.code ?? err.message}): ${err.message}`, 'error'),
    }, !c.tls);
    if (c.tls) {
      this.tls = new RouteTls(c.tls, () => this.options.cluster.routes.map((r) => r.host), {
        secure: (socket) => this.startAccepted(socket),
        failed: (address, reason) => this.log.error(TLS_FAILURE, `${address} - TLS route handshake error: ${reason}`),
      });
      if (c.tls.insecure) this.log.warn(CLUSTER_TLS_INSECURE_WARNING);
    }
  }

  /**
   * Re-reads the route certificate, key and CA (SIGHUP): new connections use them, established
   * routes keep theirs. Throws a ProxyError (and changes nothing) when the files are bad.
   */
  reloadTls(opts: RouteTlsOptions): void {
    if (!this.tls) throw new Error('reloadTls: route TLS is not configured');
    this.tls.reload(opts);
    this.log.info('Reloaded: cluster TLS certificates');
  }

  get serverId(): string {
    return this.identity.serverId;
  }

  async start(): Promise<{ host: string; port: number }> {
    const c = this.options.cluster;
    prepareRouteCredentials(c.authorization);
    const p = this.options.proxy;
    const { cap, warning } = connectionCap(readFdLimit(), p.maxConnections, p.maxGossipedRoutes + c.routes.length);
    if (warning) this.log.warn(warning);
    this.listener.maxConnections = cap;
    const bound = await this.listener.listen(c.host, c.port);
    this.listenPort = bound.port;
    this.identity.port = bound.port;
    this.applyAdvertise();
    this.log.info(`Listening for route connections on ${hostPort(bound.host, bound.port)}`);
    for (const url of c.routes) this.solicit(url, true);
    return bound;
  }

  private applyAdvertise(): void {
    const adv = this.options.cluster.advertise;
    if (!adv) return;
    // `host`, `host:port` or `[v6]:port`; a missing, 0 or -1 port means our listen port.
    const m = /^(\[[^\]]+\]|[^:]+)(?::(-?\d+))?$/.exec(adv);
    const host = (m?.[1] ?? adv).replace(/^\[|\]$/g, '');
    let port = m?.[2] ? Number(m[2]) : 0;
    if (port <= 0) port = this.identity.port;
    this.identity.host = host;
    this.identity.port = port;
    this.identity.ip = `nats-route://${hostPort(host, port)}/`;
  }

  // ── connections ────────────────────────────────────────────────────

  private localInfo = (): RouteInfo => buildLocalInfo(this.identity, this.options);

  private settings(authTimeout: boolean) {
    const c = this.options.cluster;
    return {
      localInfo: this.localInfo,
      authTimeoutMs: authTimeout && c.authorization ? c.authTimeoutMs : undefined,
      handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS,
      pingIntervalMs: c.pingIntervalMs,
      pingMax: c.pingMax,
      maxPending: this.options.proxy.maxPending,
      budget: this.memory,
      compression: { ...c.compression, lz4: this.options.proxy.lz4 },
      flow: {
        slabSize: this.options.proxy.slabSize,
        highWater: this.options.proxy.highWater,
        lowWater: this.options.proxy.lowWater,
        stallMs: this.options.proxy.stallMs,
        writeDeadlineMs: c.writeDeadlineMs,
        writeTimeout: c.writeTimeout,
      },
    };
  }

  private accept(socket: net.Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    this.track(socket);
    if (this.tls) {
      // TLS first: our INFO goes out only after the handshake and the peer certificate checks.
      this.tls.accept(socket);
      return;
    }
    this.startAccepted(socket);
  }

  private startAccepted(socket: net.Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    const conn = new RouteConnection(socket, false, this, this.settings(true), this.log);
    this.connections.add(conn);
    conn.start();
  }

  private track(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  }

  private solicit(url: RouteUrl, explicit: boolean, sendClusterAuth = false): RouteDialer | undefined {
    const key = dialerKey(url);
    if (this.dialers.has(key)) return undefined;
    const c = this.options.cluster;
    const dialer = new RouteDialer(
      url,
      { explicit, connectRetries: c.connectRetries, connectBackoff: c.connectBackoff, sendClusterAuth, reuseReads: !this.tls },
      this.log,
      (socket, d) => this.dialed(socket, d),
      (d) => this.gaveUp(d),
    );
    this.dialers.set(key, dialer);
    dialer.start();
    return dialer;
  }

  private gaveUp(d: RouteDialer): void {
    const key = dialerKey(d.url);
    if (this.dialers.get(key) === d) this.dialers.delete(key);
    this.gossip.gaveUp(d);
  }

  private dialed(socket: net.Socket, dialer: RouteDialer): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    if (this.tls) {
      this.track(socket);
      this.tls.connect(socket, dialer.url).then(
        (secure) => this.startDialed(secure, dialer),
        (err: Error) => {
          if (this.closing || dialer.isStopped) return;
          this.log.error(TLS_FAILURE, `${dialer.url.display} - TLS route handshake error: ${err.message}`);
          dialer.notEstablished(err);
        },
      );
      return;
    }
    this.startDialed(socket, dialer);
  }

  private startDialed(socket: net.Socket, dialer: RouteDialer): void {
    if (this.closing || dialer.isStopped) {
      socket.destroy();
      return;
    }
    if (socket.destroyed) {
      // Rejected between the handshake and now (TLS 1.3 alert): no connection to build.
      const why = this.tls?.lateRejection(socket) ?? 'connection closed before the route handshake';
      this.log.error(TLS_FAILURE, `${dialer.url.display} - TLS route handshake error: ${why}`);
      dialer.notEstablished(new Error(why));
      return;
    }
    // Explicit routes carry their own credentials; a discovered one gets our cluster authorization
    // only when its gossip said it requires auth (as nats-server does): our password never goes
    // to an address a peer merely named.
    const authz = this.options.cluster.authorization;
    const creds = dialer.explicit
      ? { user: dialer.url.user, password: dialer.url.password }
      : dialer.sendClusterAuth && authz ? { user: authz.user, password: authz.password } : {};
    const settings = {
      ...this.settings(false),
      localConnect: buildLocalConnect(this.identity, this.options, creds),
      pinnedAccount: dialer.account,
    };
    this.track(socket);
    const conn = new RouteConnection(socket, true, this, settings, this.log, dialer.url.display);
    this.connections.add(conn);
    this.dialerOf.set(conn, dialer);
    conn.start();
  }

  // ── ConnectionOwner ────────────────────────────────────────────────

  async checkConnect(conn: RouteConnection, connect: RouteConnect) {
    // Order as nats-server: authentication first, then account, lang, gateway, cluster name (§1.6).
    // With verify_and_map / verify_cert_and_check_known_urls the certificate alone decides (§8.1).
    const tlsOpts = this.tls?.options;
    if (tlsOpts && (tlsOpts.verifyAndMap || tlsOpts.verifyCertAndCheckKnownUrls)) {
      const why = this.tls!.authorizeByCertificate(conn.socket, this.options.cluster.authorization?.user);
      if (why !== undefined) {
        this.log.error(`${conn.label} - Authorization Error: ${why}`);
        return { errText: 'Authorization Violation', reason: CloseReasons.AuthenticationViolation };
      }
    } else {
      const verdict = await verifyRouteCredentials(this.options.cluster.authorization, connect.user, connect.pass);
      if (verdict === 'busy') {
        // Closed without -ERR: the peer did nothing wrong. The close waits a second, since a nats-server
        // that got our INFO counts the route as registered and would redial at once, many times a second.
        this.refusals.record('auth_busy', `${conn.label} - Route connection refused: ${MAX_AUTH_CHECKS} password checks already in flight`);
        await new Promise((r) => setTimeout(r, AUTH_BUSY_CLOSE_MS).unref());
        return { reason: CloseReasons.AuthenticationBusy };
      }
      if (verdict !== 'ok') {
        this.log.error(`${conn.label} - Authorization Error`);
        return { errText: 'Authorization Violation', reason: CloseReasons.AuthenticationViolation };
      }
    }
    if (connect.account !== undefined || connect.new_account !== undefined) {
      return { errText: 'Authorization Violation', reason: CloseReasons.AuthenticationViolation, detail: 'account in route CONNECT' };
    }
    if (connect.lang !== undefined) {
      return { errText: 'attempted to connect to route port', reason: CloseReasons.WrongPort };
    }
    if (connect.gateway !== undefined && connect.gateway !== '') {
      return {
        errText: `Rejecting connection from gateway "${connect.gateway}" on the Route port`,
        reason: CloseReasons.WrongGateway,
      };
    }
    const remoteCluster = connect.cluster ?? '';
    if (remoteCluster !== this.identity.clusterName) {
      if (this.adoptClusterName(remoteCluster, connect.cluster_dynamic === true)) return undefined;
      return {
        errText: `Rejecting connection, cluster name "${remoteCluster}" does not match "${this.identity.clusterName}"`,
        reason: CloseReasons.ClusterNameConflict,
      };
    }
    return undefined;
  }

  /** A dynamic local name yields to a configured one, or to the greater dynamic one (§6.6). */
  private adoptClusterName(remote: string, remoteDynamic: boolean): boolean {
    if (!this.identity.clusterDynamic || remote === '') return false;
    if (remoteDynamic && !(this.identity.clusterName < remote)) return false;
    this.log.info(`Cluster name updated to ${remote}`);
    this.identity.clusterName = remote;
    if (!remoteDynamic) this.identity.clusterDynamic = false;
    return true;
  }

  register(conn: RouteConnection, info: RouteInfo): RegisterVerdict {
    if (typeof info.server_id !== 'string' || info.server_id === '') {
      return { ok: false, reason: CloseReasons.ProtocolViolation, detail: 'INFO without server_id' };
    }
    const id = info.server_id;
    if (id === this.identity.serverId) {
      this.log.debug(`${conn.label} - Detected route to self, ignoring ${conn.url ?? ''}`);
      return { ok: false, reason: CloseReasons.DuplicateRoute, noReconnect: true };
    }
    if (info.cluster && info.cluster !== this.identity.clusterName
      && !this.adoptClusterName(info.cluster, info.cluster_dynamic === true)) {
      return { ok: false, reason: CloseReasons.ClusterNameConflict };
    }
    if (!conn.solicited && info.server_name && info.server_name === this.identity.serverName) {
      this.log.error(`${conn.label} - Remote server has a duplicate name: "${info.server_name}"`);
      return { ok: false, reason: CloseReasons.DuplicateServerName };
    }
    // Pool and pinned-account rules of route.go:addRoute, with 2.11.2+'s effective size (§3.2-§3.7, §4.1).
    const remotePool = typeof info.route_pool_size === 'number' && info.route_pool_size > 0 ? info.route_pool_size : 0;
    const noPool = remotePool === 0 || !this.pool.pooling;
    const effective = noPool ? 1 : Math.max(this.pool.poolSize, remotePool);
    const account = conn.solicited ? conn.pinnedAccount : info.route_account || undefined;
    let idx = 0;
    if (account !== undefined) {
      if (noPool) {
        return { ok: false, errText: PoolErrors.noDedicated(account), reason: CloseReasons.ProtocolViolation, detail: 'dedicated account route without pooling', noReconnect: true };
      }
      if (!this.pool.isPinned(account)) {
        return { ok: false, errText: PoolErrors.noRouteForAccount(account), reason: CloseReasons.ProtocolViolation, detail: 'account not pinned here' };
      }
    } else if (!noPool) {
      const asked = info.route_pool_idx ?? 0;
      if (conn.solicited && asked !== 0) {
        return { ok: false, errText: PoolErrors.indexSet(asked), reason: CloseReasons.ProtocolViolation };
      }
      if (!conn.solicited && (!Number.isInteger(asked) || asked < 0 || asked >= effective)) {
        return { ok: false, errText: PoolErrors.invalidIndex(asked, remotePool), reason: CloseReasons.ProtocolViolation };
      }
      idx = asked;
    }
    let peer = this.peers.get(id);
    if (peer !== undefined && peer.noPool !== noPool) return { ok: false, reason: CloseReasons.DuplicateRoute };
    if (peer === undefined) {
      const kind: PeerKind = info.nrp !== undefined || conn.remoteConnect?.nrp !== undefined ? 'proxy' : 'server';
      peer = new RoutePeer(id, kind, info, this.pool);
    } else if (account === undefined && noPool) {
      // One connection per no-pool peer: the first registered wins; a solicited loser hands its URL to the winner.
      return { ok: false, reason: CloseReasons.DuplicateRoute, noReconnect: !this.park(conn, id) };
    }
    if (account !== undefined) {
      // A second dedicated connection for the same account and peer is closed for good (handleDuplicateRoute).
      if (peer.pinned.has(account)) return { ok: false, reason: CloseReasons.DuplicateRoute, noReconnect: true };
      if (!conn.solicited) conn.setPinned(account);
      peer.pinned.set(account, conn);
    } else if (noPool) {
      peer.slots[0] = conn;
      conn.poolIdx = 0;
    } else {
      peer.resizePool(effective);
      if (conn.solicited) {
        idx = peer.freeSlot();
        if (idx < 0) {
          this.log.debug(`${conn.label} - Route pool size reached, closing extra connection to "${id}"`);
          // The address's own dialer can lose the race for the last slot to its pooled extras (they
          // all redial at once after a reload closed the pool): it waits for the peer instead of
          // stopping, which would stop the extras too and leave nobody to redial.
          return { ok: false, reason: CloseReasons.DuplicateRoute, noReconnect: !this.park(conn, id) };
        }
      } else if (peer.slots[idx] !== undefined) {
        return { ok: false, reason: CloseReasons.DuplicateRoute };
      }
      peer.slots[idx] = conn;
      conn.poolIdx = idx;
    }
    this.peers.set(id, peer);
    conn.peer = peer;
    if (peer.kind === 'proxy') conn.towardsProxy();
    const dir = conn.solicited ? 'solicited' : 'accepted';
    const where = account !== undefined ? `, account "${account}"` : noPool ? ', no pool' : `, pool index ${conn.poolIdx} of ${effective}`;
    this.log.info(`${conn.label} - Route connection registered: ${dir} ${peer.kind} "${peer.name}" (${id}${where})`);
    return { ok: true };
  }

  /**
   * A solicited connection lost to one the peer already has: its dialer, if it is the address's
   * own (not an extra), stays with the peer and redials when the peer's last connection closes.
   * False when there is no such dialer (the connection's close then stops an extra's for good).
   */
  private park(conn: RouteConnection, peerId: string): boolean {
    const dialer = this.dialerOf.get(conn);
    if (!dialer || dialer.isStopped || dialer.extra) return false;
    this.dialerOf.delete(conn);
    dialer.busy = true;
    const waiting = this.attached.get(peerId) ?? [];
    waiting.push(dialer);
    this.attached.set(peerId, waiting);
    return true;
  }

  activated(conn: RouteConnection): void {
    const peer = conn.peer;
    if (!peer) return;
    const first = peer.connectionCount === 1;
    if (conn.pinnedAccount !== undefined) this.gossip.announcePinned(peer, conn, conn.pinnedAccount);
    else if (peer.slots.filter((c) => c !== undefined).length === 1) this.gossip.announcePeer(peer, conn);
    if (first) this.observer?.peerRegistered(peer);
    else this.observer?.connectionAdded?.(peer, conn);
    if (routeRegistered.hasSubscribers) routeRegistered.publish({ peer, conn });
    if (conn.state !== 'registered' || !conn.solicited || peer.noPool || conn.pinnedAccount !== undefined) return;
    // We dialed a pooling peer: the next pooled connection after the PONG to this PING (§3.4), and
    // each pinned account's own connection, dialed alongside.
    if (peer.poolShort) conn.sendPoolPing();
    const dialer = this.dialerOf.get(conn);
    if (!dialer) return;
    for (const acc of this.pool.pinnedAccounts) if (!peer.pinned.has(acc)) this.solicitExtra(dialer, acc);
  }

  poolPong(conn: RouteConnection): void {
    const dialer = this.dialerOf.get(conn);
    if (dialer && conn.peer?.poolShort && !this.closing) this.solicitExtra(dialer, undefined);
  }

  /**
   * Another connection to a dialer's address: the next pooled one (`account` undefined) or a pinned
   * account's. Each reconnects on its own like nats-server's; a pooled one that is already waiting to
   * redial fills the gap itself, so connection attempts per address stay bounded.
   */
  private solicitExtra(base: RouteDialer, account: string | undefined): void {
    const key = dialerKey(base.url);
    let set = this.extraDialers.get(key);
    if (set === undefined) this.extraDialers.set(key, (set = new Set()));
    for (const d of set) {
      if (d.isStopped) continue;
      if (account !== undefined ? d.account === account : d.account === undefined && !d.busy) return;
    }
    if (set.size >= EXTRA_DIALERS_MAX) return;
    const c = this.options.cluster;
    const d = new RouteDialer(
      base.url,
      { explicit: base.explicit, connectRetries: c.connectRetries, connectBackoff: c.connectBackoff, sendClusterAuth: base.sendClusterAuth, account, extra: true, reuseReads: !this.tls },
      this.log,
      (socket, x) => this.dialed(socket, x),
      (x) => this.extraDialers.get(key)?.delete(x),
    );
    set.add(d);
    d.start();
  }

  private stopExtras(key: string): void {
    const set = this.extraDialers.get(key);
    if (!set) return;
    for (const d of set) d.stop();
    this.extraDialers.delete(key);
  }

  asyncInfo(conn: RouteConnection, info: RouteInfo): void {
    const peer = conn.peer;
    if (!peer) return;
    if (info.route_acc_add_reqid) {
      // A pooling server pins an account at runtime (§4.4): the account's interest from the pooled
      // connection is dropped (its dedicated connection will bring it), then the same INFO is echoed
      // with route_account cleared.
      const { route_account: acc, ...answer } = info;
      if (!acc) {
        // The answer to our own request (a reload pinned an account here).
        if (this.pinRequest?.id === info.route_acc_add_reqid && --this.pinRequest.pending <= 0) this.pinRequest.done();
        return;
      }
      if (!peer.noPool && conn.pinnedAccount === undefined) this.withdrawAccount(peer, acc);
      conn.sendControl(encodeGossipInfo(answer as RouteInfo));
      return;
    }
    if (info.gateway) return; // gateway gossip: we run no gateways
    if (info.server_id !== peer.id) {
      this.gossip.received(peer, info);
      return;
    }
    if (info.ldm) this.log.info(`${conn.label} - Peer "${peer.name}" entered lame duck mode`);
  }

  interest(conn: RouteConnection, op: Interest): void {
    const peer = conn.peer;
    if (!peer || !this.interestLimits.admit(peer, op)) return;
    if (op.add) conn.interestAccounts.add(op.account);
    const before = peer.interest.size;
    const change = peer.interest.apply(op);
    if (change === undefined) return;
    this.interestLimits.applied(peer, change, peer.interest.size - before);
    this.observer?.interest(peer, change);
  }

  message(conn: RouteConnection, msg: RoutedMsg): void {
    const peer = conn.peer;
    if (peer && this.observer) this.observer.message(peer, conn, msg);
    else msg.memoStamp = -1; // not relayed (RoutedMsg.repeat)
  }

  closed(conn: RouteConnection, reason: string): void {
    this.connections.delete(conn);
    const peer = conn.peer;
    const dialer = this.dialerOf.get(conn);
    if (routeClosed.hasSubscribers) routeClosed.publish({ conn, reason, peer });
    if (peer && this.peers.get(peer.id) === peer && peer.remove(conn)) {
      if (peer.connectionCount === 0) {
        this.peers.delete(peer.id);
        this.observer?.peerRemoved(peer);
        for (const d of this.attached.get(peer.id) ?? []) this.redial(d, conn, false);
        this.attached.delete(peer.id);
        this.gossip.forgetNamesBy(peer.id);
      } else {
        // One connection of several: only its accounts see a gap (their interest goes until it is back).
        for (const acc of conn.interestAccounts) {
          if (!peer.connections().some((c) => c.interestAccounts.has(acc))) this.withdrawAccount(peer, acc);
        }
        this.observer?.connectionRemoved?.(peer, conn);
      }
    }
    if (dialer) this.redial(dialer, conn, true);
  }

  /** Withdraws what a peer advertised for one account, as if each entry had been removed by RS-/LS-. */
  private withdrawAccount(peer: RoutePeer, account: string): void {
    for (const change of peer.interest.clearAccount(account)) {
      this.interestLimits.applied(peer, change, -1);
      this.observer?.interest(peer, change);
    }
  }

  /** `own`: the closed connection is the dialer's (not the winner of a duplicate it lost to). */
  private redial(dialer: RouteDialer, conn: RouteConnection, own: boolean): void {
    if (this.closing) return;
    const key = dialerKey(dialer.url);
    if (conn.noReconnect || dialer.isStopped || this.gossip.expired(dialer)) {
      dialer.stop();
      if (dialer.extra) {
        this.extraDialers.get(key)?.delete(dialer);
        return;
      }
      if (this.dialers.get(key) === dialer) this.dialers.delete(key);
      this.gossip.forget(key);
      this.stopExtras(key);
      return;
    }
    if (own && conn.remoteInfo === undefined) {
      // Never came up (a TLS 1.3 certificate rejection arrives only now, the handshake was
      // refused, or the peer accepted and closed): a failed attempt with the retry rules and
      // backoff, not a reconnect.
      const late = this.tls?.lateRejection(conn.socket);
      if (late !== undefined) this.log.error(TLS_FAILURE, `${dialer.url.display} - TLS route handshake error: ${late}`);
      dialer.notEstablished(new Error(late ?? conn.closeReason ?? 'route not established'));
      return;
    }
    if (own) dialer.connectionClosed(true, Date.now() - conn.createdAt, conn.closeLabel === CloseReasons.RouteError.label);
    else dialer.reconnect();
  }

  // ── inspection and shutdown ────────────────────────────────────────

  getPeers(): RoutePeer[] {
    return [...this.peers.values()];
  }

  getPeer(id: string): RoutePeer | undefined {
    return this.peers.get(id);
  }

  snapshot(): PeerSnapshot[] {
    return this.getPeers().map((p) => {
      const c = p.main;
      const s: PeerSnapshot = {
        serverId: p.id,
        serverName: p.name,
        kind: p.kind,
        rid: c.rid,
        solicited: c.solicited,
        remoteAddress: c.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '',
        remotePort: c.socket.remotePort ?? 0,
        connectedAt: new Date(p.connectedAt).toISOString(),
        msgsIn: c.stats.msgsIn,
        bytesIn: c.stats.bytesIn,
        msgsOut: c.stats.msgsOut,
        bytesOut: c.stats.bytesOut,
        msgsDropped: c.stats.msgsDropped,
        pendingBytes: c.out.pending,
        interestCount: p.interest.size,
        noPool: p.noPool,
        connections: p.connections().map((x) => connectionSnapshot(p, x)),
      };
      if (c.url) s.url = c.url;
      if (p.info.port !== undefined) s.routePort = p.info.port;
      if (c.rttMs !== undefined) s.rttMs = c.rttMs;
      return s;
    });
  }

  /** The routes we are soliciting (configured or gossiped) and how far each has got. */
  solicitations(): Array<{ url: string; explicit: boolean; attempt: number; connected: boolean; dials: number; account?: string; extra: boolean }> {
    const all = [...this.dialers.values()];
    for (const set of this.extraDialers.values()) all.push(...set);
    return all.map((d) => {
      const s = { url: d.url.display, explicit: d.explicit, attempt: d.attempt, connected: d.busy, dials: d.dials, extra: d.extra };
      return d.account !== undefined ? { ...s, account: d.account } : s;
    });
  }

  // ── reload and health (ops; new methods, the ones above keep their shape) ───────────

  /** Each explicit route and whether a registered connection serves it (directly or as the kept duplicate). */
  configuredRoutes(): Array<{ url: string; registered: boolean }> {
    const serving = new Set<RouteDialer>();
    for (const conn of this.connections) {
      const d = this.dialerOf.get(conn);
      if (d && conn.state === 'registered') serving.add(d);
    }
    for (const list of this.attached.values()) for (const d of list) serving.add(d);
    return this.options.cluster.routes.map((r) => {
      const d = this.dialers.get(dialerKey(r));
      return { url: r.display, registered: d !== undefined && serving.has(d) };
    });
  }

  /**
   * Reload: the explicit route list becomes `routes`. New ones are dialed; removed ones stop
   * redialing and their connections close ("Route Removed", as nats-server); the others are untouched.
   */
  updateRoutes(routes: RouteUrl[]): { added: string[]; removed: string[] } {
    const next = new Map(routes.map((r) => [dialerKey(r), r]));
    const before = new Map(this.options.cluster.routes.map((r) => [dialerKey(r), r]));
    const added: string[] = [];
    const removed: string[] = [];
    this.options.cluster.routes = routes;
    for (const [key, r] of before) {
      if (next.has(key) && sameCredentials(next.get(key)!, r)) continue;
      removed.push(r.display);
      const d = this.dialers.get(key);
      if (!d) continue;
      d.stop();
      this.dialers.delete(key);
      const extras = this.extraDialers.get(key) ?? new Set<RouteDialer>();
      this.stopExtras(key);
      for (const [id, list] of this.attached) {
        const rest = list.filter((x) => x !== d);
        if (rest.length > 0) this.attached.set(id, rest); else this.attached.delete(id);
      }
      for (const conn of this.connections) {
        const by = this.dialerOf.get(conn);
        if (by === d || (by !== undefined && extras.has(by))) conn.close(CloseReasons.RouteRemoved, undefined);
      }
    }
    if (!this.closing) {
      for (const [key, r] of next) {
        if (before.has(key) && sameCredentials(before.get(key)!, r)) continue;
        added.push(r.display);
        const d = this.dialers.get(key);
        if (d && !d.explicit) { d.stop(); this.dialers.delete(key); } // a gossiped dialer yields to the configured one
        this.solicit(r, true);
      }
    }
    return { added, removed };
  }

  /**
   * Reload: new cluster authorization (and permissions). Accepted routes whose CONNECT no longer
   * passes are closed; solicited ones keep the credentials of their URL. Resolves with how many closed.
   */
  async updateAuthorization(authorization: Options['cluster']['authorization']): Promise<number> {
    this.options.cluster.authorization = authorization;
    let closed = 0;
    for (const conn of [...this.connections]) {
      if (conn.solicited || conn.state !== 'registered') continue;
      const ok = await checkRouteCredentials(authorization, conn.remoteConnect?.user, conn.remoteConnect?.pass);
      if (!ok && conn.state === 'registered') {
        this.log.error(`${conn.label} - Authorization Error (after reload)`);
        conn.close(CloseReasons.AuthenticationViolation, 'Authorization Violation', 'after reload');
        closed++;
      }
    }
    return closed;
  }

  /**
   * Reload: a new cluster.compression applied to the registered connections as nats-server
   * does (RouteCompression.reconfigure): a level change swaps the writer in place; a change
   * that needs a new negotiation closes the connection (Client Closed), and the redial
   * negotiates with the new mode. New connections read it from the options.
   */
  updateCompression(compression: Options['cluster']['compression']): { levels: number; closed: number } {
    this.options.cluster.compression = compression;
    const r = { levels: 0, closed: 0 };
    for (const conn of [...this.connections]) {
      if (conn.state !== 'registered') continue;
      const what = conn.compression.reconfigure({ ...compression, lz4: this.options.proxy.lz4 }, conn.rttMs);
      if (what === 'level') {
        r.levels++;
        this.log.info(`${conn.label} - Route compression changed to ${conn.compression.mode} (reload)`);
      } else if (what === 'close') {
        r.closed++;
        this.log.info(`${conn.label} - Closing route to negotiate compression "${compression.mode}" (reload)`);
        conn.close(CloseReasons.ClientClosed, undefined, 'compression reload');
      }
    }
    return r;
  }

  /** Reload: new proxy {} bounds and flow marks, for existing connections too, and the process memory budget. */
  updateProxyBounds(proxy: Options['proxy']): void {
    const p = this.options.proxy;
    Object.assign(p, { maxPending: proxy.maxPending, highWater: proxy.highWater, lowWater: proxy.lowWater, stallMs: proxy.stallMs });
    this.memory.limit = proxy.maxMemory;
    p.maxMemory = proxy.maxMemory;
    for (const conn of this.connections) conn.updateBounds(p.maxPending, p);
  }

  /** Reload: the logger's level changed; connections re-read whether they trace. */
  refreshLogLevel(): void {
    for (const conn of this.connections) conn.refreshTracing();
  }

  /** A reload's pinning request in flight (§4.4): answers still expected. */
  private pinRequest: { id: string; pending: number; done: () => void } | undefined;

  /**
   * Reload of pool_size / cluster.accounts with nats-server's effects (route-protocol.md §4.4,
   * reload.go:reloadClusterPoolAndAccounts): each pooling peer is told of newly pinned accounts
   * (route_acc_add_reqid, answers awaited up to 2 s) over the connection that carried them, then they
   * get their own connections; dedicated connections of unpinned accounts close for good and the
   * account's interest goes back on its pooled connection; a new pool size closes every pooled connection.
   */
  async updatePool(poolSize: number, accounts: string[]): Promise<{ added: string[]; removed: string[]; closed: number }> {
    const c = this.options.cluster;
    const oldSize = this.pool.poolSize;
    const before = new Set(this.pool.pinnedAccounts);
    const next = new Set(poolSize > 0 ? accounts : []);
    const added = [...next].filter((a) => !before.has(a));
    const removed = [...before].filter((a) => !next.has(a));
    const sizeChanged = poolSize !== oldSize;
    const peers = this.getPeers().filter((p) => !p.noPool);
    if (added.length > 0 && oldSize > 0) {
      const id = nuid();
      let pending = 0;
      for (const an of added) {
        const slot = this.pool.slot(an).poolIdx;
        for (const p of peers) {
          const conn = p.slots[slot];
          if (conn === undefined) continue;
          this.withdrawAccount(p, an);
          conn.sendControl(encodeGossipInfo({ route_pool_size: oldSize, route_account: an, route_acc_add_reqid: id } as RouteInfo));
          pending++;
        }
      }
      if (pending > 0) {
        let timer: NodeJS.Timeout | undefined;
        await new Promise<void>((resolve) => {
          this.pinRequest = { id, pending, done: resolve };
          timer = setTimeout(() => {
            this.log.warn('Timed out waiting for confirmation from all routes regarding per-account routes changes');
            resolve();
          }, 2000);
        });
        clearTimeout(timer);
        this.pinRequest = undefined;
      }
    }
    const toClose = new Set<RouteConnection>();
    for (const p of peers) {
      for (const an of removed) {
        const pinned = p.pinned.get(an);
        if (pinned) {
          pinned.noReconnect = true;
          toClose.add(pinned);
        }
      }
      if (sizeChanged) for (const conn of p.slots) if (conn) toClose.add(conn);
    }
    if (sizeChanged && (oldSize < 0 || poolSize < 0)) {
      // Pooling switched on or off: every peer that pools changes shape, pinned connections included.
      for (const p of peers) for (const conn of p.connections()) toClose.add(conn);
    }
    c.poolSize = poolSize;
    c.accounts = accounts;
    this.pool.update(poolSize, accounts);
    for (const conn of toClose) conn.close(CloseReasons.RouteRemoved, undefined, 'pool_size or pinned accounts reloaded');
    // An unpinned account's interest travels on its pooled connection again.
    if (!sizeChanged) for (const an of removed) this.observer?.accountMoved?.(an);
    if (added.length > 0 && poolSize > 0) {
      for (const p of this.getPeers()) {
        if (p.noPool) continue;
        const dialer = p.connections().map((x) => this.dialerOf.get(x)).find((d) => d !== undefined && !d.isStopped);
        if (dialer) for (const an of added) if (!p.pinned.has(an)) this.solicitExtra(dialer, an);
      }
    }
    return { added, removed, closed: toClose.size };
  }

  /** Lame duck: no new route connections are accepted (existing ones stay). */
  stopAccepting(): void {
    void this.listener.close();
  }

  /** Registered and handshaking connections (the monitor's adapter reads them). */
  allConnections(): RouteConnection[] {
    return [...this.connections];
  }

  /** Whether the dialer that made `conn` is a configured (explicit) route. */
  isConfigured(conn: RouteConnection): boolean {
    return this.dialerOf.get(conn)?.explicit === true;
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const d of this.dialers.values()) d.stop();
    for (const key of [...this.extraDialers.keys()]) this.stopExtras(key);
    for (const list of this.attached.values()) for (const d of list) d.stop();
    this.dialers.clear();
    this.attached.clear();
    this.gossip.clear();
    const conns = [...this.connections];
    const closedAll = conns.map(
      (c) => new Promise<void>((resolve) => {
        if (c.socket.destroyed) return resolve();
        c.socket.once('close', () => resolve());
        c.close(CloseReasons.ServerShutdown, undefined);
      }),
    );
    // Peers get a moment to read our close; whatever is still open after that is destroyed, so
    // shutdown never waits on a peer.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(closedAll), new Promise((r) => (timer = setTimeout(r, 2000)))]);
    clearTimeout(timer);
    for (const socket of this.sockets) socket.destroy();
    await this.listener.close();
    this.tls?.close();
  }
}

/** At most this many further dialers per address (pooled and pinned), whatever peers advertise. */
const EXTRA_DIALERS_MAX = 64;

function connectionSnapshot(p: RoutePeer, c: RouteConnection): ConnectionSnapshot {
  let interestCount = 0;
  for (const acc of c.interestAccounts) interestCount += p.interest.accountSize(acc);
  const s: ConnectionSnapshot = {
    rid: c.rid,
    poolIdx: c.pinnedAccount !== undefined ? -1 : c.poolIdx,
    solicited: c.solicited,
    msgsIn: c.stats.msgsIn,
    msgsOut: c.stats.msgsOut,
    bytesIn: c.stats.bytesIn,
    bytesOut: c.stats.bytesOut,
    pendingBytes: c.out.pending,
    interestCount,
  };
  if (c.pinnedAccount !== undefined) s.account = c.pinnedAccount;
  return s;
}

function sameCredentials(a: RouteUrl, b: RouteUrl): boolean {
  return a.user === b.user && a.password === b.password;
}
