// Route compression for one connection (route-protocol.md §5, src/compression/README.md):
// what our INFO says, the decision on the peer's first INFO, the S2 stages the connection
// installs at the §5.4 switch points, s2_auto level changes on PONG, and the byte counters
// monitoring reads. The connection only calls in at the switch points; with compression off
// nothing here is on the per-message path (no stage is installed).
import {
  CompressionError, Lz4Decoder, Lz4Encoder, S2Decoder, S2Encoder, selectProxyLinkCodec, infoCompressionValue, initialS2Level, negotiateRouteCompression,
  reselectS2AutoLevel, selectS2AutoLevel, DEFAULT_RTT_THRESHOLDS_MS, type DecodedSink, type RouteCompressionMode, type RouteNegotiation, type S2Level,
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

/**
 * What a reload's new cluster.compression does to one registered connection (nats-server
 * reload.go, clusterOption.Apply): nothing, a new writer level on the live connection, or a
 * close so that the reconnect negotiates again.
 */
export type CompressionReload = 'unchanged' | 'level' | 'close';

/** A route's decision, plus LZ4 on a proxy link (both proxies offered it in `nrp`). */
export type LinkNegotiation = RouteNegotiation | { compress: true; mode: 'lz4' };

interface Encoder {
  encode(slab: readonly Buffer[]): Buffer;
  /** The stream as pieces to write in order, none aliasing the input (S2's native level). */
  encodeParts?(parts: readonly Buffer[]): Buffer[];
}
interface Decoder { pushEach(chunk: Buffer, sink: DecodedSink): void; readonly heldBytes: number; release(): void }

export class RouteCompression implements InboundStage, OutboundStage {
  /** What /routez shows: '' before negotiation, then off / not supported / the level in use. */
  mode = '';
  /** Whether this connection writes and reads S2 (after the switch points). */
  active = false;
  private negotiated: LinkNegotiation | undefined;
  private encoder: Encoder | undefined;
  private level_: S2Level | undefined;
  private decoder: Decoder | undefined;
  private thresholds: readonly number[];
  /** The peer is a proxy: s2_auto is a fixed level there (no RTT switching). */
  private proxyLink = false;
  /** Bytes the stages handled: wire (compressed) and plain (uncompressed), each direction. */
  wireIn = 0;
  plainIn = 0;
  wireOut = 0;
  plainOut = 0;

  constructor(
    private config: RouteCompressionConfig,
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
    this.proxyLink = proxyOffer !== undefined;
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

  /** `onHeld`: told of the decoder's scratch growing and being given back (the process memory budget). */
  startReading(onHeld?: (delta: number) => void): void {
    const limits = onHeld ? { onHeld } : {};
    this.decoder = this.negotiated !== undefined && 'mode' in this.negotiated && this.negotiated.mode === 'lz4'
      ? new Lz4Decoder(limits)
      : new S2Decoder(limits);
  }

  /** What the decoder keeps between reads (its scratch buffer, a partial chunk). */
  get heldBytes(): number {
    return this.decoder?.heldBytes ?? 0;
  }

  /** The connection closed: the decoder's scratch is given back. */
  release(): void {
    this.decoder?.release();
  }

  /** s2_auto: re-pick the level from a PONG's RTT; a change just swaps the encoder (§5.6, no signal). */
  rtt(rttMs: number): void {
    // As nats-server's processPong: follows the *current* configuration, so a reload to or from
    // s2_auto starts or stops the re-picking on connections that stay up.
    if (!this.level_ || this.proxyLink || this.config.mode !== 's2_auto') return;
    const next = reselectS2AutoLevel(this.level_, rttMs, this.thresholds);
    if (next === undefined) return;
    this.encoder = new S2Encoder(next);
    this.level_ = next;
    this.mode = next;
  }

  /**
   * Reload: the new cluster.compression for this registered connection, as nats-server applies
   * it to its routes. A connection that is `not supported` (the peer cannot compress) or already
   * at the new mode is left alone; one that is `off`, or a new mode of `off` or `accept`, needs a
   * new negotiation, so the caller closes it (the redial negotiates with the new mode); `s2_auto`
   * picks the level from the current RTT (0 before the first PONG, as Go) and keeps re-picking
   * on PONGs; any other level swaps the writer at once: the next flush is a new stream at that
   * level, which every S2 reader accepts (no signal to the peer, §5.6). We also close for a new
   * mode of `not supported` (Go would swap in a default writer and keep compressing). LZ4
   * between proxies is chosen by `proxy { lz4 }`, not by cluster.compression: left alone. On a
   * proxy link s2_auto stays the fixed s2_fast.
   */
  reconfigure(next: RouteCompressionConfig, rttMs: number | undefined): CompressionReload {
    const cur = this.mode;
    // Still negotiating: our INFO already carried the old mode, so the negotiation keeps it.
    if (cur === '') return 'unchanged';
    this.config = { ...next, lz4: this.config.lz4 };
    this.thresholds = next.rttThresholdsMs.length > 0 ? next.rttThresholdsMs : DEFAULT_RTT_THRESHOLDS_MS;
    const mode = next.mode;
    if (cur === 'not supported' || cur === 'lz4' || cur === mode) return 'unchanged';
    if (cur === 'off' || mode === 'off' || mode === 'accept' || mode === 'not supported') return 'close';
    const level: S2Level = mode !== 's2_auto' ? mode : this.proxyLink ? 's2_fast' : selectS2AutoLevel(rttMs ?? 0, this.thresholds);
    if (level === this.level_) return 'unchanged';
    this.encoder = new S2Encoder(level);
    this.level_ = level;
    this.mode = level;
    return 'level';
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

  /**
   * InboundStage: socket bytes in, decoded pieces to `sink` as each is complete; a bad stream
   * closes the connection (pieces before the bad block were parsed, as with Go's reader).
   */
  decode(chunk: Buffer, sink: DecodedSink): void {
    const dec = this.decoder;
    if (!dec) {
      sink(chunk, false);
      return;
    }
    // One stream decoder, mid-chunk while a sink runs: bytes fed from inside a sink would land
    // in the middle of the outer read's stream. No path does it; refuse rather than corrupt.
    if (this.sink !== undefined) throw new Error('RouteCompression.decode called from inside its sink');
    this.wireIn += chunk.length;
    this.sink = sink;
    try {
      dec.pushEach(chunk, this.counted);
    } catch (err) {
      // What the parser behind the sink throws is its own failure, not a corrupt stream.
      if (this.inSink || !(err instanceof CompressionError)) throw err;
      this.onError(err);
    } finally {
      this.sink = undefined;
      this.inSink = false;
    }
  }

  private sink: DecodedSink | undefined;
  private inSink = false;
  private readonly counted: DecodedSink = (data, reused) => {
    this.plainIn += data.length;
    this.inSink = true;
    const more = this.sink!(data, reused);
    this.inSink = false;
    return more;
  };
}
