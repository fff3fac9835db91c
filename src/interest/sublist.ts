// Subject trie with `*`/`>` wildcards and a bounded match cache, after nats-server's sublist.go.
// Items are stored per (pattern, item) pair with set semantics: inserting the same pair twice keeps one.
import { isLiteralSubject, isValidSubject, subjectMatchesFast } from './subject.js';

interface Node<T> {
  next: Level<T> | null;
  /**
   * The items. Most nodes of a large interest set hold one item for good: it is kept inline in
   * `one` (an array of one costs ~56 B more per node, a Set several times that). Two or more live
   * in `more`, a small array, a Set past SMALL_MAX; `one` is then unused.
   */
  one: T | undefined;
  more: T[] | Set<T> | null;
  /** The items as an array, rebuilt lazily after a change; never mutated, so results may share it. */
  list: readonly T[] | null;
}

const SMALL_MAX = 16;

function itemCount<T>(n: Node<T>): number {
  const more = n.more;
  if (more === null) return n.one === undefined ? 0 : 1;
  return Array.isArray(more) ? more.length : more.size;
}

/** Adds `item`; false when it was there. */
function addItem<T>(n: Node<T>, item: T): boolean {
  const more = n.more;
  if (more === null) {
    if (n.one === undefined) {
      n.one = item;
      return true;
    }
    if (n.one === item) return false;
    n.more = [n.one, item];
    n.one = undefined;
    return true;
  }
  if (!Array.isArray(more)) {
    if (more.has(item)) return false;
    more.add(item);
    return true;
  }
  if (more.includes(item)) return false;
  if (more.length < SMALL_MAX) more.push(item);
  else n.more = new Set([...more, item]);
  return true;
}

/** Removes `item`; false when it was not there. */
function deleteItem<T>(n: Node<T>, item: T): boolean {
  const more = n.more;
  if (more === null) {
    if (n.one !== item || item === undefined) return false;
    n.one = undefined;
    return true;
  }
  if (!Array.isArray(more)) return more.delete(item);
  const i = more.indexOf(item);
  if (i < 0) return false;
  more[i] = more[more.length - 1]!;
  more.pop();
  if (more.length === 1) {
    n.one = more[0];
    n.more = null;
  }
  return true;
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
  return { next: null, one: undefined, more: null, list: null };
}

export class Sublist<T, R = readonly T[]> {
  private readonly root = new Level<T>();
  private readonly cache = new Map<string, CacheEntry<T, R>>();
  private readonly cacheMax: number;
  private readonly derive: (items: readonly T[]) => R;
  private pairs = 0;
  /** Scratch token buffer for matching (no re-entrancy: nothing calls out while it is in use). */
  private readonly tokens: string[] = [];
  private readonly found: Node<T>[] = [];

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
    const tokens: string[] = [];
    tokenize(subject, tokens);
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
    if (!addItem(n, item)) return false;
    n.list = null;
    this.pairs++;
    this.invalidate(subject);
    return true;
  }

  /** Removes (subject, item); returns false when it was not present. */
  remove(subject: string, item: T): boolean {
    if (!isValidSubject(subject)) return false;
    const tokens: string[] = [];
    tokenize(subject, tokens);
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
    if (!deleteItem(last, item)) return false;
    last.list = null;
    this.pairs--;
    for (let i = nodes.length - 1; i >= 0; i--) {
      const node = nodes[i];
      if (itemCount(node) > 0 || (node.next !== null && !node.next.isEmpty())) break;
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
    const tokens = this.tokens;
    const found = this.found;
    const valid = tokenize(subject, tokens);
    let items: readonly T[] = EMPTY;
    if (valid) {
      collect(this.root, tokens, 0, found);
      // One matching node (the usual case) shares that node's list; several are concatenated.
      if (found.length === 1) items = listOf(found[0]);
      else if (found.length > 1) {
        const out: T[] = [];
        for (const n of found) for (const it of listOf(n)) out.push(it);
        items = out;
      }
    }
    tokens.length = 0;
    found.length = 0;
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

/** Splits on '.' into `out` (faster than String#split); false when a token is empty. */
function tokenize(subject: string, out: string[]): boolean {
  out.length = 0;
  let start = 0;
  for (;;) {
    const dot = subject.indexOf('.', start);
    const end = dot < 0 ? subject.length : dot;
    if (end === start) return false;
    out.push(subject.substring(start, end));
    if (dot < 0) return true;
    start = dot + 1;
  }
}

/** Appends every node (with items) whose pattern matches tokens[i..]. */
function collect<T>(level: Level<T>, tokens: readonly string[], i: number, out: Node<T>[]): void {
  const last = i === tokens.length - 1;
  // `>` takes all remaining tokens (there is at least one: tokens[i]).
  if (level.fwc !== null && itemCount(level.fwc) > 0) out.push(level.fwc);
  const pwc = level.pwc;
  if (pwc !== null) {
    if (!last) {
      if (pwc.next !== null) collect(pwc.next, tokens, i + 1, out);
    } else if (itemCount(pwc) > 0) out.push(pwc);
  }
  const node = level.nodes.get(tokens[i]);
  if (node !== undefined) {
    if (!last) {
      if (node.next !== null) collect(node.next, tokens, i + 1, out);
    } else if (itemCount(node) > 0) out.push(node);
  }
}

function listOf<T>(n: Node<T>): readonly T[] {
  if (n.list !== null) return n.list;
  const more = n.more;
  return (n.list = more === null ? (n.one === undefined ? EMPTY : [n.one]) : Array.from(more));
}
