// Route compression against real nats-servers (route-protocol.md §5): every server mode against
// the proxy's off / accept / s2_fast (and s2_auto once), the proxy as acceptor and as dialer.
// Oracles: the server's own /routez `compression`, our connection's negotiated mode and its wire
// vs plain counters, and messages (small, compressible and incompressible 1 MiB) crossing both
// ways between a client on the server and a client on a hub site behind a second proxy, then
// 10,000 mixed messages each way (JSON-like text, random bytes, two of 1 MiB), in order. Pooling
// is on: 2.10+ servers and the proxy default to pool_size 3.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { startServer, waitFor, type ServerVersion, type StartedServer } from '../helpers/nats-server.js';
import { startProxy, type StartedProxy } from '../helpers/proxy.js';
import type { RouteConnection } from '../../src/route/connection.js';

// 2.9.10 has no compression: it must keep working with a compressing proxy (marked not supported).
const VERSIONS: ServerVersion[] = ['2.10.27', '2.15.1', '2.9.10'];
const SERVER_MODES = ['off', 'accept', 's2_fast', 's2_better', 's2_best', 's2_auto'] as const;
const PROXY_MODES = ['off', 'accept', 's2_fast'] as const;
type Mode = (typeof SERVER_MODES)[number] | 'none';
type Role = 'acceptor' | 'dialer';

const MiB = 1024 * 1024;
// Compressible: JSON-ish text; incompressible: random bytes. One 1 MiB of each (max_payload).
const COMPRESSIBLE = Buffer.from(JSON.stringify({ data: 'x'.repeat(64) + 'route '.repeat(200_000) }).slice(0, MiB));
const RANDOM = randomBytes(MiB);
const SMALL = Buffer.from('hello');

function proxyConf(name: string, mode: string, routes: string[]): string {
  return `server_name: ${name}
cluster {
  name: zc
  listen: "127.0.0.1:-1"
  compression: ${mode}
  ${routes.length ? `routes = [ ${routes.map((r) => `"${r}"`).join(', ')} ]` : ''}
}
proxy { max_pending: 16MB }
`;
}

const compresses = (m: string): boolean => m !== 'off' && m !== 'accept';

/** What the server's /routez shows (§5.2 from the server's side); RegExp for s2_auto's RTT-picked level. */
function serverExpect(sm: Mode, pm: string): string | RegExp | undefined {
  if (sm === 'none') return undefined; // 2.9.10's /routez has no compression field
  if (sm === 'off' || pm === 'off') return 'off';
  if (sm === 'accept') return compresses(pm) ? (pm === 's2_auto' ? 's2_fast' : pm) : 'off';
  if (sm === 's2_auto') return /^s2_(uncompressed|fast|better|best)$/; // RTT-picked: loopback, but a loaded machine may measure > 50 ms
  return sm;
}

/** Our connection's mode (§5.2 from our side). */
function proxyExpect(sm: Mode, pm: string): string | RegExp {
  if (sm === 'none') return 'not supported'; // an INFO without the field (even when we are off, as route.go)
  if (sm === 'off' || pm === 'off') return 'off';
  if (pm === 'accept') return compresses(sm) ? (sm === 's2_auto' ? 's2_fast' : sm) : 'off';
  if (pm === 's2_auto') return /^s2_(uncompressed|fast|better|best)$/;
  return pm;
}

/**
 * The server's route connection to `remoteId` that carries $G: the one on `localPort` (our end of
 * it, when we dialed the server: the server's `port` is then ours), else the pooled one with
 * subscriptions (its $SYS interest goes on the pinned connection), else any pooled one. With
 * s2_auto each connection picks its level from its own RTT, so the right one matters.
 */
async function routeTo(server: StartedServer, remoteId: string, localPort?: number): Promise<any> {
  const rz = await server.routez('subs=1');
  const rs = (rz.routes ?? []).filter((r: any) => r.remote_id === remoteId && r.account === undefined);
  return (localPort !== undefined ? rs.find((r: any) => r.port === localPort) : undefined)
    ?? rs.find((r: any) => (r.subscriptions_list ?? []).length > 0) ?? rs[0];
}

/** Our connection to the server that carries $G's messages (the test's traffic). */
function serverConn(proxy: StartedProxy, serverId: string): RouteConnection | undefined {
  return proxy.daemon.routes.getPeer(serverId)?.accountConn('$G');
}

/** A message on `subject` published on `from` arrives intact on `to` (interest must already be there). */
async function roundTrip(pub: NatsConnection, got: Buffer[], subject: string, payloads: Buffer[]): Promise<void> {
  got.length = 0;
  for (const p of payloads) pub.publish(subject, p);
  await pub.flush();
  await waitFor(() => got.length >= payloads.length, { what: `${payloads.length} messages on ${subject}`, timeoutMs: 15_000 });
}

