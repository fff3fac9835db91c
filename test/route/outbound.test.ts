// The outbound slab writer and flow control of one connection, with socket stand-ins:
// one write per turn, spans and references, high/low marks, the stall budget, the write deadline.
import t from 'tap';
import { FlowControl, type Pausable } from '../../src/route/flow.js';
import { settleReads } from '../../src/route/outbound.js';
import { LIFE_FRAME, LIFE_READ, LIFE_STABLE } from '../../src/protocol/msg.js';
import { outbound, sink } from '../helpers/outbound-sink.js';

const turn = () => new Promise((r) => setImmediate(r));

function frames(n: number, size: number): Buffer {
  const one = Buffer.concat([Buffer.from(`RMSG $G a ${size}\r\n`), Buffer.alloc(size, 0x61), Buffer.from('\r\n')]);
  return Buffer.concat(Array.from({ length: n }, () => one));
}

t.test('everything queued in one event-loop turn goes out in one write, however many frames', async (t) => {
  const s = sink();
  const out = outbound(s);
  const input = frames(2000, 16); // ~44 KB of small frames, as one chunk
  const one = input.length / 2000;
  // Not adjacent (every other frame): each is copied into the slab.
  for (let i = 0; i < 2000; i += 2) out.span(input, i * one, (i + 1) * one, LIFE_STABLE);
  out.bytes(Buffer.from('PING\r\n'));
  t.same(s.calls, [], 'nothing written synchronously');
  await turn();
  await turn();
  t.same(s.calls, [1], 'one write for 1000 frames and a control line');
  t.equal(s.bytes().length, 1000 * one + 6);
});

t.test('adjacent spans of a stable chunk are joined; a long run is referenced, not copied', async (t) => {
  const s = sink();
  const out = outbound(s);
  const input = frames(2000, 16);
  const one = input.length / 2000;
  for (let i = 0; i < 2000; i++) out.span(input, i * one, (i + 1) * one, LIFE_STABLE);
  const heldBefore = out.held;
  out.flush();
  t.same(s.calls, [1]);
  t.ok(s.bytes().equals(input), 'byte-exact');
  t.ok(out.held >= heldBefore, 'a referenced run counts as held until written');
  await turn();
  t.equal(out.held, heldBefore - 0, 'released once written (only the slab stays)');
});

t.test('unstable spans are copied at once (the source buffer is reused)', async (t) => {
  const s = sink();
  const out = outbound(s);
  const scratch = Buffer.from('RMSG $G a 1\r\nx\r\n');
  out.span(scratch, 0, scratch.length, LIFE_FRAME);
  scratch.fill(0x7a);
  out.flush();
  t.equal(s.bytes().toString(), 'RMSG $G a 1\r\nx\r\n');
});

t.test('spans of a reused read buffer are joined, copied when the read is settled, never referenced', async (t) => {
  const s = sink();
  const out = outbound(s, { slabSize: 4096 });
  const other = outbound(sink());
  const read = frames(2000, 16); // one read: ~44 KB, longer than a slab and than the reference threshold
  const want = Buffer.from(read);
  const one = read.length / 2000;
  for (let i = 0; i < 2000; i++) out.span(read, i * one, (i + 1) * one, LIFE_READ);
  other.span(read, 0, one, LIFE_READ);
  t.equal(out.held, 4096, 'nothing held but the slab: the run is deferred, not referenced');
  settleReads();
  read.fill(0x7a); // the next read overwrites the buffer
  out.flush();
  other.flush();
  t.ok(s.bytes().equals(want), 'byte-exact after the buffer was reused: copied, not referenced');
  // A read span after a settle never joins the one before, even at the same offset of the same buffer.
  const s2 = sink();
  const out2 = outbound(s2);
  out2.span(read, 0, one, LIFE_READ);
  settleReads();
  read.fill(0x61);
  out2.span(read, one, 2 * one, LIFE_READ);
  settleReads();
  out2.flush();
  t.equal(s2.bytes().toString('latin1', 0, one), 'z'.repeat(one));
  t.equal(s2.bytes().toString('latin1', one, 2 * one), 'a'.repeat(one));
});

t.test('frames larger than a slab span several slabs or go by reference, byte-exact', async (t) => {
  const s = sink();
  const out = outbound(s, { slabSize: 4096 });
  const big = Buffer.alloc(100_000);
  for (let i = 0; i < big.length; i++) big[i] = i & 0xff;
  out.span(big, 0, 10_000, LIFE_FRAME); // copied across 3 slabs
  out.span(big, 10_000, 100_000, LIFE_STABLE); // referenced
  out.flush();
  t.ok(s.bytes().equals(big));
});

