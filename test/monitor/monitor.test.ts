// /healthz, /varz and /routez of the daemon against real nats-servers: our key sets are the
// server's own (2.10.27 and 2.15.1, recursively, for the parts we mirror), readiness follows the
// configured routes, and a reload that removes a dead route makes the daemon ready.
import t from 'tap';
import net from 'node:net';
import { connect } from '@nats-io/transport-node';
import { startServer, waitFor, type ServerVersion } from '../helpers/nats-server.js';
import { poolSettled, startProxy } from '../helpers/proxy.js';
import { freePort } from '../helpers/ports.js';
import { parseConfigText } from '../../src/config/load.js';
import { buildOptions } from '../../src/config/build.js';

async function get(port: number, path: string): Promise<{ status: number; body: any; type: string | null }> {
  const r = await fetch(`http://127.0.0.1:${port}${path}`);
  const text = await r.text();
  let body: unknown = text;
  try { body = JSON.parse(text); } catch { /* text */ }
  return { status: r.status, body, type: r.headers.get('content-type') };
}

/** Keys of an object and, recursively, of its object values (arrays: the union over items). */
function keyTypes(v: any, prefix = '', out = new Map<string, string>()): Map<string, string> {
  for (const [k, x] of Object.entries(v ?? {})) {
    const p = `${prefix}${k}`;
    const kind = Array.isArray(x) ? 'array' : x === null ? 'null' : typeof x;
    out.set(p, kind);
    if (kind === 'object') keyTypes(x, `${p}.`, out);
    if (kind === 'array') for (const item of x as unknown[]) if (item && typeof item === 'object') keyTypes(item, `${p}[].`, out);
  }
  return out;
}

const ROUTE_FIELDS = ['rid', 'remote_id', 'remote_name', 'did_solicit', 'is_configured', 'ip', 'port', 'start', 'last_activity',
  'rtt', 'uptime', 'idle', 'pending_size', 'in_msgs', 'out_msgs', 'in_bytes', 'out_bytes', 'subscriptions', 'compression'];
const VARZ_FIELDS = ['server_id', 'server_name', 'version', 'now', 'uptime', 'cluster', 'cluster.name', 'cluster.addr',
  'cluster.cluster_port', 'cluster.urls', 'cluster.pool_size', 'routes', 'remotes', 'in_msgs', 'out_msgs'];

function proxyConf(name: string, routes: string[], httpPort = -1): string {
  return `server_name: ${name}
http: "127.0.0.1:${httpPort}"
cluster {
  name: c1
  listen: "127.0.0.1:-1"
  routes = [
${routes.map((r) => `    "${r}"`).join('\n')}
  ]
}
`;
}

