// Go's net.SplitHostPort and net/url.Parse acceptance rules. nats-server accepts or rejects
// route URLs and listen strings exactly by these functions, so a config that passes here
// passes there (and the other way round), including the odd cases: `localhost:4245` is a
// valid URL (scheme "localhost", no host) while `127.0.0.1:4245` is not.
import { goQuote } from './go-text.js';

export type SplitResult = { host: string; port: string } | { error: string };

/** net.SplitHostPort; errors are `address <hp>: <reason>` like Go's *AddrError. */
export function splitHostPort(hostport: string): SplitResult {
  const fail = (why: string): SplitResult => ({ error: `address ${hostport}: ${why}` });
  const i = hostport.lastIndexOf(':');
  if (i < 0) return fail('missing port in address');
  let host: string;
  let j = 0;
  let k = 0;
  if (hostport[0] === '[') {
    const end = hostport.indexOf(']');
    if (end < 0) return fail("missing ']' in address");
    if (end + 1 === hostport.length) return fail('missing port in address');
    if (end + 1 !== i) {
      if (hostport[end + 1] === ':') return fail('too many colons in address');
      return fail('missing port in address');
    }
    host = hostport.slice(1, end);
    j = 1;
    k = end + 1;
  } else {
    host = hostport.slice(0, i);
    if (host.includes(':')) return fail('too many colons in address');
  }
  if (hostport.slice(j).includes('[')) return fail("unexpected '[' in address");
  if (hostport.slice(k).includes(']')) return fail("unexpected ']' in address");
  return { host, port: hostport.slice(i + 1) };
}

export interface GoUrl {
  scheme: string; // lower-cased
  opaque: string;
  user?: { username: string; password?: string };
  host: string; // host[:port] as in the URL (brackets kept)
  path: string;
  rawQuery: string;
  fragment: string;
}

export type UrlResult = { url: GoUrl } | { error: string };

type Mode = 'host' | 'zone' | 'userPassword' | 'path' | 'fragment';

/** net/url.Parse. The error text is Go's *url.Error: `parse "<url>": <reason>`. */
export function parseGoUrl(raw: string): UrlResult {
  const r = parseGoUrlParts(raw);
  return 'reason' in r ? { error: `parse ${goQuote(r.input)}: ${r.reason}` } : r;
}

/**
 * parseGoUrl with the *url.Error's parts apart: `input` is the text Go quotes (the URL
 * without its #fragment, unless the fragment is what failed), so callers can redact it.
 */
export function parseGoUrlParts(raw: string): { url: GoUrl } | { input: string; reason: string } {
  const hash = raw.indexOf('#');
  const u = hash >= 0 ? raw.slice(0, hash) : raw;
  const frag = hash >= 0 ? raw.slice(hash + 1) : '';
  const r = parseNoFragment(u);
  if ('error' in r) return { input: u, reason: r.error };
  if (frag !== '') {
    const f = unescape(frag, 'fragment');
    if ('error' in f) return { input: raw, reason: f.error };
    r.url.fragment = f.value;
  }
  return r;
}

function parseNoFragment(rawURL: string): UrlResult {
  for (let i = 0; i < rawURL.length; i++) {
    const c = rawURL.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return { error: 'net/url: invalid control character in URL' };
  }
  const url: GoUrl = { scheme: '', opaque: '', host: '', path: '', rawQuery: '', fragment: '' };
  if (rawURL === '*') {
    url.path = '*';
    return { url };
  }
  const sch = getScheme(rawURL);
  if ('error' in sch) return sch;
  url.scheme = sch.scheme.toLowerCase();
  let rest = sch.rest;
  if (rest.endsWith('?') && rest.split('?').length === 2) {
    rest = rest.slice(0, -1);
  } else {
    const q = rest.indexOf('?');
    if (q >= 0) {
      url.rawQuery = rest.slice(q + 1);
      rest = rest.slice(0, q);
    }
  }
  if (!rest.startsWith('/')) {
    if (url.scheme !== '') {
      url.opaque = rest; // rootless paths are opaque (RFC 3986)
      return { url };
    }
    const slash = rest.indexOf('/');
    const segment = slash >= 0 ? rest.slice(0, slash) : rest;
    if (segment.includes(':')) return { error: 'first path segment in URL cannot contain colon' };
  }
  if ((url.scheme !== '' || !rest.startsWith('///')) && rest.startsWith('//')) {
    let authority = rest.slice(2);
    rest = '';
    const slash = authority.indexOf('/');
    if (slash >= 0) {
      rest = authority.slice(slash);
      authority = authority.slice(0, slash);
    }
    const a = parseAuthority(authority);
    if ('error' in a) return a;
    url.host = a.host;
    if (a.user) url.user = a.user;
  }
  const p = unescape(rest, 'path');
  if ('error' in p) return p;
  url.path = p.value;
  return { url };
}

function getScheme(rawURL: string): { scheme: string; rest: string } | { error: string } {
  for (let i = 0; i < rawURL.length; i++) {
    const c = rawURL[i]!;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) continue;
    if ((c >= '0' && c <= '9') || c === '+' || c === '-' || c === '.') {
      if (i === 0) return { scheme: '', rest: rawURL };
      continue;
    }
    if (c === ':') {
      if (i === 0) return { error: 'missing protocol scheme' };
      return { scheme: rawURL.slice(0, i), rest: rawURL.slice(i + 1) };
    }
    return { scheme: '', rest: rawURL };
  }
  return { scheme: '', rest: rawURL };
}

