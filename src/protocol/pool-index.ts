// Account → route pool slot (route-protocol.md §3.5, nats-server route.go:computeRoutePoolIdx).

const FNV_OFFSET_BASIS = 2166136261;
const FNV_PRIME = 16777619;

/** FNV-1a 32-bit hash of the UTF-8 bytes of `s` (Go's hash/fnv New32a). */
export function fnv1a32(s: string): number {
  const bytes = Buffer.from(s, 'utf8');
  let h = FNV_OFFSET_BASIS;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i]!;
    h = Math.imul(h, FNV_PRIME) >>> 0;
  }
  return h >>> 0;
}

/** Pool index nats-server uses for `account`; 0 when pooling is off or the pool has one connection. */
export function computeRoutePoolIdx(poolSize: number, account: string): number {
  if (poolSize <= 1) return 0;
  return fnv1a32(account) % poolSize;
}
