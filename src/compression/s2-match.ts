// Our TypeScript S2 block encoders for s2_better and s2_best (README.md says why these two and
// not fast). Both are greedy LZ77 matchers over the whole block (offsets up to the block size,
// where Snappy encoders stop at 64 KiB) that use S2's repeat code; best looks harder: bigger
// tables, the longer of two candidates, one step of lazy matching and every match position indexed.
import { emitCopy, emitLiteral, emitRepeat, putVarint } from './s2-block.js';

export interface MatcherParams {
  longBits: number; // table of 8-byte hashes: long, likely matches
  shortBits: number; // table of 4-byte hashes: short, near matches
  /** How fast the scan skips ahead through incompressible input (larger = slower skipping). */
  skipShift: number;
  /** Score both table candidates (else the long one wins when it matches). */
  compareBoth: boolean;
  /** Also try the position one byte later (one step of lazy matching). */
  lazy: boolean;
  /** Index every matched position (else a few near the ends). */
  dense: boolean;
  /** How many earlier positions with the same 4-byte hash to try (0: only the newest). */
  chain: number;
}

export const BETTER: MatcherParams = { longBits: 17, shortBits: 14, skipShift: 5, compareBoth: true, lazy: true, dense: false, chain: 0 };
export const BEST: MatcherParams = { longBits: 19, shortBits: 16, skipShift: 6, compareBoth: true, lazy: true, dense: false, chain: 16 };

/** Below this many bytes a block is stored uncompressed (as the Go encoder does under 32). */
export const MIN_COMPRESS = 32;

/** Upper bound of what encode() writes for n input bytes (every copy costs ≤ the bytes it covers; README.md). */
export function maxBlockOutput(n: number): number {
  return n + (n >>> 4) + 64;
}

const load32 = (b: Uint8Array, i: number): number => b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);

const PRIME4 = 0x9e3779b1;
const PRIME8 = 0x85ebca77;

/** Number of equal bytes at a and b (a < b), not reading at or past `limit`. */
function matchLen(src: Uint8Array, a: number, b: number, limit: number): number {
  const start = b;
  while (b + 4 <= limit && load32(src, a) === load32(src, b)) {
    a += 4;
    b += 4;
  }
  while (b < limit && src[a] === src[b]) {
    a++;
    b++;
  }
  return b - start;
}

/**
 * A reusable matcher. Hash tables hold `base + position`: `base` advances past each block, so a
 * new block needs no table reset (an entry below `base` is from an older block and ignored).
 */
export class BlockMatcher {
  private readonly long: Int32Array;
  private readonly short: Int32Array;
  private base = 1;
  private blockMin = 1;
  private prev = new Int32Array(0); // best: previous position with the same short hash
  private readonly longShift: number;
  private readonly shortShift: number;

  constructor(private readonly p: MatcherParams) {
    this.long = new Int32Array(1 << p.longBits);
    this.short = new Int32Array(1 << p.shortBits);
    this.longShift = 32 - p.longBits;
    this.shortShift = 32 - p.shortBits;
  }

