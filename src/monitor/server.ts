// The monitoring HTTP listener on `http`: /healthz, /varz, /routez (nats-server's shapes) and
// /metrics (Prometheus). Read-only; a bad request gets a 4xx, never an exception.
import http from 'node:http';
import os from 'node:os';
import type { Options } from '../config/options.js';
import { ProxyError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Relay } from '../relay/relay.js';
import type { RouteManager } from '../route/manager.js';
import { VERSION } from '../version.js';
import {
  collectConnections, identity, peerCounts, readiness, relayStats, totals, type ConnectionRecord,
} from './collect.js';
import { goDuration, timeText, uptime } from './format.js';
import { stringifyHealthz, stringifyRoutez, stringifyVarz } from './schemas.js';

export interface MonitorContext {
  routes: RouteManager;
  relay: Relay;
  /** The options currently running (reload replaces them). */
  options: () => Options;
  logger: Logger;
  startedAt: number;
  configLoadedAt: () => number;
  lameDuck: () => boolean;
  /** Prometheus text, when metrics are enabled. */
  metrics?: () => Promise<{ contentType: string; body: string }>;
}

const PATHS = ['/', '/healthz', '/varz', '/routez', '/metrics'] as const;

export class MonitorServer {
  private server: http.Server | undefined;
  private readonly reqStats = new Map<string, number>();
  private cpu = { at: performance.now(), usage: process.cpuUsage(), pct: 0 };
  port = 0;

  constructor(private readonly ctx: MonitorContext) {}

