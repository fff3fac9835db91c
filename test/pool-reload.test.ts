// Reload of pool_size and cluster.accounts on running proxies (route-protocol.md §4.4): pinning an
// account at runtime (route_acc_add_reqid answered, then a dedicated connection), unpinning it
// (its connection closes for good), a new pool size (only the pooled connections are re-created).
import t from 'tap';
import { waitFor } from './helpers/nats-server.js';
import { reloadOptions, startProxy, type StartedProxy } from './helpers/proxy.js';

function conf(name: string, o: { pool?: number; accounts?: string[]; routes?: string[] }): string {
  return `server_name: ${name}
cluster {
  name: c1
  listen: "127.0.0.1:-1"
  ${o.pool !== undefined ? `pool_size: ${o.pool}` : ''}
  ${o.accounts ? `accounts: [ ${o.accounts.join(', ')} ]` : ''}
  ${o.routes ? `routes = [ ${o.routes.map((r) => `"${r}"`).join(', ')} ]` : ''}
}
`;
}


t.test('pool_size and pinned accounts reload between two proxies', async (t) => {
  const pb = await startProxy(t, conf('PB', {}), { level: 'debug' });
  const route = [pb.routeUrl];
  const pa = await startProxy(t, conf('PA', { routes: route }), { level: 'debug' });
  const peerAt = (p: StartedProxy, other: StartedProxy) => p.daemon.routes.getPeer(other.serverId);
  await waitFor(() => peerAt(pa, pb)?.connectionCount === 4 && peerAt(pb, pa)?.connectionCount === 4, { what: '3 pooled + $SYS' });
  const pooledRids = () => peerAt(pa, pb)!.slots.map((c) => c?.rid);
  const sysRid = peerAt(pa, pb)!.pinned.get('$SYS')!.rid;
  const rids0 = pooledRids();

  await t.test('pinning HEAVY at runtime: a request answered, then a dedicated connection; nothing else drops', async (t) => {
    const r1 = await pb.daemon.reload(reloadOptions(pb, conf('PB', { accounts: ['HEAVY'] })));
    t.ok(r1.ok, `PB reloaded (${r1.errors.join('; ')})`);
    await pb.waitForLog(/Reloaded: cluster.accounts/);
    t.notOk(pb.logs().some((l) => /Timed out waiting for confirmation/.test(l)), 'PA answered PB\'s pinning request');
    const r2 = await pa.daemon.reload(reloadOptions(pa, conf('PA', { accounts: ['HEAVY'], routes: route })));
    t.ok(r2.ok, `PA reloaded (${r2.errors.join('; ')})`);
    await waitFor(() => peerAt(pa, pb)?.pinned.has('HEAVY') && peerAt(pb, pa)?.pinned.has('HEAVY'), { what: 'HEAVY has its own connection on both sides' });
    t.notOk(pa.logs().some((l) => /Timed out waiting for confirmation/.test(l)), 'PB answered PA\'s pinning request');
    t.same(pooledRids(), rids0, 'the pooled connections were not touched');
    t.equal(peerAt(pa, pb)!.pinned.get('$SYS')!.rid, sysRid, '$SYS\'s connection was not touched');
  });

  await t.test('unpinning HEAVY: its connection closes and is not redialed', async (t) => {
    const heavy = peerAt(pa, pb)!.pinned.get('HEAVY')!;
    await pa.daemon.reload(reloadOptions(pa, conf('PA', { routes: route })));
    await pb.daemon.reload(reloadOptions(pb, conf('PB', {})));
    await waitFor(() => heavy.state === 'closed' && !peerAt(pb, pa)?.pinned.has('HEAVY'), { what: 'HEAVY\'s connection closed' });
    await new Promise((r) => setTimeout(r, 1500));
    t.notOk(peerAt(pa, pb)!.pinned.has('HEAVY'), 'not redialed');
    t.same(pooledRids(), rids0, 'the pooled connections were not touched');
  });

  await t.test('a new pool size: the pooled connections are re-created with it, $SYS stays', async (t) => {
    await pb.daemon.reload(reloadOptions(pb, conf('PB', { pool: 5 })));
    await pa.daemon.reload(reloadOptions(pa, conf('PA', { pool: 5, routes: route })));
    await waitFor(() => peerAt(pa, pb)?.connectionCount === 6 && peerAt(pb, pa)?.connectionCount === 6 && !peerAt(pa, pb)!.poolShort,
      { what: '5 pooled + $SYS', timeoutMs: 15_000 });
    t.equal(peerAt(pa, pb)!.slots.length, 5);
    t.ok(peerAt(pa, pb)!.slots.every((c) => c !== undefined && !rids0.includes(c.rid)), 'every pooled connection is new');
    t.equal(peerAt(pa, pb)!.pinned.get('$SYS')!.rid, sysRid, '$SYS\'s connection stayed');
  });
});
