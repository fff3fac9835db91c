// The S2 block format (s2.md §2): a varint decoded length, then literal/copy1/copy2/copy4
// elements, with S2's repeat code (copy1 with offset 0 = "copy again at the last offset").
// Decoding checks every bound the Go decoder checks (§2.4), so a malformed block is a
// CompressionError, never an out-of-range read or a wrong-sized output.
import { CompressionError } from './errors.js';

const bad = (what: string): CompressionError => new CompressionError('bad_block', `s2: corrupt block: ${what}`);

/**
 * Reads the block's varint header from src[start, end): [decodedLength, headerBytes].
 * Like Go's decodedLen: at most 5 bytes and ≤ 2^32−1.
 */
export function readBlockHeader(src: Uint8Array, start: number, end: number): [number, number] {
  let v = 0;
  let mul = 1;
  for (let i = 0; i < 5; i++) {
    if (start + i >= end) throw bad('truncated length header');
    const b = src[start + i]!;
    v += (b & 0x7f) * mul;
    if (b < 0x80) {
      if (v > 0xffffffff) throw bad('length header overflows 32 bits');
      return [v, i + 1];
    }
    mul *= 128;
  }
  throw bad('length header longer than 5 bytes');
}

/**
 * Bytes past the decoded length that decodeBlockBody may scribble on: copies and short literals
 * move 8 bytes at a time and may run up to 7 bytes past their end (later elements overwrite
 * them), which turns the common short element into one or two moves instead of a byte loop. A
 * destination must be at least dLen + DECODE_SLACK long (twice what is needed).
 */
export const DECODE_SLACK = 16;

/**
 * Decodes the elements in src[s, end) into dst[0, dLen). The caller has read the header
 * (dLen is its value, already checked against the caller's limit); dst.length ≥ dLen +
 * DECODE_SLACK (bytes past dLen are garbage afterwards).
 */
