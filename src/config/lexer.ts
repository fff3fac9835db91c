// Lexer for the NATS configuration language. A close port of nats-server's conf/lex.go state machine
// (commit 1787eee) so that the accepted language and the error wording match exactly; see
// config-format.md §1. Differences are deliberate and listed in the README.
//
// The input is handled as UTF-8 bytes because nats-server counts positions in bytes and `\xHH`
// escapes insert raw bytes. Every item records the byte offset where it starts; the parser turns
// offsets into 1-based line/column pairs.

export enum ItemType {
  Error,
  EOF,
  Key,
  Text,
  String,
  Bool,
  Integer,
  Float,
  Datetime,
  ArrayStart,
  ArrayEnd,
  MapStart,
  MapEnd,
  CommentStart,
  Variable,
  Include,
}

export interface Item {
  typ: ItemType;
  val: string;
  /** Byte offset of the item's first character (inside quotes for quoted strings and keys). */
  start: number;
  /** On an Error item: an earlier integer-before-']' token that probably caused it. */
  quirk?: { at: number; text: string };
}

type StateFn = (lx: Lexer) => StateFn | null;

// We use -1 (not Go's 0) for end of input so that a NUL byte is an ordinary character.
const EOF = -1;

const C = {
  mapStart: 0x7b, // {
  mapEnd: 0x7d, // }
  keySepEqual: 0x3d, // =
  keySepColon: 0x3a, // :
  arrayStart: 0x5b, // [
  arrayEnd: 0x5d, // ]
  comma: 0x2c, // ,
  hash: 0x23, // #
  slash: 0x2f, // /
  dq: 0x22, // "
  sq: 0x27, // '
  semicolon: 0x3b, // ;
  blockStart: 0x28, // (
  blockEnd: 0x29, // )
  backslash: 0x5c,
  minus: 0x2d,
  dot: 0x2e,
  nl: 0x0a,
  cr: 0x0d,
} as const;

/** Go's unicode.IsSpace. */
export function isSpace(r: number): boolean {
  switch (r) {
    case 0x09: case 0x0a: case 0x0b: case 0x0c: case 0x0d: case 0x20: case 0x85: case 0xa0:
    case 0x1680: case 0x2028: case 0x2029: case 0x202f: case 0x205f: case 0x3000:
      return true;
  }
  return r >= 0x2000 && r <= 0x200a;
}

const ND = /^\p{Nd}$/u;
/** Go's unicode.IsDigit (any Unicode decimal digit, not only ASCII). */
function isDigit(r: number): boolean {
  if (r < 0x80) return r >= 0x30 && r <= 0x39;
  return r >= 0 && ND.test(String.fromCodePoint(r));
}
const isWhitespace = (r: number): boolean => r === 0x09 || r === 0x20;
const isNL = (r: number): boolean => r === C.nl || r === C.cr;
const isKeySeparator = (r: number): boolean => r === C.keySepEqual || r === C.keySepColon;
const SUFFIXES = new Set([...'kKmMgGtTpPeE'].map((c) => c.charCodeAt(0)));
const isNumberSuffix = (r: number): boolean => SUFFIXES.has(r);

/** How a rune appears inside an error message (Go prints it raw; see the README for our changes). */
export function showRune(r: number): string {
  if (r === EOF) return 'EOF';
  if (r === C.nl) return '\\n';
  if (r === C.cr) return '\\r';
  return String.fromCodePoint(r);
}

const HEX = /^[0-9a-fA-F]{2}$/;

export class Lexer {
  readonly input: Buffer;
  start = 0;
  pos = 0;
  width = 0;
  /** Start of the rune most recently returned by next() (the end of input for EOF). */
  runeStart = 0;
  /** Start of the current item: moved by ignore()/emit() only, not by escape handling. */
  tokStart = 0;
  private state: StateFn | null = lexTop;
  private readonly items: Item[] = [];
  private readonly stack: StateFn[] = [];
  stringParts: Buffer[] = [];
  stringStateFn: StateFn = lexString;
  /** Offset of the `include` keyword being processed. */
  includeStart = 0;
  /**
   * nats-server lexes an integer directly followed by ']' as the text "<n>]" (config-format.md §1.8.2).
   * We keep that behaviour but remember where it happened so that a resulting error can say so.
   */
  bracketQuirk: { at: number; text: string; depth: number } | null = null;
  private arrayDepth = 0;

