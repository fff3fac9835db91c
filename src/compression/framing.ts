// The chunk framing shared by S2 streams (s2.md §1) and our LZ4 proxy-link streams: a 4-byte
// header (type, 24-bit LE body length), an identifier chunk 0xff first, data chunks 0x00
// (compressed) and 0x01 (uncompressed) whose body starts with the masked CRC-32C of the decoded
// bytes, skippable 0x80–0xfe, reserved 0x02–0x7f fatal. No end marker: streams just follow each other.
//
// The decoder is incremental and bounded: push() takes socket reads split anywhere; a data chunk
// is decoded only once complete (from the caller's buffer when it fits, else from one body
// buffer of exactly the chunk's size, itself bounded by the format); skippable bodies are
// skipped, never buffered; one push may not decode more than `maxOutputPerPush` bytes.
import { CompressionError } from './errors.js';
import { maskedCrc32c } from './crc32c.js';
import { DECODE_SLACK } from './s2-block.js';

export const CHUNK_COMPRESSED = 0x00;
export const CHUNK_UNCOMPRESSED = 0x01;
export const CHUNK_IDENTIFIER = 0xff;

export interface FramedDecoderLimits {
  /** Largest decoded chunk accepted (≤ 4 MiB, the S2 reader's default). */
  maxBlockSize?: number;
  /** Cap on bytes decoded out of compressed chunks by one push(): beyond it is a bomb. Default 64 MiB. */
  maxOutputPerPush?: number;
  /** Verify CRCs (default true; nats-server always does). */
  verifyCrc?: boolean;
  /** Told of every change in the bytes the decoder keeps between reads (scratch, partial chunk), e.g. for a memory budget. */
  onHeld?: (delta: number) => void;
}

export const MAX_BLOCK = 4 * 1024 * 1024;
export const DEFAULT_MAX_OUTPUT_PER_PUSH = 64 * 1024 * 1024;

/** What a concrete format plugs in. */
export interface FrameFormat {
  readonly name: string;
  /** Accepted identifier bodies (6 bytes each) → the block limit they impose (e.g. 64 KiB for sNaPpY). */
  magicLimit(body: Uint8Array, start: number): number | undefined;
  /** Largest compressed body (after the CRC) for a block limit. */
  maxCompressedBody(blockLimit: number): number;
  /** Reads the decoded size a compressed payload declares, validating its header. */
  declaredSize(src: Buffer, start: number, end: number): number;
  /**
   * Decodes the payload into a Buffer of exactly `size` bytes, or throws bad_block. With
   * `scratch`, a format that decodes in place may ask it for a destination (≥ size +
   * DECODE_SLACK bytes, or undefined: allocate) and return a view of it; a format whose decoder
   * returns fresh buffers never calls it, so no scratch is allocated for it.
   */
  decode(src: Buffer, start: number, end: number, size: number, scratch?: ScratchSource): Buffer;
}

/** The decoder's reused destination for a block of `size` bytes (undefined: too big to keep). */
export type ScratchSource = (size: number) => Buffer | undefined;

/**
 * Receives each decoded piece in order. `reused`: the bytes lie in the decoder's scratch buffer
 * and are valid only until the sink returns (the next block overwrites them). Returning false
 * stops the decoder for good (its consumer is gone: nothing more is decoded).
 */
export type DecodedSink = (data: Buffer, reused: boolean) => boolean;

/** The scratch buffer pushEach decodes into stays allocated up to this size (nats-server's block size). */
const SCRATCH_KEEP = 1024 * 1024 + DECODE_SLACK;

const enum State { Header, Body, Skip, Dead }

export class FramedDecoder {
  private state = State.Header;
  private readonly hdr = Buffer.alloc(4);
  private hdrFill = 0;
  private type = 0;
  private bodyLen = 0;
  private body: Buffer | undefined;
  private bodyFill = 0;
  private skipLeft = 0;
  private identified = false;
  private blockLimit: number;
  private readonly maxBlock: number;
  private readonly maxOut: number;
  private readonly verify: boolean;
  private readonly onHeld: ((delta: number) => void) | undefined;
  private pushOut = 0;
  private error: CompressionError | undefined;
  private scratch: Buffer | undefined;
  private sink: DecodedSink | undefined;
  private inSink = false;
  /** A sink returned false: the rest of the input is never decoded. */
  private stopped = false;
  /** Compressed bytes consumed and decoded bytes produced (for monitoring). */
  bytesIn = 0;
  bytesOut = 0;

