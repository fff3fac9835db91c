// Test helper: bytes carrying NaN bit patterns of every kind (signalling and quiet, both signs,
// random payloads) at every alignment, through the two places that move 8 bytes as float64
// values — the S2 block decoder (s2-block.ts: Snappy and S2 blocks whose copies and literals
// carry them) and the relay's short copies (route/byte-copy.ts: every length up to
// JS_COPY_MAX at every source and destination alignment) — from cold code to optimized code,
// counting what did not come out unchanged. That is only right if the runtime never rewrites a
// NaN that passes through untouched. Run directly (node nan-check.js) it prints its result as
// JSON, so a test can run it under each V8 tier's flags.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { decodeBlockBody, readBlockHeader, DECODE_SLACK } from '../../src/compression/s2-block.js';
import { S2Encoder } from '../../src/compression/s2.js';
import { copyBytes, JS_COPY_MAX } from '../../src/route/byte-copy.js';

export interface NanCheck {
  blocks: number; runs: number; bad: number; nanWords: number; copies: number; badCopies: number;
  /** V8's optimization status bits of decodeBlockBody and copyBytes afterwards (with --allow-natives-syntax). */
  tiers?: { decode: number; copy: number };
}

/**
 * Doubles V8 treats specially or that a re-tagging could change: the hole NaN of double arrays,
 * −0, a signalling NaN with payload 1, the canonical quiet NaN, the smallest denormal, all ones.
 */
const SPECIAL: Array<[number, number]> = [
  [0xfff7ffff, 0xfff7ffff], [0x80000000, 0], [0x7ff00000, 1], [0x7ff80000, 0], [0, 1], [0xffffffff, 0xffffffff],
];

export function checkNanCopies(rounds: number): NanCheck {
  let seed = 7;
  const rnd = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  const nanBytes = (n: number): Buffer => {
    const b = Buffer.alloc(n);
    for (let i = 0; i + 8 <= n; i += 1 + rnd(8)) {
      let hi = ((rnd(2) ? 0xfff00000 : 0x7ff00000) | rnd(0x100000)) >>> 0;
      let lo = rnd(3) === 0 ? 0 : ((rnd(65536) << 16) | rnd(65536)) >>> 0;
      if ((hi & 0xfffff) === 0 && lo === 0) lo = 1; // a NaN, not an infinity
      if (rnd(3) === 0) [hi, lo] = SPECIAL[rnd(SPECIAL.length)]!;
      b.writeUInt32LE(lo, i);
      b.writeUInt32LE(hi, i + 4);
    }
    return b;
  };
  // Repeated material, so that encoders emit copies of it at many offsets and lengths.
  const parts: Buffer[] = [];
  for (let k = 0; k < 200; k++) {
    const u = nanBytes(16 + rnd(300));
    parts.push(u, u.subarray(rnd(8)), nanBytes(rnd(40)), u);
  }
  const x = Buffer.concat(parts).subarray(0, 60000);
  let nanWords = 0;
  for (let i = 0; i + 8 <= x.length; i++) if (Number.isNaN(x.readDoubleLE(i))) nanWords++;
  const blocks: Buffer[] = [];
  const snappy = createRequire(import.meta.url)('snappy') as { compressSync(b: Buffer): Buffer };
  blocks.push(snappy.compressSync(x));
  for (const level of ['s2_better', 's2_best'] as const) {
    const s = new S2Encoder(level, { blockSize: 65536 }).encode(x);
    for (let p = 10; p < s.length;) {
      const len = s[p + 1]! | (s[p + 2]! << 8) | (s[p + 3]! << 16);
      if (s[p] === 0) blocks.push(s.subarray(p + 8, p + 4 + len));
      p += 4 + len;
    }
  }
  const dst = Buffer.allocUnsafeSlow(x.length + DECODE_SLACK);
  let bad = 0;
  let runs = 0;
  for (let r = 0; r < rounds; r++) {
    for (const b of blocks) {
      const [size, h] = readBlockHeader(b, 0, b.length);
      dst.fill(0);
      decodeBlockBody(b, h, b.length, dst, size);
      runs++;
      if (size !== x.length || !dst.subarray(0, size).equals(x)) bad++;
    }
  }
  // Short copies: every length at every alignment of source and destination, in rounds.
  const out = Buffer.alloc(JS_COPY_MAX + 16);
  let copies = 0;
  let badCopies = 0;
  for (let r = 0; r < rounds; r++) {
    for (let n = 1; n <= JS_COPY_MAX; n += 1 + (r % 3)) {
      const s = (r * 977 + n * 31) % (x.length - JS_COPY_MAX - 8);
      const p = (r + n) & 7;
      out.fill(0);
      copyBytes(x, s, s + n, out, p);
      copies++;
      if (!out.subarray(p, p + n).equals(x.subarray(s, s + n)) || out[p + n] !== 0 || (p > 0 && out[p - 1] !== 0)) badCopies++;
    }
  }
  const result: NanCheck = { blocks: blocks.length, runs, bad, nanWords, copies, badCopies };
  if (process.execArgv.includes('--allow-natives-syntax')) {
    const status = new Function('f', 'return %GetOptimizationStatus(f)') as (f: unknown) => number;
    result.tiers = { decode: status(decodeBlockBody), copy: status(copyBytes) };
  }
  return result;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.stdout.write(JSON.stringify(checkNanCopies(Number(process.argv[2] ?? 2000))) + '\n');
}
