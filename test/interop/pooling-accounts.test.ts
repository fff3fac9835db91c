// Multi-account sites through two pooling proxies (route-protocol.md §3.5, §4): each account's
// traffic rides the connection FNV-1a or pinning selects, on every hop, checked from both the
// servers' /routez counters and the proxies'; one killed pooled connection heals alone.
import t from 'tap';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { startServer, waitFor, type StartedServer } from '../helpers/nats-server.js';
import { startProxy, type StartedProxy } from '../helpers/proxy.js';
import type { RouteConnection } from '../../src/route/connection.js';
import type { RoutePeer } from '../../src/route/peer.js';

// Users bound to A, B, C and the pinned HEAVY; `g` (in `authorization`) lives in the global account $G.
const SERVER_CONF = `
authorization { users: [ { user: g, password: g } ] }
accounts {
  A: { users: [ { user: a, password: a } ] }
  B: { users: [ { user: b, password: b } ] }
  C: { users: [ { user: c, password: c } ] }
  HEAVY: { users: [ { user: h, password: h } ] }
}
`;
const USERS: Record<string, string> = { A: 'a', B: 'b', C: 'c', $G: 'g', HEAVY: 'h' };
// FNV-1a mod 3 (the default pool size): A and B → 0, C → 1, $G → 2; HEAVY has its own connection.
const EXPECTED_IDX: Record<string, number> = { A: 0, B: 0, C: 1, $G: 2, HEAVY: -1 };

function proxyConf(name: string, routes: string[]): string {
  return `server_name: ${name}
cluster {
  name: world
  listen: "127.0.0.1:-1"
  accounts: [ HEAVY ]
  ${routes.length ? `routes = [ ${routes.map((r) => `"${r}"`).join(', ')} ]` : ''}
}
`;
}

const client = (s: StartedServer, account: string): Promise<NatsConnection> =>
  connect({ servers: s.clientUrl, user: USERS[account], pass: USERS[account] });

function connIdx(c: RouteConnection): number {
  return c.pinnedAccount !== undefined ? -1 : c.poolIdx;
}

