// Route compression for one connection (route-protocol.md §5, src/compression/README.md):
// what our INFO says, the decision on the peer's first INFO, the S2 stages the connection
// installs at the §5.4 switch points, s2_auto level changes on PONG, and the byte counters
// monitoring reads. The connection only calls in at the switch points; with compression off
// nothing here is on the per-message path (no stage is installed).
import {
  CompressionError, Lz4Decoder, Lz4Encoder, S2Decoder, S2Encoder, selectProxyLinkCodec, infoCompressionValue, initialS2Level, negotiateRouteCompression,
  reselectS2AutoLevel, DEFAULT_RTT_THRESHOLDS_MS, type RouteCompressionMode, type RouteNegotiation, type S2Level,
} from '../compression/index.js';
import type { InboundStage } from './connection.js';
import type { OutboundStage } from './outbound.js';

export interface RouteCompressionConfig {
  mode: RouteCompressionMode;
  /** s2_auto thresholds; empty = nats-server's defaults (10, 50, 100 ms). */
  rttThresholdsMs: readonly number[];
  /** proxy { lz4 }: offered to other proxies, used when both offer it. */
  lz4?: boolean;
}

/** A route's decision, plus LZ4 on a proxy link (both proxies offered it in `nrp`). */
export type LinkNegotiation = RouteNegotiation | { compress: true; mode: 'lz4' };

interface Encoder {
  encode(slab: readonly Buffer[]): Buffer;
  /** The stream as pieces to write in order, none aliasing the input (S2's native level). */
  encodeParts?(parts: readonly Buffer[]): Buffer[];
}
interface Decoder { push(chunk: Buffer): Buffer[] }

export class RouteCompression implements InboundStage, OutboundStage {
  /** What /routez shows: '' before negotiation, then off / not supported / the level in use. */
  mode = '';
  /** Whether this connection writes and reads S2 (after the switch points). */
  active = false;
  private negotiated: LinkNegotiation | undefined;
  private encoder: Encoder | undefined;
  private level_: S2Level | undefined;
  private decoder: Decoder | undefined;
  private readonly thresholds: readonly number[];
  /** Bytes the stages handled: wire (compressed) and plain (uncompressed), each direction. */
  wireIn = 0;
  plainIn = 0;
  wireOut = 0;
  plainOut = 0;

  constructor(
    private readonly config: RouteCompressionConfig,
    /** A corrupt stream or a bomb: the owner closes this connection with the reason. */
    private readonly onError: (err: CompressionError) => void,
  ) {
    this.thresholds = config.rttThresholdsMs.length > 0 ? config.rttThresholdsMs : DEFAULT_RTT_THRESHOLDS_MS;
  }

  /** The `compression` value of the INFO we send now (§5.1): configured, then negotiated. */
  infoValue(): string {
    const n = this.negotiated;
    if (n === undefined || 'error' in n) return infoCompressionValue(this.config.mode);
    // LZ4 is chosen from `nrp` by both proxies; the route field keeps its nats-server meaning.
    if (n.mode === 'lz4') return infoCompressionValue(this.config.mode);
    return infoCompressionValue(this.config.mode, n.mode);
  }

  /**
   * The peer's first INFO (§5.2, §5.3). Called once per connection. `proxyOffer`: the codecs a
   * proxy peer offers in its `nrp` extension (undefined for a nats-server: never LZ4 there).
   */
  negotiate(remote: string | undefined, proxyOffer?: readonly string[]): LinkNegotiation {
    if (this.config.lz4 && proxyOffer && selectProxyLinkCodec(['lz4'], proxyOffer) === 'lz4') {
      this.negotiated = { compress: true, mode: 'lz4' };
      this.mode = 'lz4';
      return this.negotiated;
    }
    let n: LinkNegotiation = negotiateRouteCompression(this.config.mode, remote);
    // Between proxies s2_auto is a fixed level: RTT-driven switching can feed back on CPU load
    // (nats-server #7037), and no nats-server is there to expect Go's behaviour.
    if (proxyOffer && n.compress && n.mode === 's2_auto') n = { compress: true, mode: 's2_fast' };
    this.negotiated = n;
    if (!('error' in n)) this.mode = n.mode;
    return n;
  }

  /** Installs the writer; s2_auto starts from the handshake RTT (time since the connection was made, as Go). */
  startWriting(handshakeRttMs: number): void {
    const n = this.negotiated;
    if (!n || !n.compress) return;
    this.active = true;
    if (n.mode === 'lz4') {
      this.encoder = new Lz4Encoder();
      return;
    }
    const level = initialS2Level(n.mode, handshakeRttMs, this.thresholds);
    this.encoder = new S2Encoder(level);
    this.level_ = level;
    this.mode = level;
  }

  startReading(): void {
    this.decoder = this.negotiated !== undefined && 'mode' in this.negotiated && this.negotiated.mode === 'lz4'
      ? new Lz4Decoder()
      : new S2Decoder();
  }

  /** s2_auto: re-pick the level from a PONG's RTT; a change just swaps the encoder (§5.6, no signal). */
  rtt(rttMs: number): void {
    if (!this.level_ || this.negotiated === undefined || !('mode' in this.negotiated)) return;
    if (this.negotiated.mode !== 's2_auto') return;
    const next = reselectS2AutoLevel(this.level_, rttMs, this.thresholds);
    if (next === undefined) return;
    this.encoder = new S2Encoder(next);
    this.level_ = next;
    this.mode = next;
  }

  /** The S2 level in use (undefined when not writing S2). */
  get level(): S2Level | undefined {
    return this.level_;
  }

  // ── stages ──────────────────────────────────────────────────────────

  /** OutboundStage: one complete S2 stream per flushed batch, as nats-server's flushOutbound. */
  encode(batch: Buffer[]): Buffer[] {
    let n = 0;
    for (let i = 0; i < batch.length; i++) n += batch[i]!.length;
    const enc = this.encoder!;
    if (enc.encodeParts) {
      const pieces = enc.encodeParts(batch);
      let w = 0;
      for (let i = 0; i < pieces.length; i++) w += pieces[i]!.length;
      this.plainOut += n;
      this.wireOut += w;
      return pieces;
    }
    const out = enc.encode(batch);
    this.plainOut += n;
    this.wireOut += out.length;
    return [out];
  }

  /** InboundStage: socket bytes in, decoded bytes out; a bad stream closes the connection, nothing is parsed. */
  decode(chunk: Buffer): Buffer[] {
    const dec = this.decoder;
    if (!dec) return [chunk];
    this.wireIn += chunk.length;
    let out: Buffer[];
    try {
      out = dec.push(chunk);
    } catch (err) {
      if (!(err instanceof CompressionError)) throw err;
      this.onError(err);
      return [];
    }
    for (let i = 0; i < out.length; i++) this.plainIn += out[i]!.length;
    return out;
  }
}