for (const version of ['2.10.27', '2.15.1'] as ServerVersion[]) {
  t.test(`key sets and values against nats-server ${version}`, async (t) => {
    const b = await startServer(t, { version, name: `B-${version}`, cluster: { name: 'c1' } });
    const a = await startServer(t, { version, name: `A-${version}`, cluster: { name: 'c1', routes: [b.routeUrl] } });
    const proxy = await startProxy(t, proxyConf(`P-${version}`, [a.routeUrl]));
    const http = proxy.daemon.monitor!.port;
    const aId = (await a.varz()).server_id as string;
    await waitFor(() => proxy.daemon.routes.getPeer(aId), { what: 'proxy registered A' });
    await waitFor(() => proxy.daemon.routes.getPeers().length === 2 && proxy.daemon.routes.getPeers().every((p) => p.connectionCount === 4),
      { what: 'pool of 3 plus $SYS to A and to B' });
    // Some interest and traffic, so counters and subscription lists are not empty on either side.
    const nc = await connect({ servers: a.clientUrl });
    t.teardown(() => nc.close());
    const beforeInterest = Date.now();
    nc.subscribe('mon.>');
    await nc.flush();
    await waitFor(async () => (await a.routez('subs=1')).routes?.some((r: any) => r.remote_id !== proxy.serverId && r.subscriptions_list), { what: 'A lists B subs' });
    // $G maps to pool index 2 of 3 (FNV-1a, route-protocol.md §3.5): A's interest arrives on that connection only.
    await waitFor(async () => (await get(http, '/routez?subs=1')).body.routes.find((x: any) => x.remote_id === aId && x.proxy.pool_index === 2)?.subscriptions_list?.includes('mon.>'), { what: 'our routez lists A interest' });
    await waitFor(async () => (await get(http, '/routez')).body.routes.find((x: any) => x.remote_id === aId)?.rtt !== '0s', { what: 'our RTT measured' });

    await t.test('/routez', async (t) => {
      const theirs = await a.routez('subs=1');
      const ours = (await get(http, '/routez?subs=1')).body;
      const tk = keyTypes(theirs);
      const ok = keyTypes(ours);
      for (const [k, kind] of ok) {
        if (k.startsWith('routes[].proxy')) continue; // ours only, documented
        t.ok(tk.has(k), `${k} is a nats-server ${version} /routez key`);
        if (tk.has(k)) t.equal(kind, tk.get(k), `${k} has the server's JSON type`);
      }
      for (const f of ROUTE_FIELDS) {
        t.ok(ok.has(`routes[].${f}`), `we have routes[].${f}`);
        t.ok(tk.has(`routes[].${f}`), `nats-server has routes[].${f}`);
      }
      t.ok(ok.has('routes[].subscriptions_list'), 'subs=1 lists subjects');
      t.equal(ours.num_routes, ours.routes.length);
      const r = ours.routes.find((x: any) => x.remote_id === aId);
      t.equal(r.remote_id, aId);
      t.equal(r.remote_name, `A-${version}`);
      t.equal(r.did_solicit, true);
      t.equal(r.is_configured, true);
      t.match(r.rtt, /^[0-9.]+(µs|ms|s|ns)$/, 'Go duration text');
      t.match(r.uptime, /^\d+s$/);
      t.equal(r.proxy.peer_kind, 'server');
      t.equal(r.proxy.pool_index, 0, 'the first listed connection of a peer is its pool index 0');
      const all = ours.routes.filter((x: any) => x.remote_id === aId);
      t.same(all.map((x: any) => x.proxy.pool_index).sort(), [-1, 0, 1, 2], 'three pooled connections and the pinned one');
      t.same(all.filter((x: any) => x.account !== undefined).map((x: any) => x.account), ['$SYS'], 'the pinned one is $SYS\'s');
      t.same(theirs.routes.filter((x: any) => x.remote_id === proxy.serverId).length, 4, 'A lists the same four connections to us');
      t.ok(r.proxy.wire_in_bytes > 0);
      // last_activity is the last read: the connection that carried A's RS+ read after the subscription.
      const carrier = all.find((x: any) => x.proxy.pool_index === 2);
      t.ok(Date.parse(carrier.last_activity) >= beforeInterest - 1, `last_activity ${carrier.last_activity} is not older than the interest it carried`);
      // The server's view of the same connection agrees on who solicited it.
      const mine = theirs.routes.find((x: any) => x.remote_id === proxy.serverId);
      t.equal(mine.did_solicit, false, 'A accepted our route');
      t.ok((await get(http, '/routez')).body.routes.every((x: any) => x.subscriptions_list === undefined), 'no list without subs=1');
    });

    await t.test('/varz', async (t) => {
      const theirs = await a.varz();
      const res = await get(http, '/varz');
      t.equal(res.type, 'application/json');
      const ours = res.body;
      const tk = keyTypes(theirs);
      for (const [k, kind] of keyTypes(ours)) {
        if (k.startsWith('proxy') || k.startsWith('http_req_stats.')) continue; // ours only / per request path
        t.ok(tk.has(k), `${k} is a nats-server ${version} /varz key`);
        if (tk.has(k)) t.equal(kind, tk.get(k), `${k} has the server's JSON type`);
      }
      for (const f of VARZ_FIELDS) t.ok(keyTypes(ours).has(f), `we have ${f}`);
      // A gossips B: the proxy, a cluster member, routes to both.
      t.equal(ours.routes, 8, 'route connections, as nats-server counts them: 2 × (3 pooled + $SYS)');
      t.equal(ours.remotes, 2);
      t.same(ours.cluster.urls, [`127.0.0.1:${a.clusterPort}`]);
      t.equal(ours.cluster.name, 'c1');
      t.equal(ours.cluster.cluster_port, proxy.port);
      t.equal(ours.proxy.server_peers, 2);
      t.equal(ours.proxy.ready, true);
    });

    await t.test('/healthz: ready', async (t) => {
      const r = await get(http, '/healthz');
      t.equal(r.status, 200);
      t.same(r.body, { status: 'ok' });
      t.same((await get(http, '/healthz?js-enabled-only=true')).body, { status: 'ok' });
      t.equal((await get(http, '/nope')).status, 404);
    });
  });
}

