// S2 framed streams: the round-trip at every level over the inputs the issue names, the
// incremental reader under every split, and every way a stream can be malformed or hostile.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import {
  S2Decoder, S2Encoder, S2_LEVELS, S2_IDENTIFIER, SNAPPY_IDENTIFIER, type S2Level,
} from '../../src/compression/s2.js';
import { maskedCrc32c } from '../../src/compression/crc32c.js';
import { CompressionError } from '../../src/compression/errors.js';
import { DECODE_SLACK } from '../../src/compression/s2-block.js';
import { Lz4Decoder, Lz4Encoder } from '../../src/compression/lz4.js';

const MiB = 1024 * 1024;

function decodeAll(stream: Buffer, dec = new S2Decoder()): Buffer {
  const out = Buffer.concat(dec.push(stream));
  dec.end();
  return out;
}

/** As routes decode: pushEach, reused pieces copied inside the sink (they are overwritten next). */
function decodeEach(stream: Buffer, dec = new S2Decoder({ nativeFirst: false }), splitAt = stream.length): { out: Buffer; reused: number } {
  const parts: Buffer[] = [];
  let reused = 0;
  const sink = (b: Buffer, r: boolean): boolean => {
    if (r) reused++;
    parts.push(r ? Buffer.from(b) : b);
    return true;
  };
  dec.pushEach(stream.subarray(0, splitAt), sink);
  dec.pushEach(stream.subarray(splitAt), sink);
  dec.end();
  return { out: Buffer.concat(parts), reused };
}

/** A data chunk by hand: type, CRC of `data`, then `payload` (data itself for 0x01). */
function chunk(type: number, data: Buffer, payload: Buffer = data, crc = maskedCrc32c(data)): Buffer {
  const h = Buffer.alloc(8);
  const len = payload.length + 4;
  h[0] = type;
  h.writeUIntLE(len, 1, 3);
  h.writeUInt32LE(crc, 4);
  return Buffer.concat([h, payload]);
}
const raw = (type: number, body: Buffer): Buffer => {
  const h = Buffer.alloc(4);
  h[0] = type;
  h.writeUIntLE(body.length, 1, 3);
  return Buffer.concat([h, body]);
};

function jsonTraffic(bytes: number): Buffer {
  const parts: string[] = [];
  let n = 0;
  for (let i = 0; n < bytes; i++) {
    const payload = `{"order":${i},"sku":"sku-${i % 97}","qty":${i % 13},"ok":true}`;
    const line = `RMSG $G orders.eu.${i % 31} ${payload.length}\r\n${payload}\r\n`;
    parts.push(line);
    n += line.length;
  }
  return Buffer.from(parts.join('')).subarray(0, bytes);
}

t.test('the s2.md vector: WriterUncompressed of "abcd"', async (t) => {
  const want = Buffer.concat([S2_IDENTIFIER, Buffer.from([0x01, 0x08, 0x00, 0x00, 0x68, 0x10, 0xe6, 0xb6]), Buffer.from('abcd')]);
  t.same(new S2Encoder('s2_uncompressed').encode(Buffer.from('abcd')), want, 'byte-exact with the Go writer');
  t.equal(decodeAll(want).toString(), 'abcd');
});

