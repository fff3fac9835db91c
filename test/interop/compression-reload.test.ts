// SIGHUP with a new cluster.compression against real nats-servers (issue 11; nats-server's
// reload.go clusterOption.Apply): a level change swaps our writer on the live routes (same
// connections on both sides, the server keeps reading our new level), s2_auto picks its level
// from the RTT, and a change to or from off/accept closes the routes so that they renegotiate.
// Servers of one site mesh directly, so the traffic goes to a hub site behind a second proxy:
// R1 (2.10.27, dialed by P) and R2 (2.15.1, dialing P) → proxy P → hub proxy H (s2_fast) → RH.
// Oracles: the servers' /routez (`rid`, `compression`), our connections' modes (the proxy link
// too), and messages crossing intact both ways after every step.
import t from 'tap';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { startServer, waitFor, type StartedServer } from '../helpers/nats-server.js';
import { startProxy, type StartedProxy } from '../helpers/proxy.js';
import { parseConfigText } from '../../src/config/load.js';
import { buildOptions, formatIssue } from '../../src/config/build.js';
import type { Options } from '../../src/config/options.js';
import type { RouteConnection } from '../../src/route/connection.js';

function conf(compression: string, routes: string[], name = 'P'): string {
  return `server_name: ${name}
cluster {
  name: zr
  listen: "127.0.0.1:-1"
  compression: ${compression}
  routes = [ ${routes.map((r) => `"${r}"`).join(', ')} ]
}
`;
}

function next(proxy: StartedProxy, text: string): Options {
  const b = buildOptions(parseConfigText(text, 'test.conf'));
  if (!b.options) throw new Error(b.errors.map(formatIssue).join('\n'));
  b.options.cluster.port = proxy.options.cluster.port;
  return b.options;
}

// Compressible (JSON-ish, 64 KiB) and small payloads.
const JSONISH = Buffer.from(JSON.stringify(Array.from({ length: 900 }, (_, i) => ({ id: i, sku: `sku-${i % 97}`, site: `eu-${i % 3}`, ok: i % 2 === 0 }))).slice(0, 65536));
const SMALL = Buffer.from('hello');