/** 10,000 mixed messages: JSON-like text, random bytes, and one compressible and one random 1 MiB. */
const N = 10_000;
const mixed = (i: number): Buffer => (i === 1 ? COMPRESSIBLE : i === N / 2 + 1 ? RANDOM : i % 2 === 0
  ? Buffer.from(JSON.stringify({ i, kind: 'order', items: ['a', 'b', 'c'], note: 'x'.repeat(i % 700) }))
  : RANDOM.subarray(i % 1000, (i % 1000) + 1 + (i % 900)));

/** Publishes the N mixed messages on `subject`; how many of them `got` did not receive intact and in order. */
async function volumeTrip(pub: NatsConnection, got: Buffer[], subject: string): Promise<number> {
  got.length = 0;
  for (let i = 0; i < N; i++) pub.publish(subject, mixed(i));
  await pub.flush();
  await waitFor(() => got.length >= N, { what: `${N} messages on ${subject} (${got.length})`, timeoutMs: 60_000 });
  let bad = got.length - N;
  for (let i = 0; i < N; i++) if (!got[i]!.equals(mixed(i))) bad++;
  return bad;
}

async function subscribeOn(nc: NatsConnection, subject: string): Promise<Buffer[]> {
  const got: Buffer[] = [];
  nc.subscribe(subject, { callback: (_e, m) => { got.push(Buffer.from(m.data)); } });
  await nc.flush();
  return got;
}

/** The server lists `subject` on its route towards `remoteId` (interest crossed to it). */
async function serverSees(s: StartedServer, remoteId: string, subject: string): Promise<void> {
  await waitFor(async () => ((await s.routez('subs=1')).routes ?? [])
    .some((r: any) => r.remote_id === remoteId && (r.subscriptions_list ?? []).includes(subject)),
    { what: `${s.name} sees ${subject} on its route to ${remoteId}`, timeoutMs: 15_000 });
}

