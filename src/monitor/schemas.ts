// fast-json-stringify serializers for /varz, /routez and /healthz. Field names and nesting follow
// nats-server's (server/monitor.go); what only a proxy knows lives in a `proxy` object.
import fastJson from 'fast-json-stringify';

const str = { type: 'string' } as const;
const int = { type: 'integer' } as const;
const num = { type: 'number' } as const;
const bool = { type: 'boolean' } as const;

/** Per route connection, beside nats-server's fields. Fields that do not exist yet stay 0. */
export const proxyConnectionSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    peer_kind: str, // "server" | "proxy"
    site: str,
    pool_index: int,
    wire_in_bytes: int,
    wire_out_bytes: int,
    logical_in_bytes: int,
    logical_out_bytes: int,
    paused_ms: int,
    slow_consumers: int,
    dropped_msgs: int,
    dropped_bytes: int,
    oversize_msgs: int,
    reconnects: int,
  },
} as const;

export const routeInfoSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    rid: int,
    remote_id: str,
    remote_name: str,
    did_solicit: bool,
    is_configured: bool,
    ip: str,
    port: int,
    start: str,
    last_activity: str,
    rtt: str,
    uptime: str,
    idle: str,
    pending_size: int,
    in_msgs: int,
    out_msgs: int,
    in_bytes: int,
    out_bytes: int,
    subscriptions: int,
    subscriptions_list: { type: 'array', items: str },
    account: str,
    compression: str,
    proxy: proxyConnectionSchema,
  },
} as const;

export const routezSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    server_id: str,
    server_name: str,
    now: str,
    num_routes: int,
    routes: { type: 'array', items: routeInfoSchema },
  },
} as const;

export const varzSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    server_id: str,
    server_name: str,
    version: str,
    go: str,
    ping_interval: int, // nanoseconds, as nats-server's time.Duration
    ping_max: int,
    http_host: str,
    http_port: int,
    max_pending: int,
    cluster: {
      type: 'object',
      additionalProperties: false,
      properties: {
        name: str,
        addr: str,
        cluster_port: int,
        auth_timeout: num,
        urls: { type: 'array', items: str },
        pool_size: int,
      },
    },
    write_deadline: int,
    start: str,
    now: str,
    uptime: str,
    mem: int,
    cores: int,
    cpu: num,
    routes: int,
    remotes: int,
    in_msgs: int,
    out_msgs: int,
    in_bytes: int,
    out_bytes: int,
    slow_consumers: int,
    http_req_stats: { type: 'object', additionalProperties: int },
    config_load_time: str,
    system_account: str,
    slow_consumer_stats: {
      type: 'object',
      additionalProperties: false,
      properties: { clients: int, routes: int, gateways: int, leafs: int },
    },
    proxy: {
      type: 'object',
      additionalProperties: false,
      properties: {
        server_peers: int,
        proxy_peers: int,
        configured_routes: int,
        ready: bool,
        msgs_from_servers: int,
        msgs_from_proxies: int,
        copies_to_proxies: int,
        copies_to_servers: int,
        copies_dropped: int,
        queue_misses: int,
        lame_duck: bool,
      },
    },
  },
} as const;

export const healthzSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    status: str,
    error: str,
    errors: {
      type: 'array',
      items: { type: 'object', additionalProperties: false, properties: { type: str, error: str } },
    },
  },
} as const;

export const stringifyRoutez = fastJson(routezSchema);
export const stringifyVarz = fastJson(varzSchema);
export const stringifyHealthz = fastJson(healthzSchema);
