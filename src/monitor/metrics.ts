// /metrics: Prometheus text via prom-client, on a private registry. Route metrics are read from
// the adapter (collect.ts) at scrape time, so nothing runs on the message path; names follow
// NATS Surveyor's `nats_core_route_*` where it has the same thing (with its labels), the
// rest is `nats_route_proxy_*`. README.md lists them.
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Relay } from '../relay/relay.js';
import type { RouteManager } from '../route/manager.js';
import { routeClosed, type RouteClosedEvent } from '../route/events.js';
import { collectConnections, identity, peerCounts, readiness, relayStats, type ConnectionRecord } from './collect.js';
import type { Options } from '../config/options.js';

// Surveyor's route labels, then ours.
const ROUTE_LABELS = ['server_cluster', 'server_name', 'server_id', 'server_route_name', 'server_route_name_id',
  'remote_id', 'peer_kind', 'pool_index'] as const;
const SERVER_LABELS = ['server_cluster', 'server_name', 'server_id'] as const;

export interface Metrics {
  render(): Promise<{ contentType: string; body: string }>;
  close(): void;
}

export function createMetrics(routes: RouteManager, relay: Relay, options: () => Options): Metrics {
  const register = new Registry();
  collectDefaultMetrics({ register });

  let conns: ConnectionRecord[] = [];
  const serverLabels = () => {
    const id = identity(routes, options());
    return { server_cluster: id.clusterName, server_name: id.serverName, server_id: id.serverId };
  };
  const routeLabels = (c: ConnectionRecord) => ({
    ...serverLabels(),
    server_route_name: c.remoteName,
    server_route_name_id: String(c.rid),
    remote_id: c.remoteId,
    peer_kind: c.kind,
    pool_index: String(c.poolIndex),
  });

  /** A per-connection series set from the snapshot taken for this scrape. */
  const perRoute = (name: string, help: string, value: (c: ConnectionRecord) => number, counter = true) => {
    const opts = {
      name, help, labelNames: ROUTE_LABELS, registers: [register],
      collect(this: Counter<string> | Gauge<string>) {
        this.reset();
        for (const c of conns) {
          const v = value(c);
          if (this instanceof Counter) this.inc(routeLabels(c), v);
          else this.set(routeLabels(c), v);
        }
      },
    };
    return counter ? new Counter(opts) : new Gauge(opts);
  };

  // Collected first (registration order): one snapshot per scrape for every route metric.
  new Gauge({
    name: 'nats_core_route_count', help: 'Number of active route connections', labelNames: SERVER_LABELS, registers: [register],
    collect() {
      conns = collectConnections(routes);
      this.reset();
      this.set(serverLabels(), conns.length);
    },
  });
  perRoute('nats_core_route_sent_msg_count', 'Number of messages sent over the route', (c) => c.msgsOut);
  perRoute('nats_core_route_sent_bytes', 'Number of bytes sent over the route (protocol bytes)', (c) => c.bytesOut);
  perRoute('nats_core_route_recv_msg_count', 'Number of messages received over the route', (c) => c.msgsIn);
  perRoute('nats_core_route_recv_bytes', 'Number of bytes received over the route (protocol bytes)', (c) => c.bytesIn);
  perRoute('nats_core_route_pending_bytes', 'Number of bytes pending in the route', (c) => c.pendingBytes, false);
  perRoute('nats_route_proxy_route_wire_sent_bytes', 'Bytes written to the socket (after compression)', (c) => c.wireBytesOut);
  perRoute('nats_route_proxy_route_wire_recv_bytes', 'Bytes read from the socket (before decompression)', (c) => c.wireBytesIn);
  perRoute('nats_route_proxy_route_rtt_seconds', 'Last measured PING/PONG round trip (0 until measured)', (c) => (c.rttMs ?? 0) / 1000, false);
  perRoute('nats_route_proxy_route_paused_seconds', 'Time the route was paused by backpressure', (c) => c.pausedMs / 1000);
  perRoute('nats_route_proxy_route_slow_consumer_count', 'Times the route became a slow consumer', (c) => c.slowConsumers);
  perRoute('nats_route_proxy_route_dropped_msg_count', 'Messages dropped because the route was a slow consumer', (c) => c.msgsDropped);
  perRoute('nats_route_proxy_route_dropped_bytes', 'Bytes dropped because the route was a slow consumer', (c) => c.bytesDropped);
  perRoute('nats_route_proxy_route_oversize_msg_count', 'Inbound messages skipped for being larger than max_pending', (c) => c.msgsOversize);
  perRoute('nats_route_proxy_route_subscriptions', 'Interest entries the peer advertised on this route', (c) => c.subscriptions, false);
  perRoute('nats_route_proxy_peer_reconnects', 'Registrations of this peer after its first one', (c) => c.reconnects);

  new Gauge({
    name: 'nats_route_proxy_peers', help: 'Registered peers by kind', labelNames: ['peer_kind'], registers: [register],
    collect() {
      const p = peerCounts(routes);
      this.set({ peer_kind: 'server' }, p.servers);
      this.set({ peer_kind: 'proxy' }, p.proxies);
    },
  });
  new Gauge({
    name: 'nats_route_proxy_ready', help: '1 when the listener is bound and every configured route is connected', registers: [register],
    collect() { this.set(readiness(routes).ready ? 1 : 0); },
  });
  const relayCounter = (name: string, help: string, labelName: string, values: () => Record<string, number>) =>
    new Counter({
      name, help, labelNames: [labelName], registers: [register],
      collect() {
        this.reset();
        for (const [k, v] of Object.entries(values())) this.inc({ [labelName]: k }, v);
      },
    });
  relayCounter('nats_route_proxy_relay_msgs_total', 'Messages the relay received, by the side they came from', 'from',
    () => ({ server: relayStats(relay).msgsFromServers, proxy: relayStats(relay).msgsFromProxies }));
  relayCounter('nats_route_proxy_relay_copies_total', 'Copies the relay queued, by the side they went to', 'to',
    () => ({ proxy: relayStats(relay).copiesToProxies, server: relayStats(relay).copiesToServers }));
  relayCounter('nats_route_proxy_relay_drops_total', 'Copies refused by a slow peer, and queue groups no peer serves', 'kind',
    () => ({ slow_consumer: relayStats(relay).copiesDropped, queue_miss: relayStats(relay).queueMisses }));

  // Close reasons happen between scrapes: counted as they happen, from the route events.
  const closes = new Counter({
    name: 'nats_route_proxy_route_closed_total', help: 'Route connections closed, by reason',
    labelNames: ['reason', 'registered'], registers: [register],
  });
  // The label set is bounded by the table in route/close-reason.ts: a peer's text never becomes a label.
  const onClosed = (m: unknown) => {
    const e = m as RouteClosedEvent;
    closes.inc({ reason: e.conn.closeLabel ?? 'unknown', registered: e.peer ? 'true' : 'false' });
  };
  routeClosed.subscribe(onClosed);

  return {
    async render() {
      return { contentType: register.contentType, body: await register.metrics() };
    },
    close() {
      routeClosed.unsubscribe(onClosed);
      register.clear();
    },
  };
}