  constructor(private readonly format: FrameFormat, limits: FramedDecoderLimits = {}) {
    this.maxBlock = Math.min(limits.maxBlockSize ?? MAX_BLOCK, MAX_BLOCK);
    this.blockLimit = this.maxBlock;
    this.maxOut = limits.maxOutputPerPush ?? DEFAULT_MAX_OUTPUT_PER_PUSH;
    this.verify = limits.verifyCrc ?? true;
    this.onHeld = limits.onHeld;
  }

  /** Bytes kept between reads: the scratch buffer and a partly received chunk body. */
  get heldBytes(): number {
    return (this.scratch?.length ?? 0) + (this.body?.length ?? 0);
  }

  /** Drops the scratch buffer and a partial chunk (the connection is gone; onHeld hears them given back). */
  release(): void {
    const held = this.heldBytes;
    this.scratch = undefined;
    this.body = undefined;
    this.bodyFill = 0;
    if (held > 0) this.onHeld?.(-held);
  }

  /** True while a chunk is partly received (an EOF now would be a truncation). */
  get midChunk(): boolean {
    return this.state !== State.Header || this.hdrFill > 0;
  }

  /**
   * Feeds compressed bytes; returns the decoded data completed by them, in order. A returned
   * Buffer may be a view of `chunk` (uncompressed chunks are not copied). After a throw the
   * decoder is dead and rethrows the same error; nothing decoded by the failing push is returned.
   */
  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    this.feed(chunk, undefined, out);
    return out;
  }

  /**
   * As push(), but hands each piece to `sink` as soon as it is decoded, and decodes compressed
   * blocks into one scratch buffer reused from block to block (no allocation per block): the
   * sink must consume or copy a `reused` piece before it returns. Pieces before a corrupt block
   * reach the sink before the error is thrown (as Go's reader returns them before its error).
   * An error thrown by the sink itself propagates unchanged and stops the decoder.
   */
  pushEach(chunk: Buffer, sink: DecodedSink): void {
    this.feed(chunk, sink, undefined);
  }

  private feed(chunk: Buffer, sink: DecodedSink | undefined, out: Buffer[] | undefined): void {
    if (this.error) throw this.error;
    if (this.stopped) return;
    this.pushOut = 0;
    this.bytesIn += chunk.length;
    this.sink = sink;
    try {
      this.run(chunk, out);
    } catch (err) {
      if (this.inSink) {
        this.inSink = false;
        this.stopped = true; // mid-chunk: the decoder's position is lost with its consumer
        throw err;
      }
      this.state = State.Dead;
      this.error = err instanceof CompressionError ? err : new CompressionError('bad_block', `${this.format.name}: ${String(err)}`);
      throw this.error;
    } finally {
      this.sink = undefined;
    }
  }

  /** Declares EOF: throws `truncated` when the stream stopped inside a chunk. */
  end(): void {
    if (this.error) throw this.error;
    if (this.midChunk) {
      this.state = State.Dead;
      this.error = new CompressionError('truncated', `${this.format.name}: stream ended inside a chunk`);
      throw this.error;
    }
  }

  private run(chunk: Buffer, out: Buffer[] | undefined): void {
    const n = chunk.length;
    let p = 0;
    while (p < n) {
      switch (this.state) {
        case State.Header: {
          let t: number;
          let len: number;
          if (this.hdrFill === 0 && n - p >= 4) {
            t = chunk[p]!;
            len = chunk[p + 1]! | (chunk[p + 2]! << 8) | (chunk[p + 3]! << 16);
            p += 4;
          } else {
            while (this.hdrFill < 4 && p < n) this.hdr[this.hdrFill++] = chunk[p++]!;
            if (this.hdrFill < 4) return;
            this.hdrFill = 0;
            t = this.hdr[0]!;
            len = this.hdr[1]! | (this.hdr[2]! << 8) | (this.hdr[3]! << 16);
          }
          this.startChunk(t, len);
          break;
        }
        case State.Skip: {
          const k = Math.min(this.skipLeft, n - p);
          p += k;
          this.skipLeft -= k;
          if (this.skipLeft === 0) this.state = State.Header;
          break;
        }
        case State.Body: {
          const len = this.bodyLen;
          if (this.bodyFill === 0 && n - p >= len) {
            this.endChunk(chunk, p, p + len, out);
            if (this.stopped) return;
            p += len;
          } else {
            let body = this.body;
            if (body === undefined) {
              this.body = body = Buffer.allocUnsafe(len);
              this.onHeld?.(len);
            }
            const k = Math.min(len - this.bodyFill, n - p);
            chunk.copy(body, this.bodyFill, p, p + k);
            this.bodyFill += k;
            p += k;
            if (this.bodyFill < len) return;
            this.body = undefined;
            this.bodyFill = 0;
            this.onHeld?.(-len);
            this.endChunk(body, 0, len, out);
            if (this.stopped) return;
          }
          this.state = State.Header;
          break;
        }
        default:
          return;
      }
    }
  }

  private startChunk(t: number, len: number): void {
    const name = this.format.name;
    if (!this.identified && t !== CHUNK_IDENTIFIER) {
      throw new CompressionError('bad_stream_identifier', `${name}: stream does not start with an identifier chunk`);
    }
    if (t === CHUNK_IDENTIFIER) {
      if (len !== 6) throw new CompressionError('bad_stream_identifier', `${name}: identifier chunk of ${len} bytes`);
    } else if (t === CHUNK_COMPRESSED || t === CHUNK_UNCOMPRESSED) {
      if (len < 4) throw new CompressionError('bad_block', `${name}: data chunk of ${len} bytes has no CRC`);
      const max = t === CHUNK_COMPRESSED ? this.format.maxCompressedBody(this.blockLimit) + 4 : this.blockLimit + 4;
      if (len > max) throw new CompressionError('oversize_chunk', `${name}: chunk body of ${len} bytes exceeds ${max}`);
    } else if (t < 0x80) {
      throw new CompressionError('unknown_chunk_type', `${name}: reserved unskippable chunk type 0x${t.toString(16).padStart(2, '0')}`);
    } else {
      this.skipLeft = len;
      this.state = len > 0 ? State.Skip : State.Header;
      return;
    }
    this.type = t;
    this.bodyLen = len;
    this.state = State.Body;
  }

  private endChunk(src: Buffer, s: number, e: number, out: Buffer[] | undefined): void {
    const name = this.format.name;
    if (this.type === CHUNK_IDENTIFIER) {
      const limit = this.format.magicLimit(src, s);
      if (limit === undefined) throw new CompressionError('bad_stream_identifier', `${name}: unknown stream identifier`);
      this.blockLimit = Math.min(limit, this.maxBlock);
      this.identified = true;
      return;
    }
    const crc = (src[s]! | (src[s + 1]! << 8) | (src[s + 2]! << 16) | (src[s + 3]! << 24)) >>> 0;
    let data: Buffer;
    if (this.type === CHUNK_UNCOMPRESSED) {
      if (e - s - 4 > this.blockLimit) {
        throw new CompressionError('oversize_chunk', `${name}: uncompressed chunk of ${e - s - 4} bytes exceeds ${this.blockLimit}`);
      }
      data = src.subarray(s + 4, e);
    } else {
      const size = this.format.declaredSize(src, s + 4, e);
      if (size > this.blockLimit) {
        throw new CompressionError('oversize_chunk', `${name}: block declares ${size} bytes, limit ${this.blockLimit}`);
      }
      // Checked before allocating: a bomb is refused, not materialised.
      if (this.pushOut + size > this.maxOut) {
        throw new CompressionError('output_limit', `${name}: more than ${this.maxOut} bytes decoded from one read (decompression bomb?)`);
      }
      this.pushOut += size;
      data = this.format.decode(src, s + 4, e, size, this.sink !== undefined ? this.scratchFor : undefined);
    }
    if (this.verify && maskedCrc32c(data) !== crc) throw new CompressionError('bad_crc', `${name}: crc mismatch`);
    if (data.length === 0) return;
    this.bytesOut += data.length;
    if (out !== undefined) {
      out.push(data);
      return;
    }
    this.inSink = true;
    const more = this.sink!(data, this.scratch !== undefined && data.buffer === this.scratch.buffer);
    this.inSink = false;
    if (!more) this.stopped = true;
  }

  /** The reused destination for a block of `size` bytes, allocated on first use (undefined: too big to keep, allocate). */
  private readonly scratchFor: ScratchSource = (size) => {
    const need = size + DECODE_SLACK;
    if (need > SCRATCH_KEEP) return undefined;
    let b = this.scratch;
    if (b === undefined || b.length < need) {
      // Grow in powers of two from 64 KiB: a few sizes, not one per block.
      let n = 64 * 1024 + DECODE_SLACK;
      while (n < need) n = (n - DECODE_SLACK) * 2 + DECODE_SLACK;
      const old = b?.length ?? 0;
      this.scratch = b = Buffer.allocUnsafeSlow(Math.min(n, SCRATCH_KEEP));
      this.onHeld?.(b.length - old);
    }
    return b;
  };
}

