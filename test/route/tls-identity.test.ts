// Peer-certificate identity as nats-server sees it (auth.go:checkClientTLSCertSubject, Go's pkix
// RDN printing), pinned SPKI hashes, EKU and DNS-name matching.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import type { PeerCertificate } from 'node:tls';
import {
  dnsNameMatchesHost, goSubjectString, identityCandidates, missingEku, parseSubjectAltNames, spkiSha256,
} from '../../src/route/tls-identity.js';
import { TestPki } from '../helpers/certs.js';

t.test('subjectAltName text, including JSON-quoted values', async (t) => {
  t.same(parseSubjectAltNames('DNS:a.example, DNS:b.example, IP Address:127.0.0.1, URI:spiffe://x/y, email:o@x.org'),
    { dns: ['a.example', 'b.example'], ip: ['127.0.0.1'], uri: ['spiffe://x/y'], email: ['o@x.org'] });
  t.same(parseSubjectAltNames('URI:"spiffe://x/a, b", DNS:c').uri, ['spiffe://x/a, b'], 'a comma inside a quoted value');
  t.same(parseSubjectAltNames('URI:"spiffe://x/a, b", DNS:c').dns, ['c']);
  t.same(parseSubjectAltNames(undefined), { dns: [], email: [], uri: [], ip: [] });
});

t.test("Go's RDN string: fixed type order, last first, multi-values joined with +, escaping", async (t) => {
  const subject = { DC: ['com', 'example'], C: 'US', O: 'Acme, Inc', OU: ['b', 'a'], CN: ' x#', emailAddress: 'e@x' } as unknown as PeerCertificate['subject'];
  t.equal(goSubjectString(subject), 'CN=\\ x#,OU=b+OU=a,O=Acme\\, Inc,C=US');
  t.equal(goSubjectString({ CN: ['first', 'last'], L: 'Berlin', ST: 'BE' } as unknown as PeerCertificate['subject']), 'CN=last,L=Berlin,ST=BE', 'CN keeps the last value');
  t.equal(goSubjectString({ CN: '#hash' } as unknown as PeerCertificate['subject']), 'CN=\\#hash');
});

t.test('identity candidates in nats-server order, from a real certificate', async (t) => {
  const pki = new TestPki(t);
  const p = pki.leaf('id', {
    subj: '/DC=org/DC=example/C=US/O=Acme/OU=ops/CN=route-a',
    email: ['ops@example.org'], dns: ['r.example.org'], uri: ['spiffe://example.org/route-a'], ip: ['127.0.0.1'],
  });
  // The shape tls.TLSSocket#getPeerCertificate() returns, built from the same PEM by Node.
  const x = new X509Certificate(readFileSync(p.cert));
  const cert = { subject: Object.fromEntries(x.subject.split('\n').reduce((m, l) => {
    const [k, v] = [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)];
    const prev = m.get(k);
    m.set(k, prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v]);
    return m;
  }, new Map<string, string | string[]>())), subjectaltname: x.subjectAltName } as unknown as PeerCertificate;
  t.same(identityCandidates(cert).map((c) => c.value), [
    'ops@example.org',
    'r.example.org',
    'spiffe://example.org/route-a',
    'CN=route-a,OU=ops,O=Acme,C=US,DC=org,DC=example',
    'CN=route-a,OU=ops,O=Acme,C=US',
  ]);
  t.same(identityCandidates(cert).filter((c) => c.dns).map((c) => c.value), ['r.example.org'], 'only DNS SANs count for known URLs');
  t.equal(spkiSha256(x), pki.spkiSha256(p.cert), 'SPKI hash equals openssl\'s');
  t.not(spkiSha256(x), x.fingerprint256.replace(/:/g, '').toLowerCase(), 'and is not the certificate fingerprint');
});

t.test('DNS names against route hosts (RFC 6125 as nats-server)', async (t) => {
  t.ok(dnsNameMatchesHost('Route.Example.org', 'route.example.ORG'));
  t.ok(dnsNameMatchesHost('*.example.org', 'a.example.org'));
  t.notOk(dnsNameMatchesHost('*.example.org', 'a.b.example.org'), 'a wildcard is one label');
  t.notOk(dnsNameMatchesHost('a.*.org', 'a.example.org'), 'only the left-most label');
  t.notOk(dnsNameMatchesHost('example.org', 'www.example.org'));
});

t.test('EKU', async (t) => {
  t.same(missingEku(undefined), [], 'no extension: any use');
  t.same(missingEku(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']), []);
  t.same(missingEku(['1.3.6.1.5.5.7.3.1']), ['clientAuth']);
  t.same(missingEku(['1.3.6.1.5.5.7.3.3']), ['serverAuth', 'clientAuth']);
  t.same(missingEku(['2.5.29.37.0']), [], 'anyExtendedKeyUsage');
});
