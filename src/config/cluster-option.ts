// The cluster {} block: nats-server's parseCluster (with its wording and positions), the
// --cluster override, and the cluster half of setBaselineOptions/validateCluster.
import type { ClusterOptions, RouteTlsOptions, RouteUrl } from './options.js';
import type { ConfEntry, SourcePos } from './tree.js';
import { goTypeName } from './tree.js';
import type { IssueSink } from './issues.js';
import { goAtoi, goFloatF, goFloatV, goQuote, goQuoteList } from './go-text.js';
import { formatGoDuration, nsToMs, parseGoDuration } from './duration.js';
import { parseGoUrlParts, splitHostPort } from './go-url.js';
import { hasUrlPassword, parseRouteUrl, redactUrlReason, redactUrlText } from './route-url.js';
import { normalizeCompression, parseCompression, type CompressionSetting } from './compression-option.js';
import { parseRouteTls } from './tls-option.js';
import {
  checkClusterPermissionSubjects, parsePermissions, type RoutePermissions,
} from './permissions-option.js';
import {
  bool, checkPortRange, checkRandomOrder, duration, int, parseListen, RANDOM_ORDER, SECOND_NS, str,
  generateName,
} from './fields.js';

const ROUTE_MAX_PING_INTERVAL_NS = 30n * SECOND_NS;
const DEFAULT_POOL_SIZE = 3;
const DEFAULT_HOST = '0.0.0.0';
const AUTH_TIMEOUT_MS = 2000;

export const CLUSTER_PORT_REQUIRED =
  'cluster port is required: the proxy is a route peer (set cluster.listen or cluster.port, or --cluster)';

/** What the file (and flags) said about the cluster, before defaults. */
export interface RawCluster {
  pos?: SourcePos; // the `cluster` key
  name?: string;
  host: string;
  port: number;
  portTrouble: boolean; // listen/port/--cluster was rejected: do not also say "port is required"
  advertise?: { value: string; pos?: SourcePos };
  noAdvertise: boolean;
  routes?: RouteUrl[];
  connectRetries: number;
  connectBackoff: boolean;
  auth?: { user: string; password: string };
  authTimeoutSec: number;
  permissions?: RoutePermissions;
  authPermissions?: RoutePermissions;
  tls?: RouteTlsOptions;
  poolSize: number;
  poolSizePos?: SourcePos;
  accounts: string[];
  accountsPos?: SourcePos;
  compression?: CompressionSetting;
  compressionPos?: SourcePos;
  pingIntervalNs: bigint;
  pingMax: number;
  writeDeadlineNs: bigint;
  writeTimeout: ClusterOptions['writeTimeout'];
}

export function emptyRawCluster(): RawCluster {
  return {
    host: '', port: 0, portTrouble: false, noAdvertise: false, connectRetries: 0,
    connectBackoff: false, authTimeoutSec: 0, poolSize: 0, accounts: [],
    pingIntervalNs: 0n, pingMax: 0, writeDeadlineNs: 0n, writeTimeout: 'default',
  };
}

const CLUSTER_ALIASES = [['host', 'net'], ['advertise', 'cluster_advertise']];