export function decodeBlockBody(src: Uint8Array, s: number, end: number, dst: Uint8Array, dLen: number): void {
  if (dst.length < dLen + DECODE_SLACK) throw new RangeError('s2: decode destination lacks DECODE_SLACK');
  // 8-byte moves through DataViews: unaligned, bounds-checked, inlined by TurboFan. They are
  // float64 moves because that is JavaScript's only 8-byte number without an allocation (BigInt
  // allocates), and they cost one access where two 32-bit ones did (+15-30% decode speed). A
  // float64 read and written back unchanged keeps its bits, NaN payloads included (V8 moves the
  // bits; nothing computes on them): tested in each tier (test/route/nan-moves.test.ts), and every
  // block's CRC is checked after decoding anyway.
  const dv = new DataView(dst.buffer, dst.byteOffset, dst.length);
  const sv = new DataView(src.buffer, src.byteOffset, src.length);
  const srcWordEnd = src.length - 8; // s ≤ srcWordEnd: 8 bytes can be read at s
  let d = 0;
  let lastOffset = 0; // per block (§2.3): a repeat before any copy is corrupt
  while (s < end) {
    const tag = src[s]!;
    let length: number;
    let offset: number;
    switch (tag & 3) {
      case 0: {
        let x = tag >>> 2;
        if (x < 60) {
          s += 1;
        } else if (x === 60) {
          if (s + 2 > end) throw bad('truncated literal length');
          x = src[s + 1]!;
          s += 2;
        } else if (x === 61) {
          if (s + 3 > end) throw bad('truncated literal length');
          x = src[s + 1]! | (src[s + 2]! << 8);
          s += 3;
        } else if (x === 62) {
          if (s + 4 > end) throw bad('truncated literal length');
          x = src[s + 1]! | (src[s + 2]! << 8) | (src[s + 3]! << 16);
          s += 4;
        } else {
          if (s + 5 > end) throw bad('truncated literal length');
          x = (src[s + 1]! | (src[s + 2]! << 8) | (src[s + 3]! << 16) | (src[s + 4]! << 24)) >>> 0;
          s += 5;
        }
        length = x + 1;
        if (length > dLen - d) throw bad('literal longer than the remaining output');
        if (length > end - s) throw bad('literal longer than the remaining input');
        // One move for the common 1-8 byte literal (it may read past the literal, never past
        // src); a byte loop beats the native call (and its subarray) up to 32 bytes.
        if (length <= 8 && s <= srcWordEnd) {
          dv.setFloat64(d, sv.getFloat64(s, true), true);
        } else if (length <= 32) {
          for (let i = 0; i < length; i++) dst[d + i] = src[s + i]!;
        } else {
          dst.set(src.subarray(s, s + length), d);
        }
        d += length;
        s += length;
        continue;
      }
      case 1: {
        if (s + 2 > end) throw bad('truncated copy1');
        length = (tag >>> 2) & 7;
        const lo = src[s + 1]!;
        offset = ((tag & 0xe0) << 3) | lo;
        s += 2;
        if (offset === 0) {
          // Repeat: the length field selects how many extra length bytes follow.
          if (length <= 4) {
            length += 4;
          } else if (length === 5) {
            if (s + 1 > end) throw bad('truncated repeat length');
            length = src[s]! + 8;
            s += 1;
          } else if (length === 6) {
            if (s + 2 > end) throw bad('truncated repeat length');
            length = (src[s]! | (src[s + 1]! << 8)) + 260;
            s += 2;
          } else {
            if (s + 3 > end) throw bad('truncated repeat length');
            length = (src[s]! | (src[s + 1]! << 8) | (src[s + 2]! << 16)) + 65540;
            s += 3;
          }
          if (lastOffset === 0) throw bad('repeat before any copy');
          offset = lastOffset;
        } else {
          length += 4;
          lastOffset = offset;
        }
        break;
      }
      case 2: {
        if (s + 3 > end) throw bad('truncated copy2');
        length = (tag >>> 2) + 1;
        offset = src[s + 1]! | (src[s + 2]! << 8);
        s += 3;
        lastOffset = offset;
        break;
      }
      default: {
        if (s + 5 > end) throw bad('truncated copy4');
        length = (tag >>> 2) + 1;
        offset = (src[s + 1]! | (src[s + 2]! << 8) | (src[s + 3]! << 16) | (src[s + 4]! << 24)) >>> 0;
        s += 5;
        lastOffset = offset;
        break;
      }
    }
    if (offset === 0 || offset > d) throw bad(`copy offset ${offset} outside the ${d} bytes produced`);
    if (length > dLen - d) throw bad('copy longer than the remaining output');
    const from = d - offset;
    // A long copy that overlaps itself (offset < length) doubles its period instead (below).
    if (offset >= 8 && (length <= 64 || offset >= length)) {
      // Each 8-byte read lies at least 8 bytes behind the write, so it was written before (by an
      // earlier element or an earlier move of this copy): correct even when the copy overlaps.
      dv.setFloat64(d, dv.getFloat64(from, true), true);
      if (length > 8) {
        dv.setFloat64(d + 8, dv.getFloat64(from + 8, true), true);
        if (length > 16) {
          if (length > 64) dst.copyWithin(d + 16, from + 16, from + length);
          else for (let i = 16; i < length; i += 8) dv.setFloat64(d + i, dv.getFloat64(from + i, true), true);
        }
      }
      d += length;
    } else if (offset === 1) {
      dst.fill(dst[from]!, d, d + length);
      d += length;
    } else if (length <= 64) {
      for (let i = 0; i < length; i++) dst[d + i] = dst[from + i]!;
      d += length;
    } else {
      // Overlapping pattern copy: each copyWithin doubles the period already written.
      const stop = d + length;
      let period = offset;
      while (d < stop) {
        const n = Math.min(period, stop - d);
        dst.copyWithin(d, from, from + n);
        d += n;
        period += n;
      }
    }
  }
  if (d !== dLen) throw bad(`decoded ${d} bytes, header says ${dLen}`);
}

// ---------------------------------------------------------------------------
// Encoding helpers shared by the encoders.

/** S2 MaxEncodedLen for what our own block encoders can emit (see encodeBlock's bound). */
export function varintLen(n: number): number {
  let len = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    len++;
  }
  return len;
}

export function putVarint(dst: Uint8Array, d: number, n: number): number {
  while (n >= 0x80) {
    dst[d++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 128);
  }
  dst[d++] = n;
  return d;
}

