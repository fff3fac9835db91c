// Our own INFO and CONNECT (route-protocol.md §1.5, §1.6, §10b): a route peer that pools like
// nats-server 2.11.2+ (pool_size, default 3), supports headers and leafnode-origin interest,
// plus the proxy extension. The connection adds route_pool_idx / route_account (dialer only).
import type { Options } from '../config/options.js';
import type { ProxyExtension, RouteConnect, RouteInfo } from '../protocol/types.js';
import { VERSION } from '../version.js';

export const PROXY_EXTENSION_VERSION = 1;

export interface LocalIdentity {
  serverId: string;
  serverName: string;
  clusterName: string;
  clusterDynamic: boolean;
  /** Host and port we advertise for route connections. */
  host: string;
  port: number;
  /** `nats-route://host:port/` when cluster.advertise is set. */
  ip?: string;
}

/** Our extension; `compression` offers proxy-link codecs (only other proxies read it). */
export function proxyExtension(options?: Options): ProxyExtension {
  const ext: ProxyExtension = { v: PROXY_EXTENSION_VERSION };
  if (options?.proxy.lz4) ext.compression = ['lz4'];
  return ext;
}

export function buildLocalInfo(id: LocalIdentity, options: Options): RouteInfo {
  const info: RouteInfo = {
    server_id: id.serverId,
    server_name: id.serverName,
    version: VERSION,
    proto: 2, // below 3: nats-server then never sends us trace-only messages (§2.7)
    go: `node${process.versions.node}`,
    host: id.host,
    port: id.port,
    headers: true,
    max_payload: 1048576,
    cluster: id.clusterName,
    lnoc: true,
    lnocu: true,
    nrp: proxyExtension(options),
  };
  // Advertising a pool size commits us to full pooling (§11 pitfall 6); -1 means none.
  if (options.cluster.poolSize > 0) info.route_pool_size = options.cluster.poolSize;
  if (id.ip) info.ip = id.ip;
  if (options.cluster.authorization) info.auth_required = true;
  if (options.cluster.tls) {
    // Informational (the handshake has already happened), as nats-server sends them.
    info.tls_required = true;
    info.tls_verify = true;
  }
  if (id.clusterDynamic) info.cluster_dynamic = true;
  return info;
}

export function buildLocalConnect(
  id: LocalIdentity,
  options: Options,
  creds: { user?: string; password?: string },
): RouteConnect {
  const c: RouteConnect = {
    echo: true,
    verbose: false,
    pedantic: false,
    tls_required: options.cluster.tls !== undefined,
    headers: true,
    name: id.serverId,
    cluster: id.clusterName,
    lnoc: true,
    nrp: proxyExtension(options),
  };
  if (creds.user !== undefined) c.user = creds.user;
  if (creds.password !== undefined) c.pass = creds.password;
  if (id.clusterDynamic) c.cluster_dynamic = true;
  return c;
}
