// Route compression negotiation as pure functions, exactly as nats-server decides
// (route-protocol.md §5; server.go selectCompressionMode, needsCompression,
// compressionModeForInfoProtocol, selectS2AutoModeBasedOnRTT), plus the proxy-link choice.
import type { S2Level } from './s2.js';

/** Values the INFO `compression` field and cluster.compression (normalized) can hold. */
export type RouteCompressionMode = 'off' | 'accept' | 'not supported' | 's2_auto' | S2Level;

const S2_MODES: ReadonlySet<string> = new Set(['s2_auto', 's2_uncompressed', 's2_fast', 's2_better', 's2_best']);

export const DEFAULT_RTT_THRESHOLDS_MS: readonly number[] = [10, 50, 100];

/** needsCompression: whether a side configured `local` negotiates at all. */
export function needsCompression(local: string): boolean {
  return local !== '' && local !== 'off' && local !== 'not supported';
}

/**
 * server.go selectCompressionMode(scm, rcm) for a local mode that negotiates: the mode this side
 * writes. `remote` undefined = the INFO had no `compression` field (an old server).
 */
export function selectCompressionMode(local: string, remote: string | undefined): { mode: string } | { error: string } {
  if (remote === undefined || remote === '' || remote === 'not supported') return { mode: 'not supported' };
  if (remote === 'off') return { mode: 'off' };
  if (remote === 'accept') return { mode: local === 'accept' ? 'off' : local };
  if (S2_MODES.has(remote)) {
    if (local === 'accept') return { mode: remote === 's2_auto' ? 's2_fast' : remote };
    return { mode: local };
  }
  return { error: `unsupported route compression mode ${JSON.stringify(remote)}` };
}

export type RouteNegotiation =
  /** Route runs uncompressed; `mode` is what /routez shows. Registers on this INFO. */
  | { compress: false; mode: 'off' | 'not supported' }
  /** This side writes S2 at `mode` (s2_auto: pick the level with selectS2AutoLevel). Registers on the next INFO. */
  | { compress: true; mode: 's2_auto' | S2Level }
  /** Send `errLine`, close the connection as a protocol violation. */
  | { compress: false; error: string; errLine: string };

/**
 * The whole decision a route connection makes on the peer's first INFO (§5.2, §5.3): local is our
 * normalized cluster.compression mode, remote the INFO's field (undefined when absent).
 */
export function negotiateRouteCompression(local: RouteCompressionMode, remote: string | undefined): RouteNegotiation {
  if (!needsCompression(local)) {
    // No negotiation: an old peer (or our own "not supported") is marked as such, else off.
    const unsupported = remote === undefined || remote === '' || local === 'not supported';
    return { compress: false, mode: unsupported ? 'not supported' : 'off' };
  }
  const r = selectCompressionMode(local, remote);
  if ('error' in r) return { compress: false, error: r.error, errLine: `-ERR '${r.error}'\r\n` };
  if (r.mode === 'off' || r.mode === 'not supported') return { compress: false, mode: r.mode };
  return { compress: true, mode: r.mode as 's2_auto' | S2Level };
}

/**
 * The INFO `compression` value (§5.1). The acceptor's first INFO carries the configured mode;
 * the dialer's INFO carries the negotiated one, except that a side configured s2_auto always says
 * s2_auto (compressionModeForInfoProtocol).
 */
export function infoCompressionValue(local: RouteCompressionMode, negotiated?: string): string {
  if (negotiated === undefined || local === 's2_auto') return local;
  return negotiated;
}

/**
 * selectS2AutoModeBasedOnRTT: the first threshold the RTT does not exceed picks uncompressed,
 * fast, better, best by index; past all of them, best with ≥ 3 thresholds, else the last index.
 */
export function selectS2AutoLevel(rttMs: number, thresholdsMs: readonly number[] = DEFAULT_RTT_THRESHOLDS_MS): S2Level {
  let idx = -1;
  for (let i = 0; i < thresholdsMs.length; i++) {
    if (rttMs <= thresholdsMs[i]!) {
      idx = i;
      break;
    }
  }
  if (idx < 0) idx = thresholdsMs.length >= 3 ? 3 : thresholdsMs.length - 1;
  switch (idx) {
    case 0: return 's2_uncompressed';
    case 1: return 's2_fast';
    case 2: return 's2_better';
    default: return 's2_best';
  }
}

/** The level to write with after negotiation: s2_auto starts from the handshake RTT (§5.6). */
export function initialS2Level(mode: 's2_auto' | S2Level, rttMs: number, thresholdsMs?: readonly number[]): S2Level {
  return mode === 's2_auto' ? selectS2AutoLevel(rttMs, thresholdsMs) : mode;
}

/** On each PONG of an s2_auto route: the new level, or undefined when the RTT band is unchanged. */
export function reselectS2AutoLevel(current: S2Level, rttMs: number, thresholdsMs?: readonly number[]): S2Level | undefined {
  const next = selectS2AutoLevel(rttMs, thresholdsMs);
  return next === current ? undefined : next;
}

// ---------------------------------------------------------------------------
// Proxy ↔ proxy links. Each proxy offers, in its INFO's proxy extension, the codecs it has
// enabled ('lz4', 's2'). Both directions use the same codec kind: LZ4 when both offer it, else S2
// when both offer it, else none. The S2 level is each writer's own (any S2 reader reads any level),
// and it is a fixed level by default: RTT-driven switching can feed back on CPU load (nats-server #7037).

export type ProxyLinkCodec = 'lz4' | 's2' | 'off';

export interface ProxyLinkCompression {
  lz4: boolean;
  /** Our S2 level towards proxies, or 'off'. */
  s2: S2Level | 'off';
}

/** What we put in the proxy extension of our INFO. */
export function proxyLinkOffer(local: ProxyLinkCompression): string[] {
  const offer: string[] = [];
  if (local.lz4) offer.push('lz4');
  if (local.s2 !== 'off') offer.push('s2');
  return offer;
}

/**
 * The codec on the link, given our offer and the peer's (undefined = a proxy that offers
 * nothing). Unknown entries are ignored, so a newer proxy's codecs do not break an older one.
 */
export function selectProxyLinkCodec(localOffer: readonly string[], remoteOffer: readonly string[] | undefined): ProxyLinkCodec {
  if (!remoteOffer) return 'off';
  const both = (c: string): boolean => localOffer.includes(c) && remoteOffer.includes(c);
  if (both('lz4')) return 'lz4';
  if (both('s2')) return 's2';
  return 'off';
}