/** Emits a literal of src[s, s+len) at dst[d]; returns the new d. */
export function emitLiteral(dst: Uint8Array, d: number, src: Uint8Array, s: number, len: number): number {
  const n = len - 1;
  if (n < 60) {
    dst[d++] = n << 2;
  } else if (n < 0x100) {
    dst[d++] = 60 << 2;
    dst[d++] = n;
  } else if (n < 0x10000) {
    dst[d++] = 61 << 2;
    dst[d++] = n & 0xff;
    dst[d++] = n >>> 8;
  } else if (n < 0x1000000) {
    dst[d++] = 62 << 2;
    dst[d++] = n & 0xff;
    dst[d++] = (n >>> 8) & 0xff;
    dst[d++] = n >>> 16;
  } else {
    dst[d++] = 63 << 2;
    dst[d++] = n & 0xff;
    dst[d++] = (n >>> 8) & 0xff;
    dst[d++] = (n >>> 16) & 0xff;
    dst[d++] = n >>> 24;
  }
  if (len <= 64) {
    for (let i = 0; i < len; i++) dst[d + i] = src[s + i]!;
  } else {
    dst.set(src.subarray(s, s + len), d);
  }
  return d + len;
}

/** A repeat of `length` (≥ 4) at the last offset; like klauspost's emitRepeat. */
export function emitRepeat(dst: Uint8Array, d: number, offset: number, length: number): number {
  for (;;) {
    length -= 4;
    if (length <= 4) {
      dst[d++] = (length << 2) | 1;
      dst[d++] = 0;
      return d;
    }
    if (length < 8 && offset < 2048) {
      // Cheaper as a copy1 that names the offset again.
      dst[d++] = ((offset >>> 8) << 5) | (length << 2) | 1;
      dst[d++] = offset & 0xff;
      return d;
    }
    if (length < 0x100 + 4) {
      length -= 4;
      dst[d++] = (5 << 2) | 1;
      dst[d++] = 0;
      dst[d++] = length;
      return d;
    }
    if (length < 0x10000 + 0x100) {
      length -= 0x100;
      dst[d++] = (6 << 2) | 1;
      dst[d++] = 0;
      dst[d++] = length & 0xff;
      dst[d++] = length >>> 8;
      return d;
    }
    const maxRepeat = (1 << 24) - 1;
    length -= 0x10000;
    let left = 0;
    if (length > maxRepeat) {
      left = length - maxRepeat + 4;
      length = maxRepeat - 4;
    }
    dst[d++] = (7 << 2) | 1;
    dst[d++] = 0;
    dst[d++] = length & 0xff;
    dst[d++] = (length >>> 8) & 0xff;
    dst[d++] = length >>> 16;
    if (left === 0) return d;
    length = left;
  }
}

/** A copy of `length` (≥ 4) at `offset` (> 0); splits long copies into copy + repeats like klauspost's emitCopy. */
export function emitCopy(dst: Uint8Array, d: number, offset: number, length: number): number {
  if (offset >= 65536) {
    if (length > 64) {
      dst[d++] = (63 << 2) | 3;
      dst[d++] = offset & 0xff;
      dst[d++] = (offset >>> 8) & 0xff;
      dst[d++] = (offset >>> 16) & 0xff;
      dst[d++] = offset >>> 24;
      length -= 64;
      if (length >= 4) return emitRepeat(dst, d, offset, length);
      if (length === 0) return d;
    }
    dst[d++] = ((length - 1) << 2) | 3;
    dst[d++] = offset & 0xff;
    dst[d++] = (offset >>> 8) & 0xff;
    dst[d++] = (offset >>> 16) & 0xff;
    dst[d++] = offset >>> 24;
    return d;
  }
  if (length > 64) {
    if (offset < 2048) {
      dst[d++] = ((offset >>> 8) << 5) | (4 << 2) | 1;
      dst[d++] = offset & 0xff;
      length -= 8;
    } else {
      dst[d++] = (59 << 2) | 2;
      dst[d++] = offset & 0xff;
      dst[d++] = offset >>> 8;
      length -= 60;
    }
    return emitRepeat(dst, d, offset, length);
  }
  if (length >= 12 || offset >= 2048) {
    dst[d++] = ((length - 1) << 2) | 2;
    dst[d++] = offset & 0xff;
    dst[d++] = offset >>> 8;
    return d;
  }
  dst[d++] = ((offset >>> 8) << 5) | ((length - 4) << 2) | 1;
  dst[d++] = offset & 0xff;
  return d;
}
