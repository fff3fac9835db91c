// The outbound writer: many small frames queued in one event-loop turn, then one flush to a
// real Writable that discards (what reaches the socket layer: cork/writev, buffers per frame);
// frames passed through unchanged, and frames whose control line is re-encoded for the target.
import { Writable } from 'node:stream';
import { encodeRoutedLine, messageBuffers } from '../src/protocol/encode.js';
import type { RoutedMessage } from '../src/protocol/types.js';
import { OutboundQueue } from '../src/route/outbound.js';
import type { BenchGroup, BenchOptions } from './harness.js';
import { sizeLabel } from './streams.js';

const FRAMES = 1000;

function sink(): { socket: Writable; written: () => number; writes: () => number } {
  let bytes = 0;
  let calls = 0;
  const socket = new Writable({
    highWaterMark: 1 << 30,
    write(chunk: Buffer, _enc, cb) {
      calls++;
      bytes += chunk.length;
      cb();
    },
    writev(chunks, cb) {
      calls++;
      for (const c of chunks) bytes += (c.chunk as Buffer).length;
      cb();
    },
  });
  return { socket, written: () => bytes, writes: () => calls };
}

// The one place that knows the writer's API (adapt here when it changes).
function writerCase(size: number, reencode = false) {
  const s = sink();
  const q = new OutboundQueue(s.socket, 1 << 30, () => {}, () => {});
  const line = Buffer.from(`RMSG $G bench.orders.1 ${size}`);
  const data = Buffer.alloc(size, 0x61);
  const frame = line.length + 2 + size + 2;
  const frameBufs = messageBuffers(line, data);
  const msg: RoutedMessage = { verb: 'RMSG', account: '$G', subject: 'bench.orders.1', hdrSize: 0, data, line };
  const once = reencode
    ? () => {
      // A pinned-account target: the account token goes, the line is rebuilt per frame.
      for (let i = 0; i < FRAMES; i++) q.message(messageBuffers(encodeRoutedLine(msg, true), data), frame - 3);
      q.flush();
    }
    : () => {
      for (let i = 0; i < FRAMES; i++) q.message(frameBufs, frame);
      q.flush();
    };
  once();
  const want = FRAMES * (reencode ? frame - 3 : frame);
  if (s.written() !== want) throw new Error(`outbound bench: ${s.written()} bytes written, expected ${want}`);
  const name = `${FRAMES} × ${sizeLabel(size)} frames${reencode ? ' re-encoded (pinned target)' : ''}, one flush`;
  return { name, bytes: want, items: FRAMES, fn: once };
}

export default function groups(_opts: BenchOptions): BenchGroup[] {
  const cases = [...[16, 128, 1024, 16384].map((z) => writerCase(z)), writerCase(128, true)];
  return [{ group: 'outbound writer', reference: cases[1]!.name, cases }];
}
