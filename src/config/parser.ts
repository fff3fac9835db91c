// Parser for the NATS configuration language: turns lexer items into a positioned ConfMap tree.
// Mirrors nats-server's conf/parse.go (variables, environment, includes, last-key-wins), but keeps
// an explicit context stack so that inputs that corrupt nats-server's key stack become clear errors.

import { readRegularFile } from './read-file.js';
import path from 'node:path';
import { Item, ItemType, Lexer } from './lexer.js';
import { formatPos, type ConfMap, type ConfValue, type SourcePos } from './tree.js';
import { isSecretKey, redactValueText } from './redact.js';

export interface ParseOptions {
  env?: Record<string, string | undefined>;
}

/** A parse failure at a source position; `reason` is the message without the position. */
export class LocatedError extends Error {
  constructor(readonly pos: SourcePos, readonly reason: string) {
    super(`${formatPos(pos)}: ${reason}`);
  }
}

interface Shared {
  env: Record<string, string | undefined>;
  /** Environment variables being expanded right now (cycle detection, shared with sub-parsers). */
  envRefs: Set<string>;
  /**
   * Each environment variable's parsed value, for the rest of this parse: re-parsing on every
   * reference is exponential when variables reference each other ($A = [$B, $B], $B = [$C, $C]...).
   */
  envCache: Map<string, ConfValue>;
  /** Each included file's parsed map by its joined path: the same file included over and over
   * (or in a diamond of files including each other) is read and parsed once. */
  includeCache: Map<string, ConfMap>;
  /** Absolute paths of the files being parsed, outermost first (include cycle detection). */
  files: string[];
}

type ArrayValue = Extract<ConfValue, { type: 'array' }>;
type Ctx =
  | { kind: 'map'; node: ConfMap; key: { name: string; pos: SourcePos } | null }
  | { kind: 'array'; node: ArrayValue };

const SIZE_SUFFIXES: Record<string, bigint> = (() => {
  const out: Record<string, bigint> = { '': 1n };
  'kmgtpe'.split('').forEach((c, i) => {
    const p = BigInt(i + 1);
    out[c] = 1000n ** p;
    for (const s of ['b', 'i', 'ib']) out[c + s] = 1024n ** p;
  });
  return out;
})();
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const LEADING_DIGITS = /^[\p{Nd}-]*/u;
const ZULU = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/;

/** Throws a string reason on failure (the caller adds the position). */
export function parseInteger(t: string): number {
  const numStr = LEADING_DIGITS.exec(t)![0];
  if (!/^[-+]?[0-9]+$/.test(numStr)) throw `expected integer, but got '${t}'`;
  const n = BigInt(numStr);
  if (n < INT64_MIN || n > INT64_MAX) throw `integer '${t}' is out of the range`;
  const suffix = t.slice(numStr.length).trim().toLowerCase();
  const mult = SIZE_SUFFIXES[suffix];
  if (mult === undefined) {
    throw `invalid size suffix in '${t}': use k, m, g, t, p or e, optionally followed by b, i or ib`;
  }
  const v = n * mult;
  // nats-server wraps silently on int64 overflow. Beyond 2^53 we keep only values a JS number holds
  // exactly (1e = 10^18 and 1EiB = 2^60 are fine, 9007199254740993 is not).
  if (v < INT64_MIN || v > INT64_MAX) throw `integer '${t}' is out of the range`;
  if ((v > MAX_SAFE || v < -MAX_SAFE) && BigInt(Number(v)) !== v) throw `integer '${t}' is out of the range`;
  return Number(v);
}

export function parseFloatText(t: string): number {
  const v = Number(t);
  if (Number.isNaN(v)) throw `expected float, but got '${t}'`;
  if (!Number.isFinite(v)) throw `float '${t}' is out of the range`;
  return v;
}

