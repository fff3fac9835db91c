// LZ4 proxy-link streams: round-trips, splits, concatenation, and the reader's bounds.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { Lz4Decoder, Lz4Encoder, LZ4_IDENTIFIER } from '../../src/compression/lz4.js';
import { S2Decoder, S2_IDENTIFIER } from '../../src/compression/s2.js';
import { maskedCrc32c } from '../../src/compression/crc32c.js';
import { CompressionError } from '../../src/compression/errors.js';

const MiB = 1024 * 1024;
const json = (n: number): Buffer =>
  Buffer.from(Array.from({ length: n }, (_, i) => `RMSG $G t.${i % 9} 30\r\n{"i":${i},"name":"n${i % 50}"}\r\n`).join(''));

const decodeAll = (s: Buffer, dec = new Lz4Decoder()): Buffer => {
  const out = Buffer.concat(dec.push(s));
  dec.end();
  return out;
};

t.test('round-trips', async (t) => {
  const enc = new Lz4Encoder();
  for (const [name, x] of [
    ['1 byte', Buffer.from('a')], ['JSON', json(20000)], ['random 2 MiB', randomBytes(2 * MiB)],
    ['zeros 4 MiB + 1', Buffer.alloc(4 * MiB + 1)],
  ] as const) {
    const s = enc.encode(x);
    t.same(s.subarray(0, 10), LZ4_IDENTIFIER, `${name}: starts with NRPlz4`);
    t.same(decodeAll(s), x, `${name}: ${x.length} → ${s.length}`);
  }
  t.equal(enc.encode(Buffer.alloc(0)).length, 0, 'empty flush, nothing on the wire');
  t.ok(enc.encode(json(20000)).length < json(20000).length / 3, 'JSON compresses');
});

t.test('concatenated streams split at every position', async (t) => {
  const enc = new Lz4Encoder();
  const a = json(300);
  const b = Buffer.from('PING\r\n');
  const s = Buffer.concat([enc.encode(a), enc.encode(b), enc.encode(a)]);
  const want = Buffer.concat([a, b, a]);
  let bad = 0;
  for (let i = 0; i <= s.length; i++) {
    const dec = new Lz4Decoder();
    const out = Buffer.concat([...dec.push(s.subarray(0, i)), ...dec.push(s.subarray(i))]);
    dec.end();
    if (!out.equals(want)) bad++;
  }
  t.equal(bad, 0);
});

t.test('streams of the other codec are refused by identifier', async (t) => {
  const lz = new Lz4Encoder().encode(json(10));
  t.throws(() => new S2Decoder().push(lz), { reason: 'bad_stream_identifier', code: 'ERR_COMPRESSION' }, 'an S2 reader refuses NRPlz4');
  t.throws(() => new Lz4Decoder().push(S2_IDENTIFIER), { reason: 'bad_stream_identifier', code: 'ERR_COMPRESSION' }, 'an LZ4 reader refuses S2sTwO');
});

t.test('corrupt and hostile input', async (t) => {
  const x = json(5000);
  const good = new Lz4Encoder().encode(x);
  t.equal(good[10], 0x00, 'a compressed chunk');
  const mk = (f: (b: Buffer) => void): Buffer => {
    const b = Buffer.from(good);
    f(b);
    return b;
  };
  // The declared size sits after header (4) and CRC (4) of the first chunk.
  t.throws(() => decodeAll(mk((b) => b.writeUInt32LE(0xfffffff0, 18))), { reason: 'oversize_chunk', code: 'ERR_COMPRESSION' },
    'a declared size of 4 GiB is refused before lz4 allocates');
  t.throws(() => decodeAll(mk((b) => b.writeUInt32LE(x.length + 1, 18))), { reason: 'bad_block', code: 'ERR_COMPRESSION' },
    'a declared size that does not match');
  t.throws(() => decodeAll(mk((b) => (b[14]! ^= 1))), { reason: 'bad_crc', code: 'ERR_COMPRESSION' }, 'bad CRC');
  let other = 0;
  for (let i = 0; i < 2000; i++) {
    const b = mk((b) => (b[22 + ((i * 7919) % (b.length - 22))] = (i * 31) & 0xff));
    try {
      decodeAll(b);
    } catch (err) {
      if (!(err instanceof CompressionError)) other++;
    }
  }
  t.equal(other, 0, 'random corruption: only CompressionErrors');
  const one = new Lz4Encoder().encode(Buffer.alloc(4 * MiB)).subarray(10);
  const bomb = Buffer.concat([LZ4_IDENTIFIER, ...Array.from({ length: 40 }, () => one)]);
  t.throws(() => new Lz4Decoder({ maxOutputPerPush: 64 * MiB }).push(bomb), { reason: 'output_limit', code: 'ERR_COMPRESSION' },
    `bomb: 40 × 4 MiB from ${bomb.length} bytes`);
  const hdr = Buffer.alloc(8);
  hdr[0] = 0x01;
  hdr.writeUIntLE(5 * MiB, 1, 3);
  hdr.writeUInt32LE(maskedCrc32c(Buffer.alloc(0)), 4);
  t.throws(() => new Lz4Decoder().push(Buffer.concat([LZ4_IDENTIFIER, hdr])), { reason: 'oversize_chunk', code: 'ERR_COMPRESSION' },
    'an oversize chunk header');
});
