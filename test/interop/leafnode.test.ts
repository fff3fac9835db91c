// Leafnode-origin interest and messages (LS+/LS-/LMSG) cross the proxies intact:
//   leaf L (2.10.27, cluster "leafc") ──leafnode── A1 (2.10.27) ── proxy A ══ proxy B ── B1 (2.9.10)
// B1 is 2.9.10: it understands LS+/LMSG (lnoc) but not LS- with an origin (no lnocu).
import t from 'tap';
import { connect } from '@nats-io/transport-node';
import { startServer, waitFor, type StartedServer } from '../helpers/nats-server.js';
import { poolSettled, startProxy } from '../helpers/proxy.js';
import { freePort } from '../helpers/ports.js';
import { VERB_NAMES, type RoutedMsg } from '../../src/protocol/msg.js';
import type { RouteConnection } from '../../src/route/connection.js';
import type { RoutePeer } from '../../src/route/peer.js';

const proxyConf = (name: string, routes: string[]) => `server_name: ${name}
cluster {
  name: world
  listen: "127.0.0.1:-1"
  ${routes.length ? `routes = [ ${routes.map((r) => `"${r}"`).join(', ')} ]` : ''}
}
`;

async function routeSubs(s: StartedServer, remoteId: string): Promise<string[]> {
  // Every connection to the proxy (pooled ones list only their accounts' subscriptions).
  return ((await s.routez('subs=1')).routes ?? [])
    .filter((x: { remote_id: string }) => x.remote_id === remoteId)
    .flatMap((x: { subscriptions_list?: string[] }) => x.subscriptions_list ?? []);
}

t.test('leafnode-origin interest and messages pass through', async (t) => {
  const pb = await startProxy(t, proxyConf('proxy-B', []));
  const pa = await startProxy(t, proxyConf('proxy-A', [`nats-route://127.0.0.1:${pb.port}`]));
  const leafPort = await freePort();
  const a1 = await startServer(t, {
    version: '2.15.1', name: 'A1', extraConfig: `leafnodes { listen: "127.0.0.1:${leafPort}" }`,
    cluster: { name: 'world', routes: [`nats-route://127.0.0.1:${pa.port}`] },
  });
  const b1 = await startServer(t, { version: '2.9.10', name: 'B1', cluster: { name: 'world', routes: [`nats-route://127.0.0.1:${pb.port}`] } });
  const leaf = await startServer(t, {
    version: '2.10.27', name: 'L', extraConfig: `leafnodes { remotes: [ { url: "nats-leaf://127.0.0.1:${leafPort}" } ] }`,
    cluster: { name: 'leafc' },
  });
  await waitFor(async () => (await a1.monitor('leafz')).leafnodes === 1, { what: 'leaf connected to A1' });
  await waitFor(() => pa.daemon.routes.getPeers().length === 2 && pb.daemon.routes.getPeers().length === 2, { what: 'sites up' });
  const b1Route = () => pb.daemon.routes.getPeers().find((p) => p.kind === 'server')!;
  const b1Rid = (await poolSettled(pb, b1Route().id)).main.rid;

  // Record the verbs proxy A relays, without changing what it does.
  const verbs = new Set<string>();
  const relay = pa.daemon.relay;
  const original = relay.message.bind(relay);
  relay.message = (peer: RoutePeer, conn: RouteConnection, msg: RoutedMsg) => { verbs.add(VERB_NAMES[msg.verb]); original(peer, conn, msg); };

  await t.test('LS+ from a leaf reaches the other site and messages come back to the leaf', async (t) => {
    const ncLeaf = await connect({ servers: leaf.clientUrl });
    t.teardown(() => ncLeaf.close());
    const got: string[] = [];
    const sub = ncLeaf.subscribe('leaf.in', { callback: (_e, m) => { got.push(m.string()); } });
    await ncLeaf.flush();
    const a1Peer = () => pa.daemon.routes.getPeers().find((p) => p.kind === 'server')!;
    await waitFor(() => [...a1Peer().interest.entries()].some((e) => e.subject === 'leaf.in' && e.leaf && e.origin === 'leafc'),
      { what: 'proxy A holds LS+ with origin leafc' });
    await waitFor(async () => (await routeSubs(b1, pb.serverId)).includes('leaf.in'), { what: 'B1 lists leaf.in on its route to proxy B' });
    const ncB = await connect({ servers: b1.clientUrl });
    t.teardown(() => ncB.close());
    ncB.publish('leaf.in', 'to the leaf');
    await ncB.flush();
    await waitFor(() => got.length === 1, { what: 'delivery to the leaf' });
    t.same(got, ['to the leaf']);

    // LS- towards 2.9.10 must come without an origin (it lacks lnocu), or it would close the route.
    sub.unsubscribe();
    await ncLeaf.flush();
    await waitFor(async () => !(await routeSubs(b1, pb.serverId)).includes('leaf.in'), { what: 'LS- removed the interest on B1' });
    t.equal(b1Route().main.rid, b1Rid, 'the route to B1 stayed up');
  });

  await t.test('LMSG from a leaf reaches a subscriber in the other site with headers', async (t) => {
    const ncB = await connect({ servers: b1.clientUrl });
    t.teardown(() => ncB.close());
    const got: Array<{ data: string; h: string | undefined }> = [];
    ncB.subscribe('from.leaf', { callback: (_e, m) => { got.push({ data: m.string(), h: m.headers?.get('X-Leaf') }); } });
    await ncB.flush();
    await waitFor(async () => (await routeSubs(a1, pa.serverId)).includes('from.leaf'), { what: 'A1 sees the interest' });
    const { headers } = await import('@nats-io/transport-node');
    const ncLeaf = await connect({ servers: leaf.clientUrl });
    t.teardown(() => ncLeaf.close());
    await waitFor(async () => ((await leaf.monitor('leafz', 'subs=1')).leafs?.[0]?.subscriptions_list ?? []).includes('from.leaf'),
      { what: 'the leaf learned the interest' });
    const h = headers();
    h.set('X-Leaf', 'yes');
    ncLeaf.publish('from.leaf', 'hello from the leaf', { headers: h });
    ncLeaf.publish('from.leaf', 'no headers');
    await ncLeaf.flush();
    await waitFor(() => got.length === 2, { what: 'delivery in site B' });
    t.same(got, [{ data: 'hello from the leaf', h: 'yes' }, { data: 'no headers', h: undefined }]);
    t.ok(verbs.has('LMSG'), `proxy A relayed LMSG (saw ${[...verbs].join(', ')})`);
  });
});