for (const version of VERSIONS) {
  t.test(`nats-server ${version}`, { jobs: 2 }, async (t) => {
    // The hub site: one server behind a proxy that compresses its proxy links with s2_fast.
    const hubProxy = await startProxy(t, proxyConf(`hub-${version}`, 's2_fast', []), { level: 'info' });
    const hub = await startServer(t, { version, name: 'hub', cluster: { name: 'zc', routes: [hubProxy.routeUrl] } });
    const hubId = (await hub.varz()).server_id as string;
    await waitFor(() => hubProxy.daemon.routes.getPeer(hubId), { what: 'hub server registered' });
    const hubClient = await connect({ servers: hub.clientUrl, maxPingOut: 100 });
    t.teardown(() => hubClient.close());

    const combos: Array<{ sm: Mode; pm: string; role: Role }> = [];
    for (const role of ['acceptor', 'dialer'] as const) {
      if (version === '2.9.10') {
        for (const pm of ['off', 'accept', 's2_fast', 's2_auto']) combos.push({ sm: 'none', pm, role });
        continue;
      }
      for (const pm of PROXY_MODES) for (const sm of SERVER_MODES) combos.push({ sm, pm, role });
      combos.push({ sm: 's2_fast', pm: 's2_auto', role });
    }

    for (const { sm, pm, role } of combos) {
      t.test(`server ${sm}, proxy ${pm}, proxy as ${role}`, { buffered: true }, async (t) => {
        const tag = `${role}.${pm}.${sm}`.replace(/_/g, '-');
        const name = `p-${tag}`.replace(/\./g, '-');
        let s: StartedServer;
        let proxy: StartedProxy;
        const extra = sm === 'none' ? '' : `compression: ${sm}`;
        if (role === 'acceptor') {
          proxy = await startProxy(t, proxyConf(name, pm, [hubProxy.routeUrl]), { level: 'info' });
          s = await startServer(t, { version, name: `s-${name}`, cluster: { name: 'zc', routes: [proxy.routeUrl], extra } });
        } else {
          s = await startServer(t, { version, name: `s-${name}`, cluster: { name: 'zc', extra } });
          proxy = await startProxy(t, proxyConf(name, pm, [s.routeUrl, hubProxy.routeUrl]), { level: 'info' });
        }
        const sid = (await s.varz()).server_id as string;
        const conn = await waitFor(() => serverConn(proxy, sid), { what: 'proxy registers the server', timeoutMs: 15_000 });
        const ours = role === 'dialer' ? (conn.socket as { localPort?: number }).localPort : undefined;
        const r = await waitFor(() => routeTo(s, proxy.serverId, ours), { what: 'server /routez lists the proxy' });
        const se = serverExpect(sm, pm);
        if (se === undefined) t.equal(r.compression, undefined, 'no compression field in 2.9 /routez');
        else t.match(r.compression, se, `server /routez compression (${r.compression})`);
        t.match(conn.compressionMode, proxyExpect(sm, pm), `our negotiated mode (${conn.compressionMode})`);
        if (version !== '2.9.10') {
          const pooled = await waitFor(async () => {
            const n = ((await s.routez()).routes ?? []).filter((x: any) => x.remote_id === proxy.serverId && x.account === undefined).length;
            return n >= 3 ? n : undefined;
          }, { what: 'the server pools its routes to the proxy' });
          t.equal(pooled, 3, 'pooling on: three pooled routes to the proxy');
        }
        t.equal(conn.solicited, role === 'dialer', `proxy is the ${role}`);
        // Nothing on the per-message path unless this side really writes/reads S2.
        const weCompress = conn.compressionMode.startsWith('s2_');
        t.equal(conn.out.stage !== undefined, weCompress, 'outbound stage only when we compress');
        t.equal(conn.inbound !== undefined, weCompress, 'inbound stage only when compressed');
        await waitFor(() => hubProxy.daemon.routes.getPeer(proxy.serverId), { what: 'proxy link to the hub' });

        // server → hub
        const sc = await connect({ servers: s.clientUrl, maxPingOut: 100 });
        t.teardown(() => sc.close());
        const up = `up.${tag}`;
        const gotHub = await subscribeOn(hubClient, up);
        await serverSees(s, proxy.serverId, up);
        const inPlain0 = conn.bytesInPlain;
        const inWire0 = conn.bytesInWire;
        await roundTrip(sc, gotHub, up, [SMALL, COMPRESSIBLE, RANDOM]);
        t.ok(gotHub[0]!.equals(SMALL) && gotHub[1]!.equals(COMPRESSIBLE) && gotHub[2]!.equals(RANDOM), 'server → hub: intact');
        const inPlain = conn.bytesInPlain - inPlain0;
        const inWire = conn.bytesInWire - inWire0;
        t.ok(inPlain >= 2 * MiB, `plain bytes in counted (${inPlain})`);
        // s2_auto's first level comes from the handshake's duration (route.go computeRTT(c.start)),
        // which a loaded machine can push past 10 ms (s2_fast); the server's first PING (~1 s in)
        // then measures loopback and drops to s2_uncompressed. So the level is read again after
        // the traffic, and the byte ratio is judged only when it held throughout.
        const squashes = (c: unknown): boolean => typeof c === 'string' && /^s2_(fast|better|best)$/.test(c);
        const after = se === undefined ? r.compression : (await routeTo(s, proxy.serverId, ours))?.compression;
        if (squashes(r.compression) !== squashes(after)) t.comment(`server level changed during the traffic: ${r.compression} → ${after}`);
        else if (squashes(r.compression)) t.ok(inWire < inPlain - MiB / 2, `server compresses: wire ${inWire} < plain ${inPlain}`);
        else t.ok(inWire >= inPlain, `wire ${inWire} ≥ plain ${inPlain} (no compression or stored chunks)`);
        t.equal(await volumeTrip(sc, gotHub, up), 0, `server → hub: ${N} mixed messages intact and in order`);

        // hub → server
        const down = `down.${tag}`;
        const gotS = await subscribeOn(sc, down);
        await serverSees(hub, hubProxy.serverId, down);
        const outPlain0 = conn.bytesOutPlain;
        const outWire0 = conn.bytesOutWire;
        const ourBefore = conn.compressionMode;
        await roundTrip(hubClient, gotS, down, [SMALL, COMPRESSIBLE, RANDOM]);
        t.ok(gotS[0]!.equals(SMALL) && gotS[1]!.equals(COMPRESSIBLE) && gotS[2]!.equals(RANDOM), 'hub → server: intact');
        const outPlain = conn.bytesOutPlain - outPlain0;
        const outWire = conn.bytesOutWire - outWire0;
        t.ok(outPlain >= 2 * MiB, `plain bytes out counted (${outPlain})`);
        // Our s2_auto level re-picks on every PONG just as the server's does (above): judged only when it held.
        const ourAfter = conn.compressionMode;
        if (squashes(ourBefore) !== squashes(ourAfter)) t.comment(`our level changed during the traffic: ${ourBefore} → ${ourAfter}`);
        else if (squashes(ourAfter)) t.ok(outWire < outPlain - MiB / 2, `we compress: wire ${outWire} < plain ${outPlain}`);
        else t.ok(outWire >= outPlain, `wire ${outWire} ≥ plain ${outPlain}`);
        t.equal(await volumeTrip(hubClient, gotS, down), 0, `hub → server: ${N} mixed messages intact and in order`);
        t.equal(serverConn(proxy, sid), conn, 'the route stayed up');
        await sc.close();
        await s.stop();
        await proxy.stop();
      });
    }
  });
}
