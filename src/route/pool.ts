// Route pooling and pinned accounts (route-protocol.md §3, §4): which connection of a peer an
// account uses. Computed once per account (cached here), never per message.

/** FNV-1a 32 of the account name's bytes (route.go:computeRoutePoolIdx), as an unsigned integer. */
export function fnv1a32(name: string): number {
  let h = 2166136261;
  const b = Buffer.from(name, 'latin1');
  for (let i = 0; i < b.length; i++) {
    h ^= b[i]!;
    h = Math.imul(h, 16777619) >>> 0;
  }
  return h >>> 0;
}

/** The pool slot of an account for a pool of `poolSize` connections (0 when not pooling). */
export function poolIndex(poolSize: number, account: string): number {
  return poolSize <= 1 ? 0 : fnv1a32(account) % poolSize;
}

/** Where one account goes, from our own configuration (each side maps with its own size, §3.2). */
export interface AccountSlot {
  readonly name: string;
  /** The account token as bytes, for lines that gain it (from a pinned connection to a pooled one). */
  readonly bytes: Buffer;
  /** FNV index modulo our pool size. */
  poolIdx: number;
  /** In our pinned list (`cluster.accounts`, with the system account): its own connection per peer. */
  pinned: boolean;
}

/** Our pool configuration: pool_size (-1: no pooling) and the pinned accounts. Shared by every peer. */
export class PoolLayout {
  private readonly slots = new Map<string, AccountSlot>();
  private pinnedSet: Set<string>;

  constructor(public poolSize: number, pinned: readonly string[]) {
    this.pinnedSet = new Set(poolSize > 0 ? pinned : []);
  }

  get pooling(): boolean {
    return this.poolSize > 0;
  }

  /** The size we advertise as `route_pool_size` (absent when pooling is off). */
  get advertised(): number | undefined {
    return this.poolSize > 0 ? this.poolSize : undefined;
  }

  get pinnedAccounts(): string[] {
    return [...this.pinnedSet];
  }

  isPinned(account: string): boolean {
    return this.pinnedSet.has(account);
  }

  slot(account: string): AccountSlot {
    let s = this.slots.get(account);
    if (s === undefined) {
      s = { name: account, bytes: Buffer.from(account, 'latin1'), poolIdx: poolIndex(this.poolSize, account), pinned: this.pinnedSet.has(account) };
      // Account names come from peers: past this many the cache starts over rather than grow.
      if (this.slots.size >= 65_536) this.slots.clear();
      this.slots.set(account, s);
    }
    return s;
  }

  /** Reload: a new pool size or pinned list; cached slots are updated in place (holders keep them). */
  update(poolSize: number, pinned: readonly string[]): void {
    this.poolSize = poolSize;
    this.pinnedSet = new Set(poolSize > 0 ? pinned : []);
    for (const s of this.slots.values()) {
      s.poolIdx = poolIndex(poolSize, s.name);
      s.pinned = this.pinnedSet.has(s.name);
    }
  }
}

/** nats-server's texts for pool and pinned-account handshake errors (route.go:addRoute). */
export const PoolErrors = {
  noDedicated: (account: string) => `Not possible to have a dedicated route for account "${account}" between those servers`,
  noRouteForAccount: (account: string) => `No route for account "${account}"`,
  indexSet: (idx: number) => `Route pool index should not be set but is set to ${idx}`,
  invalidIndex: (idx: number, size: number) => `Invalid route pool index: ${idx} - pool size is ${size}`,
} as const;
