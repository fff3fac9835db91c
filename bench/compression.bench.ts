// S2 levels and LZ4 against native Snappy (the `snappy` package) measured in the same run:
// encode and decode MB/s (bytes = uncompressed bytes) on route traffic (64 KiB flush slabs of
// small RMSG frames with JSON-like or random payloads) and on 1 MiB payloads. The compression
// ratio (uncompressed / wire) is in each case's name. Targets (issue 9): our S2 decoder ≥ 50% of
// native Snappy decode, our fastest S2 level ≥ 50% of native Snappy encode.
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import type { BenchGroup, BenchOptions } from './harness.js';
import { S2Decoder, S2Encoder, S2_LEVELS } from '../src/compression/s2.js';
import { Lz4Decoder, Lz4Encoder } from '../src/compression/lz4.js';
import { crc32c, crc32cTable } from '../src/compression/crc32c.js';

const snappy = createRequire(import.meta.url)('snappy') as {
  compressSync(b: Buffer): Buffer;
  uncompressSync(b: Buffer, opts?: { asBuffer: boolean }): Buffer;
};

const KiB = 1024;
/** Interleaved rounds per group: the ratios to native Snappy are the targets, and this machine's speed drifts by ±25% over seconds. */
const ROUNDS = 7;
const MiB = 1024 * KiB;

/** Deterministic JSON-like payloads: field names repeat, values vary. */
function jsonPayload(i: number, size: number): string {
  let s = '';
  for (let k = 0; s.length < size; k++) {
    s += `{"id":${i * 31 + k},"user":"user-${(i * 7 + k) % 500}","event":"${['view', 'click', 'buy', 'scroll'][(i + k) % 4]}",` +
      `"ts":${1733100000000 + i * 17 + k},"amount":${((i * 13 + k) % 10000) / 100}},`;
  }
  return s.slice(0, size);
}

/** `count` RMSG frames as a flush slab, payload sizes 64..1024 bytes. */
function routeSlab(bytes: number, payload: (i: number, size: number) => Buffer): Buffer {
  const parts: Buffer[] = [];
  let n = 0;
  for (let i = 0; n < bytes; i++) {
    const p = payload(i, 64 + ((i * 389) % 960));
    const head = Buffer.from(`RMSG $G orders.eu.${i % 40} ${i % 5 === 0 ? '_INBOX.r8kq3.' + (i % 97) + ' ' : ''}${p.length}\r\n`);
    parts.push(head, p, Buffer.from('\r\n'));
    n += head.length + p.length + 2;
  }
  return Buffer.concat(parts).subarray(0, bytes);
}

interface Dataset { name: string; slabs: Buffer[] }

function datasets(quick: boolean): Dataset[] {
  const slabs = quick ? 4 : 16; // 64 KiB flushes
  const json = (i: number, size: number) => Buffer.from(jsonPayload(i, size));
  const rnd = (_i: number, size: number) => randomBytes(size);
  const big = (p: Buffer) => Buffer.concat([Buffer.from(`RMSG $G big.payload ${p.length}\r\n`), p, Buffer.from('\r\n')]);
  return [
    { name: 'route frames, JSON payloads (64 KiB flushes)', slabs: Array.from({ length: slabs }, (_, k) => routeSlab(64 * KiB, (i, s) => json(i + k * 1000, s))) },
    { name: 'route frames, random payloads (64 KiB flushes)', slabs: Array.from({ length: slabs }, () => routeSlab(64 * KiB, rnd)) },
    { name: '1 MiB JSON payload', slabs: [big(Buffer.from(jsonPayload(3, MiB)))] },
    { name: '1 MiB random payload', slabs: [big(randomBytes(MiB))] },
  ];
}

const ratio = (raw: number, wire: number): string => (raw / wire).toFixed(2);

/** Reads the first and last decoded byte, as a consumer at least would (the result is kept live). */
let sunk = 0;
const sink = (b: Buffer): boolean => {
  sunk = (sunk + b[0]! + b[b.length - 1]!) | 0;
  return true;
};

