// CRC-32C and S2's masking (s2.md §1.4): the published vectors, and the native and table
// implementations agreeing on every length and alignment that matters.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { crc32c, crc32cTable, crc32cImplementation, maskCrc, maskedCrc32c } from '../../src/compression/crc32c.js';

t.test('check value and masking vector', async (t) => {
  t.equal(crc32cTable(Buffer.from('123456789')), 0xe3069283, 'CRC-32C check value (table)');
  t.equal(crc32c(Buffer.from('123456789')), 0xe3069283, 'CRC-32C check value (selected implementation)');
  t.equal(maskedCrc32c(Buffer.from('abcd')), 0xb6e61068, 'masked CRC of "abcd" is 68 10 e6 b6 little-endian (s2.md)');
  t.equal(maskCrc(0), 0xa282ead8, 'mask of 0 is the delta');
  t.equal(crc32c(Buffer.alloc(0)), 0, 'empty input');
  t.equal(crc32cImplementation, 'native', 'the native addon loads on this platform');
});

t.test('native and table agree on lengths 0..300 and sub-ranges', async (t) => {
  const buf = randomBytes(4096 + 17);
  let bad = 0;
  for (let len = 0; len <= 300; len++) {
    for (const start of [0, 1, 3, 7]) {
      if (crc32c(buf, start, start + len) !== crc32cTable(buf, start, start + len)) bad++;
    }
  }
  t.equal(bad, 0, 'no disagreement');
  t.equal(crc32c(buf), crc32cTable(buf), 'whole buffer');
  const big = randomBytes(1 << 20);
  t.equal(crc32c(big, 5, big.length - 3), crc32cTable(big, 5, big.length - 3), '1 MiB range');
});