t.test('round-trips at every level', async (t) => {
  const inputs: Array<[string, Buffer]> = [
    ['empty', Buffer.alloc(0)],
    ['1 byte', Buffer.from('x')],
    ['31 bytes (stored)', Buffer.from('PONG\r\nPONG\r\nPONG\r\nPONG\r\nPONG\r')],
    ['random 100 KiB', randomBytes(100 * 1024)],
    ['zeros 1 MiB', Buffer.alloc(MiB)],
    ['JSON route traffic 1 MiB - 1', jsonTraffic(MiB - 1)],
    ['JSON route traffic exactly 1 MiB', jsonTraffic(MiB)],
    ['JSON route traffic 1 MiB + 1', jsonTraffic(MiB + 1)],
    ['mixed 4 MiB + 1', Buffer.concat([jsonTraffic(2 * MiB), randomBytes(MiB), Buffer.alloc(MiB + 1, 0x61)])],
  ];
  for (const level of S2_LEVELS) {
    const enc = new S2Encoder(level);
    for (const [name, x] of inputs) {
      const s = enc.encode(x);
      if (x.length === 0) {
        t.equal(s.length, 0, `${level} ${name}: nothing on the wire`);
        continue;
      }
      t.same(decodeAll(s), x, `${level} ${name}: ${x.length} → ${s.length}`);
      t.ok(decodeAll(s, new S2Decoder({ nativeFirst: false })).equals(x), `${level} ${name}: TypeScript decoder, a buffer per block`);
      t.ok(decodeEach(s, undefined, s.length >>> 1).out.equals(x), `${level} ${name}: TypeScript decoder, reused scratch`);
    }
  }
});

t.test('pushEach: blocks decoded into one reused scratch buffer; the sink can stop the decoder', async (t) => {
  const x = jsonTraffic(3 * MiB);
  const s = new S2Encoder('s2_best').encode(x);
  const { out, reused } = decodeEach(s);
  t.ok(out.equals(x), 'same bytes as the input');
  t.equal(reused, 3, 'each compressed 1 MiB block came from the scratch buffer');
  const seen = new Set<ArrayBufferLike>();
  new S2Decoder({ nativeFirst: false }).pushEach(s, (b) => (seen.add(b.buffer), true));
  t.equal(seen.size, 1, 'one scratch buffer for all three blocks');
  t.equal(decodeEach(new S2Encoder('s2_uncompressed').encode(x)).reused, 0, 'stored chunks are views of the input, not scratch');

  // A consumer gone after the first block (the connection closed): nothing more is decoded.
  const dec = new S2Decoder({ nativeFirst: false });
  let calls = 0;
  dec.pushEach(s, () => (calls++, false));
  t.equal(calls, 1, 'no piece after the sink said stop');
  t.equal(dec.bytesOut, MiB, 'only the first block was decoded');
  dec.pushEach(s, () => (calls++, true));
  t.equal(calls, 1, 'a stopped decoder decodes nothing more');

  // An error of the consumer's own is its own (not a corrupt-stream error), and stops the decoder.
  const dec2 = new S2Decoder({ nativeFirst: false });
  const boom = new Error('parser bug');
  t.throws(() => dec2.pushEach(s, () => { throw boom; }), boom);
  let after = 0;
  dec2.pushEach(s, () => (after++, true));
  t.equal(after, 0, 'stopped after the sink threw');
});

t.test('the scratch: allocated only when a block is decoded in place, reported, given back', async (t) => {
  const x = jsonTraffic(200 * 1024);
  const held: number[] = [];
  const onHeld = (n: number): void => { held.push(n); };
  const sum = (): number => held.reduce((a, b) => a + b, 0);
  const ours = new S2Decoder({ nativeFirst: false, onHeld });
  ours.pushEach(new S2Encoder('s2_better', { blockSize: 64 * 1024 }).encode(x), () => true);
  t.equal(ours.heldBytes, 64 * 1024 + DECODE_SLACK, '64 KiB blocks: a 64 KiB scratch');
  ours.pushEach(new S2Encoder('s2_better').encode(x), () => true);
  t.equal(ours.heldBytes, 256 * 1024 + DECODE_SLACK, 'a 200 KiB block grows it to the next power of two');
  t.equal(sum(), ours.heldBytes, 'every growth reported');
  ours.release();
  t.equal(ours.heldBytes, 0, 'released');
  t.equal(sum(), 0, 'and given back');

  // Native Snappy (blocks without repeats) and LZ4 return buffers of their own: no scratch.
  const native = new S2Decoder({ onHeld });
  native.pushEach(new S2Encoder('s2_fast').encode(x), () => true);
  t.equal(native.heldBytes, 0, 'native-first on s2_fast blocks: no scratch');
  const lz = new Lz4Decoder({ onHeld });
  lz.pushEach(new Lz4Encoder().encode([x]), () => true);
  t.equal(lz.heldBytes, 0, 'LZ4: no scratch');
  t.equal(held.length, 3, 'nothing reported for them (two growths and the release above)');

  // A chunk split across reads holds its body until complete, and is reported too.
  let partHeld = 0;
  const parted = new S2Decoder({ nativeFirst: false, onHeld: (n) => { partHeld += n; } });
  const s = new S2Encoder('s2_better').encode(x);
  const bodyLen = s.length - S2_IDENTIFIER.length - 4;
  parted.pushEach(s.subarray(0, 1000), () => true);
  t.equal(parted.heldBytes, bodyLen, 'partial chunk body counted');
  t.equal(partHeld, bodyLen, 'and reported');
  parted.pushEach(s.subarray(1000), () => true);
  t.equal(partHeld, 256 * 1024 + DECODE_SLACK, 'the body given back once complete, the scratch kept');
  parted.pushEach(s.subarray(0, 1000), () => true);
  parted.release();
  t.equal(partHeld, 0, 'release gives back the scratch and a partial chunk');
  t.equal(parted.heldBytes, 0);
});

