// S2 streams as nats-server writes and reads them on compressed routes (s2.md §1, §3):
// S2Decoder reads anything Go's s2.NewReader accepts; S2Encoder writes one complete stream per
// call (identifier, then ≤ 1 MiB chunks), like flushOutbound does per flush.
import { createRequire } from 'node:module';
import { maskedCrc32c } from './crc32c.js';
import { CompressionError } from './errors.js';
import {
  CHUNK_COMPRESSED, CHUNK_UNCOMPRESSED, encodeStreamParts, FramedDecoder, putChunkHeader,
  type FrameFormat, type FramedDecoderLimits, MAX_BLOCK,
} from './framing.js';
import { DECODE_SLACK, decodeBlockBody, readBlockHeader } from './s2-block.js';
import { BEST, BETTER, BlockMatcher, maxBlockOutput, MIN_COMPRESS } from './s2-match.js';

/** `ff 06 00 00 'S2sTwO'`: what every nats-server flush starts with. */
export const S2_IDENTIFIER = Buffer.from([0xff, 0x06, 0x00, 0x00, 0x53, 0x32, 0x73, 0x54, 0x77, 0x4f]);
/** `ff 06 00 00 'sNaPpY'`: Snappy framing, accepted by S2 readers with 64 KiB chunks. */
export const SNAPPY_IDENTIFIER = Buffer.from([0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59]);
export const SNAPPY_MAX_BLOCK = 65536;
/** nats-server's writer block size (klauspost's default; nats never overrides it). */
export const DEFAULT_BLOCK_SIZE = 1024 * 1024;
/** encodeParts: parts at least this long are compressed in place, shorter ones joined first. */
export const NATIVE_PART = 16 * 1024;

const S2_FORMAT: FrameFormat = {
  name: 's2',
  magicLimit(b, s) {
    if (b[s] === 0x53 && b[s + 1] === 0x32 && b[s + 2] === 0x73 && b[s + 3] === 0x54 && b[s + 4] === 0x77 && b[s + 5] === 0x4f) return MAX_BLOCK;
    if (b[s] === 0x73 && b[s + 1] === 0x4e && b[s + 2] === 0x61 && b[s + 3] === 0x50 && b[s + 4] === 0x70 && b[s + 5] === 0x59) return SNAPPY_MAX_BLOCK;
    return undefined;
  },
  // S2's MaxEncodedLen (s2.md §1.5): n + varint(n) + literal header.
  maxCompressedBody: (limit) => limit + 5 + 5,
  declaredSize: (src, s, e) => readBlockHeader(src, s, e)[0],
  decode(src, s, e, size, scratch) {
    const [, h] = readBlockHeader(src, s, e);
    const dst = scratch?.(size) ?? Buffer.allocUnsafe(size + DECODE_SLACK);
    decodeBlockBody(src, s + h, e, dst, size);
    return dst.subarray(0, size);
  },
};

type SnappyUncompress = (input: Uint8Array) => Buffer;

/**
 * S2 with native Snappy decoding first. An S2 block differs from a Snappy block only by the
 * repeat code (copy1 with offset 0), which a Snappy decoder rejects as corrupt, so a block the
 * native decoder accepts decodes to exactly what ours would give; it runs ~1.7× our
 * TypeScript decoder on route traffic (bench/compression.bench.ts). The first block it refuses
 * (a stream with repeats: nats-server's writer, our better/best levels, or corruption) sends
 * this stream's remaining blocks to our decoder, which has the final word on corruption.
 * The declared size was already checked against the limits before either runs.
 */
function nativeFirstFormat(unc: SnappyUncompress): FrameFormat {
  let native = true;
  return {
    ...S2_FORMAT,
    decode(src, s, e, size, scratch) {
      if (native) {
        let out: Buffer | undefined;
        try {
          out = unc(src.subarray(s, e));
        } catch {
          out = undefined;
        }
        if (out !== undefined && out.length === size) return out;
        native = false;
      }
      return S2_FORMAT.decode(src, s, e, size, scratch);
    },
  };
}