export function parseCluster(entry: ConfEntry, c: RawCluster, sink: IssueSink, clusterFlag: boolean): void {
  c.pos = entry.keyPos;
  const v = entry.value;
  if (v.type !== 'map') {
    sink.error(entry.keyPos, `Expected map to define cluster, got ${goTypeName(v)}`);
    c.portTrouble = true;
    return;
  }
  checkRandomOrder(v, CLUSTER_ALIASES, sink);
  const has = (k: string) => [...v.entries.keys()].some((x) => x.toLowerCase() === k);
  for (const [key, e] of v.entries) {
    const mk = key.toLowerCase();
    switch (mk) {
      case 'name': {
        const n = str(e, sink);
        if (n === undefined) break;
        if (n.includes(' ')) sink.error(e.keyPos, 'cluster name cannot contain spaces');
        else c.name = n;
        break;
      }
      case 'listen': {
        if (!clusterFlag && (has('host') || has('net') || has('port'))) {
          sink.error(e.keyPos, `cannot combine "listen" with "host"/"port": ${RANDOM_ORDER}`);
          c.portTrouble = true;
          break;
        }
        const hp = parseListen(e.value);
        if ('error' in hp) {
          sink.error(e.keyPos, hp.error);
          c.portTrouble = true;
          break;
        }
        if (!checkPortRange(hp.port, e.keyPos, sink)) { c.portTrouble = true; break; }
        c.host = hp.host;
        c.port = hp.port;
        break;
      }
      case 'port': {
        const p = int(e, sink);
        if (p === undefined || !checkPortRange(p, e.keyPos, sink)) { c.portTrouble = true; break; }
        c.port = p;
        break;
      }
      case 'host': case 'net': {
        const h = str(e, sink);
        if (h !== undefined) c.host = h;
        break;
      }
      case 'authorization':
        parseClusterAuthorization(e, c, sink);
        break;
      case 'routes':
        parseRoutes(e, c, sink);
        break;
      case 'tls': {
        const tls = parseRouteTls(e, sink);
        if (tls) c.tls = tls;
        break;
      }
      case 'cluster_advertise': case 'advertise': {
        const a = str(e, sink);
        if (a !== undefined) c.advertise = { value: a, pos: e.keyPos };
        break;
      }
      case 'no_advertise': {
        const b = bool(e, sink);
        if (b !== undefined) c.noAdvertise = b;
        break;
      }
      case 'connect_retries': {
        const n = int(e, sink);
        if (n !== undefined) c.connectRetries = n;
        break;
      }
      case 'connect_backoff': {
        const b = bool(e, sink);
        if (b !== undefined) c.connectBackoff = b;
        break;
      }
      case 'permissions': {
        const p = parsePermissions(e, sink);
        if (!p) break;
        if (p.responses) { sink.error(e.keyPos, 'Cluster permissions do not support dynamic responses'); break; }
        const err = checkClusterPermissionSubjects(p.perms);
        if (err) { sink.error(e.keyPos, err); break; }
        c.permissions = p.perms;
        break;
      }
      case 'pool_size': {
        const n = int(e, sink);
        if (n !== undefined) { c.poolSize = n; c.poolSizePos = e.keyPos; }
        break;
      }
      case 'accounts':
        c.accounts = parseAccounts(e, sink);
        c.accountsPos = e.keyPos;
        break;
      case 'compression': {
        const cs = parseCompression(e, sink);
        if (cs) { c.compression = cs; c.compressionPos = e.keyPos; }
        break;
      }
      case 'ping_interval': {
        const d = duration('ping_interval', e, sink);
        if (d === undefined) break;
        c.pingIntervalNs = d;
        if (d > ROUTE_MAX_PING_INTERVAL_NS) {
          sink.warning(e.keyPos, `Cluster 'ping_interval' will reset to ${formatGoDuration(ROUTE_MAX_PING_INTERVAL_NS)} which is the max for routes`);
        }
        break;
      }
      case 'ping_max': {
        const n = int(e, sink);
        if (n !== undefined) c.pingMax = n;
        break;
      }
      case 'write_deadline': {
        const d = duration('write_deadline', e, sink);
        if (d !== undefined) c.writeDeadlineNs = d;
        break;
      }
      case 'write_timeout': {
        const s = str(e, sink);
        if (s === undefined) break;
        if (s === 'default' || s === 'close' || s === 'retry') c.writeTimeout = s;
        else sink.error(e.keyPos, "write_timeout must be 'default', 'close' or 'retry'");
        break;
      }
      default:
        if (!e.usedAsVariable) sink.unknownField(e.keyPos, key);
    }
  }
}

function parseClusterAuthorization(entry: ConfEntry, c: RawCluster, sink: IssueSink): void {
  const v = entry.value;
  if (v.type !== 'map') {
    sink.typeMismatch(entry.keyPos, v, 'map[string]interface {}');
    return;
  }
  const before = sink.errors.length;
  checkRandomOrder(v, [['user', 'username'], ['pass', 'password'], ['permissions', 'default_permissions', 'default_permission']], sink);
  let user = '';
  let password = '';
  let token = '';
  let timeoutSec = 0;
  let users = false;
  let callout = false;
  let perms: RoutePermissions | undefined;
  for (const [key, e] of v.entries) {
    switch (key.toLowerCase()) {
      case 'user': case 'username': user = str(e, sink) ?? user; break;
      case 'pass': case 'password': password = str(e, sink) ?? password; break;
      case 'token': token = str(e, sink) ?? token; break;
      case 'timeout': {
        const t = authTimeout(e, sink);
        if (t !== undefined) timeoutSec = t;
        break;
      }
      case 'users': users = true; break;
      case 'default_permission': case 'default_permissions': case 'permissions': {
        const p = parsePermissions(e, sink);
        if (p) perms = p.perms;
        break;
      }
      case 'auth_callout': case 'auth_hook': callout = true; break;
      case 'proxy_required': bool(e, sink); break; // parsed by nats-server, no effect for routes
      default:
        if (!e.usedAsVariable) sink.unknownField(e.keyPos, key);
    }
  }
  if (sink.errors.length !== before) return; // nats-server applies nothing from a failed block
  if (users) return sink.error(entry.keyPos, 'Cluster authorization does not allow multiple users');
  if (token !== '') return sink.error(entry.keyPos, 'Cluster authorization does not support tokens');
  if (callout) return sink.error(entry.keyPos, 'Cluster authorization does not support callouts');
  c.auth = { user, password };
  c.authTimeoutSec = timeoutSec;
  if (perms) {
    const err = checkClusterPermissionSubjects(perms);
    if (err) return sink.error(entry.keyPos, err);
    sink.fieldWarning(entry.keyPos, entry.key, 'setting "permissions" within cluster authorization block is deprecated');
    c.authPermissions = perms;
  }
}

