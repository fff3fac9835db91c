// Route parser throughput: RMSG streams of 16 B … 16 KiB payloads, handed over whole, in
// 64 KiB socket-sized chunks, and at odd sizes that split control lines and payloads.
import { RouteParser } from '../src/protocol/parser.js';
import type { RouteParserHandler } from '../src/protocol/types.js';
import type { BenchGroup, BenchOptions } from './harness.js';
import { PAYLOAD_SIZES, chunked, framesFor, rmsgStream, sizeLabel } from './streams.js';

// The one place that knows the parser's callback API (adapt here when it changes).
function countingParser(): { parser: RouteParser; count: () => number } {
  let n = 0;
  const fail = (what: string) => () => {
    throw new Error(`parser bench: unexpected ${what}`);
  };
  const handler: RouteParserHandler = {
    onInfo: fail('INFO'),
    onConnect: fail('CONNECT'),
    onPing: () => {},
    onPong: () => {},
    onOk: () => {},
    onErr: fail('-ERR'),
    onInterest: fail('interest'),
    onMessage: () => {
      n++;
    },
    onViolation: (v) => {
      throw new Error(`parser bench: violation ${v.reason}`);
    },
  };
  return { parser: new RouteParser(handler), count: () => n };
}

const ODD_CHUNKS = [1500, 4093];

export default function groups(opts: BenchOptions): BenchGroup[] {
  // 1 MiB per call: many frames per sample, yet little enough garbage per call for stable samples.
  const target = opts.quick ? 64 * 1024 : 1024 * 1024;
  return PAYLOAD_SIZES.map((size) => {
    const frames = framesFor(size, target);
    const stream = rmsgStream(size, frames);
    const splits: Array<[string, Buffer[]]> = [
      ['whole', [stream]],
      ['chunks of 64 KiB', chunked(stream, 65536)],
      ...ODD_CHUNKS.map((c): [string, Buffer[]] => [`chunks of ${c} B`, chunked(stream, c)]),
    ];
    return {
      group: `parser RMSG ${sizeLabel(size)}`,
      // What a socket hands over: the figure the native report sets beside the direct route.
      reference: 'chunks of 64 KiB',
      cases: splits.map(([name, chunks]) => {
        const { parser, count } = countingParser();
        // Sanity check once, so a broken parser fails the run instead of measuring nothing.
        for (const c of chunks) parser.parse(c);
        if (count() !== frames) throw new Error(`parser bench: ${count()} messages parsed, expected ${frames}`);
        return {
          name,
          bytes: stream.length,
          items: frames,
          fn: () => {
            for (let i = 0; i < chunks.length; i++) parser.parse(chunks[i]!);
          },
        };
      }),
    };
  });
}