  constructor(input: Buffer) {
    this.input = input;
  }

  nextItem(): Item {
    for (;;) {
      const it = this.items.shift();
      if (it) return it;
      if (!this.state) return { typ: ItemType.EOF, val: '', start: this.input.length };
      this.state = this.state(this);
    }
  }

  push(s: StateFn): void {
    this.stack.push(s);
  }

  pop(): StateFn | null {
    const s = this.stack.pop();
    if (!s) return this.errorf('BUG in lexer: no states to pop.');
    return s;
  }

  private text(from: number, to: number): Buffer {
    return this.input.subarray(from, to);
  }

  emit(typ: ItemType, start = this.tokStart): void {
    const val = Buffer.concat([...this.stringParts, this.text(this.start, this.pos)]).toString('utf8');
    this.pushItem({ typ, val, start });
    this.start = this.pos;
    this.tokStart = this.pos;
  }

  emitString(): void {
    const val = Buffer.concat([...this.stringParts, this.text(this.start, this.pos)]).toString('utf8');
    this.stringParts = [];
    this.pushItem({ typ: ItemType.String, val, start: this.tokStart });
    this.start = this.pos;
    this.tokStart = this.pos;
  }

  private pushItem(it: Item): void {
    if (it.typ === ItemType.ArrayStart) this.arrayDepth++;
    if (it.typ === ItemType.ArrayEnd) {
      this.arrayDepth--;
      if (this.bracketQuirk && this.arrayDepth < this.bracketQuirk.depth) this.bracketQuirk = null;
    }
    this.items.push(it);
  }

  /** Remember that the current string began as an integer whose ']' was swallowed. */
  noteBracketQuirk(): void {
    this.bracketQuirk = { at: this.tokStart, text: '', depth: this.arrayDepth };
  }

  addCurrentStringPart(offset: number): void {
    this.stringParts.push(this.text(this.start, this.pos - offset));
    this.start = this.pos;
  }

  addStringPart(s: Buffer): StateFn {
    this.stringParts.push(s);
    this.start = this.pos;
    return this.stringStateFn;
  }

  hasEscapedParts(): boolean {
    return this.stringParts.length > 0;
  }

  next(): number {
    this.runeStart = this.pos;
    if (this.pos >= this.input.length) {
      this.width = 0;
      return EOF;
    }
    const [r, w] = decodeRune(this.input, this.pos);
    this.width = w;
    this.pos += w;
    return r;
  }

  ignore(): void {
    this.start = this.pos;
    this.tokStart = this.pos;
  }

  backup(): void {
    this.pos -= this.width;
  }

  peek(): number {
    const r = this.next();
    this.backup();
    return r;
  }

  /** Stops lexing with an error item; `at` is the byte offset the error points to. */
  errorf(msg: string, at = this.runeStart): null {
    const it: Item = { typ: ItemType.Error, val: msg, start: at };
    if (this.bracketQuirk) it.quirk = { at: this.bracketQuirk.at, text: this.bracketQuirk.text };
    this.items.push(it);
    return null;
  }

  isBool(): boolean {
    const s = this.text(this.start, this.pos).toString('utf8').toLowerCase();
    return s === 'true' || s === 'false' || s === 'on' || s === 'off' || s === 'yes' || s === 'no';
  }

  isVariable(): boolean {
    if (this.start >= this.input.length) return false;
    if (this.input[this.start] === 0x24 /* $ */) {
      this.start += 1;
      return true;
    }
    return false;
  }

  keyCheckKeyword(fallThrough: StateFn, push: StateFn | null): StateFn {
    const key = this.text(this.start, this.pos).toString('utf8').toLowerCase();
    if (key === 'include') {
      this.includeStart = this.start;
      this.ignore();
      if (push) this.push(push);
      return lexIncludeStart;
    }
    this.emit(ItemType.Key);
    return fallThrough;
  }
}

