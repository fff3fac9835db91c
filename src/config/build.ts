// From the parsed tree to validated Options: nats-server's processConfigFileLine/parseCluster
// (with its wording and positions), the command-line overrides, setBaselineOptions and
// validateCluster, all in one step. Differences from nats-server, on purpose:
//  * a wrong type does not abort the rest of its block: every error is reported;
//  * start-time checks (compression modes, pool_size/accounts, advertise) run here too,
//    so `-t` tells whether the daemon would start;
//  * keys nats-server would apply in random map order (listen with host/port, aliases,
//    keys differing only in case) are an error instead of a coin toss;
//  * passwords are replaced by [REDACTED] wherever a message would quote them.
import { randomInt } from 'node:crypto';
import type {
  CliOverrides, ClusterOptions, Options, RouteTlsOptions, RouteUrl,
} from './options.js';
import type { ConfEntry, ConfMap, ConfValue, SourcePos } from './tree.js';
import { goTypeName } from './tree.js';
import { IssueSink, type ConfigIssue } from './issues.js';
import { goAtoi, goFloatF, goFloatV, goQuote, goQuoteList } from './go-text.js';
import { formatGoDuration, nsToMs, parseGoDuration } from './duration.js';
import { parseGoUrlParts, splitHostPort } from './go-url.js';
import { hasUrlPassword, parseRouteUrl, redactUrlReason, redactUrlText } from './route-url.js';
import { normalizeCompression, parseCompression, type CompressionSetting } from './compression-option.js';
import { parseRouteTls } from './tls-option.js';
import {
  checkClusterPermissionSubjects, parsePermissions, type RoutePermissions,
} from './permissions-option.js';

export { formatIssue, type ConfigIssue } from './issues.js';

export interface BuildResult {
  options: Options | undefined; // undefined when there is any error
  warnings: ConfigIssue[];
  errors: ConfigIssue[];
}

const SECOND_NS = 1_000_000_000n;
const DEFAULT_PING_INTERVAL_NS = 120n * SECOND_NS;
const ROUTE_MAX_PING_INTERVAL_NS = 30n * SECOND_NS;
const DEFAULT_WRITE_DEADLINE_NS = 10n * SECOND_NS;
const DEFAULT_PING_MAX = 2;
const DEFAULT_POOL_SIZE = 3;
const DEFAULT_SYSTEM_ACCOUNT = '$SYS';
const DEFAULT_HOST = '0.0.0.0';
const DEFAULT_MAX_PENDING = 64 * 1024 * 1024; // nats-server's MAX_PENDING_SIZE
// Flow control (design.md §3), chosen by measurement (README "Flow control"): a target past the
// high-water mark pauses its producers, below the low-water mark they resume, and a target
// still congested after the stall budget becomes a slow consumer.
const DEFAULT_HIGH_WATER = 4 * 1024 * 1024;
const DEFAULT_LOW_WATER = 1024 * 1024;
const DEFAULT_STALL_MS = 1000;
/** Outbound slab size: one writev moves up to several of these. */
const SLAB_SIZE = 256 * 1024;
const AUTH_TIMEOUT_MS = 2000;
const RANDOM_ORDER = 'nats-server applies them in random order';

export const CLUSTER_PORT_REQUIRED =
  'cluster port is required: the proxy is a route peer (set cluster.listen or cluster.port, or --cluster)';

// ---- what the file (and flags) said, before defaults ---------------------------------------