let snappyUncompress: SnappyUncompress | null | undefined;
function nativeSnappyUncompress(): SnappyUncompress | null {
  if (snappyUncompress === undefined) {
    try {
      const m = createRequire(import.meta.url)('snappy') as { uncompressSync: (b: Uint8Array) => Buffer };
      snappyUncompress = (b) => m.uncompressSync(b);
    } catch {
      snappyUncompress = null;
    }
  }
  return snappyUncompress;
}

export interface S2DecoderLimits extends FramedDecoderLimits {
  /** Try native Snappy on each block before ours (default true; false = ours only, e.g. in tests). */
  nativeFirst?: boolean;
}

/** Incremental S2 stream reader: `push(socketBytes) → decoded Buffers`. */
export class S2Decoder extends FramedDecoder {
  constructor(limits: S2DecoderLimits = {}) {
    const unc = limits.nativeFirst === false ? null : nativeSnappyUncompress();
    super(unc ? nativeFirstFormat(unc) : S2_FORMAT, limits);
  }
}

/** Decodes one whole S2 block (no framing), e.g. for tests against Go's s2.Encode output. */
export function decodeS2Block(block: Buffer, maxSize = MAX_BLOCK): Buffer {
  const [size] = readBlockHeader(block, 0, block.length);
  if (size > maxSize) throw new CompressionError('oversize_chunk', `s2: block declares ${size} bytes, limit ${maxSize}`);
  return S2_FORMAT.decode(block, 0, block.length, size);
}

// ---------------------------------------------------------------------------

/** The levels nats-server writes (s2_auto resolves to one of these). */
export type S2Level = 's2_uncompressed' | 's2_fast' | 's2_better' | 's2_best';
export const S2_LEVELS: readonly S2Level[] = ['s2_uncompressed', 's2_fast', 's2_better', 's2_best'];

type SnappyCompress = (input: Buffer) => Buffer;
let snappyCompress: SnappyCompress | null | undefined;
function nativeSnappy(): SnappyCompress | null {
  if (snappyCompress === undefined) {
    try {
      snappyCompress = (createRequire(import.meta.url)('snappy') as { compressSync: SnappyCompress }).compressSync;
    } catch {
      snappyCompress = null; // no prebuilt for this platform: s2_fast falls back to our matcher
    }
  }
  return snappyCompress;
}

export interface S2EncoderOptions {
  /** Uncompressed bytes per chunk, 4 KiB … 4 MiB (default 1 MiB as nats-server). */
  blockSize?: number;
}

/**
 * One S2 stream per encode() call, starting with the S2sTwO identifier. A block whose
 * compression saves less than 1/32 (or under 32 bytes) goes out as an uncompressed chunk, like
 * the Go writer: it decodes faster and keeps us far below the reader's chunk-size limit.
 */
export class S2Encoder {
  readonly level: S2Level;
  private readonly blockSize: number;
  private readonly matcher: BlockMatcher | undefined;
  private readonly snappy: SnappyCompress | undefined;
  private scratch = Buffer.allocUnsafe(0);
  /** Totals over all encode() calls (for monitoring): uncompressed in, wire bytes out. */
  bytesIn = 0;
  bytesOut = 0;

  constructor(level: S2Level, opts: S2EncoderOptions = {}) {
    this.level = level;
    this.blockSize = Math.max(4096, Math.min(opts.blockSize ?? DEFAULT_BLOCK_SIZE, MAX_BLOCK));
    if (level === 's2_fast') this.snappy = nativeSnappy() ?? undefined;
    if (level === 's2_better' || (level === 's2_fast' && !this.snappy)) this.matcher = new BlockMatcher(BETTER);
    if (level === 's2_best') this.matcher = new BlockMatcher(BEST);
  }