export function parseDatetime(t: string): Date {
  const m = ZULU.exec(t);
  const bad = `expected Zulu formatted DateTime, but got '${t}'`;
  if (!m) throw bad;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const dt = new Date(0);
  dt.setUTCFullYear(y, mo - 1, d);
  dt.setUTCHours(h, mi, s, 0);
  // Reject what Go's time.Parse rejects (month 13, Feb 30, hour 24, second 60...).
  if (dt.getUTCFullYear() !== y || dt.getUTCMonth() !== mo - 1 || dt.getUTCDate() !== d ||
    dt.getUTCHours() !== h || dt.getUTCMinutes() !== mi || dt.getUTCSeconds() !== s) throw bad;
  return dt;
}

/** Why a file could not be read, worded like Go's os errors ("no such file or directory"). */
export function readErrorReason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const reasons: Record<string, string> = {
    ENOENT: 'no such file or directory',
    EACCES: 'permission denied',
    EISDIR: 'is a directory',
    ENOTDIR: 'not a directory',
    ELOOP: 'too many levels of symbolic links',
    ENOTREG: 'not a regular file',
  };
  return (e.code && reasons[e.code]) || e.message;
}

class Parser {
  private readonly lx: Lexer;
  private readonly lineStarts: number[] = [0];
  private readonly ctxs: Ctx[] = [];
  readonly root: ConfMap;

  constructor(
    private readonly input: Buffer,
    private readonly file: string,
    /** Directory that includes are joined to (nats-server: filepath.Dir(file)). */
    private readonly dir: string,
    private readonly shared: Shared,
    /** Environment values: every position is the `$NAME` reference in the outermost file. */
    private readonly fixedPos?: SourcePos,
    /** The whole text is the value of a password key (an environment variable's). */
    private readonly secret = false,
  ) {
    this.lx = new Lexer(input);
    for (let i = 0; i < input.length; i++) if (input[i] === 0x0a) this.lineStarts.push(i + 1);
    this.root = { type: 'map', entries: new Map(), pos: { file, line: 1, column: 1 } };
    this.ctxs.push({ kind: 'map', node: this.root, key: null });
  }

  /** Where a value or error at this offset is reported. */
  posAt(offset: number): SourcePos {
    return this.fixedPos ?? this.textPos(offset);
  }

  /** 1-based line and byte column of an offset in this text (messages quote these, like nats-server). */
  textPos(offset: number): SourcePos {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { file: this.file, line: lo + 1, column: offset - this.lineStarts[lo]! + 1 };
  }

  private fail(pos: SourcePos, reason: string): never {
    throw new LocatedError(pos, reason);
  }

  private get ctx(): Ctx {
    return this.ctxs[this.ctxs.length - 1]!;
  }

  parse(): ConfMap {
    for (;;) {
      const it = this.lx.nextItem();
      if (it.typ === ItemType.EOF) break;
      this.processItem(it);
    }
    const top = this.ctx;
    if (this.ctxs.length !== 1 || top.kind !== 'map') this.fail(this.posAt(this.input.length), 'Unexpected EOF.');
    // nats-server tolerates a final stray '}' (lexed as a key) for JSON-like files.
    if (top.key && top.key.name !== '}') this.fail(top.key.pos, `config is invalid: key '${top.key.name}' has no value`);
    return this.root;
  }

  /** The value being parsed belongs to a password key: its messages must not quote it. */
  private inSecret(): boolean {
    return this.secret || this.ctxs.some((c) => c.kind === 'map' && c.key !== null && isSecretKey(c.key.name));
  }

  /** Fails with a message that quotes `text`, unless the value is a password. */
  private failValue(pos: SourcePos, reason: string, text: string): never {
    return this.fail(pos, this.inSecret() ? redactValueText(reason, text) : reason);
  }

