// A stream on one subject repeats its RMSG control line but for the size. When the previous
// message came by the fast path from the same chunk, its line is still there and the record still
// holds its fields: a line repeating its bytes up to the size token takes those fields, shifted,
// instead of being tokenized again, and the record is flagged `repeat` (msg.ts) so that the relay
// reuses its decision as well. Nothing is copied to remember a line, so a line that differs costs
// only a compare that usually fails within its last bytes.
import type { RoutedMsg } from './msg.js';

/** "RMSG " is matched by the caller before it asks. */
const VERB_LEN = 5;
const NO_VIEW = new DataView(new ArrayBuffer(0));

export class LineMemo {
  /** Where the previous line's size token starts (in m.line); -1: no usable previous line. */
  private sizeAt = -1;
  private pinned = false;
  /** A view of the chunk being compared, made at its first compare (dropped with the chunk: nextChunk()). */
  private viewOf: Buffer | undefined = undefined;
  private view: DataView<ArrayBufferLike> = NO_VIEW;

  /** The next line is not a repeat, whatever its bytes (another kind of frame came between). */
  clear(): void {
    this.sizeAt = -1;
  }

  /** A new chunk: no line of the last one can be repeated, and its view goes with it. */
  nextChunk(): void {
    this.sizeAt = -1;
    // Hold no chunk past the next one (a decoded block may be a megabyte), like the record itself.
    if (this.viewOf !== undefined) {
      this.viewOf = undefined;
      this.view = NO_VIEW;
    }
  }

  /** The fast path just filled `m` from a line whose size token starts at `sizeAt`. */
  save(sizeAt: number, pinned: boolean): void {
    this.sizeAt = sizeAt;
    this.pinned = pinned;
  }

  /**
   * If the line at b[s, end) repeats the previous one (still described by `m`) up to its size
   * token, shifts m's fields to this line and returns where its size token starts; else -1 and
   * `m` is untouched. Compared from the end: lines of different subjects usually differ there.
   */
  take(m: RoutedMsg, b: Buffer, s: number, end: number, pinned: boolean): number {
    const at = this.sizeAt;
    if (at < 0 || m.line !== b || pinned !== this.pinned) return -1;
    const ps = m.ls;
    const n = at - ps;
    if (n <= VERB_LEN || end - s <= n) return -1;
    if (b !== this.viewOf) {
      this.viewOf = b;
      this.view = new DataView(b.buffer, b.byteOffset, b.length);
    }
    // Four bytes at a time from the end (as 32-bit integers: every bit pattern compares exactly).
    const v = this.view;
    let k = n;
    for (; k - 4 >= VERB_LEN; k -= 4) if (v.getInt32(s + k - 4, true) !== v.getInt32(ps + k - 4, true)) return -1;
    for (; k > VERB_LEN; k--) if (b[s + k - 1] !== b[ps + k - 1]) return -1;
    const d = s - ps;
    if (m.as >= 0) {
      m.as += d;
      m.ae += d;
    }
    m.ss += d;
    m.se += d;
    if (m.rs >= 0) {
      m.rs += d;
      m.re += d;
    }
    if (m.qs >= 0) {
      m.qs += d;
      m.qe += d;
    }
    return s + n;
  }
}