/** authorization.timeout: seconds as int or float, or a duration string. */
function authTimeout(e: ConfEntry, sink: IssueSink): number | undefined {
  const v = e.value;
  let at: number;
  let shown: string;
  switch (v.type) {
    case 'int': at = v.value; shown = String(v.value); break;
    case 'float': at = v.value; shown = goFloatV(v.value); break;
    case 'string': {
      const d = parseGoDuration(v.value);
      if ('error' in d) {
        sink.error(e.keyPos, `error parsing authorization config, 'timeout' ${d.error}`);
        return undefined;
      }
      at = Number(d.ns) / 1e9;
      shown = v.value;
      break;
    }
    default:
      sink.error(e.keyPos, "error parsing authorization config, 'timeout' wrong type");
      return undefined;
  }
  if (at > 60) {
    sink.fieldWarning(e.keyPos, e.key, `timeout of ${shown} (${goFloatF(at)} seconds) is high, consider keeping it under 60 seconds. possibly caused by unquoted duration; use '1m' instead of 1m, for example`);
  }
  return at;
}

/** nats-server parseURLs: duplicates warn, bad URLs fail, and any failure keeps no routes. */
function parseRoutes(e: ConfEntry, c: RawCluster, sink: IssueSink): void {
  if (e.value.type !== 'array') {
    sink.typeMismatch(e.keyPos, e.value, '[]interface {}');
    return;
  }
  const seen = new Set<string>();
  const urls: RouteUrl[] = [];
  let failed = false;
  for (const item of e.value.items) {
    if (item.type !== 'string') {
      sink.typeMismatch(item.pos, item, 'string');
      failed = true;
      continue;
    }
    if (seen.has(item.value)) {
      sink.fieldWarning(item.pos, redactUrlText(item.value), 'Duplicate route entry detected');
      continue;
    }
    seen.add(item.value);
    const r = parseRouteUrl(item.value, item.pos);
    if ('error' in r) {
      sink.error(item.pos, r.error);
      failed = true;
      continue;
    }
    urls.push(r.url);
  }
  if (!failed) c.routes = urls;
}

/** nats-server parseStringArray("accounts", ...). */
function parseAccounts(e: ConfEntry, sink: IssueSink): string[] {
  const v = e.value;
  if (v.type === 'string') return [v.value];
  if (v.type !== 'array') {
    sink.error(e.keyPos, `error parsing accounts: unsupported type ${goTypeName(v)}`);
    return [];
  }
  const out: string[] = [];
  for (const item of v.items) {
    if (item.type === 'string') out.push(item.value);
    else sink.error(item.pos, `error parsing accounts: unsupported type in array ${goTypeName(item)}`);
  }
  return out;
}

/** --cluster URL: host and port from the URL; its user info replaces (or clears) the credentials. */
export function overrideCluster(listenStr: string, c: RawCluster, sink: IssueSink): void {
  if (listenStr === '') {
    c.port = 0; // an empty --cluster disables clustering
    return;
  }
  let s = listenStr;
  const wantsRandom = s.endsWith(':-1');
  if (wantsRandom) s = `${s.slice(0, -3)}:0`;
  const fail = (msg: string) => {
    sink.error(undefined, msg);
    c.portTrouble = true;
  };
  // Messages are built from the redacted text: with a password, Go's own quoting of the URL
  // (cut at '#') or of pieces of it (`invalid port ":pa"`) could show password bytes.
  const secret = hasUrlPassword(s);
  const r = parseGoUrlParts(s);
  if ('reason' in r) {
    return fail(`parse ${goQuote(secret ? redactUrlText(s) : r.input)}: ${redactUrlReason(s, r.reason)}`);
  }
  const hp = splitHostPort(r.url.host);
  if ('error' in hp) {
    return fail(secret ? hp.error.replace(`address ${r.url.host}:`, `address in ${goQuote(redactUrlText(s))}:`) : hp.error);
  }
  const port = wantsRandom ? -1 : hp.port === '' ? NaN : Number(hp.port);
  if (Number.isNaN(port)) return fail('unexpected EOF');
  if (!checkPortRange(port, undefined, sink)) { c.portTrouble = true; return; }
  c.host = hp.host;
  c.port = port;
  if (r.url.user) {
    if (r.url.user.password === undefined) return fail('expected cluster password to be set');
    c.auth = { user: r.url.user.username, password: r.url.user.password };
  } else {
    c.auth = undefined;
  }
}

