// CRC-32C (Castagnoli, reflected 0x82F63B78, init/xorout all ones) and the masked form S2 and
// Snappy framing store (s2.md §1.4). The native SIMD implementation (@node-rs/crc32) measured
// ~20x the table-driven one here (see README.md); the table version stays as the fallback when
// the native addon cannot load, and as an independent cross-check in tests.
import { createRequire } from 'node:module';

const POLY = 0x82f63b78;

// Slicing-by-8: eight 256-entry tables, T[k][b] = CRC of byte b followed by k zero bytes.
const T = new Int32Array(8 * 256);
for (let b = 0; b < 256; b++) {
  let c = b;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
  T[b] = c;
}
for (let b = 0; b < 256; b++) {
  let c = T[b]!;
  for (let k = 1; k < 8; k++) {
    c = T[c & 0xff]! ^ (c >>> 8);
    T[k * 256 + b] = c;
  }
}

/** Table-driven CRC-32C of buf[start, end). */
export function crc32cTable(buf: Uint8Array, start = 0, end = buf.length): number {
  let c = ~0;
  let i = start;
  const end8 = start + ((end - start) & ~7);
  while (i < end8) {
    const lo = c ^ (buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24));
    c =
      T[0x700 + (lo & 0xff)]! ^ T[0x600 + ((lo >>> 8) & 0xff)]! ^ T[0x500 + ((lo >>> 16) & 0xff)]! ^ T[0x400 + (lo >>> 24)]! ^
      T[0x300 + buf[i + 4]!]! ^ T[0x200 + buf[i + 5]!]! ^ T[0x100 + buf[i + 6]!]! ^ T[buf[i + 7]!]!;
    i += 8;
  }
  while (i < end) c = T[(c ^ buf[i++]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

type NativeCrc = (input: Buffer, initialState?: number) => number;

function loadNative(): NativeCrc | undefined {
  try {
    const m = createRequire(import.meta.url)('@node-rs/crc32') as { crc32c?: NativeCrc };
    const f = m.crc32c;
    // Refuse a native build that disagrees with the reference vector.
    if (typeof f === 'function' && f(Buffer.from('123456789')) === 0xe3069283) return f;
  } catch {
    /* no prebuilt for this platform: the table version serves */
  }
  return undefined;
}

const native = loadNative();

/** Which implementation `crc32c` uses (reported by the benchmark). */
export const crc32cImplementation: 'native' | 'table' = native ? 'native' : 'table';

// Below this size the N-API call costs more than the table loop
const NATIVE_MIN = 128; // measured crossover: at 64 B the table is ~2x faster, at 256 B native is

/** CRC-32C of buf[start, end). */
export function crc32c(buf: Buffer, start = 0, end = buf.length): number {
  if (native !== undefined && end - start >= NATIVE_MIN) {
    const view = start === 0 && end === buf.length ? buf : buf.subarray(start, end);
    return native(view) >>> 0;
  }
  return crc32cTable(buf, start, end);
}

/** The masked CRC stored in S2/Snappy data chunks: rotate right 15, add 0xa282ead8. */
export function maskCrc(crc: number): number {
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

export function maskedCrc32c(buf: Buffer, start = 0, end = buf.length): number {
  return maskCrc(crc32c(buf, start, end));
}