t.test('cluster.compression reload on established routes (2.10.27 dialed by us, 2.15.1 dialing us)', async (t) => {
  const hubProxy = await startProxy(t, conf('s2_fast', [], 'H'), { level: 'info' });
  const hub = await startServer(t, { version: '2.15.1', name: 'RH', cluster: { name: 'zr', routes: [hubProxy.routeUrl] } });
  const s1 = await startServer(t, { version: '2.10.27', name: 'R1', cluster: { name: 'zr' } });
  const routes = [s1.routeUrl, hubProxy.routeUrl];
  const proxy = await startProxy(t, conf('s2_fast', routes), { level: 'info' });
  const s2 = await startServer(t, { version: '2.15.1', name: 'R2', cluster: { name: 'zr', routes: [proxy.routeUrl] } });
  const ids = new Map<StartedServer, string>([[s1, (await s1.varz()).server_id as string], [s2, (await s2.varz()).server_id as string]]);
  const conn = (s: StartedServer): RouteConnection | undefined => {
    // The pooled connection that carries $G, the test's traffic.
    const c = proxy.daemon.routes.getPeer(ids.get(s)!)?.accountConn('$G');
    return c?.state === 'registered' ? c : undefined;
  };
  const serverRoute = async (s: StartedServer): Promise<{ rid: number; compression: string } | undefined> =>
    ((await s.routez()).routes ?? []).find((r: { remote_id: string; account?: string }) => r.remote_id === proxy.serverId && r.account === undefined);
  const link = (): RouteConnection | undefined => {
    const c = proxy.daemon.routes.getPeer(hubProxy.serverId)?.accountConn('$G');
    return c?.state === 'registered' ? c : undefined;
  };
  const c1: NatsConnection = await connect({ servers: s1.clientUrl });
  const c2: NatsConnection = await connect({ servers: s2.clientUrl });
  const ch: NatsConnection = await connect({ servers: hub.clientUrl });
  t.teardown(async () => { await c1.close(); await c2.close(); await ch.close(); });

  let seq = 0;
  /** R1 and R2 to the hub and back, small and compressible payloads, byte-exact. */
  const crosses = async (label: string): Promise<void> => {
    for (const [from, to] of [[c1, ch], [ch, c1], [c2, ch], [ch, c2]] as const) {
      const subject = `zr.${++seq}`;
      const got: Buffer[] = [];
      to.subscribe(subject, { callback: (_e, m) => { got.push(Buffer.from(m.data)); } });
      await to.flush();
      // Interest has crossed when a probe arrives (the proxy relays it like any message).
      await waitFor(async () => {
        from.publish(subject, Buffer.from('probe'));
        await from.flush();
        await new Promise((r) => setImmediate(r));
        return got.some((b) => b.equals(Buffer.from('probe'))) || undefined;
      }, { what: `${label}: interest in ${subject} crossed`, timeoutMs: 15_000, intervalMs: 100 });
      got.length = 0;
      from.publish(subject, SMALL);
      from.publish(subject, JSONISH);
      await from.flush();
      await waitFor(() => got.filter((b) => !b.equals(Buffer.from('probe'))).length >= 2 || undefined, { what: `${label}: messages on ${subject}` });
      const msgs = got.filter((b) => !b.equals(Buffer.from('probe')));
      const name = (c: NatsConnection) => (c === c1 ? 'R1' : c === c2 ? 'R2' : 'RH');
      t.ok(msgs[0]!.equals(SMALL) && msgs[1]!.equals(JSONISH), `${label}: ${name(from)} → ${name(to)} intact`);
    }
  };
  const registered = async (what: string): Promise<void> => {
    for (const s of [s1, s2]) {
      await waitFor(() => conn(s), { what: `${what}: ${s.name} registered`, timeoutMs: 15_000 });
      await waitFor(() => serverRoute(s), { what: `${what}: ${s.name} lists the proxy`, timeoutMs: 15_000 });
    }
    await waitFor(() => link(), { what: `${what}: proxy link registered`, timeoutMs: 15_000 });
  };
  const reload = async (mode: string) => {
    const r = await proxy.daemon.reload(next(proxy, conf(mode, routes)));
    t.equal(r.ok, true, `reload to ${mode}: ${r.errors.join('; ')}`);
    t.same(r.changes.map((c) => c.field), ['cluster.compression'], 'only compression changed');
  };

  await registered('start');
  for (const s of [s1, s2]) {
    t.equal((await serverRoute(s))!.compression, 's2_fast', `${s.name}: s2_fast at start`);
    t.equal(conn(s)!.compressionMode, 's2_fast');
  }
  t.equal(link()!.compressionMode, 's2_fast', 'proxy link s2_fast at start');
  await crosses('start');

  await t.test('a level change swaps our writer on the same connections', async (t) => {
    const before = new Map<StartedServer, [RouteConnection, number]>();
    for (const s of [s1, s2]) before.set(s, [conn(s)!, (await serverRoute(s))!.rid]);
    const l = link()!;
    await reload('s2_best');
    t.equal(link(), l, 'the proxy link stays');
    t.equal(l.compressionMode, 's2_best', 'and writes s2_best');
    for (const s of [s1, s2]) {
      const [c, rid] = before.get(s)!;
      t.equal(conn(s), c, `${s.name}: our connection stays`);
      t.equal(c.compressionMode, 's2_best', `${s.name}: we write s2_best`);
      t.equal(c.compression.level, 's2_best');
      const r = (await serverRoute(s))!;
      t.equal(r.rid, rid, `${s.name}: the server's route stays (rid ${rid})`);
      // Only our writer changed: the server keeps its own, as when one nats-server reloads.
      t.equal(r.compression, 's2_fast', `${s.name}: the server still writes s2_fast`);
    }
    const wire0 = conn(s2)!.bytesOutWire;
    await crosses('after s2_best');
    t.ok(conn(s2)!.bytesOutWire > wire0 + JSONISH.length / 20, `R2 read what we wrote at the new level (${wire0} → ${conn(s2)!.bytesOutWire} bytes)`);
    await proxy.waitForLog(/Route compression changed to s2_best \(reload\)/);
  });

  await t.test('s2_auto picks the level from the RTT, on the same connections', async (t) => {
    const c = conn(s1)!;
    // Thresholds no loopback RTT reaches: the first band, s2_uncompressed.
    await reload('{ mode: s2_auto, rtt_thresholds: ["1s", "2s", "3s"] }');
    t.equal(conn(s1), c, 'same connection');
    for (const s of [s1, s2]) t.equal(conn(s)!.compressionMode, 's2_uncompressed', `${s.name}: s2_uncompressed`);
    t.equal(link()!.compressionMode, 's2_fast', 'the proxy link: its fixed s2_fast, not picked from the RTT');
    await crosses('after s2_auto');
  });

  // Changes that need a negotiation: the routes close (Client Closed) and come back negotiated.
  // The hub proxy stays at s2_fast: with `accept` the proxy link mirrors it.
  for (const [mode, server, ours, linkMode] of [
    ['off', 'off', 'off', 'off'], ['s2_better', 's2_better', 's2_better', 's2_better'], ['accept', 'off', 'off', 's2_fast'],
  ] as const) {
    await t.test(`to ${mode}: the routes renegotiate`, async (t) => {
      const old = new Map<StartedServer, RouteConnection>([[s1, conn(s1)!], [s2, conn(s2)!]]);
      const oldLink = link()!;
      await reload(mode);
      const l = await waitFor(() => { const x = link(); return x && x !== oldLink ? x : undefined; },
        { what: `a new proxy link after the reload to ${mode}`, timeoutMs: 20_000 });
      t.equal(l.compressionMode, linkMode, `proxy link: ${linkMode}`);
      for (const s of [s1, s2]) {
        const c = await waitFor(() => { const x = conn(s); return x && x !== old.get(s) ? x : undefined; },
          { what: `${s.name}: a new connection after the reload to ${mode}`, timeoutMs: 20_000 });
        t.equal(c.compressionMode, ours, `${s.name}: we negotiated ${ours}`);
        const r = await waitFor(async () => { const x = await serverRoute(s); return x && x.compression === server ? x : undefined; },
          { what: `${s.name}: /routez compression ${server}`, timeoutMs: 15_000 });
        t.equal(r.compression, server, `${s.name}: the server negotiated ${server}`);
      }
      await crosses(`after ${mode}`);
    });
  }
});
