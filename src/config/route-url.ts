// Route URLs: accepted and rejected like nats-server's parseURL (Go url.Parse after trimming),
// turned into the RouteUrl the dialer uses. The password never leaves this module in
// printable form: `display` and every message carry `[REDACTED]` instead.
import type { RouteUrl } from './options.js';
import type { SourcePos } from './tree.js';
import { goQuote } from './go-text.js';
import { hostnamePort, parseGoUrl } from './go-url.js';

export const REDACTED = '[REDACTED]';

/**
 * The URL text with the password of its user info replaced by [REDACTED]. Works on
 * malformed text too (error messages quote what the user wrote).
 */
export function redactUrlText(raw: string): string {
  const m = /^([^/?#]*?:\/\/)([^/?#]*)(.*)$/s.exec(raw);
  if (!m) return raw;
  const authority = m[2]!;
  const at = authority.lastIndexOf('@');
  if (at < 0) return raw;
  const userinfo = authority.slice(0, at);
  const colon = userinfo.indexOf(':');
  if (colon < 0) return raw;
  return `${m[1]}${userinfo.slice(0, colon + 1)}${REDACTED}${authority.slice(at)}${m[3]}`;
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