function parseAuthority(authority: string):
  { host: string; user?: { username: string; password?: string } } | { error: string } {
  const at = authority.lastIndexOf('@');
  const h = parseHost(at < 0 ? authority : authority.slice(at + 1));
  if ('error' in h) return h;
  if (at < 0) return { host: h.value };
  const userinfo = authority.slice(0, at);
  if (!validUserinfo(userinfo)) return { error: 'net/url: invalid userinfo' };
  const colon = userinfo.indexOf(':');
  if (colon < 0) {
    const name = unescape(userinfo, 'userPassword');
    if ('error' in name) return name;
    return { host: h.value, user: { username: name.value } };
  }
  const name = unescape(userinfo.slice(0, colon), 'userPassword');
  if ('error' in name) return name;
  const pass = unescape(userinfo.slice(colon + 1), 'userPassword');
  if ('error' in pass) return pass;
  return { host: h.value, user: { username: name.value, password: pass.value } };
}

function parseHost(host: string): { value: string } | { error: string } {
  if (host.startsWith('[')) {
    const i = host.lastIndexOf(']');
    if (i < 0) return { error: "missing ']' in host" };
    const colonPort = host.slice(i + 1);
    if (!validOptionalPort(colonPort)) return { error: `invalid port ${goQuote(colonPort)} after host` };
    const zone = host.slice(0, i).indexOf('%25');
    if (zone >= 0) {
      const h1 = unescape(host.slice(0, zone), 'host');
      if ('error' in h1) return h1;
      const h2 = unescape(host.slice(zone, i), 'zone');
      if ('error' in h2) return h2;
      const h3 = unescape(host.slice(i), 'host');
      if ('error' in h3) return h3;
      return { value: h1.value + h2.value + h3.value };
    }
  } else {
    const i = host.lastIndexOf(':');
    if (i !== -1) {
      const colonPort = host.slice(i);
      if (!validOptionalPort(colonPort)) return { error: `invalid port ${goQuote(colonPort)} after host` };
    }
  }
  return unescape(host, 'host');
}

function validOptionalPort(port: string): boolean {
  if (port === '') return true;
  if (port[0] !== ':') return false;
  return /^[0-9]*$/.test(port.slice(1));
}

function validUserinfo(s: string): boolean {
  return /^[A-Za-z0-9\-._:~!$&'()*+,;=%@]*$/.test(s);
}

function isHex(c: string | undefined): boolean {
  return c !== undefined && /^[0-9A-Fa-f]$/.test(c);
}

// shouldEscape for the host and zone modes (the only modes where unescape rejects raw bytes).
function hostCharNeedsEscape(c: string, mode: Mode): boolean {
  if (/^[A-Za-z0-9]$/.test(c)) return false;
  if ((mode === 'host' || mode === 'zone') && "!$&'()*+,;=:[]<>\"".includes(c)) return false;
  if ('-_.~'.includes(c)) return false;
  if (mode === 'zone' && '$&+,/:;=?@'.includes(c)) return false; // reserved chars pass in zone
  return true;
}

function unescape(s: string, mode: Mode): { value: string } | { error: string } {
  const bytes: number[] = [];
  const raw = Buffer.from(s, 'utf8');
  const str = raw.toString('latin1'); // byte-indexed view, like Go's string indexing
  for (let i = 0; i < str.length;) {
    const c = str[i]!;
    if (c === '%') {
      if (i + 2 >= str.length || !isHex(str[i + 1]) || !isHex(str[i + 2])) {
        const bad = Buffer.from(str.slice(i, i + 3), 'latin1').toString('utf8');
        return { error: `invalid URL escape ${goQuote(bad)}` };
      }
      const byte = parseInt(str.slice(i + 1, i + 3), 16);
      if (mode === 'host' && parseInt(str[i + 1]!, 16) < 8 && str.slice(i, i + 3) !== '%25') {
        return { error: `invalid URL escape ${goQuote(str.slice(i, i + 3))}` };
      }
      if (mode === 'zone') {
        if (byte < 0x80 && str.slice(i, i + 3) !== '%25' && hostCharNeedsEscape(String.fromCharCode(byte), 'host')) {
          return { error: `invalid URL escape ${goQuote(str.slice(i, i + 3))}` };
        }
      }
      bytes.push(byte);
      i += 3;
      continue;
    }
    const code = str.charCodeAt(i);
    if ((mode === 'host' || mode === 'zone') && code < 0x80 && hostCharNeedsEscape(c, mode)) {
      return { error: `invalid character ${goQuote(c)} in host name` };
    }
    bytes.push(code);
    i++;
  }
  return { value: Buffer.from(bytes).toString('utf8') };
}

/** The hostname and port of a URL host (url.Hostname(), url.Port()). */
export function hostnamePort(host: string): { hostname: string; port: string } {
  let hostname = host;
  let port = '';
  const colon = host.lastIndexOf(':');
  if (colon !== -1 && validOptionalPort(host.slice(colon))) {
    hostname = host.slice(0, colon);
    port = host.slice(colon + 1);
  }
  if (hostname.startsWith('[') && hostname.endsWith(']')) hostname = hostname.slice(1, -1);
  return { hostname, port };
}
