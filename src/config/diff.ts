// Reload (SIGHUP) with nats-server's rules: what changed between two Options, and whether each
// change can be applied to the running daemon. One refused change refuses the whole reload
// (nats-server: "config reload not supported for ..."), so the old configuration keeps running.
import type { Options } from './options.js';

export type ChangeKind =
  | 'authorization' // cluster authorization and permissions
  | 'routes'
  | 'logging'
  | 'proxy' // proxy {} bounds
  | 'tls'
  | 'compression'
  | 'pool' // pool_size / accounts
  | 'connection-settings' // ping, write deadline, retries: used by connections made from now on
  | 'refused';

export interface OptionChange {
  /** The option, as an operator writes it (`cluster.routes`, `debug`). */
  field: string;
  kind: ChangeKind;
  live: boolean;
  /** Why it cannot be applied live (for the log). */
  reason?: string;
}

export interface OptionsDiff {
  changes: OptionChange[];
  /** Every change can be applied without a restart. */
  applicable: boolean;
  /** The refusals, one line each. */
  refusals: string[];
}

function same(a: unknown, b: unknown): boolean {
  // Options are plain JSON-like data without cycles; source positions do not count.
  return JSON.stringify(a, (k, v: unknown) => (k === 'pos' ? undefined : v))
    === JSON.stringify(b, (k, v: unknown) => (k === 'pos' ? undefined : v));
}

function shown(v: unknown): string {
  return v === undefined ? '<unset>' : typeof v === 'string' ? v : JSON.stringify(v);
}

export function diffOptions(old: Options, next: Options, opts: { tlsReloadable?: boolean } = {}): OptionsDiff {
  const changes: OptionChange[] = [];
  const refuse = (field: string, a: unknown, b: unknown, why = 'config reload not supported') => {
    changes.push({ field, kind: 'refused', live: false, reason: `${why} for ${field}: old=${shown(a)}, new=${shown(b)}` });
  };
  const live = (field: string, kind: ChangeKind) => changes.push({ field, kind, live: true });
  const oc = old.cluster;
  const nc = next.cluster;

  // What needs a new listener or a new identity cannot change under running routes.
  if (oc.host !== nc.host) refuse('cluster.host', oc.host, nc.host);
  if (oc.port !== nc.port) refuse('cluster.port', oc.port, nc.port);
  if (!(oc.nameDynamic && nc.nameDynamic) && (oc.name !== nc.name || oc.nameDynamic !== nc.nameDynamic)) {
    refuse('cluster.name', oc.nameDynamic ? undefined : oc.name, nc.nameDynamic ? undefined : nc.name);
  }
  if (!(old.serverNameDynamic && next.serverNameDynamic) && old.serverName !== next.serverName) {
    refuse('server_name', old.serverName, next.serverName);
  }
  if (!same(old.http, next.http)) refuse('http', old.http, next.http);
  if (old.pidFile !== next.pidFile) refuse('pid_file', old.pidFile, next.pidFile);
  if (old.systemAccount !== next.systemAccount) refuse('system_account', old.systemAccount, next.systemAccount);
  if (oc.advertise !== nc.advertise) refuse('cluster.advertise', oc.advertise, nc.advertise, 'config reload not supported by the proxy yet');
  if (oc.noAdvertise !== nc.noAdvertise) refuse('cluster.no_advertise', oc.noAdvertise, nc.noAdvertise, 'config reload not supported by the proxy yet');

  if (!same(oc.authorization, nc.authorization) || oc.authTimeoutMs !== nc.authTimeoutMs) live('cluster.authorization', 'authorization');
  if (!same(oc.permissions, nc.permissions)) live('cluster.permissions', 'authorization');
  if (!same(oc.routes.map(routeKey), nc.routes.map(routeKey))) live('cluster.routes', 'routes');
  if (!same(oc.tls, nc.tls)) {
    // Certificates reload live; turning TLS on or off changes what every route speaks first.
    if ((oc.tls === undefined) !== (nc.tls === undefined)) {
      refuse('cluster.tls', oc.tls ? 'set' : undefined, nc.tls ? 'set' : undefined);
    } else if (opts.tlsReloadable) live('cluster.tls', 'tls');
    else refuse('cluster.tls', oc.tls ? 'set' : undefined, nc.tls ? 'set' : undefined, 'config reload not supported until route TLS exists');
  }
  if (!same(oc.compression, nc.compression)) live('cluster.compression', 'compression');
  if (oc.poolSize !== nc.poolSize) live('cluster.pool_size', 'pool');
  if (!same(oc.accounts, nc.accounts)) live('cluster.accounts', 'pool');
  for (const [field, a, b] of [
    ['cluster.ping_interval', oc.pingIntervalMs, nc.pingIntervalMs],
    ['cluster.ping_max', oc.pingMax, nc.pingMax],
    ['cluster.write_deadline', oc.writeDeadlineMs, nc.writeDeadlineMs],
    ['cluster.write_timeout', oc.writeTimeout, nc.writeTimeout],
    ['cluster.connect_retries', oc.connectRetries, nc.connectRetries],
    ['cluster.connect_backoff', oc.connectBackoff, nc.connectBackoff],
    ['lame_duck_duration', old.lameDuckDurationMs, next.lameDuckDurationMs],
    ['lame_duck_grace_period', old.lameDuckGracePeriodMs, next.lameDuckGracePeriodMs],
  ] as const) {
    if (a !== b) live(field, 'connection-settings');
  }
  for (const k of ['debug', 'trace'] as const) {
    if (old.logging[k] !== next.logging[k]) live(k, 'logging');
  }
  for (const k of ['logtime', 'logfile'] as const) {
    if (old.logging[k] !== next.logging[k]) refuse(k, old.logging[k], next.logging[k], 'config reload not supported by the proxy yet');
  }
  if (!same(old.proxy, next.proxy)) live('proxy', 'proxy');

  const refusals = changes.filter((c) => !c.live).map((c) => c.reason!);
  return { changes, applicable: refusals.length === 0, refusals };
}

/** A route's identity for reload: address and credentials (a changed password redials). */
function routeKey(r: Options['cluster']['routes'][number]): string {
  return `${r.protocol}//${r.user ?? ''}:${r.password ?? ''}@${r.host}:${r.port}`;
}
