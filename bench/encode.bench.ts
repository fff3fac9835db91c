// Encoders: interest lines (RS±/LS±) as the peers send them, and the string-built control
// line of a routed message (tests and tools). How a relayed frame reaches the wire (unchanged
// spans, re-encoded lines) is measured with the writer in outbound.bench.ts.
import { encodeInterest, encodeMsgLine, encodeRsAdd } from '../src/protocol/encode.js';
import type { Interest } from '../src/protocol/types.js';
import type { BenchGroup, BenchOptions } from './harness.js';

const BATCH = 1024;

function batch(name: string, f: () => Buffer | Buffer[]) {
  let sink = 0;
  return {
    name,
    items: BATCH,
    fn: () => {
      for (let i = 0; i < BATCH; i++) sink += f().length;
      if (sink < 0) throw new Error('unreachable');
    },
  };
}

export default function groups(_opts: BenchOptions): BenchGroup[] {
  const rsPlain: Interest = { add: true, leaf: false, account: '$G', subject: 'bench.orders.>' };
  const lsQueue: Interest = { add: true, leaf: true, origin: 'leaf1', account: 'ACME', subject: 'work.*', queue: 'q1', weight: 3 };
  return [
    {
      group: 'encoders',
      reference: 'encodeRsAdd',
      cases: [
        batch('encodeRsAdd', () => encodeRsAdd('$G', 'bench.orders.>')),
        batch('encodeInterest RS+', () => encodeInterest(rsPlain, false, false)),
        batch('encodeInterest LS+ queue', () => encodeInterest(lsQueue, false, true)),
        batch('encodeMsgLine RMSG', () => encodeMsgLine({ verb: 'RMSG', account: '$G', subject: 'bench.orders.1', size: 128 })),
        batch('encodeMsgLine HMSG + reply + queue', () => encodeMsgLine({
          verb: 'HMSG', account: 'ACME', subject: 'bench.orders.1', reply: '_INBOX.abcdef.1', queues: ['q1'], hdrSize: 22, size: 150,
        })),
      ],
    },
  ];
}