/** Decodes one UTF-8 rune like Go's utf8.DecodeRuneInString (invalid input gives U+FFFD, width 1). */
function decodeRune(b: Buffer, i: number): [number, number] {
  const c0 = b[i]!;
  if (c0 < 0x80) return [c0, 1];
  const bad: [number, number] = [0xfffd, 1];
  const cont = (j: number): number => {
    const c = b[i + j];
    return c !== undefined && (c & 0xc0) === 0x80 ? c & 0x3f : -1;
  };
  if (c0 >= 0xc2 && c0 <= 0xdf) {
    const c1 = cont(1);
    return c1 < 0 ? bad : [((c0 & 0x1f) << 6) | c1, 2];
  }
  if (c0 >= 0xe0 && c0 <= 0xef) {
    const c1 = cont(1), c2 = cont(2);
    if (c1 < 0 || c2 < 0) return bad;
    const r = ((c0 & 0x0f) << 12) | (c1 << 6) | c2;
    return r < 0x800 || (r >= 0xd800 && r <= 0xdfff) ? bad : [r, 3];
  }
  if (c0 >= 0xf0 && c0 <= 0xf4) {
    const c1 = cont(1), c2 = cont(2), c3 = cont(3);
    if (c1 < 0 || c2 < 0 || c3 < 0) return bad;
    const r = ((c0 & 0x07) << 18) | (c1 << 12) | (c2 << 6) | c3;
    return r < 0x10000 || r > 0x10ffff ? bad : [r, 4];
  }
  return bad;
}

// ---- states (names follow conf/lex.go) ----

/** After a '/': a second '/' starts a comment that resumes at `resume`; otherwise the rune is put back. */
function lineComment(lx: Lexer, resume: StateFn): boolean {
  if (lx.next() === C.slash) {
    lx.push(resume);
    return true;
  }
  lx.backup();
  return false;
}

function lexSkip(next: StateFn): StateFn {
  return (lx) => {
    lx.ignore();
    return next;
  };
}

function lexTop(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (isSpace(r)) return lexSkip(lexTop);
  switch (r) {
    case C.mapStart:
      lx.push(lexTop);
      return lexSkip(lexBlockStart);
    case C.hash:
      lx.push(lexTop);
      return lexCommentStart;
    case C.slash: {
      const at = lx.runeStart;
      if (lineComment(lx, lexTop)) return lexCommentStart;
      // nats-server falls through to its EOF case here.
      return lx.errorf('Unexpected EOF.', at);
    }
    case EOF:
      if (lx.pos > lx.start) return lx.errorf('Unexpected EOF.');
      lx.emit(ItemType.EOF);
      return null;
  }
  lx.backup();
  lx.push(lexTopValueEnd);
  return lexKeyStart;
}

function lexTopValueEnd(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (r === C.hash) {
    lx.push(lexTop);
    return lexCommentStart;
  }
  if (r === C.slash) {
    if (lineComment(lx, lexTop)) return lexCommentStart;
    return lexTopValueEnd; // a lone '/' is skipped like whitespace (Go fallthrough)
  }
  if (isWhitespace(r)) return lexTopValueEnd;
  if (isNL(r) || r === EOF || r === C.semicolon || r === C.comma || r === C.mapEnd) {
    lx.ignore();
    return lexTop;
  }
  return lx.errorf(`Expected a top-level value to end with a new line, comment or EOF, but got '${showRune(r)}' instead.`);
}

function lexBlockStart(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (isSpace(r)) return lexSkip(lexBlockStart);
  switch (r) {
    case C.mapStart:
      lx.push(lexBlockEnd);
      return lexSkip(lexBlockStart);
    case C.mapEnd:
      lx.ignore();
      return lx.pop();
    case C.hash:
      lx.push(lexBlockStart);
      return lexCommentStart;
    case C.slash: {
      const at = lx.runeStart;
      if (lineComment(lx, lexBlockStart)) return lexCommentStart;
      return lx.errorf('Unexpected EOF.', at);
    }
    case EOF:
      if (lx.pos > lx.start) return lx.errorf('Unexpected EOF.');
      lx.emit(ItemType.EOF);
      return null;
  }
  lx.backup();
  lx.push(lexBlockValueEnd);
  return lexKeyStart;
}