  private processItem(it: Item): void {
    const pos = this.posAt(it.start);
    const num = <T>(f: (t: string) => T): T => {
      try {
        return f(it.val);
      } catch (e) {
        if (typeof e === 'string') this.failValue(pos, e, it.val);
        throw e;
      }
    };
    switch (it.typ) {
      case ItemType.Error: {
        let msg = it.val;
        if (it.quirk) {
          const q = this.textPos(it.quirk.at);
          msg += ` (an integer directly before ']' is read as text by nats-server, see '${it.quirk.text}' at ` +
            `${q.line}:${q.column}; write '[1, 2 ]')`;
        }
        return this.fail(pos, msg);
      }
      case ItemType.Key: {
        const c = this.ctx;
        if (c.kind !== 'map') this.fail(pos, `unexpected key '${it.val}' inside an array`);
        if (c.key) this.fail(c.key.pos, `key '${c.key.name}' has no value`);
        c.key = { name: it.val, pos };
        return;
      }
      case ItemType.MapStart:
        this.ctxs.push({ kind: 'map', node: { type: 'map', entries: new Map(), pos }, key: null });
        return;
      case ItemType.MapEnd: {
        const c = this.ctxs.pop()!;
        if (c.kind !== 'map' || this.ctxs.length === 0) this.fail(pos, `unexpected '}'`);
        // nats-server loses the enclosing key here (its key stack gets out of step).
        if (c.key) this.fail(c.key.pos, `key '${c.key.name}' has no value before '}'`);
        this.setValue(c.node, pos);
        return;
      }
      case ItemType.ArrayStart:
        this.ctxs.push({ kind: 'array', node: { type: 'array', items: [], pos } });
        return;
      case ItemType.ArrayEnd: {
        const c = this.ctxs.pop()!;
        if (c.kind !== 'array' || this.ctxs.length === 0) this.fail(pos, `unexpected ']'`);
        this.setValue(c.node, pos);
        return;
      }
      case ItemType.String:
        this.setValue({ type: 'string', value: it.val, pos }, pos);
        return;
      case ItemType.Integer:
        this.setValue({ type: 'int', value: num(parseInteger), pos }, pos);
        return;
      case ItemType.Float:
        this.setValue({ type: 'float', value: num(parseFloatText), pos }, pos);
        return;
      case ItemType.Bool: {
        const v = it.val.toLowerCase();
        if (v === 'true' || v === 'yes' || v === 'on') this.setValue({ type: 'bool', value: true, pos }, pos);
        else if (v === 'false' || v === 'no' || v === 'off') this.setValue({ type: 'bool', value: false, pos }, pos);
        else this.failValue(pos, `expected boolean value, but got '${it.val}'`, it.val);
        return;
      }
      case ItemType.Datetime:
        this.setValue({ type: 'datetime', value: num(parseDatetime), pos }, pos);
        return;
      case ItemType.Variable:
        this.setValue(this.lookupVariable(it.val, pos, this.textPos(it.start).line), pos);
        return;
      case ItemType.Include:
        this.include(it.val, pos);
        return;
      case ItemType.CommentStart:
      case ItemType.Text:
      case ItemType.EOF:
        return;
    }
  }

  private setValue(v: ConfValue, pos: SourcePos): void {
    const c = this.ctx;
    if (c.kind === 'array') {
      c.node.items.push(v);
      return;
    }
    if (!c.key) this.fail(pos, 'value without a key');
    c.node.entries.set(c.key.name, { key: c.key.name, keyPos: c.key.pos, value: v, usedAsVariable: false });
    c.key = null;
  }

  private lookupVariable(name: string, pos: SourcePos, line: number): ConfValue {
    // An unquoted bcrypt hash ($2a$...) is a literal, not a reference. Only 2a is special-cased.
    if (name.startsWith('2a$')) return { type: 'string', value: '$' + name, pos };
    for (let i = this.ctxs.length - 1; i >= 0; i--) {
      const c = this.ctxs[i]!;
      if (c.kind !== 'map') continue;
      const e = c.node.entries.get(name);
      if (e) {
        e.usedAsVariable = true;
        return { ...e.value, pos } as ConfValue;
      }
    }
    const refs = this.shared.envRefs;
    const couldNot = (inner: string): never =>
      this.fail(pos, `variable reference for '${name}' on line ${line} could not be parsed: ${inner}`);
    if (refs.has(name)) couldNot(`variable reference cycle for '${name}'`);
    const cached = this.shared.envCache.get(name);
    if (cached) return placeAt(cached, pos);
    const envValue = this.shared.env[name];
    if (envValue !== undefined) {
      refs.add(name);
      try {
        // nats-server parses the value as the config text `pk=<value>` so that it gets a type.
        const sub = new Parser(Buffer.from(`pk=${envValue}`, 'utf8'), '', '.', this.shared, this.fixedPos ?? pos, this.inSecret());
        const found = sub.parse().entries.get('pk');
        if (found) {
          this.shared.envCache.set(name, found.value);
          return placeAt(found.value, pos);
        }
      } catch (e) {
        if (e instanceof LocatedError) couldNot(e.reason);
        throw e;
      } finally {
        refs.delete(name);
      }
    }
    return this.fail(pos, `variable reference for '${name}' on line ${line} can not be found`);
  }

