// The S2 block decoder against hand-made blocks in the style of klauspost's TestDecode table
// (re-expressed, s2.md §5.1): every element kind and width, the repeat code, and every rule of
// §2.4 that makes a block corrupt.
import t from 'tap';
import { createRequire } from 'node:module';
import { DECODE_SLACK, decodeBlockBody } from '../../src/compression/s2-block.js';
import { decodeS2Block, S2Decoder, S2Encoder } from '../../src/compression/s2.js';
import { CompressionError } from '../../src/compression/errors.js';
import { BlockMatcher, BEST, BETTER, maxBlockOutput } from '../../src/compression/s2-match.js';

const b = (...parts: Array<number | string | number[]>): Buffer =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(Array.isArray(p) ? p : [p]))));

const period = (p: string, n: number): string => p.repeat(Math.ceil(n / p.length)).slice(0, n);
const FORTY = 'the quick brown fox jumps over a lazy do';

const ok: Array<[string, Buffer, string]> = [
  ['empty block', b(0x00), ''],
  ['1-byte literal', b(0x01, 0x00, 'a'), 'a'],
  ['literal, 1-byte length (tag 60)', b(0x03, 0xf0, 0x02, 'abc'), 'abc'],
  ['literal, 2-byte length (tag 61)', b(0x03, 0xf4, 0x02, 0x00, 'abc'), 'abc'],
  ['literal, 3-byte length (tag 62)', b(0x03, 0xf8, 0x02, 0x00, 0x00, 'abc'), 'abc'],
  ['literal, 4-byte length (tag 63)', b(0x03, 0xfc, 0x02, 0x00, 0x00, 0x00, 'abc'), 'abc'],
  ['copy1 overlapping (RLE)', b(0x08, 0x00, 'a', 0x0d, 0x01), 'aaaaaaaa'],
  ['copy2', b(0x08, 0x0c, 'abcd', 0x0e, 0x04, 0x00), 'abcdabcd'],
  ['copy4', b(0x08, 0x0c, 'abcd', 0x0f, 0x04, 0x00, 0x00, 0x00), 'abcdabcd'],
  ['copy4 of length 1 (the fast encoder emits these)', b(0x05, 0x0c, 'abcd', 0x03, 0x04, 0x00, 0x00, 0x00), 'abcda'],
  ['repeat after copy1 (TestDecode: abcdddddzzzzz)', b(0x0d, 0x0c, 'abcd', 0x01, 0x01, 0x00, 'z', 0x01, 0x00), 'abcdddddzzzzz'],
  ['repeat L=5, 1 extra byte (+8)', b(0x0d, 0x00, 'a', 0x01, 0x01, 0x15, 0x00, 0x00), 'a'.repeat(13)],
  ['repeat L=6, 2 extra bytes (+260)', b(0x8b, 0x02, 0x00, 'a', 0x01, 0x01, 0x19, 0x00, 0x02, 0x00), 'a'.repeat(267)],
  ['repeat L=7, 3 extra bytes (+65540)', b(0x8a, 0x80, 0x04, 0x00, 'a', 0x01, 0x01, 0x1d, 0x00, 0x01, 0x00, 0x00), 'a'.repeat(65546)],
  // Long copies that overlap themselves at offsets ≥ 8 (the period-doubling path, not word moves).
  ['copy1 at offset 10, then a 300-byte repeat over it', b(0xc1, 0x02, 0x24, 'abcdefghij', 0x1d, 0x0a, 0x19, 0x00, 0x28, 0x00), period('abcdefghij', 321)],
  ['copy1 at offset 8, then a 200-byte repeat over it', b(0xdb, 0x01, 0x1c, 'abcdefgh', 0x1d, 0x08, 0x15, 0x00, 0xc0), period('abcdefgh', 219)],
  ['copy2 of 64 at offset 40, then a 108-byte repeat', b(0xd4, 0x01, 0x9c, FORTY, 0xfe, 0x28, 0x00, 0x15, 0x00, 0x64), period(FORTY, 212)],
];

