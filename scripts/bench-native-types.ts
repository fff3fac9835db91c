// Shapes shared by the native bench runner, its report and its charts.
import type { MachineInfo } from '../bench/machine.js';
import type { ProfileSummary } from './bench-native-profile.js';

/** What native-bench/build/nb_pub prints. */
export interface PubResult {
  published: number;
  size: number;
  payload: 'fill' | 'json';
  rate: number;
  start_ns: number;
  published_ns: number;
  flushed_ns: number;
  cpu_user_us: number;
  cpu_sys_us: number;
  status: string;
}

/** What native-bench/build/nb_sub prints. */
export interface SubResult {
  expected: number;
  received: number;
  unique: number;
  lost: number;
  duplicates: number;
  out_of_order: number;
  unexpected: number;
  bad_size: number;
  client_dropped: number;
  end: 'complete' | 'idle' | 'timeout';
  first_send_ns: number;
  first_recv_ns: number;
  last_recv_ns: number;
  latency_ns: { count: number; min: number; mean: number; p50: number; p90: number; p99: number; p999: number; max: number };
  cpu_user_us: number;
  cpu_sys_us: number;
}

export interface ProcessCost {
  label: string;
  role: 'server' | 'proxy' | 'publisher' | 'subscriber';
  cpuMs: number;
  /** CPU µs per message offered (published), so loss does not flatter a process. */
  usPerMsg: number;
}

export interface ScenarioResult {
  /** 'tls': the two-proxy path with route TLS on the proxy link (and, one cluster.tls per process, the site legs).
   * 's2' / 'lz4': the two-proxy path with only the proxy link compressed (issue 9). */
  topology: 'direct' | 'proxies' | 'tls' | 's2' | 'lz4';
  size: number;
  /** The filler after the 16-byte header: one repeated byte, or JSON-like text (nb_pub --payload). */
  payload: 'fill' | 'json';
  mode: 'full' | 'half';
  count: number;
  /** Offered rate (msgs/s) in 'half' mode; 0 = full speed. */
  rate: number;
  /** Delivered unique messages per second, first publish → last receive. */
  msgsPerSec: number;
  /** Payload MB/s (10^6 bytes) of the delivered messages. */
  mbPerSec: number;
  /** The publisher's own rate (publish calls until flushed). */
  pubMsgsPerSec: number;
  delivered: number;
  lost: number;
  duplicates: number;
  outOfOrder: number;
  end: SubResult['end'];
  /** One-way latency in µs (receive − publish timestamp, same clock). */
  latencyUs: { p50: number; p90: number; p99: number; p999: number; max: number; mean: number; count: number };
  cpu: ProcessCost[];
  /** Peak RSS of each proxy during the scenario (VmHWM, reset before it when the kernel allows). */
  peakRss: Array<{ label: string; bytes: number; sinceScenarioStart: boolean }>;
  wallSeconds: number;
  /** Slow consumers during the scenario, to tell where messages were lost: "B1 client 1" is the
   * subscriber's own connection (the load generator), not the path under test. */
  slowConsumers: string;
  /** CLOCK_MONOTONIC ns: first publish and last receive (to cut a CPU profile to the traffic). */
  windowNs: { start: number; end: number };
  /** The compressed-path rounds (issue 9): which round of (reference, s2, lz4) this run belongs to. */
  round?: number;
  /** Proxy paths: proxy A's connection to proxy B over the scenario (from /routez). */
  proxyLink?: { compression: string; wireBytes: number; wireBytesPerMsg: number };
}

/**
 * Issue 9: a compressed proxy link against the uncompressed two-proxy path, same size and
 * payload, same run. With several rounds every figure is the median over the rounds, each
 * ratio taken against the reference run of its own round.
 */
export interface CompressionComparison {
  size: number;
  payload: 'fill' | 'json';
  topology: 's2' | 'lz4';
  /** What /routez showed on the proxy link (e.g. s2_fast, lz4). */
  mode: string;
  msgsPerSec: number;
  /** Throughput ratio to the uncompressed two-proxy path (undefined when that was not measured). */
  vsUncompressed?: number;
  /** Bytes on the proxy link per relayed message, and as a share of the uncompressed link's. */
  wireBytesPerMsg: number;
  wireVsUncompressed?: number;
  proxyA: { usPerMsg?: number; vsUncompressed?: number };
  proxyB: { usPerMsg?: number; vsUncompressed?: number };
  lost: number;
  /** Per round: msg/s and the throughput ratio against that round's reference. */
  rounds: Array<{ msgsPerSec: number; vsUncompressed?: number }>;
}

export interface TargetCheck {
  name: string;
  target: string;
  measured: string;
  pass: boolean | undefined;
}

import type { InterestBenchResult } from './bench-interest.js';

