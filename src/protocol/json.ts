// Decoding INFO / CONNECT JSON with the type checks nats-server's encoding/json decoder applies
// (route-protocol.md §1.5: a type error closes the route silently). A throw here means "close
// without -ERR"; the caller does that.
//
// Go's decoder, mimicked here: keys match struct fields case-insensitively; null leaves a field
// unchanged; unknown keys are ignored (we keep them); a wrong JSON type or an out-of-range number
// is an error. Not mimicked: Go also rejects integer fields written as 1.0 or 1e3, which JSON.parse
// cannot distinguish from 1 and 1000.

import type { RouteConnect, RouteInfo } from './types.js';

type Kind = 'string' | 'bool' | 'int' | 'int32' | 'uint64' | 'byte' | 'strings' | 'perm' | 'bytes' | 'nrp';

// server.go:Info, every field Go would decode on a route, plus our `nrp` extension.
const INFO_FIELDS: Record<string, Kind> = {
  server_id: 'string',
  server_name: 'string',
  version: 'string',
  proto: 'int',
  git_commit: 'string',
  go: 'string',
  host: 'string',
  port: 'int',
  headers: 'bool',
  auth_required: 'bool',
  tls_required: 'bool',
  tls_verify: 'bool',
  tls_available: 'bool',
  max_payload: 'int32',
  jetstream: 'bool',
  ip: 'string',
  client_id: 'uint64',
  client_ip: 'string',
  nonce: 'string',
  cluster: 'string',
  cluster_dynamic: 'bool',
  domain: 'string',
  connect_urls: 'strings',
  ws_connect_urls: 'strings',
  ldm: 'bool',
  compression: 'string',
  connect_info: 'bool',
  remote_account: 'string',
  acc_is_sys: 'bool',
  api_lvl: 'int',
  import: 'perm',
  export: 'perm',
  lnoc: 'bool',
  lnocu: 'bool',
  info_on_connect: 'bool',
  route_pool_size: 'int',
  route_pool_idx: 'int',
  route_account: 'string',
  route_acc_add_reqid: 'string',
  gossip_mode: 'byte',
  gateway: 'string',
  gateway_urls: 'strings',
  gateway_url: 'string',
  gateway_cmd: 'byte',
  gateway_cmd_payload: 'bytes',
  gateway_nrp: 'bool',
  gateway_iom: 'bool',
  leafnode_urls: 'strings',
  xkey: 'string',
  nrp: 'nrp',
};

// A route CONNECT is decoded twice by Go: into client.go:ClientOpts and into route.go:connectInfo.
const CONNECT_FIELDS: Record<string, Kind> = {
  echo: 'bool',
  verbose: 'bool',
  pedantic: 'bool',
  tls_required: 'bool',
  nkey: 'string',
  jwt: 'string',
  sig: 'string',
  auth_token: 'string',
  user: 'string',
  pass: 'string',
  name: 'string',
  lang: 'string',
  version: 'string',
  protocol: 'int',
  account: 'string',
  new_account: 'bool',
  headers: 'bool',
  no_responders: 'bool',
  import: 'perm',
  export: 'perm',
  remote_account: 'string',
  proxy_sig: 'string',
  cluster: 'string',
  cluster_dynamic: 'bool',
  lnoc: 'bool',
  lnocu: 'bool',
  gateway: 'string',
  nrp: 'nrp',
};

const PERM_FIELDS: Record<string, Kind> = { allow: 'strings', deny: 'strings' };
const NRP_FIELDS: Record<string, Kind> = { v: 'int', site: 'string', compression: 'strings' };

const INT64_LIMIT = 2 ** 63;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function lowerIndex(fields: Record<string, Kind>): Map<string, string> {
  const m = new Map<string, string>();
  for (const k of Object.keys(fields)) m.set(k.toLowerCase(), k);
  return m;
}

const INFO_INDEX = lowerIndex(INFO_FIELDS);
const CONNECT_INDEX = lowerIndex(CONNECT_FIELDS);
const PERM_INDEX = lowerIndex(PERM_FIELDS);
const NRP_INDEX = lowerIndex(NRP_FIELDS);

function typeError(field: string, kind: Kind, v: unknown): Error {
  return new TypeError(`json: cannot unmarshal ${JSON.stringify(v)?.slice(0, 64)} into field "${field}" of type ${kind}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkInt(field: string, kind: Kind, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw typeError(field, kind, v);
  return v;
}

function decodeValue(field: string, kind: Kind, v: unknown): unknown {
  switch (kind) {
    case 'string':
      if (typeof v !== 'string') throw typeError(field, kind, v);
      return v;
    case 'bool':
      if (typeof v !== 'boolean') throw typeError(field, kind, v);
      return v;
    case 'int':
      return checkInt(field, kind, v, -INT64_LIMIT, INT64_LIMIT);
    case 'int32':
      return checkInt(field, kind, v, -(2 ** 31), 2 ** 31 - 1);
    case 'uint64':
      return checkInt(field, kind, v, 0, 2 ** 64);
    case 'byte':
      return checkInt(field, kind, v, 0, 255);
    case 'bytes':
      if (typeof v !== 'string' || !BASE64.test(v)) throw typeError(field, kind, v);
      return v;
    case 'strings':
      if (!Array.isArray(v)) throw typeError(field, kind, v);
      return v.map((e) => {
        if (e === null) return ''; // Go leaves the element at its zero value
        if (typeof e !== 'string') throw typeError(field, kind, v);
        return e;
      });
    case 'perm':
      if (!isObject(v)) throw typeError(field, kind, v);
      return decodeObject(v, PERM_FIELDS, PERM_INDEX);
    case 'nrp': {
      if (!isObject(v)) throw typeError(field, kind, v);
      const ext = decodeObject(v, NRP_FIELDS, NRP_INDEX);
      if (ext.v === undefined) throw typeError(field, kind, v);
      return ext;
    }
  }
}

function decodeObject(src: Record<string, unknown>, fields: Record<string, Kind>, index: Map<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(src)) {
    const v = src[key];
    // hasOwn: a key such as "constructor" must not find Object.prototype's member.
    const name = Object.hasOwn(fields, key) ? key : index.get(key.toLowerCase());
    if (name === undefined) {
      if (key === '__proto__') continue; // would replace the prototype
      out[key] = v; // unknown to Go: ignored there, kept here
      continue;
    }
    if (v === null) continue;
    out[name] = decodeValue(name, fields[name]!, v);
  }
  return out;
}

function parseTop(json: string, what: string): Record<string, unknown> {
  const v: unknown = JSON.parse(json);
  if (!isObject(v)) throw new TypeError(`${what}: JSON is not an object`);
  return v;
}

/** Parses INFO JSON; throws on what Go's decoder rejects. A missing server_id becomes '' (Go's zero value). */
export function parseInfo(json: string): RouteInfo {
  const info = decodeObject(parseTop(json, 'INFO'), INFO_FIELDS, INFO_INDEX);
  if (info.server_id === undefined) info.server_id = '';
  return info as unknown as RouteInfo;
}

/** Parses CONNECT JSON; throws on what Go's decoder rejects. */
export function parseConnect(json: string): RouteConnect {
  return decodeObject(parseTop(json, 'CONNECT'), CONNECT_FIELDS, CONNECT_INDEX) as RouteConnect;
}