  /**
   * The parts of one flush as one complete stream, returned as pieces to write in order (no
   * output copy). At the native fast level every part of at least NATIVE_PART bytes is
   * compressed where it lies (blocks of at most blockSize), and only runs of smaller parts are
   * joined first: the big copy per flush (concatenating the slab pieces) is gone, at the cost
   * of block boundaries at part boundaries (parts are ≥ 16 KiB slab pieces or payloads, so the
   * ratio barely moves). The pieces never alias the input: the caller may reuse its slabs as
   * soon as this returns. Other levels: [encode(parts)].
   */
  encodeParts(parts: readonly Buffer[]): Buffer[] {
    const snappy = this.snappy;
    if (!snappy) {
      const one = this.encode(parts);
      return one.length ? [one] : [];
    }
    const r = encodeStreamParts(parts, S2_IDENTIFIER, this.blockSize, NATIVE_PART, MIN_COMPRESS, snappy);
    this.bytesIn += r.plain;
    this.bytesOut += r.wire;
    return r.pieces;
  }

  /** The slab (or its parts, in order) as one complete stream; empty input → empty output (nats writes nothing). */
  encode(slab: Buffer | readonly Buffer[]): Buffer {
    const src = Buffer.isBuffer(slab) ? slab : slab.length === 1 ? slab[0]! : Buffer.concat(slab as Buffer[]);
    const n = src.length;
    if (n === 0) return Buffer.alloc(0);
    const bs = this.blockSize;
    const blocks = Math.ceil(n / bs);
    // Worst case: every block stored uncompressed (we never emit a chunk larger than that).
    const max = S2_IDENTIFIER.length + blocks * 8 + n;
    if (this.level === 's2_uncompressed') return this.count(n, this.encodeStored(src, max));

    // Compress every block first (native blocks are fresh Buffers, ours go to a reused scratch
    // area), then allocate the exact output once and copy: one allocation, one copy per flush.
    const scratchNeed = this.matcher ? blocks * maxBlockOutput(Math.min(bs, n)) : 0;
    if (this.scratch.length < scratchNeed) this.scratch = Buffer.allocUnsafe(scratchNeed);
    const bodies: Array<Buffer | undefined> = new Array(blocks);
    const crcs: number[] = new Array(blocks);
    let size = S2_IDENTIFIER.length + blocks * 8;
    let sp = 0;
    for (let k = 0, b0 = 0; b0 < n; k++, b0 += bs) {
      const b1 = Math.min(b0 + bs, n);
      const len = b1 - b0;
      crcs[k] = maskedCrc32c(src, b0, b1);
      let block: Buffer | undefined;
      if (len >= MIN_COMPRESS) {
        if (this.snappy) {
          block = this.snappy(b0 === 0 && b1 === n ? src : src.subarray(b0, b1));
        } else {
          const e = this.matcher!.encode(src, b0, b1, this.scratch, sp);
          block = this.scratch.subarray(sp, e);
          sp = e;
        }
        if (block.length >= len - (len >>> 5)) block = undefined;
      }
      bodies[k] = block;
      size += block ? block.length : len;
    }
    const out = Buffer.allocUnsafe(size);
    S2_IDENTIFIER.copy(out, 0);
    let d = S2_IDENTIFIER.length;
    for (let k = 0, b0 = 0; b0 < n; k++, b0 += bs) {
      const b1 = Math.min(b0 + bs, n);
      const block = bodies[k];
      if (block) {
        d = putChunkHeader(out, d, CHUNK_COMPRESSED, block.length + 4, crcs[k]!);
        d += block.copy(out, d);
      } else {
        d = putChunkHeader(out, d, CHUNK_UNCOMPRESSED, b1 - b0 + 4, crcs[k]!);
        d += src.copy(out, d, b0, b1);
      }
    }
    return this.count(n, out);
  }

  private encodeStored(src: Buffer, max: number): Buffer {
    const out = Buffer.allocUnsafe(max);
    S2_IDENTIFIER.copy(out, 0);
    let d = S2_IDENTIFIER.length;
    for (let b0 = 0; b0 < src.length; b0 += this.blockSize) {
      const b1 = Math.min(b0 + this.blockSize, src.length);
      d = putChunkHeader(out, d, CHUNK_UNCOMPRESSED, b1 - b0 + 4, maskedCrc32c(src, b0, b1));
      src.copy(out, d, b0, b1);
      d += b1 - b0;
    }
    return out;
  }

  private count(n: number, out: Buffer): Buffer {
    this.bytesIn += n;
    this.bytesOut += out.length;
    return out;
  }
}
