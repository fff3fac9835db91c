// The S2 block decoder (compression/s2-block.ts) and the relay's short copies (route/byte-copy.ts)
// move 8 bytes as float64 reads and writes: bytes that form a NaN must come out unchanged in
// every V8 tier — the interpreter, Sparkplug, Maglev, TurboFan — and while the code tiers up.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { checkNanCopies, type NanCheck } from '../helpers/nan-check.js';

const CHECK = path.join(path.dirname(fileURLToPath(import.meta.url)), '../helpers/nan-check.js');

t.test('NaN bit patterns survive the decoder and the short copies from cold to optimized code', async (t) => {
  const r = checkNanCopies(1000);
  t.ok(r.nanWords > 1500, `${r.nanWords} of the input's 8-byte windows are NaNs`);
  t.equal(r.blocks, 3, 'a Snappy block and two S2 blocks (with repeats)');
  t.equal(r.bad, 0, `${r.runs} decodes, none changed a byte`);
  t.equal(r.badCopies, 0, `${r.copies} short copies, none changed a byte or touched one outside`);
});

for (const flags of [['--no-opt', '--no-sparkplug'], ['--no-opt', '--always-sparkplug'], ['--maglev', '--no-turbofan'], ['--always-turbofan']]) {
  t.test(`the same under ${flags.join(' ')}`, async (t) => {
    const p = spawnSync(process.execPath, [...flags, CHECK, '150'], { encoding: 'utf8', timeout: 120_000 });
    t.equal(p.status, 0, p.stderr);
    const r = JSON.parse(p.stdout) as NanCheck;
    t.ok(r.runs === 450 && r.nanWords > 1500, `${r.runs} decodes`);
    t.equal(r.bad, 0, 'no decode changed a byte');
    t.ok(r.copies > 1000, `${r.copies} short copies`);
    t.equal(r.badCopies, 0, 'no short copy changed a byte');
  });
}
