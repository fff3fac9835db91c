// Compression between two proxies: LZ4 when both offer it in the `nrp` extension (proxy { lz4 }),
// otherwise S2 per cluster.compression; the nats-servers of each site never see LZ4. Real
// nats-server 2.15.1 at both ends; messages (small, compressible and incompressible 1 MiB) cross
// the link intact both ways, and the link's counters show the compression.
import t, { type Test } from 'tap';
import { randomBytes } from 'node:crypto';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { startServer, waitFor, type StartedServer } from '../helpers/nats-server.js';
import { startProxy, type StartedProxy } from '../helpers/proxy.js';
import type { RouteConnection } from '../../src/route/connection.js';

const MiB = 1024 * 1024;
const COMPRESSIBLE = Buffer.from('{"k":"route traffic","n":12345}'.repeat(40_000).slice(0, MiB));
const RANDOM = randomBytes(MiB);
const SMALL = Buffer.from('hi');

function conf(name: string, mode: string, lz4: boolean, routes: string[] = []): string {
  return `server_name: ${name}
cluster {
  name: pl
  listen: "127.0.0.1:-1"
  compression: ${mode}
  ${routes.length ? `routes = [ ${routes.map((r) => `"${r}"`).join(', ')} ]` : ''}
}
proxy { max_pending: 16MB, lz4: ${lz4} }
`;
}

interface Site { proxy: StartedProxy; server: StartedServer; nc: NatsConnection }

async function site(t: Test, name: string, mode: string, lz4: boolean, routes: string[] = []): Promise<Site> {
  const proxy = await startProxy(t, conf(name, mode, lz4, routes), { level: 'info' });
  const server = await startServer(t, { version: '2.15.1', name: `s-${name}`, cluster: { name: 'pl', routes: [proxy.routeUrl] } });
  const sid = (await server.varz()).server_id as string;
  await waitFor(() => proxy.daemon.routes.getPeer(sid), { what: `${name}: server registered` });
  const nc = await connect({ servers: server.clientUrl, maxPingOut: 100 });
  t.teardown(() => nc.close());
  return { proxy, server, nc };
}

/** The proxy link connection that carries $G (the test's traffic; pooled, so one of several). */
function link(from: StartedProxy, to: StartedProxy): RouteConnection | undefined {
  return from.daemon.routes.getPeer(to.serverId)?.accountConn('$G');
}

async function sendAndCheck(t: Test, from: Site, to: Site, subject: string): Promise<void> {
  const got: Buffer[] = [];
  to.nc.subscribe(subject, { callback: (_e, m) => { got.push(Buffer.from(m.data)); } });
  await to.nc.flush();
  await waitFor(async () => {
    const rz = await from.server.routez('subs=1');
    // One entry per pooled connection: the subject is listed on the one its account maps to.
    return (rz.routes ?? []).some((x: any) => x.remote_id === from.proxy.serverId && (x.subscriptions_list ?? []).includes(subject));
  }, { what: `${subject} interest reached the publishing site` });
  for (const p of [SMALL, COMPRESSIBLE, RANDOM]) from.nc.publish(subject, p);
  await from.nc.flush();
  await waitFor(() => got.length >= 3, { what: `3 messages on ${subject}`, timeoutMs: 15_000 });
  t.ok(got[0]!.equals(SMALL) && got[1]!.equals(COMPRESSIBLE) && got[2]!.equals(RANDOM), `${subject}: intact, in order`);
}

t.test('LZ4 when both proxies offer it, S2 otherwise; servers never see lz4', async (t) => {
  const a = await site(t, 'a', 's2_fast', true);
  const b = await site(t, 'b', 's2_fast', true, [a.proxy.routeUrl]);
  const ab = await waitFor(() => link(b.proxy, a.proxy), { what: 'link b → a' });
  const ba = await waitFor(() => link(a.proxy, b.proxy), { what: 'link a → b' });
  t.equal(ab.compressionMode, 'lz4', 'dialer side: lz4');
  t.equal(ba.compressionMode, 'lz4', 'acceptor side: lz4');
  // The servers negotiated S2 per cluster.compression with their proxy, never lz4.
  for (const s of [a, b]) {
    const r = ((await s.server.routez()).routes ?? []).find((x: any) => x.remote_id === s.proxy.serverId);
    t.equal(r?.compression, 's2_fast', `${s.server.name} /routez compression towards its proxy`);
  }
  t.notOk(a.server.logs().includes('lz4') || b.server.logs().includes('lz4'), 'no server log mentions lz4');

  const w0 = ab.bytesOutWire;
  const p0 = ab.bytesOutPlain;
  await sendAndCheck(t, b, a, 'lz.up');
  await sendAndCheck(t, a, b, 'lz.down');
  const wire = ab.bytesOutWire - w0;
  const plain = ab.bytesOutPlain - p0;
  t.ok(plain >= 2 * MiB && wire < plain - MiB / 2, `lz4 link b → a: ${wire} wire bytes for ${plain} plain`);
  t.ok(ba.bytesInPlain - ba.bytesInWire > MiB / 2, 'receiving side counts the expansion');

  // A third proxy without LZ4: the link with a falls back to S2 (a: s2_fast, c: accept → s2_fast both ways).
  const c = await site(t, 'c', 'accept', false, [a.proxy.routeUrl]);
  const ca = await waitFor(() => link(c.proxy, a.proxy), { what: 'link c → a' });
  const ac = await waitFor(() => link(a.proxy, c.proxy), { what: 'link a → c' });
  t.equal(ca.compressionMode, 's2_fast', 'c writes S2 (accept takes the peer level)');
  t.equal(ac.compressionMode, 's2_fast', 'a writes S2');
  await sendAndCheck(t, c, a, 's2.up');
  await sendAndCheck(t, a, c, 's2.down');
  t.equal(link(b.proxy, a.proxy), ab, 'the lz4 link stayed up');
});