/** Appends a data chunk header + CRC for `data` at dst[d]; the payload (bodyLen − 4 bytes) follows. */
export function putChunkHeader(dst: Buffer, d: number, type: number, bodyLen: number, crc: number): number {
  dst[d] = type;
  dst[d + 1] = bodyLen & 0xff;
  dst[d + 2] = (bodyLen >>> 8) & 0xff;
  dst[d + 3] = bodyLen >>> 16;
  dst.writeUInt32LE(crc, d + 4);
  return d + 8;
}

/**
 * One complete stream (identifier, then data chunks) from the parts of one flush, as pieces to
 * write in order, for native block compressors that return fresh buffers: no concatenation of
 * big parts and no output copy. A part of at least `bigPart` bytes is compressed where it lies
 * (in blocks of at most `blockSize`); runs of smaller parts are joined first (≤ blockSize). A
 * block under `minCompress` bytes, or one that compression shrinks by less than 1/32, is stored
 * (copied: no piece aliases the input, so the caller may reuse its buffers on return).
 */
export function encodeStreamParts(
  parts: readonly Buffer[], identifier: Buffer, blockSize: number, bigPart: number, minCompress: number, compress: (b: Buffer) => Buffer,
): { pieces: Buffer[]; plain: number; wire: number } {
  let n = 0;
  for (let i = 0; i < parts.length; i++) n += parts[i]!.length;
  const pieces: Buffer[] = [];
  if (n === 0) return { pieces, plain: 0, wire: 0 };
  // One buffer for the identifier and every chunk header: at most one block per part, per
  // blockSize bytes, plus one.
  const hdrs = Buffer.allocUnsafe(identifier.length + (parts.length + Math.ceil(n / blockSize) + 1) * 8);
  identifier.copy(hdrs, 0);
  let h = identifier.length;
  let hStart = 0;
  let wire = 0;
  const block = (src: Buffer): void => {
    const len = src.length;
    const crc = maskedCrc32c(src, 0, len);
    let body: Buffer | undefined = len >= minCompress ? compress(src) : undefined;
    if (body !== undefined && body.length >= len - (len >>> 5)) body = undefined;
    const stored = body === undefined;
    if (body === undefined) body = Buffer.from(src);
    h = putChunkHeader(hdrs, h, stored ? CHUNK_UNCOMPRESSED : CHUNK_COMPRESSED, body.length + 4, crc);
    pieces.push(hdrs.subarray(hStart, h), body);
    wire += h - hStart + body.length;
    hStart = h;
  };
  let run: Buffer[] = [];
  let runBytes = 0;
  const endRun = (): void => {
    if (runBytes === 0) return;
    block(run.length === 1 ? run[0]! : Buffer.concat(run, runBytes));
    run = [];
    runBytes = 0;
  };
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (part.length < bigPart) {
      if (runBytes + part.length > blockSize) endRun();
      run.push(part);
      runBytes += part.length;
      continue;
    }
    endRun();
    for (let b0 = 0; b0 < part.length; b0 += blockSize) block(part.length <= blockSize ? part : part.subarray(b0, Math.min(b0 + blockSize, part.length)));
  }
  endRun();
  return { pieces, plain: n, wire };
}
