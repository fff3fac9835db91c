// What a peer certificate says about who it is, in nats-server's terms (route-protocol.md §8.3,
// auth.go:checkClientTLSCertSubject): identity candidates for verify_and_map, DNS SAN matching for
// verify_cert_and_check_known_urls, the EKU and the SPKI hash for pinned_certs.
import { createHash, type X509Certificate } from 'node:crypto';
import type { PeerCertificate } from 'node:tls';

export const EKU_SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
export const EKU_CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const EKU_ANY = '2.5.29.37.0';

export interface SubjectAltNames {
  dns: string[];
  email: string[];
  uri: string[];
  ip: string[];
}

/**
 * Parses Node's subjectAltName text (`DNS:a, URI:b, email:c, IP Address:d`); values with special
 * characters are JSON-quoted by Node (since 17.3.1), so a comma inside a value is no separator.
 */
export function parseSubjectAltNames(text: string | undefined): SubjectAltNames {
  const out: SubjectAltNames = { dns: [], email: [], uri: [], ip: [] };
  if (!text) return out;
  let i = 0;
  while (i < text.length) {
    const colon = text.indexOf(':', i);
    if (colon < 0) break;
    const type = text.slice(i, colon);
    let value: string;
    let j = colon + 1;
    if (text[j] === '"') {
      // A JSON string: find its closing quote (a backslash escapes the next character).
      let k = j + 1;
      while (k < text.length && text[k] !== '"') k += text[k] === '\\' ? 2 : 1;
      try {
        value = JSON.parse(text.slice(j, k + 1)) as string;
      } catch {
        value = text.slice(j + 1, k);
      }
      j = k + 1;
    } else {
      const sep = text.indexOf(', ', j);
      const end = sep < 0 ? text.length : sep;
      value = text.slice(j, end);
      j = end;
    }
    if (text.startsWith(', ', j)) j += 2;
    i = j;
    if (type === 'DNS') out.dns.push(value);
    else if (type === 'email') out.email.push(value);
    else if (type === 'URI') out.uri.push(value);
    else if (type === 'IP Address') out.ip.push(value);
  }
  return out;
}

type Subject = PeerCertificate['subject'] & Record<string, string | string[] | undefined>;

const values = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Go's RDNSequence.String() value escaping (crypto/x509/pkix). */
function escapeRdnValue(s: string): string {
  const chars = [...s];
  let out = '';
  chars.forEach((c, k) => {
    let esc = false;
    if (',+"\\<>;'.includes(c)) esc = true;
    else if (c === ' ') esc = k === 0 || k === chars.length - 1;
    else if (c === '#') esc = k === 0;
    out += esc ? `\\${c}` : c;
  });
  return out;
}

/**
 * Go's `cert.Subject.ToRDNSequence().String()`: Go rebuilds the sequence from the parsed Name in a
 * fixed attribute order (C, ST, L, STREET, POSTALCODE, O, OU, CN, SERIALNUMBER; several values of one
 * type share one RDN joined by '+'; CN and SERIALNUMBER keep the last value), drops attributes it has
 * no field for (emailAddress, DC, UID…), and prints the sequence last-first.
 */
export function goSubjectString(subject: Subject | undefined): string {
  if (!subject) return '';
  const groups: Array<[string, string[]]> = [
    ['C', values(subject.C)],
    ['ST', values(subject.ST)],
    ['L', values(subject.L)],
    ['STREET', values(subject.street)],
    ['POSTALCODE', values(subject.postalCode)],
    ['O', values(subject.O)],
    ['OU', values(subject.OU)],
    ['CN', values(subject.CN).slice(-1)],
    ['SERIALNUMBER', values(subject.serialNumber).slice(-1)],
  ];
  return groups
    .filter(([, v]) => v.length > 0)
    .reverse()
    .map(([type, v]) => v.map((x) => `${type}=${escapeRdnValue(x)}`).join('+'))
    .join(',');
}

export interface IdentityCandidate {
  value: string;
  /** Only DNS SANs count for verify_cert_and_check_known_urls. */
  dns: boolean;
}

/**
 * verify_and_map candidates in nats-server's order: email SANs, DNS SANs, URI SANs, then the
 * subject with the domain components appended (only when there are some), then the subject alone.
 */
export function identityCandidates(cert: PeerCertificate): IdentityCandidate[] {
  const san = parseSubjectAltNames(cert.subjectaltname);
  const out: IdentityCandidate[] = [
    ...san.email.map((value) => ({ value, dns: false })),
    ...san.dns.map((value) => ({ value, dns: true })),
    ...san.uri.map((value) => ({ value, dns: false })),
  ];
  const subject = cert.subject as Subject | undefined;
  const rdn = goSubjectString(subject);
  const dcs = values(subject?.DC).map((d) => `DC=${d}`).join(',');
  if (dcs !== '') out.push({ value: `${rdn},${dcs}`, dns: false });
  out.push({ value: rdn, dns: false });
  return out;
}

/** nats-server's dnsAltNameMatches (RFC 6125 §6.4): label by label, `*` only as the whole left-most label. */
export function dnsNameMatchesHost(dnsName: string, host: string): boolean {
  const a = dnsName.toLowerCase().split('.');
  const h = host.toLowerCase().split('.');
  if (a.length !== h.length) return false;
  for (let i = a[0] === '*' ? 1 : 0; i < a.length; i++) if (a[i] !== h[i]) return false;
  return true;
}

/** Which of serverAuth/clientAuth the EKU list lacks (no EKU extension allows any use). */
export function missingEku(eku: readonly string[] | undefined): string[] {
  if (!eku || eku.length === 0 || eku.includes(EKU_ANY)) return [];
  const missing: string[] = [];
  if (!eku.includes(EKU_SERVER_AUTH)) missing.push('serverAuth');
  if (!eku.includes(EKU_CLIENT_AUTH)) missing.push('clientAuth');
  return missing;
}

/** Hex SHA-256 of the DER SubjectPublicKeyInfo (pinned_certs), not Node's whole-certificate fingerprint256. */
export function spkiSha256(cert: X509Certificate): string {
  const der = cert.publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('hex');
}
