// Route URLs: accepted and rejected like nats-server's parseURL (Go url.Parse after trimming),
// turned into the RouteUrl the dialer uses. The password never leaves this module in
// printable form: `display` and every message carry `[REDACTED]` instead.
import type { RouteUrl } from './options.js';
import type { SourcePos } from './tree.js';
import { goQuote } from './go-text.js';
import { hostnamePort, parseGoUrl } from './go-url.js';

export const REDACTED = '[REDACTED]';

/**
 * Where the password of a URL text is, as [start, end) offsets, or undefined. The user info
 * ends at the LAST '@' after '://' (not at the first '/', '?' or '#': a password may hold those)
 * and the password starts after the first ':' following '://'. This may hide more than Go's
 * url.Parse would call the password (a port, a path), never less.
 */
function passwordSpan(raw: string): [number, number] | undefined {
  const sep = raw.indexOf('://');
  const from = sep >= 0 ? sep + 3 : 0;
  const at = raw.lastIndexOf('@');
  if (at < from) return undefined;
  const colon = raw.indexOf(':', from);
  if (colon < 0 || colon > at) return undefined;
  return [colon + 1, at];
}

/**
 * The URL text with the password of its user info replaced by [REDACTED]. Works on
 * malformed text too (error messages quote what the user wrote).
 */
export function redactUrlText(raw: string): string {
  const span = passwordSpan(raw);
  return span ? `${raw.slice(0, span[0])}${REDACTED}${raw.slice(span[1])}` : raw;
}

/** The URL text holds a password (or what could be one) that messages must not show. */
export function hasUrlPassword(raw: string): boolean {
  return passwordSpan(raw) !== undefined;
}

/**
 * A Go reason about a URL (`invalid URL escape "%et"`, `invalid port ":pa" after host`), safe to
 * print: a quoted fragment that is, or may be, a piece of the password is dropped. Fragments
 * found in the text only outside the password (`invalid port ":bad"` after the '@') stay.
 */
export function redactUrlReason(raw: string, reason: string): string {
  const span = passwordSpan(raw);
  if (!span) return reason;
  const [start, end] = span;
  const outsidePassword = (frag: string): boolean => {
    if (frag === '') return true;
    if (frag.includes('\\')) return false; // Go escaped it: cannot be located in the text
    let i = raw.indexOf(frag);
    if (i < 0) return false;
    for (; i >= 0; i = raw.indexOf(frag, i + 1)) if (i < end && i + frag.length > start) return false;
    return true;
  };
  return reason.replace(/ ?"((?:[^"\\]|\\.)*)"/g, (m, frag: string) => (outsidePassword(frag) ? m : ''));
}

export type RouteUrlResult = { url: RouteUrl } | { error: string };

/** nats-server parseURL(u, "route"): trim, url.Parse; failure → `error parsing route url ["<u>"]`. */
export function parseRouteUrl(text: string, pos?: SourcePos): RouteUrlResult {
  const trimmed = text.trim();
  const r = parseGoUrl(trimmed);
  if ('error' in r) return { error: `error parsing route url [${goQuote(redactUrlText(trimmed))}]` };
  const { hostname, port } = hostnamePort(r.url.host);
  const url: RouteUrl = {
    display: redactUrlText(trimmed),
    protocol: `${r.url.scheme}:`,
    host: hostname,
    port: port === '' ? 0 : Number(port),
  };
  if (r.url.user) {
    url.user = r.url.user.username;
    if (r.url.user.password !== undefined) url.password = r.url.user.password;
  }
  if (pos) url.pos = pos;
  return { url };
}