t.test('valid blocks decode', async (t) => {
  for (const [name, block, want] of ok) t.equal(decodeS2Block(block).toString('latin1'), want, name);
});

t.test('copy4 at offset 65540 (TestDecodeCopy4)', async (t) => {
  const lit = Buffer.alloc(65540);
  for (let i = 0; i < lit.length; i++) lit[i] = (i * 7) & 0xff;
  const n = lit.length + 5;
  const varint = [n & 0x7f | 0x80, (n >>> 7) & 0x7f | 0x80, n >>> 14];
  const block = b(varint, 0xfc, [(lit.length - 1) & 0xff, ((lit.length - 1) >>> 8) & 0xff, (lit.length - 1) >>> 16, 0], [...lit], 0x13, 0x04, 0x00, 0x01, 0x00);
  const out = decodeS2Block(block);
  t.equal(out.length, n);
  t.same(out.subarray(65540), lit.subarray(0, 5), 'the copy reads 65540 bytes back');
});

const corrupt: Array<[string, Buffer]> = [
  ['empty input (no header)', b()],
  ['varint longer than 5 bytes', b(0x80, 0x80, 0x80, 0x80, 0x80, 0x00)],
  ['varint above 2^32-1', b(0xff, 0xff, 0xff, 0xff, 0x7f)],
  ['header says more than decoded', b(0x02, 0x00, 'a')],
  ['header says less than decoded', b(0x01, 0x04, 'ab')],
  ['literal past the input', b(0x04, 0x0c, 'ab')],
  ['literal length bytes missing', b(0x03, 0xf4, 0x02)],
  ['copy1 truncated', b(0x04, 0x00, 'a', 0x01)],
  ['copy2 truncated', b(0x04, 0x00, 'a', 0x0e, 0x01)],
  ['copy4 truncated', b(0x04, 0x00, 'a', 0x0f, 0x01, 0x00, 0x00)],
  ['copy offset beyond the output', b(0x05, 0x00, 'a', 0x01, 0x02)],
  ['copy longer than the remaining output', b(0x03, 0x00, 'a', 0x01, 0x01)],
  ['copy2 with offset 0', b(0x05, 0x00, 'a', 0x0e, 0x00, 0x00)],
  ['copy4 with offset 0', b(0x05, 0x00, 'a', 0x0f, 0x00, 0x00, 0x00, 0x00)],
  ['repeat as first match', b(0x05, 0x00, 'a', 0x01, 0x00)],
  ['repeat extra length bytes missing', b(0x0c, 0x00, 'a', 0x01, 0x01, 0x19, 0x00, 0x02)],
  ['repeat longer than the output', b(0x06, 0x00, 'a', 0x01, 0x01, 0x01, 0x00)],
];

t.test('corrupt blocks are typed errors', async (t) => {
  for (const [name, block] of corrupt) {
    t.throws(() => decodeS2Block(block), { reason: 'bad_block', code: 'ERR_COMPRESSION' }, name);
  }
  t.throws(() => decodeS2Block(b(0x81, 0x80, 0x80, 0x04)), { reason: 'oversize_chunk', code: 'ERR_COMPRESSION' }, 'a header above 4 MiB is refused before allocating');
});

t.test('every truncation of valid blocks is rejected, never a crash', async (t) => {
  let failures = 0;
  for (const [, block] of ok) {
    for (let cut = 0; cut < block.length; cut++) {
      try {
        decodeS2Block(block.subarray(0, cut));
        failures++;
      } catch (err) {
        if (!(err instanceof CompressionError)) failures++;
      }
    }
  }
  t.equal(failures, 0);
});

t.test('random bytes never crash the decoder', async (t) => {
  let seed = 7;
  const rnd = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) & 0xff;
  let other = 0;
  for (let i = 0; i < 20000; i++) {
    const block = Buffer.from(Array.from({ length: 1 + (i % 40) }, rnd));
    block[0] = block[0]! & 0x3f; // small declared sizes, so the elements get exercised
    try {
      decodeS2Block(block);
    } catch (err) {
      if (!(err instanceof CompressionError)) other++;
    }
  }
  t.equal(other, 0, 'only CompressionErrors');
});