export interface NativeReport {
  kind: 'native';
  machine: MachineInfo;
  versions: { natsServer: string; libnats: string; proxy: string; proxyCommit: string; cc: string };
  settings: {
    quick: boolean; sizes: number[]; counts: Record<string, number>; topologies: string[]; halfLoadRule: string; warmup?: string;
    /** Payload of the main matrix; the compressed paths always use 'json'. */
    payload: 'fill' | 'json';
    /** Subjects the publisher rotates over in the measured scenarios (1: one subject). */
    subjects?: number;
    compressionSizes: number[];
    compressionRounds?: number;
  };
  scenarios: ScenarioResult[];
  /** Scenarios that could not be measured (the run goes on and exits 1). */
  errors: string[];
  /** Route parser alone on 128-byte RMSG in 64 KiB chunks (micro harness, same run). */
  parser128MsgsPerSec?: number;
  targets: TargetCheck[];
  /** Issue 10: the TLS path as ratios to the plaintext two-proxy path and the direct route, per size. */
  tls?: TlsComparison[];
  /** Issue 9: the compressed proxy links as ratios to the uncompressed two-proxy path. */
  compression?: CompressionComparison[];
  profile?: ProfileSummary & { scenario: ScenarioResult };
  /** Issue 12: interest propagation rate through the proxies and over a direct route (topology "interest"). */
  interest?: InterestBenchResult;
  /** Issue 8: route pooling (pool sizes 1 and 3, one and several accounts) across two proxies. */
  pool?: PoolReport;
  /** Issue 8: request/reply latency of account A while HEAVY floods its pinned connection. */
  hol?: HolReport;
  charts: string[];
  durationSeconds: number;
}

/** One size of the TLS scenario against the plaintext paths of the same run (ratios = tls / plain). */
export interface TlsComparison {
  size: number;
  msgsPerSec: number;
  /** Throughput ratios; undefined when that path was not measured. */
  vsProxies?: number;
  vsDirect?: number;
  /** CPU µs per message of each proxy under TLS, and as a ratio to the same proxy in plaintext. */
  proxyA: { usPerMsg?: number; vsProxies?: number };
  proxyB: { usPerMsg?: number; vsProxies?: number };
  /** Lost messages as a share of those published: TLS, plaintext proxies, direct. */
  lossShare: { tls: number; proxies?: number; direct?: number };
  /** tls loss share / plaintext loss share; undefined when the plaintext path lost nothing. */
  lossVsProxies?: number;
}

/** What native-bench/build/nb_rtt prints. */
export interface RttResult {
  count: number;
  replies: number;
  timeouts: number;
  size: number;
  start_ns: number;
  elapsed_ns: number;
  rtt_ns: SubResult['latency_ns'];
}

/** One pub/sub pair of a pool scenario (its own account). */
export interface PoolPair {
  account: string;
  msgsPerSec: number;
  delivered: number;
  lost: number;
  duplicates: number;
  p99Us: number;
}

/** One pool scenario: 1 or 4 pub/sub pairs in parallel over pool1 or pool3. */
export interface PoolRun {
  topology: 'pool1' | 'pool3';
  size: number;
  accounts: number;
  /** Messages per pair. */
  count: number;
  /** Summed delivered unique messages / (last receive of any pair − first publish of any pair). */
  msgsPerSec: number;
  pairs: PoolPair[];
  /** CPU µs per published message (all pairs) of each proxy. */
  proxyUsPerMsg: { a: number; b: number };
  /** Proxy A's connections to proxy B that carried messages in this scenario, of how many. */
  linksUsed: number;
  links: number;
  slowConsumers: string;
}

/** pool3 against pool1, same size and account count, same run. */
export interface PoolComparison {
  size: number;
  accounts: number;
  pool1MsgsPerSec?: number;
  pool3MsgsPerSec?: number;
  ratio?: number;
}

export interface PoolReport {
  accounts: string[];
  runs: PoolRun[];
  comparisons: PoolComparison[];
}

/** A latency probe's round trip in µs. */
export interface RttSummary {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** Requests answered (the histogram's count). */
  replies: number;
  timeouts: number;
}

/** One path of the head-of-line scenario: idle and under the HEAVY flood. */
export interface HolPath {
  path: 'direct' | 'proxies';
  /** Offered HEAVY rate in msg/s; 0 = full speed. */
  floodRate: number;
  idle: RttSummary;
  loaded: RttSummary;
  /** loaded / idle. */
  p50Ratio: number;
  p99Ratio: number;
  /** HEAVY messages B1 received per second while the loaded probe ran. */
  floodMsgsPerSec: number;
}

export interface HolReport {
  probeCount: number;
  probeSize: number;
  floodSize: number;
  /** A probe stops after probeCount requests or this many ms, whichever comes first. */
  probeMaxMs: number;
  paths: HolPath[];
}
