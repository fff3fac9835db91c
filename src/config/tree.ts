// The parsed configuration tree. Every value remembers where it came from so that
// validation errors can name file:line:column (columns are 1-based on every line).

export interface SourcePos {
  file: string; // path as given (main file) or as joined (include); '' for a string source
  line: number; // 1-based
  column: number; // 1-based, counted in bytes like nats-server
}

export type ConfValue =
  | { type: 'string'; value: string; pos: SourcePos }
  | { type: 'int'; value: number; pos: SourcePos } // Go int64; sizes like 1MB already multiplied
  | { type: 'float'; value: number; pos: SourcePos }
  | { type: 'bool'; value: boolean; pos: SourcePos }
  | { type: 'datetime'; value: Date; pos: SourcePos }
  | { type: 'array'; items: ConfValue[]; pos: SourcePos }
  | { type: 'map'; entries: Map<string, ConfEntry>; pos: SourcePos };

export type ConfMap = Extract<ConfValue, { type: 'map' }>;

export interface ConfEntry {
  key: string; // original letter case
  keyPos: SourcePos; // errors about an entry point here (nats-server reports the key's position)
  value: ConfValue;
  usedAsVariable: boolean; // referenced by a later $name: not an unknown field
}

/** Go type name of a value, as nats-server prints it in type errors. */
export function goTypeName(v: ConfValue): string {
  switch (v.type) {
    case 'string': return 'string';
    case 'int': return 'int64';
    case 'float': return 'float64';
    case 'bool': return 'bool';
    case 'datetime': return 'time.Time';
    case 'array': return '[]interface {}';
    case 'map': return 'map[string]interface {}';
  }
}

export function formatPos(p: SourcePos): string {
  return `${p.file}:${p.line}:${p.column}`;
}

/** Plain JS value of a tree (for printing and digests). */
export function toPlain(v: ConfValue): unknown {
  switch (v.type) {
    case 'array': return v.items.map(toPlain);
    case 'map': {
      const o: Record<string, unknown> = {};
      for (const [k, e] of v.entries) o[k] = toPlain(e.value);
      return o;
    }
    default: return v.value;
  }
}