  listen(host: string, port: number): Promise<{ host: string; port: number }> {
    const server = http.createServer((req, res) => this.handle(req, res));
    server.keepAliveTimeout = 5000;
    server.headersTimeout = 10_000;
    server.requestTimeout = 10_000;
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => {
        reject(new ProxyError('ERR_LISTEN', `Can't listen to the Monitor Port: ${host}:${port}, "${err.message}"`, { cause: err }));
      });
      server.listen({ host, port: port < 0 ? 0 : port }, () => {
        this.port = (server.address() as { port: number }).port;
        this.ctx.logger.info(`Starting http monitor on ${host.includes(':') ? `[${host}]` : host}:${this.port}`);
        resolve({ host, port: this.port });
      });
    });
  }

  close(): Promise<void> {
    const server = this.server;
    if (!server) return Promise.resolve();
    this.server = undefined;
    return new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://monitor');
    } catch {
      return this.send(res, 400, 'text/plain; charset=utf-8', 'bad request\n');
    }
    const path = url.pathname.replace(/\/+$/, '') || '/';
    if (!(PATHS as readonly string[]).includes(path)) return this.send(res, 404, 'text/plain; charset=utf-8', '404 page not found\n');
    this.reqStats.set(path, (this.reqStats.get(path) ?? 0) + 1);
    try {
      switch (path) {
        case '/healthz': return this.healthz(url, res);
        case '/varz': return this.send(res, 200, 'application/json', this.varz());
        case '/routez': return this.send(res, 200, 'application/json', this.routez(url));
        case '/metrics': return this.metrics(res);
        default: return this.send(res, 200, 'text/plain; charset=utf-8', `nats-route-proxy v${VERSION}\n${PATHS.slice(1).join('\n')}\n`);
      }
    } catch (err) {
      this.ctx.logger.error({ err }, `monitor: error serving ${path}: ${(err as Error).message}`);
      this.send(res, 500, 'text/plain; charset=utf-8', 'internal error\n');
    }
  }

  private send(res: http.ServerResponse, code: number, type: string, body: string): void {
    res.writeHead(code, { 'Content-Type': type, 'Access-Control-Allow-Origin': '*', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  }

  /**
   * Readiness by default: 200 {"status":"ok"} once the route listener is bound and every configured
   * route is registered, else 503 {"status":"unavailable","error":...} as nats-server answers when
   * not ready. `?live=true` (also nats-server's lighter js-server-only / js-enabled-only) answers
   * whether the process serves at all. `details=true` lists every problem.
   */
  private healthz(url: URL, res: http.ServerResponse): void {
    const q = url.searchParams;
    const flag = (k: string) => { const v = q.get(k); return v !== null && v !== 'false' && v !== '0'; };
    if (flag('live') || flag('js-server-only') || flag('js-enabled-only')) {
      return this.send(res, 200, 'application/json', stringifyHealthz({ status: 'ok' }));
    }
    const r = readiness(this.ctx.routes);
    if (this.ctx.lameDuck()) r.problems.unshift('lame duck mode');
    if (r.problems.length === 0) return this.send(res, 200, 'application/json', stringifyHealthz({ status: 'ok' }));
    const body = flag('details')
      ? { status: 'error', errors: r.problems.map((e) => ({ type: 'ROUTE', error: e })) }
      : { status: 'unavailable', error: r.problems[0] };
    this.send(res, 503, 'application/json', stringifyHealthz(body));
  }

  private cpuPercent(): number {
    const now = performance.now();
    const elapsed = now - this.cpu.at;
    if (elapsed >= 1000) {
      const d = process.cpuUsage(this.cpu.usage);
      const pct = ((d.user + d.system) / 1000 / elapsed) * 100;
      this.cpu = { at: now, usage: process.cpuUsage(), pct: Math.round(pct * 100) / 100 };
    }
    return this.cpu.pct;
  }

  varz(): string {
    const o = this.ctx.options();
    const id = identity(this.ctx.routes, o);
    const conns = collectConnections(this.ctx.routes);
    const t = totals(conns);
    const peers = peerCounts(this.ctx.routes);
    const rs = relayStats(this.ctx.relay);
    const now = Date.now();
    const cluster: Record<string, unknown> = {
      name: id.clusterName,
      addr: id.listenHost,
      cluster_port: id.listenPort,
      auth_timeout: o.cluster.authTimeoutMs / 1000,
      pool_size: id.poolSize,
    };
    if (id.routeUrls.length > 0) cluster.urls = id.routeUrls;
    return stringifyVarz({
      server_id: id.serverId,
      server_name: id.serverName,
      version: VERSION,
      go: `node${process.versions.node}`,
      ping_interval: o.cluster.pingIntervalMs * 1e6,
      ping_max: o.cluster.pingMax,
      http_host: o.http?.host ?? '',
      http_port: this.port,
      max_pending: o.proxy.maxPending,
      cluster,
      write_deadline: o.cluster.writeDeadlineMs * 1e6,
      start: timeText(this.ctx.startedAt),
      now: timeText(now),
      uptime: uptime(now - this.ctx.startedAt),
      mem: process.memoryUsage.rss(),
      cores: os.availableParallelism(),
      cpu: this.cpuPercent(),
      routes: conns.length,
      remotes: new Set(conns.map((c) => c.remoteId)).size,
      in_msgs: t.msgsIn,
      out_msgs: t.msgsOut,
      in_bytes: t.bytesIn,
      out_bytes: t.bytesOut,
      slow_consumers: t.slowConsumers,
      http_req_stats: Object.fromEntries(this.reqStats),
      config_load_time: timeText(this.ctx.configLoadedAt()),
      system_account: o.systemAccount,
      slow_consumer_stats: { clients: 0, routes: t.slowConsumers, gateways: 0, leafs: 0 },
      proxy: {
        server_peers: peers.servers,
        proxy_peers: peers.proxies,
        configured_routes: o.cluster.routes.length,
        ready: readiness(this.ctx.routes).ready,
        msgs_from_servers: rs.msgsFromServers,
        msgs_from_proxies: rs.msgsFromProxies,
        copies_to_proxies: rs.copiesToProxies,
        copies_to_servers: rs.copiesToServers,
        copies_dropped: rs.copiesDropped,
        queue_misses: rs.queueMisses,
        lame_duck: this.ctx.lameDuck(),
      },
    });
  }

  routez(url: URL): string {
    const subs = url.searchParams.get('subs');
    const withSubs = subs === '1' || subs === 'true' || subs === 'detail';
    const id = identity(this.ctx.routes, this.ctx.options());
    const now = Date.now();
    const conns = collectConnections(this.ctx.routes);
    return stringifyRoutez({
      server_id: id.serverId,
      server_name: id.serverName,
      now: timeText(now),
      num_routes: conns.length,
      routes: conns.map((c) => routeEntry(c, now, withSubs)),
    });
  }

  private metrics(res: http.ServerResponse): void {
    const m = this.ctx.metrics;
    if (!m) return this.send(res, 404, 'text/plain; charset=utf-8', 'metrics are not enabled\n');
    m().then(
      (r) => this.send(res, 200, r.contentType, r.body),
      (err: unknown) => {
        this.ctx.logger.error({ err }, `monitor: /metrics failed: ${(err as Error).message}`);
        this.send(res, 500, 'text/plain; charset=utf-8', 'internal error\n');
      },
    );
  }
}

function routeEntry(c: ConnectionRecord, now: number, withSubs: boolean): Record<string, unknown> {
  const e: Record<string, unknown> = {
    rid: c.rid,
    remote_id: c.remoteId,
    remote_name: c.remoteName,
    did_solicit: c.solicited,
    is_configured: c.configured,
    ip: c.ip,
    port: c.port,
    start: timeText(c.startMs),
    last_activity: timeText(c.lastActivityMs),
    rtt: goDuration(c.rttMs),
    uptime: uptime(now - c.startMs),
    idle: uptime(now - c.lastActivityMs),
    pending_size: c.pendingBytes,
    in_msgs: c.msgsIn,
    out_msgs: c.msgsOut,
    in_bytes: c.bytesIn,
    out_bytes: c.bytesOut,
    subscriptions: c.subscriptions,
  };
  if (withSubs && c.subscriptions > 0) e.subscriptions_list = c.subjects();
  if (c.account !== undefined) e.account = c.account;
  e.compression = c.compression;
  e.proxy = {
    peer_kind: c.kind,
    site: c.site,
    pool_index: c.poolIndex,
    wire_in_bytes: c.wireBytesIn,
    wire_out_bytes: c.wireBytesOut,
    logical_in_bytes: c.bytesIn,
    logical_out_bytes: c.bytesOut,
    paused_ms: c.pausedMs,
    slow_consumers: c.slowConsumers,
    dropped_msgs: c.msgsDropped,
    dropped_bytes: c.bytesDropped,
    oversize_msgs: c.msgsOversize,
    reconnects: c.reconnects,
  };
  return e;
}