export default function groups(opts: BenchOptions): BenchGroup[] {
  const out: BenchGroup[] = [];
  for (const ds of datasets(opts.quick)) {
    const raw = ds.slabs.reduce((a, b) => a + b.length, 0);
    const snappyBlocks = ds.slabs.map((s) => snappy.compressSync(s));
    const snappyWire = snappyBlocks.reduce((a, b) => a + b.length, 0);
    const enc = S2_LEVELS.map((level) => {
      const e = new S2Encoder(level);
      return { level, e, streams: ds.slabs.map((s) => e.encode(s)) };
    });
    const lz = new Lz4Encoder();
    const fast = new S2Encoder('s2_fast');
    const lzStreams = ds.slabs.map((s) => lz.encode(s));
    const wire = (streams: Buffer[]) => streams.reduce((a, b) => a + b.length, 0);

    const snappyEncode = `snappy native compressSync (ratio ${ratio(raw, snappyWire)})`;
    out.push({
      group: `compression encode: ${ds.name}`,
      reference: snappyEncode,
      rounds: ROUNDS,
      cases: [
        { name: snappyEncode, bytes: raw, fn: () => { for (const s of ds.slabs) snappy.compressSync(s); } },
        ...enc.map(({ level, e, streams }) => ({
          name: `${level} S2Encoder.encode (ratio ${ratio(raw, wire(streams))})`, bytes: raw,
          fn: () => { for (const s of ds.slabs) e.encode(s); },
        })),
        { name: `lz4 Lz4Encoder.encode (ratio ${ratio(raw, wire(lzStreams))})`, bytes: raw, fn: () => { for (const s of ds.slabs) lz.encode(s); } },
        // What the route writer calls (pieces, no output copy).
        { name: 's2_fast S2Encoder.encodeParts', bytes: raw, fn: () => { for (const s of ds.slabs) fast.encodeParts([s]); } },
        { name: 'lz4 Lz4Encoder.encodeParts', bytes: raw, fn: () => { for (const s of ds.slabs) lz.encodeParts([s]); } },
      ],
    });
    out.push({
      group: `compression decode: ${ds.name}`,
      reference: 'snappy native uncompressSync',
      rounds: ROUNDS,
      cases: [
        { name: 'snappy native uncompressSync', bytes: raw, fn: () => { for (const b of snappyBlocks) snappy.uncompressSync(b, { asBuffer: true }); } },
        // Our TypeScript decoder alone (the "≥ 50% of native Snappy") as routes drive it:
        // pushEach, blocks decoded into one reused scratch buffer. Then the same with fresh
        // buffers per block (push), and as routes decode: native Snappy per block first, ours
        // from the first block with S2 repeat codes.
        ...enc.map(({ level, streams }) => ({
          name: `${level} stream, S2Decoder.pushEach (TypeScript only)`, bytes: raw,
          fn: () => { const d = new S2Decoder({ nativeFirst: false }); for (const s of streams) d.pushEach(s, sink); },
        })),
        ...enc.filter(({ level }) => level === 's2_fast').map(({ level, streams }) => ({
          name: `${level} stream, S2Decoder.push (TypeScript only, a buffer per block)`, bytes: raw,
          fn: () => { const d = new S2Decoder({ nativeFirst: false }); for (const s of streams) d.push(s); },
        })),
        ...enc.map(({ level, streams }) => ({
          name: `${level} stream, S2Decoder.pushEach (native first)`, bytes: raw,
          fn: () => { const d = new S2Decoder(); for (const s of streams) d.pushEach(s, sink); },
        })),
        { name: 'lz4 stream, Lz4Decoder.push', bytes: raw, fn: () => { const d = new Lz4Decoder(); for (const s of lzStreams) d.push(s); } },
      ],
    });
  }
  const crcBuf = randomBytes(opts.quick ? 256 * KiB : MiB);
  const small = crcBuf.subarray(0, 200);
  out.push({
    group: 'CRC-32C',
    reference: 'table-driven (slicing-by-8), 1 MiB',
    cases: [
      { name: 'table-driven (slicing-by-8), 1 MiB', bytes: crcBuf.length, fn: () => { crc32cTable(crcBuf); } },
      { name: 'crc32c() as used (native @node-rs/crc32), 1 MiB', bytes: crcBuf.length, fn: () => { crc32c(crcBuf); } },
      { name: 'table-driven, 200 B', bytes: 200 * 100, fn: () => { for (let i = 0; i < 100; i++) crc32cTable(small); } },
      { name: 'native @node-rs/crc32 direct, 200 B', bytes: 200 * 100, fn: () => { for (let i = 0; i < 100; i++) crc32cNative(small); } },
    ],
  });
  return out;
}

const crc32cNative = (createRequire(import.meta.url)('@node-rs/crc32') as { crc32c(b: Buffer): number }).crc32c;