function lexBlockValueEnd(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (r === C.hash) {
    lx.push(lexBlockValueEnd);
    return lexCommentStart;
  }
  if (r === C.slash) {
    if (lineComment(lx, lexBlockValueEnd)) return lexCommentStart;
    return lexBlockValueEnd;
  }
  if (isWhitespace(r)) return lexBlockValueEnd;
  if (isNL(r) || r === C.semicolon || r === C.comma) {
    lx.ignore();
    return lexBlockStart;
  }
  if (r === C.mapEnd) {
    lx.backup();
    return lexBlockEnd;
  }
  return lx.errorf(`Expected a block-level value to end with a new line, comment or EOF, but got '${showRune(r)}' instead.`);
}

function lexBlockEnd(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (r === C.hash) {
    lx.push(lexBlockStart);
    return lexCommentStart;
  }
  if (r === C.slash) {
    if (lineComment(lx, lexBlockStart)) return lexCommentStart;
    return lexBlockEnd;
  }
  if (isNL(r) || isWhitespace(r)) return lexBlockEnd;
  if (r === C.semicolon || r === C.comma) {
    lx.ignore();
    return lexBlockStart;
  }
  if (r === C.mapEnd) {
    lx.ignore();
    return lx.pop();
  }
  return lx.errorf(`Expected a block-level to end with a '}', but got '${showRune(r)}' instead.`);
}

function lexKeyStart(lx: Lexer): StateFn | null {
  const r = lx.peek();
  if (isKeySeparator(r)) return lx.errorf(`Unexpected key separator '${showRune(r)}'`);
  if (isSpace(r)) {
    lx.next();
    return lexSkip(lexKeyStart);
  }
  if (r === C.dq) {
    lx.next();
    return lexSkip(lexDubQuotedKey);
  }
  if (r === C.sq) {
    lx.next();
    return lexSkip(lexQuotedKey);
  }
  lx.ignore();
  lx.next();
  return lexKey;
}

function quotedKey(end: number, self: () => StateFn) {
  return (lx: Lexer): StateFn | null => {
    const r = lx.peek();
    if (r === end) {
      lx.emit(ItemType.Key);
      lx.next();
      return lexSkip(lexKeyEnd);
    }
    if (r === EOF) {
      if (lx.pos > lx.start) return lx.errorf('Unexpected EOF.');
      lx.emit(ItemType.EOF);
      return null;
    }
    lx.next();
    return self();
  };
}
const lexDubQuotedKey: StateFn = quotedKey(C.dq, () => lexDubQuotedKey);
const lexQuotedKey: StateFn = quotedKey(C.sq, () => lexQuotedKey);

function lexIncludeStart(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (isWhitespace(r)) return lexSkip(lexIncludeStart);
  lx.backup();
  return lexInclude;
}

function includeQuoted(end: number, eofMsg: string, self: () => StateFn) {
  return (lx: Lexer): StateFn | null => {
    const r = lx.next();
    if (r === end) {
      lx.backup();
      lx.emit(ItemType.Include, lx.includeStart);
      lx.next();
      lx.ignore();
      return lx.pop();
    }
    if (r === EOF) return lx.errorf(eofMsg);
    return self();
  };
}
const lexIncludeQuotedString: StateFn = includeQuoted(C.sq, 'Unexpected EOF in quoted include', () => lexIncludeQuotedString);
const lexIncludeDubQuotedString: StateFn = includeQuoted(C.dq, 'Unexpected EOF in double quoted include', () => lexIncludeDubQuotedString);

function lexIncludeString(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (isNL(r) || r === EOF || r === C.semicolon || r === C.mapEnd || isWhitespace(r)) {
    lx.backup();
    lx.emit(ItemType.Include, lx.includeStart);
    return lx.pop();
  }
  if (r === C.sq) {
    lx.backup();
    lx.emit(ItemType.Include, lx.includeStart);
    lx.next();
    lx.ignore();
    return lx.pop();
  }
  return lexIncludeString;
}