t.test('levels trade ratio in order on compressible traffic; stored chunks where compression does not pay', async (t) => {
  const x = jsonTraffic(2 * MiB);
  const sizes = Object.fromEntries(S2_LEVELS.map((l) => [l, new S2Encoder(l).encode(x).length])) as Record<S2Level, number>;
  t.ok(sizes.s2_uncompressed > x.length, 'uncompressed: framing overhead only');
  t.ok(sizes.s2_fast < x.length / 3, `fast compresses (${sizes.s2_fast})`);
  t.ok(sizes.s2_better < x.length / 3, `better compresses (${sizes.s2_better})`);
  t.ok(sizes.s2_best <= sizes.s2_better, `best (${sizes.s2_best}) ≤ better (${sizes.s2_better})`);
  for (const level of S2_LEVELS) {
    const s = new S2Encoder(level).encode(randomBytes(3 * MiB));
    t.equal(s.length, 10 + 3 * (8 + MiB), `${level}: random 3 MiB is three stored 1 MiB chunks`);
    t.equal(s[10], 0x01);
  }
});

t.test('an array of slab parts encodes like their concatenation', async (t) => {
  const parts = [Buffer.from('RMSG $G a 2\r\nhi\r\n'), jsonTraffic(5000), Buffer.from('PING\r\n')];
  const enc = new S2Encoder('s2_better');
  t.same(enc.encode(parts), enc.encode(Buffer.concat(parts)));
  t.equal(enc.bytesIn, 2 * Buffer.concat(parts).length, 'bytesIn counts uncompressed bytes');
});

t.test('every split position of a small stream decodes identically', async (t) => {
  const streams = Buffer.concat([
    new S2Encoder('s2_best').encode(jsonTraffic(3000)),
    raw(0xfe, Buffer.alloc(5)),
    new S2Encoder('s2_uncompressed').encode(Buffer.from('PONG\r\n')),
    new S2Encoder('s2_fast').encode(jsonTraffic(2000)),
  ]);
  const want = Buffer.concat([jsonTraffic(3000), Buffer.from('PONG\r\n'), jsonTraffic(2000)]);
  let bad = 0;
  for (let i = 0; i <= streams.length; i++) {
    for (let j = i; j <= Math.min(streams.length, i + 40); j += 13) {
      const dec = new S2Decoder();
      const out = [...dec.push(streams.subarray(0, i)), ...dec.push(streams.subarray(i, j)), ...dec.push(streams.subarray(j))];
      dec.end();
      if (!Buffer.concat(out).equals(want)) bad++;
    }
  }
  t.equal(bad, 0, `all splits of ${streams.length} bytes`);
  const dec = new S2Decoder();
  const out: Buffer[] = [];
  for (let i = 0; i < streams.length; i++) out.push(...dec.push(streams.subarray(i, i + 1)));
  t.same(Buffer.concat(out), want, 'one byte at a time');
});

