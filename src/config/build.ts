// From the parsed tree to validated Options: nats-server's processConfigFileLine (with its
// wording and positions; the cluster block is src/config/cluster-option.ts), the command-line
// overrides, setBaselineOptions and validateCluster, all in one step. Differences from nats-server, on purpose:
//  * a wrong type does not abort the rest of its block: every error is reported;
//  * start-time checks (compression modes, pool_size/accounts, advertise) run here too,
//    so `-t` tells whether the daemon would start;
//  * keys nats-server would apply in random map order (listen with host/port, aliases,
//    keys differing only in case) are an error instead of a coin toss;
//  * passwords are replaced by [REDACTED] wherever a message would quote them.
import type { CliOverrides, Options, ProxyLimits, RouteUrl } from './options.js';
import type { ConfEntry, ConfMap } from './tree.js';
import { IssueSink, type ConfigIssue } from './issues.js';
import {
  bool, checkPortRange, checkRandomOrder, duration, generateName, int, parseListen, SECOND_NS, str,
} from './fields.js';
import { emptyRawCluster, finishCluster, overrideCluster, parseCluster, type RawCluster } from './cluster-option.js';
import { parseRouteUrl } from './route-url.js';
import { nsToMs } from './duration.js';
import { DEFAULT_PROXY_LIMITS, parseProxyLimit } from './limits-option.js';

export { formatIssue, type ConfigIssue } from './issues.js';
export { CLUSTER_PORT_REQUIRED } from './cluster-option.js';
export { generateName } from './fields.js';

export interface BuildResult {
  options: Options | undefined; // undefined when there is any error
  warnings: ConfigIssue[];
  errors: ConfigIssue[];
}

const DEFAULT_PING_INTERVAL_NS = 120n * SECOND_NS;
const DEFAULT_WRITE_DEADLINE_NS = 10n * SECOND_NS;
const DEFAULT_PING_MAX = 2;
const DEFAULT_SYSTEM_ACCOUNT = '$SYS';
const DEFAULT_HOST = '0.0.0.0';
const DEFAULT_MAX_PENDING = 64 * 1024 * 1024; // nats-server's MAX_PENDING_SIZE
// Flow control (design.md §3), chosen by measurement (README "Flow control"): a target past the
// high-water mark pauses its producers, below the low-water mark they resume, and a target
// still congested after the stall budget becomes a slow consumer.
const DEFAULT_HIGH_WATER = 4 * 1024 * 1024;
const DEFAULT_LOW_WATER = 1024 * 1024;
const DEFAULT_STALL_MS = 1000;
/** Process-wide memory budget: eight connections at the default max_pending. */
const DEFAULT_MAX_MEMORY = 512 * 1024 * 1024;
/** Outbound slab size: one writev moves up to several of these. */
const SLAB_SIZE = 256 * 1024;

// ---- what the file (and flags) said, before defaults ---------------------------------------

interface Raw {
  serverName?: string;
  httpHost: string;
  httpPort: number;
  debug: boolean;
  trace: boolean;
  logtime: boolean;
  logfile?: string;
  pidFile?: string;
  lameDuckDurationNs?: bigint;
  lameDuckGraceNs?: bigint;
  pingIntervalNs: bigint;
  pingMax: number;
  writeDeadlineNs: bigint;
  systemAccount?: string;
  noSystemAccount: boolean;
  maxPending: number;
  highWater: number;
  lowWater: number;
  stallNs: bigint;
  maxMemory: number;
  limits: ProxyLimits;
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
    maxMemory: DEFAULT_MAX_MEMORY,
    limits: { ...DEFAULT_PROXY_LIMITS },
    lz4: false,
    cluster: emptyRawCluster(),
  };
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
      case 'pid_file': {
        const s = str(e, sink);
        if (s !== undefined) raw.pidFile = s;
        break;
      }
      case 'lame_duck_duration': {
        const d = duration('lame_duck_duration', e, sink);
        if (d === undefined) break;
        if (d <= 0n) sink.error(e.keyPos, `invalid lame_duck_duration of ${d}, minimum is 30 seconds`);
        else raw.lameDuckDurationNs = d;
        break;
      }
      case 'lame_duck_grace_period': {
        const d = duration('lame_duck_grace_period', e, sink);
        if (d === undefined) break;
        if (d < 0n) sink.error(e.keyPos, 'invalid lame_duck_grace_period, needs to be positive');
        else raw.lameDuckGraceNs = d;
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
        parseCluster(e, raw.cluster, sink, clusterFlag);
        break;
      case 'proxy':
        parseProxy(e, raw, sink);
        break;
      default:
        if (!e.usedAsVariable) sink.unknownField(e.keyPos, key);
    }
  }
}

/** proxy { max_pending, flow marks, limits }: what is ours and not nats-server's. */
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
      case 'max_memory': {
        const n = int(e, sink);
        if (n === undefined) break;
        if (n < 0) sink.error(e.keyPos, `max_memory must not be negative, got ${n}`);
        else raw.maxMemory = n;
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
        if (parseProxyLimit(key.toLowerCase(), e, raw.limits, sink)) break;
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

// ---- defaults and whole-config checks (setBaselineOptions, validateCluster) ----------------

function finish(raw: Raw, sink: IssueSink, configFile: string | undefined): Options | undefined {
  // nats-server: an empty system_account is "not set" (the default applies), hence || and not ??.
  const systemAccount = raw.systemAccount || (raw.noSystemAccount ? '' : DEFAULT_SYSTEM_ACCOUNT);
  const cluster = finishCluster(raw.cluster, {
    pingIntervalNs: raw.pingIntervalNs > 0n ? raw.pingIntervalNs : DEFAULT_PING_INTERVAL_NS,
    pingMax: raw.pingMax !== 0 ? raw.pingMax : DEFAULT_PING_MAX,
    writeDeadlineNs: raw.writeDeadlineNs > 0n ? raw.writeDeadlineNs : DEFAULT_WRITE_DEADLINE_NS,
  }, systemAccount, sink);
  if (!cluster || sink.errors.length > 0) return undefined;

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
      maxMemory: raw.maxMemory,
      lz4: raw.lz4,
      ...raw.limits,
    },
  };
  if (configFile !== undefined) options.configFile = configFile;
  // Not enumerable: for reload only (a generated name is not a change), never shown by -t.
  if (raw.serverName === undefined) Object.defineProperty(options, 'serverNameDynamic', { value: true, enumerable: false });
  if (raw.logfile !== undefined) options.logging.logfile = raw.logfile;
  if (raw.pidFile !== undefined) options.pidFile = raw.pidFile;
  if (raw.lameDuckDurationNs !== undefined) options.lameDuckDurationMs = nsToMs(raw.lameDuckDurationNs);
  if (raw.lameDuckGraceNs !== undefined) options.lameDuckGracePeriodMs = nsToMs(raw.lameDuckGraceNs);
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
