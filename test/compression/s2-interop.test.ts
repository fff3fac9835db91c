// Our S2 codec against real nats-servers (2.10.27, 2.15.1) configured with every mode that can
// be configured (s2_uncompressed is internal: s2_auto with one large RTT threshold writes it). A raw
// fake route peer (fake-route-peer.ts) handshakes with the byte-exact switch points of §5.4, then
//  (a) the server's compressed stream, carrying what a client publishes (compressible and
//      incompressible, up to 1 MiB payloads, with headers), decodes byte-exact with S2Decoder,
//      also when re-fed in random splits;
//  (b) we send RMSG/HMSG in streams from S2Encoder at every level and a client on the server
//      receives them intact, so nats-server's reader accepts our streams.
// The server's /routez is the oracle for the mode it chose.
import t, { type Test } from 'tap';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { connect, headers as natsHeaders, type Msg } from '@nats-io/transport-node';
import { startServer, waitFor, type ServerVersion, type StartedServer } from '../helpers/nats-server.js';
import { FakeRoutePeer } from './fake-route-peer.js';
import { S2Decoder, S2_LEVELS, type S2Level } from '../../src/compression/s2.js';
import { negotiateRouteCompression } from '../../src/compression/negotiate.js';

const MiB = 1024 * 1024;
const VERSIONS: ServerVersion[] = ['2.10.27', '2.15.1'];
const MODES = ['s2_fast', 's2_better', 's2_best', 's2_auto'] as const;
// s2_auto picks its level from the handshake RTT, which a loaded machine pushes past 10 ms: one
// threshold of 1 h pins the level to s2_uncompressed (the level only s2_auto can write) for good.
const AUTO_UNCOMPRESSED = '{ mode: s2_auto, rtt_thresholds: ["1h"] }';

let seed = 1;
const json = (i: number, size: number): Buffer => {
  const parts: string[] = [];
  let n = 0;
  for (let k = 0; n < size; k++) {
    const s = `{"seq":${i * 1000 + k},"sensor":"s-${(i + k) % 17}","temp":${(20 + ((i * 7 + k) % 150) / 10).toFixed(1)},"ok":${k % 3 !== 0}},`;
    parts.push(s);
    n += s.length;
  }
  return Buffer.from(parts.join('')).subarray(0, size);
};

interface Pub { subject: string; payload: Buffer; header?: string }
function workload(prefix: string): Pub[] {
  const out: Pub[] = [];
  for (let i = 0; i < 150; i++) out.push({ subject: `${prefix}.json.${i % 5}`, payload: json(i, 50 + ((i * 37) % 900)) });
  for (let i = 0; i < 60; i++) out.push({ subject: `${prefix}.rand`, payload: randomBytes(1 + ((i * 53) % 700)) });
  out.push({ subject: `${prefix}.empty`, payload: Buffer.alloc(0) });
  out.push({ subject: `${prefix}.hdr`, payload: json(999, 300), header: `h-${seed++}` });
  out.push({ subject: `${prefix}.big.json`, payload: json(5, MiB) });
  out.push({ subject: `${prefix}.big.rand`, payload: randomBytes(MiB) });
  out.push({ subject: `${prefix}.big.zero`, payload: Buffer.alloc(MiB) });
  return out;
}

/** Walks the chunk headers of a captured stream: counts per chunk type. */
function chunkTypes(raw: Buffer): Record<string, number> {
  const counts: Record<string, number> = {};
  for (let p = 0; p + 4 <= raw.length;) {
    const type = raw[p]!;
    const len = raw[p + 1]! | (raw[p + 2]! << 8) | (raw[p + 3]! << 16);
    const k = `0x${type.toString(16).padStart(2, '0')}`;
    counts[k] = (counts[k] ?? 0) + 1;
    p += 4 + len;
  }
  return counts;
}

/** Repeat codes (copy1 with offset 0) in the compressed chunks of a capture: proof the S2 extension was exercised. */
function repeatCodes(raw: Buffer): number {
  let repeats = 0;
  for (let p = 0; p + 4 <= raw.length;) {
    const len = raw[p + 1]! | (raw[p + 2]! << 8) | (raw[p + 3]! << 16);
    if (raw[p] === 0x00) {
      const end = p + 4 + len;
      let s = p + 8;
      while (raw[s]! & 0x80) s++;
      s++;
      while (s < end) {
        const tag = raw[s]!;
        const kind = tag & 3;
        if (kind === 0) {
          const x = tag >>> 2;
          const extra = x < 60 ? 0 : x - 59;
          let n = x;
          if (extra) n = raw.readUIntLE(s + 1, extra);
          s += 1 + extra + n + 1;
        } else if (kind === 1) {
          if (((tag & 0xe0) | raw[s + 1]!) === 0) {
            repeats++;
            const l = (tag >>> 2) & 7;
            s += 2 + (l < 5 ? 0 : l - 4);
          } else s += 2;
        } else s += kind === 2 ? 3 : 5;
      }
    }
    p += 4 + len;
  }
  return repeats;
}