function lexInclude(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (r === C.sq) {
    lx.ignore();
    return lexIncludeQuotedString;
  }
  if (r === C.dq) {
    lx.ignore();
    return lexIncludeDubQuotedString;
  }
  if (r === C.arrayStart) return lx.errorf('Expected include value but found start of an array');
  if (r === C.mapStart) return lx.errorf('Expected include value but found start of a map');
  if (r === C.blockStart) return lx.errorf('Expected include value but found start of a block');
  if (isDigit(r) || r === C.minus) return lx.errorf('Expected include value but found start of a number');
  if (r === C.backslash) return lx.errorf('Expected include value but found escape sequence');
  if (isNL(r)) return lx.errorf('Expected include value but found new line');
  lx.backup();
  return lexIncludeString;
}

function lexKey(lx: Lexer): StateFn | null {
  const r = lx.peek();
  if (isSpace(r)) return lx.keyCheckKeyword(lexKeyEnd, null);
  if (isKeySeparator(r) || r === EOF) {
    lx.emit(ItemType.Key);
    return lexKeyEnd;
  }
  lx.next();
  return lexKey;
}

function lexKeyEnd(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (isSpace(r)) return lexSkip(lexKeyEnd);
  if (isKeySeparator(r)) return lexSkip(lexValue);
  if (r === EOF) {
    lx.emit(ItemType.EOF);
    return null;
  }
  lx.backup();
  return lexValue;
}

function lexValue(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (isWhitespace(r)) return lexSkip(lexValue);
  if (r === C.arrayStart) {
    lx.ignore();
    lx.emit(ItemType.ArrayStart, lx.pos - 1);
    return lexArrayValue;
  }
  if (r === C.mapStart) {
    lx.ignore();
    lx.emit(ItemType.MapStart, lx.pos - 1);
    return lexMapKeyStart;
  }
  if (r === C.sq) {
    lx.ignore();
    return lexQuotedString;
  }
  if (r === C.dq) {
    lx.ignore();
    lx.stringStateFn = lexDubQuotedString;
    return lexDubQuotedString;
  }
  if (r === C.minus) return lexNegNumberStart;
  if (r === C.blockStart) {
    lx.ignore();
    return lexBlock;
  }
  if (isDigit(r)) {
    lx.backup();
    return lexNumberOrDateOrStringOrIPStart;
  }
  if (r === C.dot) return lx.errorf('Floats must start with a digit');
  if (isNL(r)) return lx.errorf('Expected value but found new line');
  lx.backup();
  lx.stringStateFn = lexString;
  return lexString;
}

function lexArrayValue(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (isSpace(r)) return lexSkip(lexArrayValue);
  if (r === C.hash) {
    lx.push(lexArrayValue);
    return lexCommentStart;
  }
  if (r === C.slash) {
    const at = lx.runeStart;
    if (lineComment(lx, lexArrayValue)) return lexCommentStart;
    // nats-server falls through to the ',' case.
    return lx.errorf(`Unexpected array value terminator ','.`, at);
  }
  if (r === C.comma) return lx.errorf(`Unexpected array value terminator ','.`);
  if (r === C.arrayEnd) return lexArrayEnd;
  lx.backup();
  lx.push(lexArrayValueEnd);
  return lexValue;
}

function lexArrayValueEnd(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (isWhitespace(r)) return lexSkip(lexArrayValueEnd);
  if (r === C.hash) {
    lx.push(lexArrayValueEnd);
    return lexCommentStart;
  }
  if (r === C.slash) {
    if (lineComment(lx, lexArrayValueEnd)) return lexCommentStart;
    return lexSkip(lexArrayValue);
  }
  if (r === C.comma || isNL(r)) return lexSkip(lexArrayValue);
  if (r === C.arrayEnd) return lexArrayEnd;
  return lx.errorf(`Expected an array value terminator "," or an array terminator "]", but got '${showRune(r)}' instead.`);
}

