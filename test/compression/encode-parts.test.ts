// The write path the route connection uses at the native levels (s2_fast, LZ4): encodeParts
// compresses the parts of one flush where they lie and returns pieces to write in order, and
// the S2 reader tries native Snappy per block before our decoder. Both must give exactly what
// the one-buffer paths give, never alias the caller's buffers, and leave corruption to the
// same errors.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { S2Decoder, S2Encoder } from '../../src/compression/s2.js';
import { Lz4Decoder, Lz4Encoder } from '../../src/compression/lz4.js';
import { CompressionError } from '../../src/compression/errors.js';

function json(bytes: number, seed: number): Buffer {
  const parts: string[] = [];
  let n = 0;
  for (let i = seed; n < bytes; i++) {
    const p = `{"id":"${(i * 2654435761 >>> 0).toString(16)}","sku":"sku-${i % 97}","qty":${i % 13},"site":"eu-west-${i % 3}"}`;
    const line = `RMSG $G orders.eu.${i % 31} ${p.length}\r\n${p}\r\n`;
    parts.push(line);
    n += line.length;
  }
  return Buffer.from(parts.join('')).subarray(0, bytes);
}

// Small parts (joined), big parts (in place), a part over the block size (split), an
// incompressible part (stored), an empty part.
const incompressible = randomBytes(50_100);
const shapes = (): Record<string, Buffer[]> => ({
  'one slab piece': [json(256 * 1024, 1)],
  'small runs between big parts': [json(100, 2), json(3000, 3), json(40_000, 4), Buffer.alloc(0), json(17, 5), json(300_000, 6), json(5, 7)],
  'over the block size': [json(200 * 1024, 8), json(70_000, 9)],
  'incompressible': [Buffer.from(incompressible.subarray(0, 50_000)), json(20_000, 10), Buffer.from(incompressible.subarray(50_000))],
  'tiny': [Buffer.from('PING\r\n')],
});

const codecs = [
  { name: 's2_fast', enc: () => new S2Encoder('s2_fast', { blockSize: 64 * 1024 }), dec: () => new S2Decoder() },
  { name: 's2_fast, our decoder only', enc: () => new S2Encoder('s2_fast', { blockSize: 64 * 1024 }), dec: () => new S2Decoder({ nativeFirst: false }) },
  { name: 'lz4', enc: () => new Lz4Encoder({ blockSize: 64 * 1024 }), dec: () => new Lz4Decoder() },
];

for (const c of codecs) {
  t.test(`${c.name}: encodeParts round-trips and never aliases its input`, async (t) => {
    // Fresh inputs per codec: the test scribbles over them.
    for (const [what, parts] of Object.entries(shapes())) {
      const plain = Buffer.concat(parts);
      const enc = c.enc();
      const pieces = enc.encodeParts(parts);
      const stream = Buffer.concat(pieces);
      t.equal(enc.bytesIn, plain.length, `${what}: bytesIn`);
      t.equal(enc.bytesOut, stream.length, `${what}: bytesOut is what was returned`);
      // The outbound writer reuses its slabs right after encode: scribble over the input.
      for (const p of parts) p.fill(0x5a);
      const dec = c.dec();
      // Split at an odd size, as socket reads are.
      const out: Buffer[] = [];
      for (let i = 0; i < stream.length; i += 4093) out.push(...dec.push(stream.subarray(i, i + 4093)));
      dec.end();
      const got = Buffer.concat(out);
      t.equal(got.length, plain.length, `${what}: decoded length`);
      t.ok(got.equals(plain), `${what}: decoded bytes equal the input as it was`);
    }
    t.same(c.enc().encodeParts([]), [], 'nothing in, nothing out');
  });
}

t.test('the S2 reader falls back to our decoder for blocks with repeat codes, and still rejects corruption', async (t) => {
  // s2_better emits S2 repeat codes, which native Snappy refuses: the native-first reader must
  // still decode the stream exactly, from the first block on.
  const plain = json(300_000, 11);
  for (const level of ['s2_better', 's2_best', 's2_fast'] as const) {
    const stream = new S2Encoder(level, { blockSize: 64 * 1024 }).encode(plain);
    const got = Buffer.concat(new S2Decoder().push(stream));
    t.ok(got.equals(plain), `${level}: native-first reader decodes it`);
    // Flip a byte inside the first compressed block's body (after identifier 10, header 4, CRC 4).
    const bad = Buffer.from(stream);
    bad[10 + 8 + 40]! ^= 0xff;
    for (const nativeFirst of [true, false]) {
      t.throws(() => new S2Decoder({ nativeFirst }).push(bad), CompressionError, `${level}: corrupt block refused (nativeFirst ${nativeFirst})`);
    }
  }
});