async function routeOf(s: StartedServer, id: string): Promise<any> {
  return ((await s.routez()).routes ?? []).find((r: any) => r.remote_id === id);
}

async function exercise(t: Test, s: StartedServer, peer: FakeRoutePeer, mode: string, id: string): Promise<void> {
  await peer.until(() => peer.registered, 'registration over S2');
  const r = await waitFor(() => routeOf(s, id), { what: 'server /routez lists the fake peer' });
  t.equal(r.compression, mode === 's2_auto' ? 's2_uncompressed' : mode, `/routez compression: ${r.compression}`);
  await waitFor(async () => (await routeOf(s, id))?.subscriptions >= 1, { what: 'our RS+ arrived' });

  const nc = await connect({ servers: s.clientUrl, maxPingOut: 10 });
  t.teardown(() => nc.close());

  // (a) server → us: its compressed stream decodes to exactly what was published.
  const pubs = workload('cap');
  for (const p of pubs) {
    if (p.header) {
      const h = natsHeaders();
      h.set('X-Test', p.header);
      nc.publish(p.subject, p.payload, { headers: h });
    } else nc.publish(p.subject, p.payload);
  }
  await nc.flush();
  await peer.until(() => peer.msgs.length >= pubs.length, `${pubs.length} messages over the route`, 30000);
  let mismatches = 0;
  pubs.forEach((p, i) => {
    const m = peer.msgs[i]!;
    if (m.subject !== p.subject || !m.payload.equals(p.payload)) mismatches++;
    if (p.header && (m.verb !== 'HMSG' || !m.headers!.toString().includes(`X-Test: ${p.header}`))) mismatches++;
  });
  t.equal(mismatches, 0, `${pubs.length} messages decoded byte-exact (incl. 3 × 1 MiB, one HMSG)`);

  const raw = Buffer.concat(peer.compressedIn);
  const types = chunkTypes(raw);
  t.ok(types['0xff']! >= 2, `captured ${raw.length} bytes, chunks ${JSON.stringify(types)}`);
  if (mode === 's2_auto') t.notOk(types['0x00'], 's2_auto in its lowest band writes uncompressed chunks only');
  else t.ok(types['0x00']! > 0, 'compressed chunks');
  const decoded = Buffer.concat(peer.decodedIn);
  if (mode === 's2_auto') t.ok(raw.length > decoded.length, `wire ${raw.length}: decoded ${decoded.length} + framing`);
  else t.ok(raw.length < decoded.length / 2, `wire ${raw.length} < half of decoded ${decoded.length}`);
  if (mode !== 's2_auto') t.ok(repeatCodes(raw) > 0, `the server's blocks use S2 repeat codes (${repeatCodes(raw)})`);
  const again = new S2Decoder();
  const pieces: Buffer[] = [];
  for (let p = 0, k = 0; p < raw.length; k++) {
    const n = 1 + ((k * 7919 + 13) % 70000);
    pieces.push(...again.push(raw.subarray(p, p + n)));
    p += n;
  }
  t.ok(Buffer.concat(pieces).equals(decoded), 're-decoding the capture in odd splits gives the same bytes');

  // (b) us → server: our streams at every level reach a client intact.
  const got: Msg[] = [];
  const sub = nc.subscribe('inj.>', { callback: (_e, m) => { got.push(m); } });
  await nc.flush();
  await peer.until(() => peer.interest.some((i) => i.startsWith('$G inj.>')), 'the client interest reached us');
  const sent: Array<Pub & { level: S2Level }> = [];
  for (const level of S2_LEVELS) {
    const w = workload(`inj.${level}`);
    // Several flushes per level, with the small messages batched as the outbound slab would be.
    for (let i = 0; i < w.length; i += 40) {
      const parts: Buffer[] = [];
      for (const p of w.slice(i, i + 40)) {
        if (p.header) {
          const h = Buffer.from(`NATS/1.0\r\nX-Test: ${p.header}\r\n\r\n`);
          parts.push(Buffer.from(`HMSG $G ${p.subject} ${h.length} ${h.length + p.payload.length}\r\n`), h, p.payload, Buffer.from('\r\n'));
        } else {
          parts.push(Buffer.from(`RMSG $G ${p.subject} ${p.payload.length}\r\n`), p.payload, Buffer.from('\r\n'));
        }
        sent.push({ ...p, level });
      }
      peer.send(parts, level);
    }
  }
  await waitFor(() => got.length >= sent.length || peer.closed || peer.errors.length > 0, { timeoutMs: 30000, what: `${sent.length} messages at the client` });
  t.same(peer.errors, [], 'the server sent no -ERR');
  t.notOk(peer.closed, 'the server kept the route');
  t.equal(got.length, sent.length, `client received all ${sent.length}`);
  let bad = 0;
  sent.forEach((p, i) => {
    const m = got[i];
    if (!m || m.subject !== p.subject || !Buffer.from(m.data).equals(p.payload)) bad++;
    else if (p.header && m.headers?.get('X-Test') !== p.header) bad++;
  });
  t.equal(bad, 0, 'every message intact, in order, at all four levels');
  sub.unsubscribe();
}