class Producer implements Pausable {
  paused = 0;
  pauses = 0;
  pauseInput() { if (this.paused++ === 0) this.pauses++; }
  resumeInput() { this.paused--; }
}

t.test('backpressure: producers pause past the high mark and resume below the low mark', async (t) => {
  const s = sink({ stall: true });
  let flow!: FlowControl;
  const self = new Producer();
  const out = outbound(s, { highWater: 10_000, lowWater: 2_000 }, {
    congested: () => flow.congested(),
    drained: () => flow.drained(),
  });
  flow = new FlowControl(self, 60_000, () => t.fail('no stall expected'));
  const a = new Producer();
  const b = new Producer();
  const chunk = Buffer.alloc(1000);
  for (let i = 0; i < 9; i++) {
    out.bytes(chunk);
    if (out.congested) flow.producer(a);
  }
  t.notOk(out.congested, 'under the high mark');
  t.equal(a.paused, 0);
  for (let i = 0; i < 3; i++) {
    out.bytes(chunk);
    if (out.congested) {
      flow.producer(a);
      flow.producer(b);
    }
  }
  t.ok(out.congested, 'past the high mark');
  t.equal(a.paused, 1, 'producer paused once');
  t.equal(b.paused, 1);
  t.equal(flow.holding, 2);
  out.flush();
  s.release(); // the peer reads everything
  await turn();
  t.notOk(out.congested, 'drained below the low mark');
  t.equal(a.paused, 0, 'resumed');
  t.equal(b.paused, 0);
  t.equal(self.paused, 0, 'a connection never pauses itself');
});

t.test('the stall budget: a target that stays congested releases its producers and becomes slow', async (t) => {
  const s = sink({ stall: true });
  let flow!: FlowControl;
  let slow = 0;
  const out = outbound(s, { highWater: 1000, lowWater: 100 }, {
    congested: () => flow.congested(),
    drained: () => flow.drained(),
  });
  flow = new FlowControl(new Producer(), 50, () => slow++);
  const a = new Producer();
  const t0 = Date.now();
  out.bytes(Buffer.alloc(2000));
  t.ok(out.congested);
  flow.producer(a);
  t.equal(a.paused, 1);
  await new Promise<void>((resolve) => {
    const check = () => (slow > 0 ? resolve() : setTimeout(check, 5));
    check();
  });
  t.ok(Date.now() - t0 >= 45, 'not before the budget');
  t.equal(a.paused, 0, 'producer released after the budget: a stuck target holds nobody for long');
  t.ok(flow.slow, 'the target is a slow consumer');
  flow.producer(a);
  t.equal(a.paused, 0, 'a slow consumer does not pause producers any more');
  t.equal(flow.stats.slowConsumers, 1);
  out.flush();
  s.release();
  await turn();
  t.notOk(flow.slow, 'recovered once drained');
});

t.test('the write deadline reports a target that makes no progress', async (t) => {
  const s = sink({ stall: true, highWaterMark: 1 });
  const seen: boolean[] = [];
  const out = outbound(s, { writeDeadlineMs: 30 }, { writeDeadline: (progress) => seen.push(progress) });
  out.bytes(Buffer.alloc(1000));
  out.flush();
  await new Promise((r) => setTimeout(r, 80));
  t.ok(seen.length >= 1, 'reported');
  t.equal(seen[0], false, 'no byte went out');
  out.close();
});

t.test('free slabs: a burst keeps up to the high-water mark of them for the next one, and a quiet connection gives the extra back', async (t) => {
  const s = sink({ stall: true });
  const slabSize = 4096;
  const out = outbound(s, { slabSize, highWater: 16 * slabSize, lowWater: 4 * slabSize, trimAfterMs: 50 });
  const scratch = Buffer.alloc(slabSize, 0x61);
  const burst = () => {
    // 12 slabs, each cut into its own write while the sink holds every write.
    for (let i = 0; i < 12; i++) {
      out.span(scratch, 0, slabSize, LIFE_FRAME);
      out.flush();
    }
  };
  burst();
  const peak = out.held;
  t.ok(peak >= 12 * slabSize, `12 slabs in flight (${peak} bytes held)`);
  s.release();
  await turn();
  t.equal(out.held, peak, 'the written slabs stay for reuse (12 ≤ 4 × high water / slab size)');
  // The next burst takes them instead of allocating.
  s.w.cork(); // keep the second burst's writes pending again
  burst();
  t.equal(out.held, peak, 'the second burst allocated nothing');
  s.w.uncork();
  await turn();
  const deadline = Date.now() + 10_000;
  while (out.held > 5 * slabSize && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  t.ok(out.held <= 5 * slabSize, `trimmed to the quiet few once no slab was needed (${out.held} bytes held)`);
  out.close();
});
