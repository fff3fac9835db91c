// YAML and JSON config files, converted to the same positioned ConfMap tree as the NATS language.
// JSON goes through the yaml package too (JSON is YAML 1.2 flow syntax) so both get positions.

import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { LocatedError } from './parser.js';
import type { ConfMap, ConfValue, SourcePos } from './tree.js';
import { isSecretKey, redactValueText } from './redact.js';

// Aliases are expanded into copies, so a few bytes of nested aliases ("billion laughs") could
// make billions of values. Ordinary configs use a handful of aliases on small anchors.
export const MAX_ALIAS_EXPANSIONS = 1000;
export const MAX_ALIASED_VALUES = 100_000;

interface Budget {
  aliases: number; // alias resolutions so far, nested ones included
  aliased: number; // values produced inside alias expansions so far
}

export function parseYamlOrJson(text: string, file: string): ConfMap {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, intAsBigInt: true, prettyErrors: false });
  const posAt = (offset: number): SourcePos => {
    const { line, col } = lc.linePos(offset);
    return { file, line, column: col };
  };
  const err = doc.errors[0];
  if (err) {
    // yaml's message ends with " at line L, column C" (and a code frame when pretty); we give file:line:col.
    const reason = err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    const lp = err.linePos?.[0];
    throw new LocatedError(lp ? { file, line: lp.line, column: lp.col } : posAt(err.pos[0]), reason);
  }
  const root = doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) {
    return { type: 'map', entries: new Map(), pos: { file, line: 1, column: 1 } };
  }
  const v = convert(root, doc, posAt, 0, { aliases: 0, aliased: 0 }, null);
  if (v.type !== 'map') throw new LocatedError(v.pos, 'the top level of the configuration must be a map');
  return v;
}

/**
 * aliasPos: the outermost alias being expanded (where a bomb is reported), null outside aliases.
 * secret: the value is under a password key, so messages must not quote it.
 */
function convert(
  node: Node, doc: Document, posAt: (o: number) => SourcePos, depth: number, budget: Budget,
  aliasPos: SourcePos | null, secret = false,
): ConfValue {
  const pos = posAt(node.range?.[0] ?? 0);
  if (depth > 100) throw new LocatedError(pos, 'configuration nested too deeply');
  if (aliasPos && ++budget.aliased > MAX_ALIASED_VALUES) {
    throw new LocatedError(aliasPos, `alias expansions produce too many values (more than ${MAX_ALIASED_VALUES}): YAML alias bombs are refused`);
  }
  if (isAlias(node)) {
    if (++budget.aliases > MAX_ALIAS_EXPANSIONS) {
      throw new LocatedError(aliasPos ?? pos, `too many alias expansions (more than ${MAX_ALIAS_EXPANSIONS}): YAML alias bombs are refused`);
    }
    const target = node.resolve(doc);
    if (!target) throw new LocatedError(pos, `unresolved alias '${node.source}'`);
    return { ...convert(target, doc, posAt, depth + 1, budget, aliasPos ?? pos, secret), pos } as ConfValue;
  }
  if (isMap(node)) {
    const out: ConfMap = { type: 'map', entries: new Map(), pos };
    for (const pair of node.items) {
      const k = pair.key as Node | null;
      const kpos = k ? posAt(k.range?.[0] ?? 0) : pos;
      if (!k || !isScalar(k) || k.value === null || typeof k.value === 'object') {
        throw new LocatedError(kpos, 'map keys must be plain strings or numbers');
      }
      const key = String(k.value);
      const vnode = pair.value as Node | null;
      if (!vnode) throw new LocatedError(kpos, `key '${key}' has no value`);
      out.entries.set(key, { key, keyPos: kpos, value: convert(vnode, doc, posAt, depth + 1, budget, aliasPos, secret || isSecretKey(key)), usedAsVariable: false });
    }
    return out;
  }
  if (isSeq(node)) {
    return { type: 'array', items: node.items.map((n) => convert(n as Node, doc, posAt, depth + 1, budget, aliasPos, secret)), pos };
  }
  if (isScalar(node)) {
    const v = node.value;
    const shown = (msg: string) => (secret && node.source ? redactValueText(msg, node.source) : msg);
    switch (typeof v) {
      case 'string': return { type: 'string', value: v, pos };
      case 'boolean': return { type: 'bool', value: v, pos };
      case 'bigint':
        // Same rule as the NATS language: int64, and exactly representable as a JS number.
        if (v > 2n ** 63n - 1n || v < -(2n ** 63n) || BigInt(Number(v)) !== v) {
          throw new LocatedError(pos, shown(`integer '${node.source ?? v}' is out of the range`));
        }
        return { type: 'int', value: Number(v), pos };
      case 'number':
        if (!Number.isFinite(v)) throw new LocatedError(pos, shown(`float '${node.source ?? v}' is out of the range`));
        return { type: 'float', value: v, pos };
    }
    if (v === null) throw new LocatedError(pos, 'null values are not supported; quote the value or remove the key');
    throw new LocatedError(pos, `unsupported value of type ${typeof v}`);
  }
  throw new LocatedError(pos, 'unsupported YAML node');
}