t.test('our matchers produce blocks the decoder reverses, within maxBlockOutput', async (t) => {
  const inputs = [
    Buffer.from('a'.repeat(100000)),
    Buffer.from(Array.from({ length: 3000 }, (_, i) => `{"id":${i},"v":"${'x'.repeat(i % 70)}"}`).join('')),
    Buffer.concat([Buffer.from('abcdefgh'.repeat(9000)), Buffer.from('zz'), Buffer.from('abcdefgh'.repeat(9000))]),
  ];
  for (const [name, p] of [['better', BETTER], ['best', BEST]] as const) {
    const m = new BlockMatcher(p);
    for (const x of inputs) {
      const dst = Buffer.alloc(maxBlockOutput(x.length));
      const e = m.encode(x, 0, x.length, dst, 0);
      t.ok(e < x.length, `${name} compresses ${x.length} bytes to ${e}`);
      t.same(decodeS2Block(dst.subarray(0, e)), x, `${name} round-trip`);
    }
  }
});

function randomFill(rnd: (n: number) => number, n: number): Buffer {
  const x = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) x[i] = rnd(256);
  return x;
}

t.test('the word-copying decoder against native Snappy on every offset and length mix', async (t) => {
  // Inputs built from random repeats at offsets 1..40 and lengths 1..200 (overlapping copies,
  // copies ending at the block's last byte, the 8-byte overshoot into the slack) plus far copies.
  const snappy = createRequire(import.meta.url)('snappy') as { compressSync(b: Buffer): Buffer };
  let seed = 12345;
  const rnd = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  let bad = 0;
  const inputs: Buffer[] = [];
  for (let k = 0; k < 300; k++) {
    const size = 1 + rnd(k < 200 ? 600 : 70000);
    const x = Buffer.allocUnsafe(size);
    inputs.push(x);
    let i = 0;
    while (i < size) {
      const far = rnd(8) === 0 && i > 1000;
      const off = far ? 1 + rnd(i) : 1 + rnd(Math.min(40, Math.max(1, i)));
      const len = Math.min(size - i, 1 + rnd(200));
      if (i === 0 || rnd(5) === 0) {
        for (let j = 0; j < len; j++) x[i + j] = 97 + rnd(4);
      } else {
        for (let j = 0; j < len; j++) x[i + j] = x[i + j - Math.min(off, i)]!;
      }
      i += len;
    }
    if (!decodeS2Block(snappy.compressSync(x)).equals(x)) bad++;
  }
  t.equal(bad, 0, '300 inputs decode byte-exact');
  // Our better/best encoders add what Snappy never emits: repeats (long ones overlap at short
  // offsets) and, in blocks over 64 KiB, copy4. Three inputs of 300 KiB reach offsets past 64 KiB.
  for (let k = 0; k < 3; k++) {
    const x = Buffer.concat([inputs[250 + k]!, ...inputs.slice(200 + 10 * k, 210 + 10 * k), inputs[290 - k]!, randomFill(rnd, 100000)]);
    inputs.push(Buffer.concat([x, x.subarray(0, 70000), x]));
  }
  let badOurs = 0;
  for (const level of ['s2_better', 's2_best'] as const) {
    for (const x of inputs) {
      const out = Buffer.concat(new S2Decoder({ nativeFirst: false }).push(new S2Encoder(level).encode(x)));
      if (!out.equals(x)) badOurs++;
    }
  }
  t.equal(badOurs, 0, `${inputs.length} inputs through our better and best encoders decode byte-exact`);
  t.throws(() => decodeBlockBody(b(0x01, 0x00, 'a'), 1, 3, Buffer.alloc(1), 1), RangeError, 'a destination without the slack is refused');
  const exact = Buffer.alloc(1 + DECODE_SLACK);
  decodeBlockBody(b(0x01, 0x00, 'a'), 1, 3, exact, 1);
  t.equal(exact[0], 0x61, 'dLen + DECODE_SLACK is enough');
});