  private include(p: string, pos: SourcePos): void {
    const c = this.ctx;
    if (c.kind !== 'map' || c.key) this.fail(pos, `unexpected include '${p}'`);
    // Like nats-server, the path is always joined to the including file's directory, even when absolute.
    const target = path.join(this.dir, p);
    const wrap = (inner: string): never => this.fail(pos, `error parsing include file '${p}', ${inner}`);
    const abs = path.resolve(target);
    if (this.shared.files.includes(abs)) {
      wrap(`include cycle: ${[...this.shared.files, abs].map((f) => path.relative(process.cwd(), f) || f).join(' -> ')}`);
    }
    // An included file sees no variables of the including one, so its tree is the same wherever it is included.
    let m = this.shared.includeCache.get(target);
    if (!m) {
      let data: Buffer;
      try {
        data = readRegularFile(target);
      } catch (e) {
        return wrap(`open ${target}: ${readErrorReason(e)}`);
      }
      this.shared.files.push(abs);
      try {
        m = new Parser(data, target, path.dirname(target), this.shared).parse();
      } catch (e) {
        if (e instanceof LocatedError) wrap(e.message);
        throw e;
      } finally {
        this.shared.files.pop();
      }
      this.shared.includeCache.set(target, m);
    }
    // The included top-level keys land in the current map (last wins) and keep their own positions.
    // Entries are copied: usedAsVariable is per include site.
    for (const [k, e] of m.entries) c.node.entries.set(k, { ...e });
  }
}

// Environment values up to this many nodes are copied per reference; bigger ones are shared.
const RELOCATE_MAX_NODES = 1000;

/**
 * A cached environment value at a `$NAME` reference: a copy pointing at the reference when it is
 * small, else (like file variables) the shared value with only its top position changed, its
 * inner positions naming the first reference. Never walks more than RELOCATE_MAX_NODES nodes.
 */
function placeAt(v: ConfValue, pos: SourcePos): ConfValue {
  return smallTree(v, { left: RELOCATE_MAX_NODES }) ? relocate(v, pos) : { ...v, pos } as ConfValue;
}

/** The value, as a tree, has at most budget.left nodes (stops counting past it). */
function smallTree(v: ConfValue, budget: { left: number }): boolean {
  if (--budget.left < 0) return false;
  if (v.type === 'array') return v.items.every((x) => smallTree(x, budget));
  if (v.type === 'map') {
    for (const e of v.entries.values()) if (!smallTree(e.value, budget)) return false;
  }
  return true;
}

/** Copies a value parsed from an environment variable so that it points at the `$NAME` reference. */
function relocate(v: ConfValue, pos: SourcePos): ConfValue {
  switch (v.type) {
    case 'array':
      return { type: 'array', items: v.items.map((x) => relocate(x, pos)), pos };
    case 'map': {
      const entries = new Map();
      for (const [k, e] of v.entries) entries.set(k, { ...e, keyPos: pos, value: relocate(e.value, pos) });
      return { type: 'map', entries, pos };
    }
    default:
      return { ...v, pos } as ConfValue;
  }
}

/** Parses NATS-language text. Throws LocatedError; see load.ts for the public API. */
export function parseNats(text: string | Buffer, file: string, opts: ParseOptions = {}): ConfMap {
  const input = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  const shared: Shared = {
    env: opts.env ?? process.env,
    envRefs: new Set(),
    envCache: new Map(),
    includeCache: new Map(),
    files: file === '' ? [] : [path.resolve(file)],
  };
  return new Parser(input, file, path.dirname(file === '' ? '.' : file), shared).parse();
}
