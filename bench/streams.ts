// Wire streams the parser and writer benchmarks feed on: realistic route frames as
// nats-server sends them (single spaces, CRLF), built once per run.

export const PAYLOAD_SIZES = [16, 128, 1024, 16384] as const;

export function sizeLabel(n: number): string {
  if (n >= 1 << 20 && n % (1 << 20) === 0) return `${n >> 20} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n >> 10} KiB`;
  return `${n} B`;
}

/** `count` RMSG frames of `size`-byte payloads, rotating over `subjects` subjects, concatenated. */
export function rmsgStream(size: number, count: number, account = '$G', subjects = 8): Buffer {
  const payload = Buffer.alloc(size, 0x61);
  const parts: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    parts.push(Buffer.from(`RMSG ${account} bench.orders.${i % subjects} ${size}\r\n`), payload, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/** Enough frames for ~`targetBytes` of stream (at least `minCount`). */
export function framesFor(size: number, targetBytes: number, minCount = 16): number {
  return Math.max(minCount, Math.floor(targetBytes / (size + 40)));
}

/** Views of `buf` cut every `chunk` bytes, as a socket would hand them over. */
export function chunked(buf: Buffer, chunk: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; i += chunk) out.push(buf.subarray(i, Math.min(buf.length, i + chunk)));
  return out;
}
