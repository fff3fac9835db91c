// The control-line limit gives the same verdict wherever the chunks are cut: blanks between
// the verb and the arguments never count, for a complete line or a pending one.
import t from 'tap';
import { record } from './recorder.js';

function verdicts(input: string, maxControlLine: number): Set<string> {
  const bytes = Buffer.from(input, 'latin1');
  const out = new Set<string>();
  const run = (cuts: number[]) => {
    const r = record({ maxControlLine });
    let prev = 0;
    for (const c of [...cuts, bytes.length]) {
      r.parser.parse(Buffer.from(bytes.subarray(prev, c)));
      prev = c;
    }
    out.add(JSON.stringify(r.events.map((e) => e.ev)));
  };
  run([]);
  for (let i = 1; i < bytes.length; i++) run([i]);
  run(Array.from({ length: bytes.length - 1 }, (_v, i) => i + 1)); // one byte per chunk
  return out;
}

t.test('exactly at the limit, with blanks before the arguments: accepted however it is cut', async (t) => {
  const line = 'RS+' + ' '.repeat(10) + 'A ' + 'x'.repeat(62) + '\r\n'; // arguments: 64 bytes
  t.same([...verdicts(line, 64)], [JSON.stringify(['interest'])]);
});

t.test('one byte over the limit: refused however it is cut', async (t) => {
  const line = 'RS+' + ' '.repeat(10) + 'A ' + 'x'.repeat(63) + '\r\n';
  t.same([...verdicts(line, 64)], [JSON.stringify(['violation'])]);
});

t.test('a flood of blanks after a verb is bounded', async (t) => {
  const r = record({ maxControlLine: 64 });
  r.parser.parse(Buffer.from('RS+'));
  for (let i = 0; i < 10; i++) r.parser.parse(Buffer.from(' '.repeat(10)));
  t.same(r.events.map((e) => e.ev), ['violation']);
});

t.test('a routed message over maxPayload is skipped unbuffered; parsing goes on', async (t) => {
  const big = 'RMSG $G foo 100\r\n' + 'x'.repeat(100) + '\r\n';
  const small = 'RMSG $G foo 3\r\nabc\r\nPING\r\n';
  const sizes: number[] = [];
  for (const cut of [0, 5, 20, 60, 118]) {
    const r = record({ maxPayload: 50 });
    (r.parser as unknown as { handler: { onOversize: (v: string, n: number) => void } }).handler.onOversize = (_v, n) => sizes.push(n);
    const all = Buffer.from(big + small);
    if (cut) r.parser.parse(all.subarray(0, cut));
    r.parser.parse(all.subarray(cut));
    t.same(r.events.map((e) => (e.ev === 'msg' ? `msg:${e.msg.data}` : e.ev)), ['msg:abc', 'ping'], `cut at ${cut}`);
  }
  t.same(sizes, [100, 100, 100, 100, 100], 'reported each time');
});