t.test('readiness follows configured routes; reload removes a dead one', async (t) => {
  const s = await startServer(t, { version: '2.10.27', name: 'R1', cluster: { name: 'c1' } });
  // A port nothing listens on: that route never connects.
  const dead = await freePort();
  const conf = (routes: string[]) => proxyConf('P-ready', routes);
  const proxy = await startProxy(t, conf([s.routeUrl, `nats-route://127.0.0.1:${dead}`]));
  const http = proxy.daemon.monitor!.port;
  const sId = (await s.varz()).server_id as string;
  await waitFor(() => proxy.daemon.routes.getPeer(sId), { what: 'registered R1' });
  const r = await get(http, '/healthz');
  t.equal(r.status, 503, 'not ready while a configured route is missing');
  t.same(r.body, { status: 'unavailable', error: `route nats-route://127.0.0.1:${dead} is not connected` });
  const d = await get(http, '/healthz?details=true');
  t.same(d.body, { status: 'error', errors: [{ type: 'ROUTE', error: `route nats-route://127.0.0.1:${dead} is not connected` }] });
  t.equal((await get(http, '/healthz?live=true')).status, 200, 'liveness is fine');

  // Reload without the dead route: ready, and the good route was not dropped.
  const rid = (await poolSettled(proxy, sId)).main.rid;
  const next = buildOptions(parseConfigText(conf([s.routeUrl]).replace('127.0.0.1:-1"\n  routes', `127.0.0.1:${proxy.port}"\n  routes`)
    .replace('http: "127.0.0.1:-1"', 'http: "127.0.0.1:-1"'), 'test.conf'));
  // Same listen address as running (the first start asked for a random port).
  next.options!.cluster.port = proxy.options.cluster.port;
  next.options!.serverName = proxy.options.serverName;
  const out = await proxy.daemon.reload(next.options!);
  t.equal(out.ok, true, out.errors.join('; '));
  t.same(out.changes.map((c) => c.field), ['cluster.routes']);
  await waitFor(async () => (await get(http, '/healthz')).status === 200, { what: 'ready after reload' });
  t.equal(proxy.daemon.routes.getPeer(sId)!.main.rid, rid, 'the unaffected route was not dropped');

  // A refused change (cluster name) changes nothing.
  const bad = buildOptions(parseConfigText(conf([s.routeUrl]).replace('name: c1', 'name: c2'), 'test.conf')).options!;
  bad.cluster.port = proxy.options.cluster.port;
  bad.serverName = proxy.options.serverName;
  const refused = await proxy.daemon.reload(bad);
  t.equal(refused.ok, false);
  t.match(refused.errors.join('\n'), /config reload not supported for cluster\.name: old=c1, new=c2/);
  t.equal(proxy.daemon.options().cluster.name, 'c1');
  t.equal(proxy.daemon.routes.getPeer(sId)!.main.rid, rid);
  const sock = net.connect(http, '127.0.0.1');
  await new Promise((r) => sock.once('connect', r));
  sock.resume(); // read the 400 to the end, so the socket can close
  sock.end('GARBAGE / HTTP/9\r\n\r\n');
  await new Promise((r) => sock.once('close', r));
  t.equal((await get(http, '/healthz')).status, 200, 'a bad request does not hurt the monitor');
});
