// A hash map keyed by byte spans, so that a hot-path lookup (an account or a subject still in the
// socket chunk) costs no allocation: the key's bytes are hashed and compared in place. Only an
// insert (a cache miss) copies the key and makes its string.

interface Entry<V> {
  readonly hash: number;
  readonly key: Buffer;
  readonly text: string;
  value: V;
  next: Entry<V> | undefined;
}

const FNV_OFFSET = 2166136261;
const FNV_PRIME = 16777619;

function hashSpan(b: Buffer, s: number, e: number): number {
  let h = FNV_OFFSET;
  for (let i = s; i < e; i++) h = Math.imul(h ^ b[i]!, FNV_PRIME);
  return h >>> 0;
}

function sameBytes(key: Buffer, b: Buffer, s: number, e: number): boolean {
  const n = e - s;
  if (key.length !== n) return false;
  if (n > 32) return b.compare(key, 0, n, s, e) === 0;
  for (let i = 0; i < n; i++) if (key[i] !== b[s + i]) return false;
  return true;
}

export class SpanMap<V> {
  private buckets: (Entry<V> | undefined)[];
  private mask: number;
  private count = 0;

  constructor(capacityPow2 = 256) {
    this.buckets = new Array(capacityPow2).fill(undefined);
    this.mask = capacityPow2 - 1;
  }

  get size(): number {
    return this.count;
  }

  /** The value for the bytes b[s, e), or undefined. Allocates nothing. */
  get(b: Buffer, s: number, e: number): V | undefined {
    const h = hashSpan(b, s, e);
    for (let en = this.buckets[h & this.mask]; en !== undefined; en = en.next) {
      if (en.hash === h && sameBytes(en.key, b, s, e)) return en.value;
    }
    return undefined;
  }

  /** Sets the value for b[s, e) (the key is copied). */
  set(b: Buffer, s: number, e: number, value: V): void {
    const h = hashSpan(b, s, e);
    const i = h & this.mask;
    for (let en = this.buckets[i]; en !== undefined; en = en.next) {
      if (en.hash === h && sameBytes(en.key, b, s, e)) {
        en.value = value;
        return;
      }
    }
    const key = Buffer.from(b.subarray(s, e));
    this.buckets[i] = { hash: h, key, text: key.toString('latin1'), value, next: this.buckets[i] };
    if (++this.count > this.buckets.length) this.grow();
  }

  /** Removes the entry whose key is the latin1 bytes of `text`. */
  deleteText(text: string): boolean {
    const k = Buffer.from(text, 'latin1');
    return this.delete(k, 0, k.length);
  }

  delete(b: Buffer, s: number, e: number): boolean {
    const h = hashSpan(b, s, e);
    const i = h & this.mask;
    let prev: Entry<V> | undefined;
    for (let en = this.buckets[i]; en !== undefined; prev = en, en = en.next) {
      if (en.hash === h && sameBytes(en.key, b, s, e)) {
        if (prev === undefined) this.buckets[i] = en.next;
        else prev.next = en.next;
        this.count--;
        return true;
      }
    }
    return false;
  }

  /** Removes every entry whose key text satisfies `pred`. */
  deleteWhere(pred: (text: string) => boolean): void {
    for (let i = 0; i < this.buckets.length; i++) {
      let prev: Entry<V> | undefined;
      for (let en = this.buckets[i]; en !== undefined; en = en.next) {
        if (pred(en.text)) {
          if (prev === undefined) this.buckets[i] = en.next;
          else prev.next = en.next;
          this.count--;
        } else {
          prev = en;
        }
      }
    }
  }

  *values(): IterableIterator<V> {
    for (const head of this.buckets) for (let en = head; en !== undefined; en = en.next) yield en.value;
  }

  clear(): void {
    this.buckets.fill(undefined);
    this.count = 0;
  }

  private grow(): void {
    const old = this.buckets;
    this.buckets = new Array(old.length * 2).fill(undefined);
    this.mask = this.buckets.length - 1;
    for (const head of old) {
      for (let en = head; en !== undefined; ) {
        const next = en.next;
        const i = en.hash & this.mask;
        en.next = this.buckets[i];
        this.buckets[i] = en;
        en = next;
      }
    }
  }
}
