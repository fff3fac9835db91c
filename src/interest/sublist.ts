// Subject trie with `*`/`>` wildcards and a bounded match cache, after nats-server's sublist.go.
// Items are stored per (pattern, item) pair with set semantics: inserting the same pair twice keeps one.
import { isLiteralSubject, isValidSubject, subjectMatchesFast } from './subject.js';

interface Node<T> {
  next: Level<T> | null;
  items: Set<T>;
}

class Level<T> {
  readonly nodes = new Map<string, Node<T>>();
  pwc: Node<T> | null = null;
  fwc: Node<T> | null = null;

  isEmpty(): boolean {
    return this.nodes.size === 0 && this.pwc === null && this.fwc === null;
  }
}

interface CacheEntry<T, R> {
  readonly items: readonly T[];
  readonly result: R;
}

export interface SublistOptions<T, R> {
  /** Most subjects whose results are cached (nats-server: 1024). 0 disables the cache. */
  cacheSize?: number;
  /**
   * Turns a match's items into the value `matchResult` returns; computed once per cached subject so a
   * cache hit returns the same object without allocating. Must not keep a reference to mutable state.
   */
  derive?: (items: readonly T[]) => R;
}

const EMPTY: readonly never[] = Object.freeze([]);
export const DEFAULT_CACHE_SIZE = 1024;

function newNode<T>(): Node<T> {
  return { next: null, items: new Set<T>() };
}

export class Sublist<T, R = readonly T[]> {
  private readonly root = new Level<T>();
  private readonly cache = new Map<string, CacheEntry<T, R>>();
  private readonly cacheMax: number;
  private readonly derive: (items: readonly T[]) => R;
  private pairs = 0;

  constructor(options: SublistOptions<T, R> = {}) {
    this.cacheMax = Math.max(0, options.cacheSize ?? DEFAULT_CACHE_SIZE);
    this.derive = options.derive ?? ((items) => items as unknown as R);
  }

  /** Number of (pattern, item) pairs stored. */
  get count(): number {
    return this.pairs;
  }

  /** Number of subjects currently cached (for monitoring and tests). */
  get cacheCount(): number {
    return this.cache.size;
  }

  /** Adds (subject, item); returns false when the pair was already present. Throws RangeError on an invalid subject. */
  insert(subject: string, item: T): boolean {
    if (!isValidSubject(subject)) throw new RangeError(`invalid subject: ${JSON.stringify(subject)}`);
    let level = this.root;
    let node: Node<T> | null = null;
    const tokens = subject.split('.');
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i];
      if (t === '*') node = level.pwc ??= newNode<T>();
      else if (t === '>') node = level.fwc ??= newNode<T>();
      else {
        node = level.nodes.get(t) ?? null;
        if (node === null) {
          node = newNode<T>();
          level.nodes.set(t, node);
        }
      }
      if (i < tokens.length - 1) level = node.next ??= new Level<T>();
    }
    const n = node as Node<T>;
    if (n.items.has(item)) return false;
    n.items.add(item);
    this.pairs++;
    this.invalidate(subject);
    return true;
  }

  /** Removes (subject, item); returns false when it was not present. */
  remove(subject: string, item: T): boolean {
    if (!isValidSubject(subject)) return false;
    const tokens = subject.split('.');
    // The path walked, so empty nodes can be pruned bottom-up afterwards.
    const levels: Level<T>[] = [];
    const nodes: Node<T>[] = [];
    let level: Level<T> | null = this.root;
    for (let i = 0; i < tokens.length; i++) {
      if (level === null) return false;
      const t = tokens[i];
      const node: Node<T> | null = t === '*' ? level.pwc : t === '>' ? level.fwc : (level.nodes.get(t) ?? null);
      if (node === null) return false;
      levels.push(level);
      nodes.push(node);
      level = node.next;
    }
    const last = nodes[nodes.length - 1];
    if (!last.items.delete(item)) return false;
    this.pairs--;
    for (let i = nodes.length - 1; i >= 0; i--) {
      const node = nodes[i];
      if (node.items.size > 0 || (node.next !== null && !node.next.isEmpty())) break;
      const lv = levels[i];
      const t = tokens[i];
      if (t === '*') lv.pwc = null;
      else if (t === '>') lv.fwc = null;
      else lv.nodes.delete(t);
      if (i > 0 && lv.isEmpty()) nodes[i - 1].next = null;
    }
    this.invalidate(subject);
    return true;
  }

  /** Every item whose pattern matches the literal `subject`. Cache hits allocate nothing. */
  match(subject: string): readonly T[] {
    const hit = this.cache.get(subject);
    if (hit !== undefined) return hit.items;
    return this.fill(subject).items;
  }

  /** `derive(match(subject))`, cached with the match. */
  matchResult(subject: string): R {
    const hit = this.cache.get(subject);
    if (hit !== undefined) return hit.result;
    return this.fill(subject).result;
  }

  /** Removes everything. */
  clear(): void {
    this.root.nodes.clear();
    this.root.pwc = null;
    this.root.fwc = null;
    this.pairs = 0;
    this.cache.clear();
  }

  private fill(subject: string): CacheEntry<T, R> {
    const tokens = subject.split('.');
    let valid = subject.length > 0;
    for (let i = 0; valid && i < tokens.length; i++) if (tokens[i].length === 0) valid = false;
    let items: readonly T[] = EMPTY;
    if (valid) {
      const out: T[] = [];
      collect(this.root, tokens, 0, out);
      if (out.length > 0) items = out;
    }
    const entry: CacheEntry<T, R> = { items, result: this.derive(items) };
    // Invalid subjects are not cached: invalidation assumes cached keys are valid literals.
    if (valid && this.cacheMax > 0) {
      if (this.cache.size >= this.cacheMax) this.sweep();
      this.cache.set(subject, entry);
    }
    return entry;
  }

  /** Drops the older half of the cache (Map keeps insertion order), like nats-server's sweep. */
  private sweep(): void {
    let drop = this.cache.size - (this.cacheMax >> 1);
    for (const key of this.cache.keys()) {
      if (drop-- <= 0) break;
      this.cache.delete(key);
    }
  }

  /** Forgets cached results that `pattern` can affect. */
  private invalidate(pattern: string): void {
    if (this.cache.size === 0) return;
    if (isLiteralSubject(pattern)) {
      this.cache.delete(pattern);
      return;
    }
    for (const key of this.cache.keys()) {
      if (subjectMatchesFast(pattern, key)) this.cache.delete(key);
    }
  }
}

function collect<T>(level: Level<T>, tokens: readonly string[], i: number, out: T[]): void {
  const last = i === tokens.length - 1;
  // `>` takes all remaining tokens (there is at least one: tokens[i]).
  if (level.fwc !== null) pushAll(level.fwc.items, out);
  if (level.pwc !== null) {
    if (last) pushAll(level.pwc.items, out);
    else if (level.pwc.next !== null) collect(level.pwc.next, tokens, i + 1, out);
  }
  const node = level.nodes.get(tokens[i]);
  if (node !== undefined) {
    if (last) pushAll(node.items, out);
    else if (node.next !== null) collect(node.next, tokens, i + 1, out);
  }
}

function pushAll<T>(items: Set<T>, out: T[]): void {
  for (const it of items) out.push(it);
}