t.test('concatenated streams, both magics, skippable chunks', async (t) => {
  const a = Buffer.from('hello, ');
  const snappyStream = Buffer.concat([SNAPPY_IDENTIFIER, chunk(0x01, a)]);
  const s2 = new S2Encoder('s2_fast').encode(Buffer.from('world'.repeat(20)));
  const skips = Buffer.concat([raw(0x80, Buffer.from('x')), raw(0x99, Buffer.from('s2idx\x00...\x00xdi2s')), raw(0xfe, Buffer.alloc(0))]);
  t.equal(decodeAll(Buffer.concat([snappyStream, skips, s2, skips])).toString(), 'hello, ' + 'world'.repeat(20));
});

t.test('limits', async (t) => {
  const big = Buffer.alloc(65537, 1);
  t.throws(() => decodeAll(Buffer.concat([SNAPPY_IDENTIFIER, chunk(0x01, big)])), { reason: 'oversize_chunk', code: 'ERR_COMPRESSION' },
    'an uncompressed chunk over 64 KiB under sNaPpY');
  t.same(decodeAll(Buffer.concat([SNAPPY_IDENTIFIER, chunk(0x01, big.subarray(0, 65536))])), big.subarray(0, 65536), 'exactly 64 KiB is fine');
  const block = new S2Encoder('s2_better').encode(Buffer.alloc(100000, 3)).subarray(10);
  t.throws(() => decodeAll(Buffer.concat([SNAPPY_IDENTIFIER, block])), { reason: 'oversize_chunk', code: 'ERR_COMPRESSION' },
    'a block declaring 100000 bytes under sNaPpY');
  const four = Buffer.alloc(4 * MiB, 2);
  t.same(decodeAll(Buffer.concat([S2_IDENTIFIER, chunk(0x01, four)])), four, 'a 4 MiB uncompressed chunk (the reader maximum)');
  const hdr = Buffer.from([0x01, 0x05, 0x00, 0x40]); // body 4 MiB + 5: refused on the header, before buffering
  t.throws(() => new S2Decoder().push(Buffer.concat([S2_IDENTIFIER, hdr])), { reason: 'oversize_chunk', code: 'ERR_COMPRESSION' },
    '4 MiB + 1 uncompressed is refused from its header alone');
  const dec = new S2Decoder({ maxBlockSize: 1024 });
  t.throws(() => dec.push(new S2Encoder('s2_fast').encode(Buffer.alloc(2048))), { reason: 'oversize_chunk', code: 'ERR_COMPRESSION' },
    'a configured smaller block limit');
});

t.test('decompression bomb: refused before the allocation', async (t) => {
  // 4 MiB of zeros is a few dozen bytes of S2; 100 such chunks in one read would be 400 MiB.
  const one = new S2Encoder('s2_best').encode(Buffer.alloc(4 * MiB)).subarray(10);
  t.ok(one.length < 100, `one 4 MiB chunk is ${one.length} bytes`);
  const bomb = Buffer.concat([S2_IDENTIFIER, ...Array.from({ length: 100 }, () => one)]);
  const dec = new S2Decoder({ maxOutputPerPush: 32 * MiB });
  const before = process.memoryUsage().arrayBuffers;
  t.throws(() => dec.push(bomb), { reason: 'output_limit', code: 'ERR_COMPRESSION' });
  t.ok(process.memoryUsage().arrayBuffers - before < 64 * MiB, 'did not materialise the bomb');
  t.throws(() => dec.push(Buffer.from('more')), { reason: 'output_limit', code: 'ERR_COMPRESSION' }, 'the decoder stays dead');
  const ok = new S2Decoder({ maxOutputPerPush: 32 * MiB });
  let total = 0;
  for (let i = 0; i < 20; i++) for (const b of ok.push(Buffer.concat(i === 0 ? [S2_IDENTIFIER, one] : [one]))) total += b.length;
  t.equal(total, 80 * MiB, 'the same chunks one per read are legitimate traffic');
});

