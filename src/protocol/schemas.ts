// fast-json-stringify serializers for the INFO and CONNECT we send (route-protocol.md §1.5, §1.6).
// Property order is nats-server's struct order (server.go:Info, route.go:connectInfo); fast-json-stringify
// emits properties in schema order and leaves out undefined ones.

import fastJson from 'fast-json-stringify';
import type { RouteConnect, RouteInfo } from './types.js';

const str = { type: 'string' } as const;
const bool = { type: 'boolean' } as const;
const int = { type: 'integer' } as const;
const strings = { type: 'array', items: str } as const;
const permission = { type: 'object', properties: { allow: strings, deny: strings } } as const;
const proxyExtension = { type: 'object', properties: { v: int, site: str, compression: strings } } as const;

export const routeInfoSchema = {
  title: 'RouteInfo',
  type: 'object',
  properties: {
    server_id: str,
    server_name: str,
    version: str,
    proto: int,
    go: str,
    host: str,
    port: int,
    headers: bool,
    auth_required: bool,
    tls_required: bool,
    tls_verify: bool,
    max_payload: int,
    jetstream: bool,
    ip: str,
    nonce: str,
    cluster: str,
    cluster_dynamic: bool,
    connect_urls: strings,
    ws_connect_urls: strings,
    ldm: bool,
    compression: str,
    import: permission,
    export: permission,
    lnoc: bool,
    lnocu: bool,
    route_pool_size: int,
    route_pool_idx: int,
    route_account: str,
    route_acc_add_reqid: str,
    gossip_mode: int,
    gateway: str,
    gateway_url: str,
    leafnode_urls: strings,
    nrp: proxyExtension,
  },
} as const;

export const routeConnectSchema = {
  title: 'RouteConnect',
  type: 'object',
  properties: {
    echo: bool,
    verbose: bool,
    pedantic: bool,
    user: str,
    pass: str,
    tls_required: bool,
    headers: bool,
    name: str,
    cluster: str,
    cluster_dynamic: bool,
    lnoc: bool,
    lnocu: bool,
    // Never sent by a route; kept so every RouteConnect field can be serialized (e.g. in tests).
    lang: str,
    gateway: str,
    account: str,
    new_account: bool,
    nrp: proxyExtension,
  },
} as const;

export const stringifyRouteInfo: (info: RouteInfo) => string = fastJson(routeInfoSchema);
export const stringifyRouteConnect: (connect: RouteConnect) => string = fastJson(routeConnectSchema);
