// Route pooling and pinned accounts against real nats-servers (route-protocol.md §3, §4):
// pool sizes 1, 3 and 5 in both roles, mixed sizes (2.15.1 takes the larger, 2.10.27 refuses with
// its exact error and we back off), 2.9.10 without pooling, and each server's /routez as the oracle.
import t from 'tap';
import { startServer, waitFor, type ServerVersion, type StartedServer } from '../helpers/nats-server.js';
import { startProxy, type StartedProxy } from '../helpers/proxy.js';

function proxyConf(name: string, pool: number | undefined, routes: string[] = []): string {
  return `server_name: ${name}
cluster {
  name: world
  listen: "127.0.0.1:-1"
  ${pool !== undefined ? `pool_size: ${pool}` : ''}
  ${routes.length ? `routes = [ ${routes.map((r) => `"${r}"`).join(', ')} ]` : ''}
}
`;
}

/** The server's route connections to the proxy, as its /routez lists them. */
async function serverView(s: StartedServer, proxyId: string): Promise<Array<{ rid: number; account?: string; port: number }>> {
  return ((await s.routez()).routes ?? []).filter((r: any) => r.remote_id === proxyId);
}

interface Case {
  version: ServerVersion;
  serverPool?: number; // undefined: the server's default (3 on 2.10+)
  proxyPool?: number;
  proxyDials: boolean;
  /** Pooled connections expected (the $SYS one comes on top when both pool). */
  expected: number;
  pinned: boolean;
}

const cases: Case[] = [
  { version: '2.10.27', serverPool: 1, proxyPool: 1, proxyDials: true, expected: 1, pinned: true },
  { version: '2.10.27', proxyDials: false, expected: 3, pinned: true },
  { version: '2.10.27', serverPool: 5, proxyPool: 5, proxyDials: false, expected: 5, pinned: true },
  { version: '2.15.1', serverPool: 1, proxyPool: 1, proxyDials: false, expected: 1, pinned: true },
  { version: '2.15.1', proxyDials: true, expected: 3, pinned: true },
  { version: '2.15.1', serverPool: 5, proxyPool: 5, proxyDials: true, expected: 5, pinned: true },
  // 2.11.2+: different sizes are allowed, and both sides use the larger (§3.2).
  { version: '2.15.1', serverPool: 3, proxyPool: 5, proxyDials: true, expected: 5, pinned: true },
  { version: '2.15.1', serverPool: 5, proxyPool: 1, proxyDials: false, expected: 5, pinned: true },
  // No pooling on one side: one connection carries every account, $SYS included (§3.7).
  { version: '2.9.10', proxyDials: true, expected: 1, pinned: false },
  { version: '2.9.10', proxyDials: false, expected: 1, pinned: false },
  { version: '2.15.1', proxyPool: -1, proxyDials: true, expected: 1, pinned: false },
];

for (const c of cases) {
  const name = `${c.version}, server pool ${c.serverPool ?? 'default'}, proxy pool ${c.proxyPool ?? 'default'}, proxy ${c.proxyDials ? 'dials' : 'accepts'}`;
  t.test(name, async (t) => {
    let proxy: StartedProxy;
    let server: StartedServer;
    const poolOpt = c.version === '2.9.10' ? {} : c.serverPool !== undefined ? { poolSize: c.serverPool } : {};
    if (c.proxyDials) {
      server = await startServer(t, { version: c.version, name: 'S', cluster: { name: 'world', ...poolOpt } });
      proxy = await startProxy(t, proxyConf('P', c.proxyPool, [server.routeUrl]), { level: 'info' });
    } else {
      proxy = await startProxy(t, proxyConf('P', c.proxyPool), { level: 'info' });
      server = await startServer(t, { version: c.version, name: 'S', cluster: { name: 'world', routes: [`nats-route://127.0.0.1:${proxy.port}`], ...poolOpt } });
    }
    const sid = (await server.varz()).server_id as string;
    const total = c.expected + (c.pinned ? 1 : 0);
    await waitFor(async () => (await serverView(server, proxy.serverId)).length === total && proxy.daemon.routes.getPeer(sid)?.connectionCount === total,
      { what: `${total} connections on both sides`, timeoutMs: 15_000 });
    const theirs = await serverView(server, proxy.serverId);
    t.equal(theirs.length, total, `the server lists ${total} route connections to the proxy`);
    t.same(theirs.filter((r) => r.account !== undefined).map((r) => r.account), c.pinned ? ['$SYS'] : [], 'pinned: $SYS only');
    const peer = proxy.daemon.routes.getPeer(sid)!;
    t.equal(peer.slots.length, c.expected, `the proxy keeps ${c.expected} pool slot(s)`);
    t.same([...peer.pinned.keys()], c.pinned ? ['$SYS'] : [], 'the proxy agrees on the pinned connection');
    t.equal(peer.noPool, !c.pinned, 'no-pool exactly when a side does not pool');
    // The same TCP connections on both sides: the server's `port` is our socket's local port.
    const ours = new Set(peer.connections().map((x) => (x.socket as { localPort?: number }).localPort));
    t.ok(theirs.every((r) => ours.has(r.port)), 'every connection the server lists is one of ours');
    // Stable: no connection is added, dropped or re-created afterwards.
    const rids = theirs.map((r) => r.rid).sort();
    await new Promise((r) => setTimeout(r, 1500));
    t.same((await serverView(server, proxy.serverId)).map((r) => r.rid).sort(), rids, 'no connection re-created in 1.5 s');
  });
}

t.test('2.10.27 with a different pool size: its exact mismatch error, and a bounded retry rate', async (t) => {
  const server = await startServer(t, { version: '2.10.27', name: 'S', cluster: { name: 'world' } });
  const proxy = await startProxy(t, proxyConf('P', 5, [server.routeUrl]), { level: 'info' });
  await proxy.waitForLog(/Route Error 'Mismatch route pool size: 3 vs 5'/, 10_000);
  // nats-server 2.10 refuses after registering; we back off (1, 1, 2, 4 … 30 s) instead of redialing every second.
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, 8000));
  const dials = proxy.daemon.routes.solicitations().filter((s) => !s.extra).reduce((n, s) => n + s.dials, 0);
  const seconds = (Date.now() - t0) / 1000 + 1;
  t.ok(dials <= 6, `connection attempts are bounded: ${dials} in the first ~${seconds.toFixed(0)} s`);
  t.ok(dials >= 2, 'and still retried (an explicit route never gives up)');
  t.equal(proxy.daemon.routes.getPeers().length, 0, 'no route stays up');
});