  /**
   * Encodes src[b0, b1) as one S2 block (varint header included) at dst[d]; returns the end in
   * dst. dst must have maxBlockOutput(b1 - b0) bytes free from d.
   */
  encode(src: Uint8Array, b0: number, b1: number, dst: Uint8Array, d: number): number {
    const n = b1 - b0;
    d = putVarint(dst, d, n);
    if (n < MIN_COMPRESS) return emitLiteral(dst, d, src, b0, n);
    if (this.base + n + 1 >= 0x7fffffff) {
      this.long.fill(0);
      this.short.fill(0);
      this.base = 1;
    }
    const base = this.base - b0; // table value of position s is base + s
    const minValue = this.base;
    this.blockMin = minValue;
    this.base += n + 1;

    const long = this.long;
    const short = this.short;
    const ls = this.longShift;
    const ss = this.shortShift;
    const { skipShift, compareBoth, lazy, dense, chain } = this.p;
    if (chain > 0 && this.prev.length < n) this.prev = new Int32Array(n);
    const prev = this.prev;
    const sLimit = b1 - 8; // every hashed position has 8 readable bytes
    let s = b0 + 1;
    let nextEmit = b0;
    let repeat = 0;

    while (s < sLimit) {
      // A repeat at s+1 is the cheapest match there is: take it at once, as klauspost does.
      if (repeat > 0) {
        const r = s + 1 - repeat;
        if (r >= b0 && load32(src, s + 1) === load32(src, r)) {
          let m = s + 1;
          let c = r;
          while (m > nextEmit && c > b0 && src[m - 1] === src[c - 1]) {
            m--;
            c--;
          }
          const len = (s + 5 - m) + matchLen(src, r + 4, s + 5, b1);
          if (m > nextEmit) d = emitLiteral(dst, d, src, nextEmit, m - nextEmit);
          d = emitRepeat(dst, d, repeat, len);
          s = m + len;
          nextEmit = s;
          if (s < sLimit) this.index(src, m + 1, s, base, dense);
          continue;
        }
      }
      // Candidates at s (and s+1 when lazy), scored by bytes saved: length minus the
      // cost of the copy that encodes it, minus the literal byte a later start leaves behind.
      let bestC = -1;
      let bestM = 0;
      let bestLen = 0;
      let bestScore = 0;
      const tries = lazy && s + 1 < sLimit ? 2 : 1;
      for (let k = 0; k < tries; k++) {
        const at = s + k;
        const lo = load32(src, at);
        const hl = (Math.imul(lo, PRIME4) ^ Math.imul(load32(src, at + 4), PRIME8)) >>> ls;
        const hs = Math.imul(lo, PRIME4) >>> ss;
        const cl = long[hl]!;
        const cs = short[hs]!;
        long[hl] = base + at;
        if (chain > 0) prev[at - b0] = cs;
        short[hs] = base + at;
        // The long candidate, then the short one (best: its chain, newest first).
        let cv = cl;
        let depth = chain;
        for (let j = 0; ; j++) {
          if (j === 1) cv = cs;
          else if (j > 1) {
            if (--depth <= 0 || cv < minValue) break;
            cv = prev[cv - minValue]!;
          }
          if (cv < minValue) {
            if (j === 0) continue;
            break;
          }
          if (j === 1 && cv === cl) continue;
          const c = cv - base;
          if (c >= at || load32(src, c) !== lo) {
            if (chain === 0 && j >= 1) break;
            continue;
          }
          if (!compareBoth && bestC >= 0) break; // better: the long candidate is good enough
          const len = 4 + matchLen(src, c + 4, at + 4, b1);
          const off = at - c;
          const cost = off === repeat ? 2 : off < 2048 && len <= 11 ? 2 : off < 65536 ? 3 : 5;
          const score = len - cost - k;
          if (score > bestScore) {
            bestScore = score;
            bestC = c;
            bestM = at;
            bestLen = len;
          }
          if (chain === 0 && j >= 1) break;
        }
      }
      if (bestC < 0) {
        // No (worthwhile) match: skip faster the longer we have been finding nothing.
        s += 1 + ((s - nextEmit) >> skipShift);
        continue;
      }
      let m = bestM;
      let c = bestC;
      let len = bestLen;
      while (m > nextEmit && c > b0 && src[m - 1] === src[c - 1]) {
        m--;
        c--;
        len++;
      }
      const offset = m - c;
      if (m > nextEmit) d = emitLiteral(dst, d, src, nextEmit, m - nextEmit);
      d = offset === repeat ? emitRepeat(dst, d, offset, len) : emitCopy(dst, d, offset, len);
      repeat = offset;
      s = m + len;
      nextEmit = s;
      if (s < sLimit) this.index(src, m + 1, s, base, dense);
    }
    if (nextEmit < b1) d = emitLiteral(dst, d, src, nextEmit, b1 - nextEmit);
    return d;
  }

  /** Enters positions of a match [from, to) into the tables: every other one for better, all for best. */
  private index(src: Uint8Array, from: number, to: number, base: number, all: boolean): void {
    const long = this.long;
    const short = this.short;
    const ls = this.longShift;
    const ss = this.shortShift;
    // to < sLimit, so every i < to has 8 readable bytes.
    const step = all ? (to - from > 512 ? 2 : 1) : Math.max(1, to - from - 2);
    const chained = this.p.chain > 0;
    const prev = this.prev;
    let last = from;
    for (let i = from; i < to; i += step) {
      const lo = load32(src, i);
      long[(Math.imul(lo, PRIME4) ^ Math.imul(load32(src, i + 4), PRIME8)) >>> ls] = base + i;
      const h = Math.imul(lo, PRIME4) >>> ss;
      if (chained) prev[base + i - this.blockMin] = short[h]!;
      short[h] = base + i;
      last = i;
    }
    const i = to - 1;
    if (i > last) {
      const lo = load32(src, i);
      long[(Math.imul(lo, PRIME4) ^ Math.imul(load32(src, i + 4), PRIME8)) >>> ls] = base + i;
      const h = Math.imul(lo, PRIME4) >>> ss;
      if (chained) prev[base + i - this.blockMin] = short[h]!;
      short[h] = base + i;
    }
  }
}
