// Route permissions (cluster.permissions and the deprecated cluster.authorization.permissions):
// nats-server's parseUserPermissions + checkClusterPermissionSubjects, same messages.
// import = publish = pub (interest we take from peers), export = subscribe = sub.
import type { SubjectPermission } from './options.js';
import type { ConfEntry, ConfValue, SourcePos } from './tree.js';
import { goTypeName } from './tree.js';
import { goFloatV, goQuote } from './go-text.js';
import type { IssueSink } from './issues.js';

export interface RoutePermissions {
  import?: SubjectPermission;
  export?: SubjectPermission;
}

export interface ParsedPermissions {
  perms: RoutePermissions;
  /** allow_responses was set: meaningless for routes, rejected by the caller. */
  responses: boolean;
}

/** Parses a permissions map. Returns undefined if any error was reported. */
export function parsePermissions(entry: ConfEntry, sink: IssueSink): ParsedPermissions | undefined {
  const v = entry.value;
  if (v.type !== 'map') {
    sink.error(entry.keyPos, `Expected permissions to be a map/struct, got ${goPlusV(v)}`);
    return undefined;
  }
  const before = sink.errors.length;
  const out: ParsedPermissions = { perms: {}, responses: false };
  for (const [key, e] of v.entries) {
    switch (key.toLowerCase()) {
      case 'pub': case 'publish': case 'import': {
        const p = parseVariablePermissions(e, false, sink);
        if (p !== null) out.perms.import = p;
        break;
      }
      case 'sub': case 'subscribe': case 'export': {
        const p = parseVariablePermissions(e, true, sink);
        if (p !== null) out.perms.export = p;
        break;
      }
      case 'publish_allow_responses': case 'allow_responses':
        if (e.value.type === 'bool') out.responses ||= e.value.value;
        else if (e.value.type === 'map') out.responses = true;
        else sink.typeMismatch(e.keyPos, e.value, 'map[string]interface {}');
        break;
      default:
        if (!e.usedAsVariable) sink.error(e.keyPos, `Unknown field ${goQuote(key)} parsing permissions`);
    }
  }
  return sink.errors.length === before ? out : undefined;
}

// Returns null on error (reported), undefined for an empty {} map (nats-server: nil).
function parseVariablePermissions(e: ConfEntry, allowQueue: boolean, sink: IssueSink): SubjectPermission | undefined | null {
  if (e.value.type !== 'map') {
    const subjects = parsePermSubjects(e.value, e.keyPos, allowQueue, sink);
    return subjects ? { allow: subjects } : null;
  }
  if (e.value.entries.size === 0) return undefined;
  const p: SubjectPermission = {};
  let ok = true;
  for (const [key, inner] of e.value.entries) {
    switch (key.toLowerCase()) {
      case 'allow': case 'deny': {
        const subjects = parsePermSubjects(inner.value, inner.keyPos, allowQueue, sink);
        if (!subjects) { ok = false; break; }
        if (key.toLowerCase() === 'allow') p.allow = subjects;
        else p.deny = subjects;
        break;
      }
      default:
        if (!inner.usedAsVariable) {
          sink.error(inner.keyPos, `Unknown field name ${goQuote(key)} parsing subject permissions, only 'allow' or 'deny' are permitted`);
          ok = false;
        }
    }
  }
  return ok ? p : null;
}

function parsePermSubjects(v: ConfValue, pos: SourcePos, allowQueue: boolean, sink: IssueSink): string[] | undefined {
  const subjects: string[] = [];
  if (v.type === 'string') subjects.push(v.value);
  else if (v.type === 'array') {
    for (const item of v.items) {
      if (item.type !== 'string') {
        sink.error(item.pos, 'Subject in permissions array cannot be cast to string');
        return undefined;
      }
      subjects.push(item.value);
    }
  } else {
    sink.error(pos, `Expected subject permissions to be a subject, or array of subjects, got ${goTypeName(v)}`);
    return undefined;
  }
  const err = checkPermSubjectArray(subjects, allowQueue);
  if (err) {
    sink.error(pos, err);
    return undefined;
  }
  return subjects;
}

/** checkPermSubjectArray: an error text or undefined. */
export function checkPermSubjectArray(sa: readonly string[] | undefined, allowQueue: boolean): string | undefined {
  for (const s of sa ?? []) {
    if (isValidSubject(s)) continue;
    if (!allowQueue) return `subject ${goQuote(s)} is not a valid subject`;
    const elements = s.split(/[\t\n\v\f\r \u0085\u00a0]+/).filter((x) => x !== '');
    if (elements.length !== 2) return `subject ${goQuote(s)} is not a valid subject`;
    if (!isValidSubject(elements[0]!)) return `subject ${goQuote(elements[0]!)} is not a valid subject`;
    if (!isValidSubject(elements[1]!)) return `queue ${goQuote(elements[1]!)} is not a valid queue`;
  }
  return undefined;
}

/** checkClusterPermissionSubjects: routes take no queue-qualified subjects. */
export function checkClusterPermissionSubjects(p: RoutePermissions): string | undefined {
  const checks: Array<[string, string[] | undefined]> = [
    ['cluster import allow', p.import?.allow],
    ['cluster import deny', p.import?.deny],
    ['cluster export allow', p.export?.allow],
    ['cluster export deny', p.export?.deny],
  ];
  for (const [prefix, list] of checks) {
    const err = checkPermSubjectArray(list, false);
    if (err) return `${prefix}: ${err}`;
  }
  return undefined;
}

/** nats-server's IsValidSubject (tokens non-empty, `>` only last, no whitespace). */
export function isValidSubject(subject: string): boolean {
  if (subject === '') return false;
  let sfwc = false;
  for (const t of subject.split('.')) {
    if (t.length === 0 || sfwc) return false;
    if (Buffer.byteLength(t) > 1) {
      if (/[\t\n\f\r ]/.test(t)) return false;
      continue;
    }
    if (t === '>') sfwc = true;
    else if (' \t\n\r\f'.includes(t)) return false;
  }
  return true;
}

/** Longest %+v shown in a message; variables share arrays, so the full text can be exponential. */
export const MAX_SHOWN_VALUE = 256;

// %+v of a value, for the "Expected permissions to be a map/struct" message, cut after
// MAX_SHOWN_VALUE characters with "...". Stops walking as soon as the budget is spent.
export function goPlusV(v: ConfValue): string {
  let out = '';
  const full = (): boolean => out.length > MAX_SHOWN_VALUE;
  const walk = (x: ConfValue): void => {
    switch (x.type) {
      case 'string': out += x.value; break;
      case 'int': case 'bool': out += String(x.value); break;
      case 'float': out += goFloatV(x.value); break;
      case 'array':
        out += '[';
        for (let i = 0; i < x.items.length && !full(); i++) {
          if (i > 0) out += ' ';
          walk(x.items[i]!);
        }
        out += ']';
        break;
      default: out += goTypeName(x);
    }
  };
  walk(v);
  return full() ? `${out.slice(0, MAX_SHOWN_VALUE)}...` : out;
}
