// The S2 block decoder (compression/s2-block.ts) and the relay's short copies (route/byte-copy.ts)
// move 8 bytes as float64 reads and writes: bytes that form a NaN must come out unchanged in
// every V8 tier — the interpreter, Sparkplug, Maglev where the V8 has it, TurboFan — and while the
// code tiers up.
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

// V8's status bits (runtime-profiler): 16 optimized, 32 Maglev, 64 TurboFan, 1 << 15 Sparkplug.
const TIERS: Array<{ flags: string[]; tier: string; reached: (st: number) => boolean }> = [
  { flags: ['--no-opt', '--no-sparkplug'], tier: 'the interpreter', reached: (st) => (st & (16 | (1 << 15))) === 0 },
  { flags: ['--no-opt', '--always-sparkplug'], tier: 'Sparkplug', reached: (st) => (st & (1 << 15)) !== 0 && (st & 16) === 0 },
  { flags: ['--maglev', '--no-turbofan'], tier: 'Maglev', reached: (st) => (st & 32) !== 0 },
  { flags: ['--always-turbofan'], tier: 'TurboFan', reached: (st) => (st & 64) !== 0 },
];

for (const { flags, tier, reached } of TIERS) {
  t.test(`the same in ${tier} (${flags.join(' ')})`, async (t) => {
    const p = spawnSync(process.execPath, ['--allow-natives-syntax', ...flags, CHECK, '150'], { encoding: 'utf8', timeout: 120_000 });
    t.equal(p.status, 0, p.stderr);
    const r = JSON.parse(p.stdout) as NanCheck;
    // Node 20's V8 (11.3) is built without Maglev: --maglev is accepted and does nothing there.
    if (tier === 'Maglev' && !reached(r.tiers!.decode)) {
      t.skip(`this V8 (${process.versions.v8}) runs no Maglev code (status ${r.tiers!.decode.toString(2)})`, async () => {});
      return;
    }
    t.ok(reached(r.tiers!.decode) && reached(r.tiers!.copy), `both ran in ${tier} (status ${r.tiers!.decode.toString(2)}, ${r.tiers!.copy.toString(2)})`);
    t.ok(r.runs === 450 && r.nanWords > 1500, `${r.runs} decodes`);
    t.equal(r.bad, 0, 'no decode changed a byte');
    t.ok(r.copies > 1000, `${r.copies} short copies`);
    t.equal(r.badCopies, 0, 'no short copy changed a byte');
  });
}