t.test('malformed streams', async (t) => {
  const good = new S2Encoder('s2_fast').encode(jsonTraffic(10000));
  const cases: Array<[string, Buffer, string]> = [
    ['no identifier first', chunk(0x01, Buffer.from('abcd')), 'bad_stream_identifier'],
    ['skippable chunk before the identifier', Buffer.concat([raw(0xfe, Buffer.alloc(1)), S2_IDENTIFIER]), 'bad_stream_identifier'],
    ['identifier of 5 bytes', raw(0xff, Buffer.from('S2sTw')), 'bad_stream_identifier'],
    ['unknown magic', raw(0xff, Buffer.from('S2sTwX')), 'bad_stream_identifier'],
    ['chunk 0x02 (reserved)', Buffer.concat([S2_IDENTIFIER, raw(0x02, Buffer.alloc(8))]), 'unknown_chunk_type'],
    ['chunk 0x03 (Snappy 2022 no-CRC) is reserved for S2', Buffer.concat([S2_IDENTIFIER, raw(0x03, Buffer.from('abcd'))]), 'unknown_chunk_type'],
    ['chunk 0x7f', Buffer.concat([S2_IDENTIFIER, raw(0x7f, Buffer.alloc(0))]), 'unknown_chunk_type'],
    ['data chunk shorter than its CRC', Buffer.concat([S2_IDENTIFIER, raw(0x01, Buffer.alloc(3))]), 'bad_block'],
    ['bad CRC on an uncompressed chunk', Buffer.concat([S2_IDENTIFIER, chunk(0x01, Buffer.from('abcd'), Buffer.from('abcd'), 1)]), 'bad_crc'],
    ['bad CRC on a compressed chunk', (() => { const b = Buffer.from(good); b[14]! ^= 1; return b; })(), 'bad_crc'],
    ['a flipped bit inside a compressed block', (() => { const b = Buffer.from(good); b[good.length - 40]! ^= 0x10; return b; })(), ''],
  ];
  for (const [name, stream, reason] of cases) {
    try {
      decodeAll(stream);
      t.fail(`${name}: accepted`);
    } catch (err) {
      t.ok(err instanceof CompressionError, `${name}: CompressionError`);
      if (reason) t.equal((err as CompressionError).reason, reason, `${name}: ${reason}`);
    }
  }
});

t.test('truncation: every cut of a stream is an error at end(), never a wrong result', async (t) => {
  const stream = new S2Encoder('s2_better').encode(jsonTraffic(3000));
  const want = jsonTraffic(3000);
  let bad = 0;
  for (let cut = 1; cut < stream.length; cut++) {
    const dec = new S2Decoder();
    try {
      const out = Buffer.concat(dec.push(stream.subarray(0, cut)));
      if (!want.subarray(0, out.length).equals(out)) bad++; // only whole chunks come out
      dec.end();
      if (cut > 10) bad++; // cut inside the only data chunk must be reported
    } catch (err) {
      if (!(err instanceof CompressionError) || err.reason !== 'truncated') bad++;
    }
  }
  t.equal(bad, 0);
  t.ok(new S2Decoder().midChunk === false, 'a fresh decoder is between chunks');
});

t.test('random garbage and random corruption never crash', async (t) => {
  const good = new S2Encoder('s2_best').encode(jsonTraffic(20000));
  let other = 0;
  let seed = 99;
  const rnd = (n: number): number => (((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 4) % n);
  for (let i = 0; i < 3000; i++) {
    const b = Buffer.from(good);
    for (let k = 0; k <= rnd(4); k++) b[10 + rnd(b.length - 10)] = rnd(256);
    try {
      decodeAll(b.subarray(0, b.length - rnd(3)));
    } catch (err) {
      if (!(err instanceof CompressionError)) other++;
    }
  }
  t.equal(other, 0, 'only CompressionErrors');
});