function lexArrayEnd(lx: Lexer): StateFn | null {
  lx.ignore();
  lx.emit(ItemType.ArrayEnd);
  return lx.pop();
}

function lexMapKeyStart(lx: Lexer): StateFn | null {
  const r = lx.peek();
  if (isKeySeparator(r)) return lx.errorf(`Unexpected key separator '${showRune(r)}'.`);
  if (r === C.arrayEnd) return lx.errorf(`Unexpected array end '${showRune(r)}' processing map.`);
  if (isSpace(r)) {
    lx.next();
    return lexSkip(lexMapKeyStart);
  }
  if (r === C.mapEnd) {
    lx.next();
    return lexSkip(lexMapEnd);
  }
  if (r === C.hash) {
    lx.next();
    lx.push(lexMapKeyStart);
    return lexCommentStart;
  }
  if (r === C.slash) {
    lx.next();
    if (lineComment(lx, lexMapKeyStart)) return lexCommentStart;
    // nats-server then starts the key after the '/'.
  } else if (r === C.sq) {
    lx.next();
    return lexSkip(lexMapQuotedKey);
  } else if (r === C.dq) {
    lx.next();
    return lexSkip(lexMapDubQuotedKey);
  } else if (r === EOF) {
    return lx.errorf('Unexpected EOF processing map.');
  }
  lx.ignore();
  lx.next();
  return lexMapKey;
}

function mapQuotedKey(end: number, eofMsg: string, self: () => StateFn) {
  return (lx: Lexer): StateFn | null => {
    const r = lx.peek();
    if (r === EOF) return lx.errorf(eofMsg);
    if (r === end) {
      lx.emit(ItemType.Key);
      lx.next();
      return lexSkip(lexMapKeyEnd);
    }
    lx.next();
    return self();
  };
}
const lexMapQuotedKey: StateFn = mapQuotedKey(C.sq, 'Unexpected EOF processing quoted map key.', () => lexMapQuotedKey);
const lexMapDubQuotedKey: StateFn = mapQuotedKey(C.dq, 'Unexpected EOF processing double quoted map key.', () => lexMapDubQuotedKey);

function lexMapKey(lx: Lexer): StateFn | null {
  const r = lx.peek();
  if (r === EOF) return lx.errorf('Unexpected EOF processing map key.');
  if (isSpace(r)) return lx.keyCheckKeyword(lexMapKeyEnd, lexMapValueEnd);
  if (isKeySeparator(r)) {
    lx.emit(ItemType.Key);
    return lexMapKeyEnd;
  }
  lx.next();
  return lexMapKey;
}

function lexMapKeyEnd(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (isSpace(r)) return lexSkip(lexMapKeyEnd);
  if (isKeySeparator(r)) return lexSkip(lexMapValue);
  lx.backup();
  return lexMapValue;
}

function lexMapValue(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (isSpace(r)) return lexSkip(lexMapValue);
  if (r === C.comma) return lx.errorf('Unexpected map value terminator ",".');
  if (r === C.mapEnd) return lexSkip(lexMapEnd);
  lx.backup();
  lx.push(lexMapValueEnd);
  return lexValue;
}

function lexMapValueEnd(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (isWhitespace(r)) return lexSkip(lexMapValueEnd);
  if (r === C.hash) {
    lx.push(lexMapValueEnd);
    return lexCommentStart;
  }
  if (r === C.slash) {
    if (lineComment(lx, lexMapValueEnd)) return lexCommentStart;
    return lexSkip(lexMapKeyStart);
  }
  if (r === C.semicolon || r === C.comma || isNL(r)) return lexSkip(lexMapKeyStart);
  if (r === C.mapEnd) return lexSkip(lexMapEnd);
  return lx.errorf(`Expected a map value terminator "," or a map terminator "}", but got '${showRune(r)}' instead.`);
}

function lexMapEnd(lx: Lexer): StateFn | null {
  lx.ignore();
  lx.emit(ItemType.MapEnd);
  return lx.pop();
}

