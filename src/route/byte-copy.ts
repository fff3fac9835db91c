// Short copies on the per-message path. Buffer#copy has a fixed cost of ~100 ns whatever the
// length (Node creates a Uint8Array view of the source range on every call), more than copying a
// 128-byte payload takes; a JavaScript copy in 8-byte moves does it in ~30-50 ns and allocates
// nothing (measured on this machine: 40 B 28 vs 143 ns, 128 B 41-52 vs 102-119 ns, 256 B 89 vs
// 112 ns, 512 B 151 vs 170 ns). The moves are float64 DataView reads and writes, which keep every
// bit (NaN payloads included: test/route/nan-moves.test.ts runs them in each V8 tier), as in the S2
// block decoder.

/**
 * Longer copies go to Buffer#copy: the JavaScript copy's time grows with the length (1 KiB:
 * 420-500 against 100-170 ns), and up to 192 bytes it won in every measurement.
 */
export const JS_COPY_MAX = 192;

// One DataView per buffer in use, made when the buffer changes (a read buffer or a slab serves
// thousands of messages). Each holds at most one buffer alive past its use.
let srcBuf: Uint8Array | undefined;
let srcView: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));
let dstBuf: Uint8Array | undefined;
let dstView = srcView;

/** Copies src[s, e) to dst at p; returns the bytes copied (e − s). dst must have room. */
export function copyBytes(src: Buffer, s: number, e: number, dst: Buffer, p: number): number {
  const n = e - s;
  if (n > JS_COPY_MAX) return src.copy(dst, p, s, e);
  if (src !== srcBuf) {
    srcBuf = src;
    srcView = new DataView(src.buffer, src.byteOffset, src.length);
  }
  if (dst !== dstBuf) {
    dstBuf = dst;
    dstView = new DataView(dst.buffer, dst.byteOffset, dst.length);
  }
  const sv = srcView;
  const dv = dstView;
  let i = 0;
  for (; i + 8 <= n; i += 8) dv.setFloat64(p + i, sv.getFloat64(s + i, true), true);
  for (; i < n; i++) dst[p + i] = src[s + i]!;
  return n;
}