for (const version of VERSIONS) {
  t.test(`nats-server ${version}`, async (t) => {
    MODES.forEach((mode, i) => {
      // Our handshake INFO and RS+ go out at a different level in each case, so every level
      // also carries protocol lines the server must parse before any message.
      const writeLevel = S2_LEVELS[i % S2_LEVELS.length]!;
      t.test(`server ${mode}, fake peer dials (pooling server), our handshake at ${writeLevel}`, async (t) => {
        const s = await startServer(t, {
          version, name: `s2-${mode}`, cluster: { name: 'c1', extra: `  compression: ${mode === 's2_auto' ? AUTO_UNCOMPRESSED : mode}` }, extraConfig: 'max_payload: 4MB',
        });
        const id = `NFAKEDIAL${mode.toUpperCase().replace('_', '')}`;
        const peer = FakeRoutePeer.dial(s.clusterPort, { serverId: id, cluster: 'c1', local: 'accept', writeLevel, subscribe: ['cap.>'] });
        t.teardown(() => peer.close());
        await exercise(t, s, peer, mode, id);
      });
    });
    t.test('a route INFO offering lz4 gets exactly the -ERR our negotiation would send', async (t) => {
      const s = await startServer(t, { version, name: 's2-lz4', cluster: { name: 'c1' } }); // default: accept
      const got = await new Promise<string>((resolve, reject) => {
        const sock = net.connect(s.clusterPort, '127.0.0.1');
        let data = '';
        let sent = false;
        sock.on('data', (b) => {
          data += b.toString('latin1');
          if (!sent && data.includes('\r\n')) {
            sent = true;
            sock.write(`CONNECT ${JSON.stringify({ verbose: false, pedantic: false, headers: true, name: 'NFAKELZ4', cluster: 'c1' })}\r\n` +
              `INFO ${JSON.stringify({ server_id: 'NFAKELZ4', server_name: 'lz4', port: 1, headers: true, cluster: 'c1', compression: 'lz4' })}\r\n`);
          }
        });
        sock.on('close', () => resolve(data));
        sock.on('error', reject);
        setTimeout(() => sock.destroy(), 10000).unref();
      });
      const ours = negotiateRouteCompression('accept', 'lz4');
      t.ok('errLine' in ours && got.endsWith(ours.errLine), `the server closed with ${JSON.stringify(got.slice(got.indexOf('-ERR')))}`);
    });

    t.test('server s2_better dials us (we accept, configured s2_best)', async (t) => {
      const srv = net.createServer();
      await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
      t.teardown(() => srv.close());
      const port = (srv.address() as net.AddressInfo).port;
      const id = 'NFAKEACCEPTOR';
      const accepted = new Promise<FakeRoutePeer>((resolve) => srv.once('connection', (sock) => {
        resolve(FakeRoutePeer.accept(sock, { serverId: id, cluster: 'c1', local: 's2_best', writeLevel: 's2_best', subscribe: ['cap.>'] }));
      }));
      const s = await startServer(t, {
        version, name: 's2-dialer',
        cluster: { name: 'c1', poolSize: -1, routes: [`nats-route://127.0.0.1:${port}`], extra: '  compression: s2_better' },
        extraConfig: 'max_payload: 4MB',
      });
      const peer = await accepted;
      t.teardown(() => peer.close());
      await peer.until(() => peer.infos.length > 0, "the server's INFO");
      t.equal(peer.infos[0].compression, 's2_better', "the server's plain INFO carries its negotiated mode");
      await exercise(t, s, peer, 's2_better', id);
    });
  });
}