t.test('accounts across two pooling proxies', async (t) => {
  // Site B: PB dials B1 (so B1's /routez `port` is our socket's local port); PA dials PB; A1 dials PA.
  const b1 = await startServer(t, { version: '2.10.27', name: 'B1', extraConfig: SERVER_CONF, cluster: { name: 'world', extra: 'accounts: [ HEAVY ]' } });
  const pb = await startProxy(t, proxyConf('PB', [b1.routeUrl]), { level: 'info' });
  const pa = await startProxy(t, proxyConf('PA', [pb.routeUrl]), { level: 'info' });
  const a1 = await startServer(t, {
    version: '2.15.1', name: 'A1', extraConfig: SERVER_CONF,
    cluster: { name: 'world', extra: 'accounts: [ HEAVY ]', routes: [`nats-route://127.0.0.1:${pa.port}`] },
  });
  const a1Id = (await a1.varz()).server_id as string;
  const b1Id = (await b1.varz()).server_id as string;
  // 3 pooled + $SYS + HEAVY on every hop.
  const full = (p: StartedProxy) => p.daemon.routes.getPeers().length === 2 && p.daemon.routes.getPeers().every((x) => x.connectionCount === 5);
  await waitFor(() => full(pa) && full(pb), { what: 'five connections on every hop', timeoutMs: 20_000 });
  const paToA1 = pa.daemon.routes.getPeer(a1Id)!;
  const paToPb = pa.daemon.routes.getPeer(pb.serverId)!;
  const pbToPa = pb.daemon.routes.getPeer(pa.serverId)!;
  const pbToB1 = pb.daemon.routes.getPeer(b1Id)!;
  for (const [what, peer] of [['PA→A1', paToA1], ['PA→PB', paToPb], ['PB→B1', pbToB1]] as Array<[string, RoutePeer]>) {
    t.same([...peer.pinned.keys()].sort(), ['$SYS', 'HEAVY'], `${what}: $SYS and HEAVY pinned`);
  }
  for (const s of [a1, b1]) {
    const rz = await s.routez();
    t.same(rz.routes.map((r: any) => r.account).filter(Boolean).sort(), ['$SYS', 'HEAVY'], `${s.name}: /routez shows the pinned connections`);
    t.equal(rz.routes.length, 5, `${s.name}: five route connections`);
  }

  await t.test('every message of every account arrives once, on its own connection on every hop', async (t) => {
    const N = 40;
    for (const account of Object.keys(USERS)) {
      const sub = await client(b1, account);
      const got = new Map<string, number>();
      sub.subscribe(`acc.${account}`, { callback: (_e, m) => { got.set(m.string(), (got.get(m.string()) ?? 0) + 1); } });
      await sub.flush();
      await waitFor(() => [...paToPb.interest.entries()].some((e) => e.account === account && e.subject === `acc.${account}`),
        { what: `${account} interest at PA` });
      await waitFor(async () => ((await a1.routez('subs=1')).routes ?? []).some((r: any) => (r.subscriptions_list ?? []).includes(`acc.${account}`)),
        { what: `${account} interest at A1` });
      const before = {
        a1: new Map<number, number>(((await a1.routez()).routes ?? []).map((r: any) => [r.rid, r.out_msgs])),
        b1: new Map<number, number>(((await b1.routez()).routes ?? []).map((r: any) => [r.port, r.in_msgs])),
        hops: [paToA1, paToPb, pbToPa, pbToB1].map((p) => new Map(p.connections().map((c) => [c, { in: c.stats.msgsIn, out: c.stats.msgsOut }]))),
      };
      const pub = await client(a1, account);
      for (let i = 0; i < N; i++) pub.publish(`acc.${account}`, String(i));
      await pub.flush();
      await waitFor(() => got.size === N, { what: `${N} messages in ${account}` });
      await sub.flush();
      t.ok([...got.values()].every((n) => n === 1), `${account}: each message exactly once`);
      // On our four hops: the whole delta on the connection the account maps to, none elsewhere.
      const [inA1, outPb, inPa, outB1] = before.hops;
      const moved = (m: Map<RouteConnection, { in: number; out: number }>, dir: 'in' | 'out') =>
        // $SYS carries the servers' own background traffic; every other connection must stay still.
        [...m].filter(([c]) => c.pinnedAccount !== '$SYS').filter(([c, v]) => (dir === 'in' ? c.stats.msgsIn - v.in : c.stats.msgsOut - v.out) > 0).map(([c, v]) => [connIdx(c), dir === 'in' ? c.stats.msgsIn - v.in : c.stats.msgsOut - v.out]);
      const want = [[EXPECTED_IDX[account], N]];
      t.same(moved(inA1!, 'in'), want, `${account}: PA received from A1 on connection ${EXPECTED_IDX[account]}`);
      t.same(moved(outPb!, 'out'), want, `${account}: PA sent to PB on connection ${EXPECTED_IDX[account]}`);
      t.same(moved(inPa!, 'in'), want, `${account}: PB received from PA on connection ${EXPECTED_IDX[account]}`);
      t.same(moved(outB1!, 'out'), want, `${account}: PB sent to B1 on connection ${EXPECTED_IDX[account]}`);
      // The servers' own counters agree: one connection each, and at B1 it is the very socket we chose.
      const a1Moved = ((await a1.routez()).routes ?? []).filter((r: any) => r.account !== '$SYS' && r.out_msgs - (before.a1.get(r.rid) ?? 0) > 0);
      t.same(a1Moved.map((r: any) => [r.account ?? 'pooled', r.out_msgs - before.a1.get(r.rid)!]), [[account === 'HEAVY' ? 'HEAVY' : 'pooled', N]],
        `${account}: A1's /routez shows one connection sending ${N}`);
      const b1Moved = ((await b1.routez()).routes ?? []).filter((r: any) => r.account !== '$SYS' && r.in_msgs - (before.b1.get(r.port) ?? 0) > 0);
      const ours = pbToB1.accountConn(account)!;
      t.same(b1Moved.map((r: any) => [r.port, r.in_msgs - before.b1.get(r.port)!]), [[(ours.socket as { localPort?: number }).localPort, N]],
        `${account}: B1's /routez shows the ${N} on the connection PB chose`);
      await pub.close();
      await sub.close();
    }
    // And back: every account from B to A, once each.
    for (const account of Object.keys(USERS)) {
      const sub = await client(a1, account);
      let got = 0;
      sub.subscribe(`back.${account}`, { callback: () => { got++; } });
      await sub.flush();
      await waitFor(async () => ((await b1.routez('subs=1')).routes ?? []).some((r: any) => (r.subscriptions_list ?? []).includes(`back.${account}`)),
        { what: `${account} interest at B1` });
      const pub = await client(b1, account);
      for (let i = 0; i < N; i++) pub.publish(`back.${account}`, String(i));
      await pub.flush();
      await waitFor(() => got === N, { what: `${N} messages back in ${account}` });
      await sub.flush();
      t.equal(got, N, `${account}: B → A once each`);
      await pub.close();
      await sub.close();
    }
  });

  await t.test('killing one pooled connection heals by itself; the others never drop', async (t) => {
    const victim = pbToB1.slots[1]!;
    const others = pbToB1.connections().filter((c) => c !== victim);
    const otherRids = others.map((c) => c.rid);
    victim.socket.destroy();
    await waitFor(() => { const c = pbToB1.slots[1]; return c !== undefined && c !== victim && c.state === 'registered'; },
      { what: 'pool index 1 redialed', timeoutMs: 15_000 });
    t.same(pbToB1.connections().filter((c) => c !== pbToB1.slots[1]).map((c) => c.rid), otherRids, 'the other four connections are the same ones');
    t.ok(others.every((c) => c.state === 'registered'), 'and still registered');
    t.equal(pb.daemon.routes.getPeer(b1Id), pbToB1, 'the peer itself never left');
    // Account C (pool index 1) works again across the sites.
    const sub = await client(b1, 'C');
    let got = 0;
    sub.subscribe('healed', { callback: () => { got++; } });
    await sub.flush();
    await waitFor(async () => ((await a1.routez('subs=1')).routes ?? []).some((r: any) => (r.subscriptions_list ?? []).includes('healed')),
      { what: 'C interest back at A1' });
    const pub = await client(a1, 'C');
    pub.publish('healed', 'x');
    await pub.flush();
    await waitFor(() => got === 1, { what: 'a message in C after the heal' });
    t.pass('account C delivers again');
    await pub.close();
    await sub.close();
  });
});
