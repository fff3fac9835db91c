// Write batching and the pending-bytes bound of one connection.
import t from 'tap';
import { Writable } from 'node:stream';
import { OutboundQueue } from '../../src/route/outbound.js';

/** A socket stand-in that records each write call (writev batches arrive as one call). */
function sink(opts: { stall?: boolean } = {}) {
  const calls: number[] = [];
  const w = new Writable({
    highWaterMark: 1,
    writev(chunks, cb) {
      calls.push(chunks.length);
      if (!opts.stall) cb();
    },
    write(_chunk, _enc, cb) {
      calls.push(1);
      if (!opts.stall) cb();
    },
  });
  return { w, calls };
}

const turn = () => new Promise((r) => setImmediate(r));

t.test('everything queued in one event-loop turn goes out as one batch', async (t) => {
  const { w, calls } = sink();
  const q = new OutboundQueue(w, 1 << 20, () => t.fail('slow'), () => t.fail('overflow'));
  for (let i = 0; i < 50; i++) q.message([Buffer.from('RMSG $G a 1'), Buffer.from('\r\n'), Buffer.from('x'), Buffer.from('\r\n')], 16);
  q.control(Buffer.from('PING\r\n'));
  t.same(calls, [], 'nothing written synchronously');
  await turn();
  await turn();
  t.same(calls, [201], 'one writev with every buffer');
});

t.test('past max_pending messages are dropped and counted; control traffic past twice the bound closes', async (t) => {
  const { w } = sink({ stall: true }); // a peer that never reads
  let slowEvents = 0;
  let overflow = 0;
  const q = new OutboundQueue(w, 1000, () => slowEvents++, () => overflow++);
  const msg = [Buffer.alloc(100)];
  let accepted = 0;
  for (let i = 0; i < 50; i++) if (q.message(msg, 100)) accepted++;
  t.equal(accepted, 10, 'up to the bound');
  t.equal(q.stats.msgsDropped, 40);
  t.equal(q.stats.bytesDropped, 4000);
  t.equal(slowEvents, 1, 'reported once, not per drop');
  t.ok(q.pending <= 1000);
  for (let i = 0; i < 10; i++) q.control(Buffer.alloc(100));
  t.equal(overflow, 0, 'control traffic is kept up to twice the bound');
  q.control(Buffer.alloc(100));
  t.equal(overflow, 1, 'beyond that the connection must go');
});
