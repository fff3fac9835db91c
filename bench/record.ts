// Routed-message records for the writer and relay benchmarks: parsed once by the real parser
// from frames kept immutable, then copied out of the parser's reused record (valid only
// during its callback) so the benchmark can hand them over again and again.
import { RoutedMsg } from '../src/protocol/msg.js';
import { RouteParser } from '../src/protocol/parser.js';

/** One record per frame of `stream` (a concatenation of complete frames, never modified); `pinned`: lines without account token. */
export function recordsOf(stream: Buffer, pinned?: string): RoutedMsg[] {
  const out: RoutedMsg[] = [];
  const noop = () => {};
  const parser = new RouteParser({
    onInfo: noop, onConnect: noop, onPing: noop, onPong: noop, onOk: noop, onErr: noop, onInterest: noop,
    onMessage: (m) => {
      // Not a repeat of whatever came before it: the benches measure the lookups.
      out.push(Object.assign(new RoutedMsg(), m, { repeat: false, memoStamp: -1 }));
    },
    onViolation: (v) => {
      throw new Error(`bench records: violation ${v.reason}`);
    },
  });
  parser.pinnedAccount = pinned;
  parser.parse(stream);
  return out;
}