/** nats-server parseHostPort for Cluster.Advertise; an error text or undefined. */
function checkAdvertise(adv: string, clusterPort: number): string | undefined {
  let hp = splitHostPort(adv);
  if ('error' in hp && hp.error.endsWith('missing port in address')) hp = splitHostPort(`${adv}:${clusterPort}`);
  if ('error' in hp) return hp.error;
  const p = goAtoi(hp.port.trim());
  if ('error' in p) return p.error;
  return undefined;
}

/** Defaults and whole-cluster checks; undefined when any error was reported (here or before). */
export function finishCluster(
  c: RawCluster,
  top: { pingIntervalNs: bigint; pingMax: number; writeDeadlineNs: bigint },
  systemAccount: string,
  sink: IssueSink,
): ClusterOptions | undefined {
  if (c.port === 0 && !c.portTrouble) sink.error(c.pos, CLUSTER_PORT_REQUIRED);
  const poolSize = c.poolSize === 0 ? DEFAULT_POOL_SIZE : c.poolSize;
  const accounts = [...c.accounts];
  if (poolSize > 0 && systemAccount !== '' && !accounts.includes(systemAccount)) accounts.push(systemAccount);
  if (c.accounts.length > 0) {
    if (poolSize < 0) {
      sink.error(c.poolSizePos ?? c.accountsPos, 'pool_size cannot be negative if pinned accounts are specified');
    } else {
      const seen = new Set<string>();
      for (const a of accounts) {
        if (seen.has(a)) {
          sink.error(c.accountsPos, `found duplicate account name ${goQuote(a)} in pinned accounts list ${goQuoteList(accounts)}`);
          break;
        }
        seen.add(a);
      }
    }
  }

  let compression: ClusterOptions['compression'] = { mode: 'accept', rttThresholdsMs: [] };
  if (c.compression) {
    const n = normalizeCompression(c.compression);
    if ('error' in n) sink.error(c.compressionPos, n.error);
    else compression = n;
  }

  if (c.advertise) {
    const err = checkAdvertise(c.advertise.value, c.port);
    if (err) sink.error(c.advertise.pos, `Error setting route INFO with Cluster.Advertise value of ${c.advertise.value}, err=${err}`);
  }

  if (sink.errors.length > 0) return undefined;

  let pingNs = c.pingIntervalNs > 0n ? c.pingIntervalNs : top.pingIntervalNs;
  if (pingNs > ROUTE_MAX_PING_INTERVAL_NS) pingNs = ROUTE_MAX_PING_INTERVAL_NS;

  const cluster: ClusterOptions = {
    enabled: c.port !== 0,
    name: c.name ?? generateName(),
    nameDynamic: c.name === undefined,
    host: c.host === '' ? DEFAULT_HOST : c.host,
    port: c.port,
    noAdvertise: c.noAdvertise,
    routes: c.routes ?? [],
    connectRetries: c.connectRetries,
    connectBackoff: c.connectBackoff,
    authTimeoutMs: c.authTimeoutSec > 0 ? c.authTimeoutSec * 1000
      : c.tls ? c.tls.timeoutMs + 1000 : AUTH_TIMEOUT_MS,
    poolSize,
    accounts,
    compression,
    pingIntervalMs: nsToMs(pingNs),
    // Cluster ping_interval, ping_max and write_deadline count only when > 0 (client.go).
    pingMax: c.pingMax > 0 ? c.pingMax : top.pingMax,
    writeDeadlineMs: nsToMs(c.writeDeadlineNs > 0n ? c.writeDeadlineNs : top.writeDeadlineNs),
    writeTimeout: c.writeTimeout,
  };
  if (c.advertise) cluster.advertise = c.advertise.value;
  if (c.auth && (c.auth.user !== '' || c.auth.password !== '')) cluster.authorization = c.auth;
  // Cluster-level permissions win over the deprecated authorization.permissions, whatever the order.
  const perms = c.permissions ?? c.authPermissions;
  if (perms) cluster.permissions = perms;
  if (c.tls) cluster.tls = c.tls;
  return cluster;
}
