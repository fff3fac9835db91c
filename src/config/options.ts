// The typed, validated and normalized options the daemon runs on. Produced by
// buildOptions() (src/config/build.ts) from a ConfMap plus command-line overrides.
import type { SourcePos } from './tree.js';

export type CompressionMode =
  | 'off' | 'accept' | 's2_auto' | 's2_fast' | 's2_better' | 's2_best' | 'not supported';

export interface RouteUrl {
  /** The URL as written, with the password replaced by [REDACTED] (safe to log). */
  display: string;
  protocol: string; // 'nats:' | 'nats-route:' | ...
  host: string; // '' when the URL has none (fails at connect time, like nats-server)
  port: number; // 0 when the URL has none
  user?: string;
  password?: string;
  pos?: SourcePos;
}

export interface SubjectPermission { allow?: string[]; deny?: string[] }

export interface RouteTlsOptions {
  certFile?: string;
  keyFile?: string;
  caFile?: string;
  verify: boolean; // always true for routes in nats-server; kept for display
  verifyAndMap: boolean;
  verifyCertAndCheckKnownUrls: boolean;
  insecure: boolean;
  timeoutMs: number; // default 2000
  cipherSuites?: string[];
  curvePreferences?: string[];
  minVersion?: '1.2' | '1.3';
  pinnedCerts?: string[]; // lower-case hex sha256 of SPKI
}

export interface ClusterOptions {
  enabled: boolean; // port != 0 (nats-server: clustering on only with a port)
  name: string; // generated when absent
  nameDynamic: boolean;
  host: string; // default 0.0.0.0
  port: number; // -1 = random
  advertise?: string;
  noAdvertise: boolean;
  routes: RouteUrl[];
  connectRetries: number;
  connectBackoff: boolean;
  authorization?: { user: string; password: string }; // password may be a bcrypt hash
  authTimeoutMs: number; // default 2000, or tls timeout + 1s with TLS
  permissions?: { import?: SubjectPermission; export?: SubjectPermission };
  tls?: RouteTlsOptions;
  poolSize: number; // default 3; -1 disables pooling
  accounts: string[]; // pinned accounts, system account appended when poolSize > 0
  compression: { mode: CompressionMode; rttThresholdsMs: number[] };
  pingIntervalMs: number; // capped at 30 s for routes
  pingMax: number; // default 2
  writeDeadlineMs: number; // default 10 s
  writeTimeout: 'default' | 'close' | 'retry';
}

/** Limits against hostile or broken peers; 0 = no limit (src/config/limits-option.ts has the defaults). */
export interface ProxyLimits {
  /** Accepted route connections open at once; more are refused. */
  maxConnections: number;
  /** Gossiped (implicit) routes being solicited at once; more gossip is ignored. */
  maxGossipedRoutes: number;
  /** Interest entries one connection may hold. */
  maxInterestPerConnection: number;
  /** Interest entries one connection may hold in one account. */
  maxInterestPerAccount: number;
}

export interface ProxyOptions extends ProxyLimits {
  /** Bound on the bytes queued for a slow consumer before its messages are dropped; also the largest inbound message. */
  maxPending: number;
  /** Offer LZ4 on links to other proxies (used when both offer it); servers never see it. */
  lz4: boolean;
  /** Queued bytes at which a connection pauses the connections feeding it. */
  highWater: number;
  /** Queued bytes under which the paused producers resume. */
  lowWater: number;
  /** How long a congested connection may hold its producers before it is a slow consumer. */
  stallMs: number;
  /** Outbound slab size (not configurable). */
  slabSize: number;
  /** Process-wide cap on what connections hold (large inbound payloads, outbound queues); 0 = none. */
  maxMemory: number;
}

export interface LoggingOptions {
  debug: boolean;
  trace: boolean;
  logtime: boolean;
  logfile?: string;
}

export interface Options {
  configFile?: string;
  /** pid_file: the daemon writes its PID here (for --signal). */
  pidFile?: string;
  serverName: string; // generated when absent
  serverNameDynamic?: boolean; // true when generated
  /** SIGUSR2: how long lame duck mode lasts before the shutdown (nats-server lame_duck_duration, 2m). */
  lameDuckDurationMs?: number;
  /** SIGUSR2: how long to wait before lame duck mode starts closing (nats-server lame_duck_grace_period, 10s). */
  lameDuckGracePeriodMs?: number;
  systemAccount: string; // '$SYS' unless system_account is set
  http?: { host: string; port: number }; // monitoring listener
  logging: LoggingOptions;
  cluster: ClusterOptions;
  proxy: ProxyOptions;
}

/** Command-line values that override the file (nats-server flag semantics). */
export interface CliOverrides {
  cluster?: string; // --cluster URL
  routes?: string; // --routes URL,URL
  clusterName?: string; // --cluster_name
  clusterAdvertise?: string;
  noAdvertise?: boolean;
  connectRetries?: number;
  serverName?: string;
  debug?: boolean;
  trace?: boolean;
  http?: string;
}
