// Encoders: control lines of routed messages (re-encoded when a target speaks another form)
// and interest lines (RS±/LS±), as the relay and the peers call them.
import { encodeInterest, encodeMsgLine, encodeRoutedLine, encodeRsAdd, messageBuffers } from '../src/protocol/encode.js';
import type { InterestOp, RoutedMessage } from '../src/protocol/types.js';
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
  const data = Buffer.alloc(128, 0x61);
  const line = Buffer.from('RMSG $G bench.orders.1 128');
  const msg: RoutedMessage = { verb: 'RMSG', account: '$G', subject: 'bench.orders.1', hdrSize: 0, data, line };
  const hmsg: RoutedMessage = {
    verb: 'HMSG', account: 'ACME', subject: 'bench.orders.1', reply: '_INBOX.abcdef.1', hdrSize: 22, data, line,
  };
  const queues = ['q1'];
  const rsPlain: InterestOp = { add: true, leaf: false, account: '$G', subject: 'bench.orders.>' };
  const lsQueue: InterestOp = { add: true, leaf: true, origin: 'leaf1', account: 'ACME', subject: 'work.*', queue: 'q1', weight: 3 };
  return [
    {
      group: 'encoders',
      reference: 'messageBuffers (passthrough)',
      cases: [
        batch('messageBuffers (passthrough)', () => messageBuffers(line, data)),
        batch('encodeMsgLine RMSG', () => encodeMsgLine({ verb: 'RMSG', account: '$G', subject: 'bench.orders.1', size: 128 })),
        batch('encodeRoutedLine RMSG, pinned', () => encodeRoutedLine(msg, true)),
        batch('encodeRoutedLine RMSG + queue list', () => encodeRoutedLine(msg, false, queues)),
        batch('encodeRoutedLine HMSG + reply', () => encodeRoutedLine(hmsg, false)),
        batch('encodeRsAdd', () => encodeRsAdd('$G', 'bench.orders.>')),
        batch('encodeInterest RS+', () => encodeInterest(rsPlain, false, false)),
        batch('encodeInterest LS+ queue', () => encodeInterest(lsQueue, false, true)),
      ],
    },
  ];
}