function lexQuotedString(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (r === C.sq) {
    lx.backup();
    lx.emit(ItemType.String);
    lx.next();
    lx.ignore();
    return lx.pop();
  }
  if (r === EOF) {
    if (lx.pos > lx.start) return lx.errorf('Unexpected EOF.');
    // nats-server ends the input quietly here: `a: '` is the same as `a:` at EOF.
    lx.emit(ItemType.EOF);
    return null;
  }
  return lexQuotedString;
}

function lexDubQuotedString(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (r === C.backslash) {
    lx.addCurrentStringPart(1);
    return lexStringEscape;
  }
  if (r === C.dq) {
    lx.backup();
    lx.emitString();
    lx.next();
    lx.ignore();
    return lx.pop();
  }
  if (r === EOF) {
    if (lx.pos > lx.start) return lx.errorf('Unexpected EOF.');
    lx.emit(ItemType.EOF);
    return null;
  }
  return lexDubQuotedString;
}

function lexString(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (r === C.backslash) {
    lx.addCurrentStringPart(1);
    return lexStringEscape;
  }
  if (isNL(r) || r === EOF || r === C.semicolon || r === C.comma || r === C.arrayEnd || r === C.mapEnd || isWhitespace(r)) {
    lx.backup();
    if (lx.bracketQuirk && lx.bracketQuirk.text === '') {
      lx.bracketQuirk.text = lx.input.subarray(lx.bracketQuirk.at, lx.pos).toString('utf8');
    }
    if (lx.hasEscapedParts()) lx.emitString();
    else if (lx.isBool()) lx.emit(ItemType.Bool);
    else if (lx.isVariable()) lx.emit(ItemType.Variable, lx.tokStart);
    else lx.emitString();
    return lx.pop();
  }
  if (r === C.sq) {
    lx.backup();
    lx.emitString();
    lx.next();
    lx.ignore();
    return lx.pop();
  }
  return lexString;
}

function lexBlock(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (r === C.blockEnd) {
    // A block ends at a ')' that is alone on its line: preceded by '\n' and followed by '\n' or EOF.
    const close = lx.pos - 1;
    if (close > 0 && lx.input[close - 1] === C.nl) {
      const after = lx.input[close + 1];
      // At EOF nats-server keeps the ')' in the value (a backup() of width 0); we drop it.
      if (after === undefined || after === C.nl) {
        lx.pos = close;
        lx.emit(ItemType.String);
        lx.pos = close + 1;
        lx.ignore();
        return lx.pop();
      }
    }
    return lexBlock;
  }
  if (r === EOF) {
    const crlf = lx.input.includes('\n)\r');
    return lx.errorf('Unexpected EOF processing block.' +
      (crlf ? " (the closing ')' must be alone on its line; a CRLF line ending after it does not close the block)" : ''));
  }
  return lexBlock;
}

function lexStringEscape(lx: Lexer): StateFn | null {
  const r = lx.next();
  switch (r) {
    case 0x78 /* x */: return lexStringBinary;
    case 0x74 /* t */: return lx.addStringPart(Buffer.from('\t'));
    case 0x6e /* n */: return lx.addStringPart(Buffer.from('\n'));
    case 0x72 /* r */: return lx.addStringPart(Buffer.from('\r'));
    case C.dq: return lx.addStringPart(Buffer.from('"'));
    case C.backslash: return lx.addStringPart(Buffer.from('\\'));
  }
  return lx.errorf(`Invalid escape character '${showRune(r)}'. Only the following escape characters are allowed: \\xXX, \\t, \\n, \\r, \\", \\\\.`);
}

function lexStringBinary(lx: Lexer): StateFn | null {
  let r = lx.next();
  if (isNL(r)) return lx.errorf(`Expected two hexadecimal digits after '\\x', but hit end of line`);
  r = lx.next();
  if (isNL(r)) return lx.errorf(`Expected two hexadecimal digits after '\\x', but hit end of line`);
  const offset = Math.max(0, lx.pos - 2);
  const two = lx.input.subarray(offset, lx.pos).toString('latin1');
  if (!HEX.test(two)) {
    return lx.errorf(`Expected two hexadecimal digits after '\\x', but got '${lx.input.subarray(offset, lx.pos).toString('utf8')}'`, offset);
  }
  lx.addStringPart(Buffer.from([parseInt(two, 16)]));
  return lx.stringStateFn;
}