interface RawCluster {
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

interface Raw {
  serverName?: string;
  httpHost: string;
  httpPort: number;
  debug: boolean;
  trace: boolean;
  logtime: boolean;
  logfile?: string;
  pingIntervalNs: bigint;
  pingMax: number;
  writeDeadlineNs: bigint;
  systemAccount?: string;
  noSystemAccount: boolean;
  maxPending: number;
  highWater: number;
  lowWater: number;
  stallNs: bigint;
  lz4: boolean;
  cluster: RawCluster;
}

function emptyRaw(): Raw {
  return {
    httpHost: '', httpPort: 0, debug: false, trace: false, logtime: true,
    pingIntervalNs: 0n, pingMax: 0, writeDeadlineNs: 0n, noSystemAccount: false,
    maxPending: DEFAULT_MAX_PENDING,
    highWater: DEFAULT_HIGH_WATER,
    lowWater: DEFAULT_LOW_WATER,
    stallNs: BigInt(DEFAULT_STALL_MS) * 1_000_000n,
    lz4: false,
    cluster: {
      host: '', port: 0, portTrouble: false, noAdvertise: false, connectRetries: 0,
      connectBackoff: false, authTimeoutSec: 0, poolSize: 0, accounts: [],
      pingIntervalNs: 0n, pingMax: 0, writeDeadlineNs: 0n, writeTimeout: 'default',
    },
  };
}

// ---- typed accessors: report Go's type-assertion message at the key ---------------------

function str(e: ConfEntry, sink: IssueSink): string | undefined {
  if (e.value.type === 'string') return e.value.value;
  sink.typeMismatch(e.keyPos, e.value, 'string');
  return undefined;
}

function int(e: ConfEntry, sink: IssueSink): number | undefined {
  if (e.value.type === 'int') return e.value.value;
  sink.typeMismatch(e.keyPos, e.value, 'int64');
  return undefined;
}

function bool(e: ConfEntry, sink: IssueSink): boolean | undefined {
  if (e.value.type === 'bool') return e.value.value;
  sink.typeMismatch(e.keyPos, e.value, 'bool');
  return undefined;
}

/** nats-server parseDuration: a duration string, or (deprecated) an integer of seconds. */
function duration(field: string, e: ConfEntry, sink: IssueSink): bigint | undefined {
  const v = e.value;
  if (v.type === 'string') {
    const d = parseGoDuration(v.value);
    if ('error' in d) {
      sink.error(e.keyPos, `error parsing ${field}: ${d.error}`);
      return undefined;
    }
    return d.ns;
  }
  sink.fieldWarning(e.keyPos, field, `${field} should be converted to a duration`);
  if (v.type !== 'int') {
    sink.typeMismatch(e.keyPos, v, 'int64');
    return undefined;
  }
  return BigInt(v.value) * SECOND_NS;
}

type Listen = { host: string; port: number } | { error: string };

/** nats-server parseListen: a port, or a "host:port" string. */
function parseListen(v: ConfValue): Listen {
  if (v.type === 'int') return { host: '', port: v.value };
  if (v.type !== 'string') return { error: `expected port or host:port, got ${goTypeName(v)}` };
  const hp = splitHostPort(v.value);
  if ('error' in hp) return { error: `could not parse address string ${goQuote(v.value)}` };
  const p = goAtoi(hp.port);
  if ('error' in p) return { error: `could not parse port ${goQuote(hp.port)}` };
  return { host: hp.host, port: p.value };
}

function checkPortRange(port: number, pos: SourcePos | undefined, sink: IssueSink): boolean {
  if (port >= -1 && port <= 65535) return true;
  sink.error(pos, `invalid port ${port}: use 1-65535, -1 for a random port, or 0 to disable`);
  return false;
}

/**
 * Keys nats-server would apply in random map order: the same option written twice in a
 * different letter case, or through two aliases. Reported at the later key.
 */
function checkRandomOrder(m: ConfMap, groups: readonly string[][], sink: IssueSink): void {
  const seen = new Map<string, ConfEntry>();
  for (const [key, e] of m.entries) {
    const lk = key.toLowerCase();
    const canon = groups.find((g) => g.includes(lk))?.[0] ?? lk;
    const first = seen.get(canon);
    if (first) sink.error(e.keyPos, `cannot combine ${goQuote(key)} with ${goQuote(first.key)}: ${RANDOM_ORDER}`);
    else seen.set(canon, e);
  }
}

// ---- the cluster block ----------------------------------------------------------------

const CLUSTER_ALIASES = [['host', 'net'], ['advertise', 'cluster_advertise']];

function parseCluster(entry: ConfEntry, raw: Raw, sink: IssueSink, clusterFlag: boolean): void {
  const c = raw.cluster;
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

// ---- top level ------------------------------------------------------------------------

const TOP_ALIASES = [
  ['http', 'http_port', 'monitor_port'], ['logfile', 'log_file'], ['system_account', 'system'],
  ['no_system_account', 'no_system', 'no_sys_acc'],
];

function parseTop(root: ConfMap, raw: Raw, sink: IssueSink, clusterFlag: boolean): void {
  checkRandomOrder(root, TOP_ALIASES, sink);
  for (const [key, e] of root.entries) {
    switch (key.toLowerCase()) {
      case 'server_name': {
        const s = str(e, sink);
        if (s === undefined) break;
        if (s.includes(' ')) sink.error(e.keyPos, 'server name cannot contain spaces');
        else raw.serverName = s;
        break;
      }
      case 'http': {
        const hp = parseListen(e.value);
        if ('error' in hp) { sink.error(e.keyPos, hp.error); break; }
        if (!checkPortRange(hp.port, e.keyPos, sink)) break;
        raw.httpHost = hp.host;
        raw.httpPort = hp.port;
        break;
      }
      case 'http_port': case 'monitor_port': {
        const p = int(e, sink);
        if (p !== undefined && checkPortRange(p, e.keyPos, sink)) raw.httpPort = p;
        break;
      }
      case 'debug': raw.debug = bool(e, sink) ?? raw.debug; break;
      case 'trace': raw.trace = bool(e, sink) ?? raw.trace; break;
      case 'logtime': raw.logtime = bool(e, sink) ?? raw.logtime; break;
      case 'logfile': case 'log_file': {
        const s = str(e, sink);
        if (s !== undefined) raw.logfile = s;
        break;
      }
      case 'ping_interval': raw.pingIntervalNs = duration('ping_interval', e, sink) ?? raw.pingIntervalNs; break;
      case 'ping_max': raw.pingMax = int(e, sink) ?? raw.pingMax; break;
      case 'write_deadline': raw.writeDeadlineNs = duration('write_deadline', e, sink) ?? raw.writeDeadlineNs; break;
      case 'system_account': case 'system':
        if (e.value.type === 'string') raw.systemAccount = e.value.value;
        else sink.error(e.keyPos, 'system account name must be a string');
        break;
      case 'no_system_account': case 'no_system': case 'no_sys_acc':
        raw.noSystemAccount = bool(e, sink) ?? raw.noSystemAccount;
        break;
      case 'cluster':
        parseCluster(e, raw, sink, clusterFlag);
        break;
      case 'proxy':
        parseProxy(e, raw, sink);
        break;
      default:
        if (!e.usedAsVariable) sink.unknownField(e.keyPos, key);
    }
  }
}

/** proxy { max_pending, high_water, low_water, stall_timeout }: what is ours and not nats-server's. */
function parseProxy(entry: ConfEntry, raw: Raw, sink: IssueSink): void {
  const v = entry.value;
  if (v.type !== 'map') {
    sink.typeMismatch(entry.keyPos, v, 'map[string]interface {}');
    return;
  }
  for (const [key, e] of v.entries) {
    switch (key.toLowerCase()) {
      case 'max_pending': {
        const n = int(e, sink);
        if (n === undefined) break;
        if (n <= 0) sink.error(e.keyPos, `max_pending must be greater than 0, got ${n}`);
        else raw.maxPending = n;
        break;
      }
      case 'high_water':
      case 'low_water': {
        const n = int(e, sink);
        if (n === undefined) break;
        if (n <= 0) sink.error(e.keyPos, `${key.toLowerCase()} must be greater than 0, got ${n}`);
        else if (key.toLowerCase() === 'high_water') raw.highWater = n;
        else raw.lowWater = n;
        break;
      }
      case 'lz4': // LZ4 on proxy links when both proxies offer it (issue 9)
        raw.lz4 = bool(e, sink) ?? raw.lz4;
        break;
      case 'stall_timeout': {
        const d = duration('stall_timeout', e, sink);
        if (d === undefined) break;
        if (d <= 0n) sink.error(e.keyPos, 'stall_timeout must be greater than 0');
        else raw.stallNs = d;
        break;
      }
      default:
        if (!e.usedAsVariable) sink.unknownField(e.keyPos, key);
    }
  }
}

// ---- command-line overrides (nats-server ConfigureOptions / overrideCluster) ---------------

function applyOverrides(ov: CliOverrides, raw: Raw, sink: IssueSink): void {
  const c = raw.cluster;
  if (ov.cluster !== undefined) overrideCluster(ov.cluster, c, sink);
  if (ov.routes !== undefined) {
    if (ov.routes === '') c.routes = [];
    else {
      const urls: RouteUrl[] = [];
      for (const piece of ov.routes.split(',')) {
        const r = parseRouteUrl(piece.trim());
        if ('error' in r) sink.error(undefined, `--routes: ${r.error}`);
        else urls.push(r.url);
      }
      c.routes = urls;
      if (ov.cluster === undefined && c.host === '' && c.port === 0 && !c.portTrouble) {
        sink.error(undefined, 'solicited routes require cluster capabilities, e.g. --cluster');
        c.portTrouble = true;
      }
    }
  }
  if (ov.clusterName !== undefined) {
    if (ov.clusterName.includes(' ')) sink.error(undefined, 'cluster name cannot contain spaces');
    else c.name = ov.clusterName;
  }
  if (ov.clusterAdvertise !== undefined) c.advertise = { value: ov.clusterAdvertise };
  if (ov.noAdvertise) c.noAdvertise = true;
  if (ov.connectRetries !== undefined) c.connectRetries = ov.connectRetries;
  if (ov.serverName !== undefined) {
    if (ov.serverName.includes(' ')) sink.error(undefined, 'server name cannot contain spaces');
    else raw.serverName = ov.serverName;
  }
  if (ov.debug) raw.debug = true;
  if (ov.trace) raw.trace = true;
  if (ov.http !== undefined) {
    const hp = /^-?[0-9]+$/.test(ov.http)
      ? { host: raw.httpHost, port: Number(ov.http) }
      : parseListen({ type: 'string', value: ov.http, pos: { file: '', line: 0, column: 0 } });
    if ('error' in hp) sink.error(undefined, `--http: ${hp.error}`);
    else if (checkPortRange(hp.port, undefined, sink)) {
      raw.httpHost = hp.host;
      raw.httpPort = hp.port;
    }
  }
}

/** --cluster URL: host and port from the URL; its user info replaces (or clears) the credentials. */
function overrideCluster(listenStr: string, c: RawCluster, sink: IssueSink): void {
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

// ---- defaults and whole-config checks (setBaselineOptions, validateCluster) ----------------

const NUID_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** A random 22-character NUID-like name, as nats-server generates for a missing cluster name. */
export function generateName(): string {
  let s = '';
  for (let i = 0; i < 22; i++) s += NUID_ALPHABET[randomInt(NUID_ALPHABET.length)];
  return s;
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

function finish(raw: Raw, sink: IssueSink, configFile: string | undefined): Options | undefined {
  const c = raw.cluster;
  if (c.port === 0 && !c.portTrouble) sink.error(c.pos, CLUSTER_PORT_REQUIRED);

  // nats-server: an empty system_account is "not set" (the default applies), hence || and not ??.
  const systemAccount = raw.systemAccount || (raw.noSystemAccount ? '' : DEFAULT_SYSTEM_ACCOUNT);
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

  const topPing = raw.pingIntervalNs > 0n ? raw.pingIntervalNs : DEFAULT_PING_INTERVAL_NS;
  let pingNs = c.pingIntervalNs > 0n ? c.pingIntervalNs : topPing;
  if (pingNs > ROUTE_MAX_PING_INTERVAL_NS) pingNs = ROUTE_MAX_PING_INTERVAL_NS;
  const topPingMax = raw.pingMax !== 0 ? raw.pingMax : DEFAULT_PING_MAX;
  const topWrite = raw.writeDeadlineNs > 0n ? raw.writeDeadlineNs : DEFAULT_WRITE_DEADLINE_NS;

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
    pingMax: c.pingMax > 0 ? c.pingMax : topPingMax,
    writeDeadlineMs: nsToMs(c.writeDeadlineNs > 0n ? c.writeDeadlineNs : topWrite),
    writeTimeout: c.writeTimeout,
  };
  if (c.advertise) cluster.advertise = c.advertise.value;
  if (c.auth && (c.auth.user !== '' || c.auth.password !== '')) cluster.authorization = c.auth;
  // Cluster-level permissions win over the deprecated authorization.permissions, whatever the order.
  const perms = c.permissions ?? c.authPermissions;
  if (perms) cluster.permissions = perms;
  if (c.tls) cluster.tls = c.tls;

  const options: Options = {
    serverName: raw.serverName ?? generateName(),
    systemAccount,
    logging: { debug: raw.debug, trace: raw.trace, logtime: raw.logtime },
    cluster,
    proxy: {
      maxPending: raw.maxPending,
      highWater: Math.min(raw.highWater, raw.maxPending),
      lowWater: Math.min(raw.lowWater, Math.floor(Math.min(raw.highWater, raw.maxPending) / 2)),
      stallMs: Number(raw.stallNs / 1_000_000n),
      slabSize: SLAB_SIZE,
      lz4: raw.lz4,
    },
  };
  if (configFile !== undefined) options.configFile = configFile;
  if (raw.logfile !== undefined) options.logging.logfile = raw.logfile;
  if (raw.httpPort !== 0) options.http = { host: raw.httpHost === '' ? DEFAULT_HOST : raw.httpHost, port: raw.httpPort };
  return options;
}

/**
 * Validates a parsed config (plus command-line overrides) into Options. Never throws for
 * bad input: every problem is an issue. `options` is undefined when there is any error.
 */
export function buildOptions(
  root: ConfMap, overrides: CliOverrides = {}, opts: { configFile?: string } = {},
): BuildResult {
  const sink = new IssueSink();
  if (root.entries.size === 0 && opts.configFile !== undefined) {
    sink.warning(undefined, `${opts.configFile}: config has no values or is empty`);
  }
  const raw = emptyRaw();
  parseTop(root, raw, sink, overrides.cluster !== undefined);
  applyOverrides(overrides, raw, sink);
  const options = finish(raw, sink, opts.configFile);
  return { options, warnings: sink.warnings, errors: sink.errors };
}
