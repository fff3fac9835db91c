// The outbound writer: many frames written into a connection's slabs in one event-loop turn,
// then one flush to a real Writable that discards (what reaches the socket layer). Frames
// passed through unchanged (adjacent ones joined into one span), and frames whose control
// line is rewritten for a pinned-account target.
import { Writable } from 'node:stream';
import { VERB_RMSG } from '../src/protocol/msg.js';
import { writeChanged, writeUnchanged } from '../src/route/msg-writer.js';
import { Outbound } from '../src/route/outbound.js';
import type { BenchGroup, BenchOptions } from './harness.js';
import { recordsOf } from './record.js';
import { rmsgStream, sizeLabel } from './streams.js';

const FRAMES = 1000;

function sink(): { socket: Writable; written: () => number } {
  let bytes = 0;
  const socket = new Writable({
    highWaterMark: 1 << 30,
    write(chunk: Buffer, _enc, cb) {
      bytes += chunk.length;
      cb();
    },
    writev(chunks, cb) {
      for (const c of chunks) bytes += (c.chunk as Buffer).length;
      cb();
    },
  });
  return { socket, written: () => bytes };
}

// The one place that knows the writer's API (adapt here when it changes).
function writerCase(size: number, reencode = false) {
  const s = sink();
  const out = new Outbound(s.socket, { slabSize: 256 * 1024, highWater: 1 << 30, lowWater: 1 << 29, writeDeadlineMs: 0 }, {
    congested: () => {}, drained: () => {}, writeDeadline: () => {},
  });
  const stream = rmsgStream(size, FRAMES);
  const msgs = recordsOf(stream);
  if (msgs.length !== FRAMES) throw new Error(`outbound bench: ${msgs.length} records, expected ${FRAMES}`);
  // A pinned-account target: the `$G ` token goes.
  const want = reencode ? stream.length - 3 * FRAMES : stream.length;
  const once = reencode
    ? () => {
      for (let i = 0; i < FRAMES; i++) writeChanged(out, msgs[i]!, VERB_RMSG, null, null);
      out.flush();
    }
    : () => {
      for (let i = 0; i < FRAMES; i++) writeUnchanged(out, msgs[i]!);
      out.flush();
    };
  once();
  if (s.written() !== want) throw new Error(`outbound bench: ${s.written()} bytes written, expected ${want}`);
  const name = `${FRAMES} × ${sizeLabel(size)} frames${reencode ? ' re-encoded (pinned target)' : ''}, one flush`;
  return { name, bytes: want, items: FRAMES, fn: once };
}

export default function groups(_opts: BenchOptions): BenchGroup[] {
  const cases = [...[16, 128, 1024, 16384].map((z) => writerCase(z)), writerCase(128, true)];
  return [{ group: 'outbound writer', reference: cases[1]!.name, cases }];
}