function lexNumberOrDateOrStringOrIPStart(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (!isDigit(r)) {
    if (r === C.dot) return lx.errorf(`Floats must start with a digit, not '.'.`);
    return lx.errorf(`Expected a digit but got '${showRune(r)}'.`);
  }
  return lexNumberOrDateOrStringOrIP;
}

function lexNumberOrDateOrStringOrIP(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (r === C.minus) {
    if (lx.pos - lx.start !== 5) return lx.errorf('All ISO8601 dates must be in full Zulu form.');
    return lexDateAfterYear;
  }
  if (isDigit(r)) return lexNumberOrDateOrStringOrIP;
  if (r === C.dot) return lexFloatStart;
  if (isNumberSuffix(r)) return lexConvenientNumber;
  if (!(isNL(r) || r === EOF || r === C.mapEnd || r === C.semicolon || r === C.comma || isWhitespace(r))) {
    // Not a number after all: the rest is an unquoted string. Note that ']' lands here and is kept.
    if (r === C.arrayEnd) lx.noteBracketQuirk();
    lx.stringStateFn = lexString;
    return lexString;
  }
  lx.backup();
  lx.emit(ItemType.Integer);
  return lx.pop();
}

function lexConvenientNumber(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (r === 0x62 || r === 0x42 || r === 0x69 || r === 0x49 /* b B i I */) return lexConvenientNumber;
  lx.backup();
  if (isNL(r) || r === EOF || r === C.mapEnd || r === C.semicolon || r === C.comma || isWhitespace(r) || isDigit(r)) {
    lx.emit(ItemType.Integer);
    return lx.pop();
  }
  lx.stringStateFn = lexString;
  return lexString;
}

const DATE_FORMAT = '00-00T00:00:00Z';
function lexDateAfterYear(lx: Lexer): StateFn | null {
  for (const f of DATE_FORMAT) {
    const r = lx.next();
    if (f === '0') {
      if (!isDigit(r)) return lx.errorf(`Expected digit in ISO8601 datetime, but found '${showRune(r)}' instead.`);
    } else if (f.charCodeAt(0) !== r) {
      return lx.errorf(`Expected '${f}' in ISO8601 datetime, but found '${showRune(r)}' instead.`);
    }
  }
  lx.emit(ItemType.Datetime);
  return lx.pop();
}

function lexNegNumberStart(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (!isDigit(r)) {
    if (r === C.dot) return lx.errorf(`Floats must start with a digit, not '.'.`);
    return lx.errorf(`Expected a digit but got '${showRune(r)}'.`);
  }
  return lexNegNumber;
}

function lexNegNumber(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (isDigit(r)) return lexNegNumber;
  if (r === C.dot) return lexFloatStart;
  if (isNumberSuffix(r)) return lexConvenientNumber;
  lx.backup();
  lx.emit(ItemType.Integer);
  return lx.pop();
}

function lexFloatStart(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (!isDigit(r)) return lx.errorf(`Floats must have a digit after the '.', but got '${showRune(r)}' instead.`);
  return lexFloat;
}

function lexFloat(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (isDigit(r)) return lexFloat;
  if (r === C.dot) return lexIPAddr;
  lx.backup();
  lx.emit(ItemType.Float);
  return lx.pop();
}

function lexIPAddr(lx: Lexer): StateFn | null {
  const r = lx.next();
  if (isDigit(r) || r === C.dot || r === C.keySepColon || r === C.minus) return lexIPAddr;
  lx.backup();
  lx.emit(ItemType.String);
  return lx.pop();
}

function lexCommentStart(lx: Lexer): StateFn | null {
  lx.ignore();
  lx.emit(ItemType.CommentStart);
  return lexComment;
}

function lexComment(lx: Lexer): StateFn | null {
  const r = lx.peek();
  if (isNL(r) || r === EOF) {
    lx.emit(ItemType.Text);
    return lx.pop();
  }
  lx.next();
  return lexComment;
}
