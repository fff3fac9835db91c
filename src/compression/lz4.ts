// LZ4 streams for proxy↔proxy links only (never offered to a nats-server: it would fail the
// route with -ERR 'unsupported route compression mode "lz4"'). The framing is S2's chunk
// framing (framing.ts) with our own identifier `NRPlz4`, so the receiver splits streams and
// chunks exactly as for S2 and rejects corruption the same way: 0x00 chunks carry
// CRC + lz4-napi's size-prefixed block (u32 LE decoded size, then the LZ4 block), 0x01 chunks
// carry CRC + raw bytes. The declared size is checked against the limit before lz4-napi
// allocates anything, and the decoded length and CRC are checked after.
import { createRequire } from 'node:module';
import { maskedCrc32c } from './crc32c.js';
import { CompressionError } from './errors.js';
import {
  CHUNK_COMPRESSED, CHUNK_UNCOMPRESSED, encodeStreamParts, FramedDecoder, putChunkHeader,
  type FrameFormat, type FramedDecoderLimits, MAX_BLOCK,
} from './framing.js';
import { DEFAULT_BLOCK_SIZE, NATIVE_PART } from './s2.js';

/** `ff 06 00 00 'NRPlz4'`. */
export const LZ4_IDENTIFIER = Buffer.from([0xff, 0x06, 0x00, 0x00, 0x4e, 0x52, 0x50, 0x6c, 0x7a, 0x34]);

interface Lz4Napi {
  compressSync(data: Buffer): Buffer;
  uncompressSync(data: Uint8Array): Buffer;
}
const lz4 = createRequire(import.meta.url)('lz4-napi') as Lz4Napi;

const bad = (what: string): CompressionError => new CompressionError('bad_block', `lz4: corrupt block: ${what}`);

const LZ4_FORMAT: FrameFormat = {
  name: 'lz4',
  magicLimit: (b, s) => (Buffer.from(b.buffer, b.byteOffset + s, 6).equals(LZ4_IDENTIFIER.subarray(4)) ? MAX_BLOCK : undefined),
  // LZ4's worst case is n + n/255 + 16, plus the 4-byte size prefix.
  maxCompressedBody: (limit) => limit + Math.ceil(limit / 255) + 16 + 4,
  declaredSize(src, s, e) {
    if (e - s < 5) throw bad('no size prefix');
    return src.readUInt32LE(s);
  },
  decode(src, s, e, size) {
    let out: Buffer;
    try {
      out = lz4.uncompressSync(src.subarray(s, e));
    } catch (err) {
      throw bad((err as Error).message);
    }
    if (out.length !== size) throw bad(`decoded ${out.length} bytes, prefix says ${size}`);
    return out;
  },
};

export class Lz4Decoder extends FramedDecoder {
  constructor(limits: FramedDecoderLimits = {}) {
    super(LZ4_FORMAT, limits);
  }
}

/** One complete LZ4 stream per encode() call, chunks of ≤ 1 MiB. */
export class Lz4Encoder {
  bytesIn = 0;
  bytesOut = 0;
  private readonly blockSize: number;

  constructor(opts: { blockSize?: number } = {}) {
    this.blockSize = Math.max(4096, Math.min(opts.blockSize ?? DEFAULT_BLOCK_SIZE, MAX_BLOCK));
  }

  /** As encode(), as pieces to write in order (no concatenation of big parts, no output copy; none aliases the input). */
  encodeParts(parts: readonly Buffer[]): Buffer[] {
    const r = encodeStreamParts(parts, LZ4_IDENTIFIER, this.blockSize, NATIVE_PART, 32, lz4.compressSync);
    this.bytesIn += r.plain;
    this.bytesOut += r.wire;
    return r.pieces;
  }

  encode(slab: Buffer | readonly Buffer[]): Buffer {
    const src = Buffer.isBuffer(slab) ? slab : slab.length === 1 ? slab[0]! : Buffer.concat(slab as Buffer[]);
    const n = src.length;
    if (n === 0) return Buffer.alloc(0);
    const bs = this.blockSize;
    const max = LZ4_IDENTIFIER.length + Math.ceil(n / bs) * 8 + n;
    const out = Buffer.allocUnsafe(max);
    LZ4_IDENTIFIER.copy(out, 0);
    let d = LZ4_IDENTIFIER.length;
    for (let b0 = 0; b0 < n; b0 += bs) {
      const b1 = Math.min(b0 + bs, n);
      const len = b1 - b0;
      const crc = maskedCrc32c(src, b0, b1);
      const block = len >= 32 ? lz4.compressSync(b0 === 0 && b1 === n ? src : src.subarray(b0, b1)) : undefined;
      if (block && block.length < len - (len >>> 5)) {
        d = putChunkHeader(out, d, CHUNK_COMPRESSED, block.length + 4, crc);
        block.copy(out, d);
        d += block.length;
      } else {
        d = putChunkHeader(out, d, CHUNK_UNCOMPRESSED, len + 4, crc);
        src.copy(out, d, b0, b1);
        d += len;
      }
    }
    const res = d === max ? out : Buffer.from(out.subarray(0, d));
    this.bytesIn += n;
    this.bytesOut += res.length;
    return res;
  }
}
