// Reload applied in place on a running daemon with real nats-servers: authorization, routes
// added/removed, trace on existing connections; unaffected routes are never dropped.
import t from 'tap';
import { startServer, waitFor } from './helpers/nats-server.js';
import { poolSettled, reloadOptions, startProxy } from './helpers/proxy.js';

function conf(o: { pass: string; routes: string[]; trace?: boolean }): string {
  return `server_name: P
${o.trace ? 'trace: true' : ''}
cluster {
  name: c1
  listen: "127.0.0.1:-1"
  ping_interval: "1s"
  authorization { user: ru, password: ${o.pass}, timeout: 1 }
  routes = [ ${o.routes.map((r) => `"${r}"`).join(', ')} ]
}
`;
}


t.test('reload on a running daemon', async (t) => {
  const solicited = await startServer(t, { version: '2.10.27', name: 'S1', cluster: { name: 'c1' } });
  const proxy = await startProxy(t, conf({ pass: 'one', routes: [solicited.routeUrl] }), { level: 'debug' });
  // Two servers dial us with the current password; S3 will keep matching, S2 will not.
  const s2 = await startServer(t, { version: '2.10.27', name: 'S2', cluster: { name: 'c1', routes: [`nats-route://ru:one@127.0.0.1:${proxy.port}`] } });
  const id1 = (await solicited.varz()).server_id as string;
  const id2 = (await s2.varz()).server_id as string;
  await waitFor(() => proxy.daemon.routes.getPeer(id1) && proxy.daemon.routes.getPeer(id2), { what: 'S1 and S2 registered' });
  const rid1 = (await poolSettled(proxy, id1)).main.rid;

  await t.test('trace takes effect on existing connections', async (t) => {
    t.notOk(proxy.logs().some((l) => /->> \[PING\]/.test(l)), 'no trace before');
    const r = await proxy.daemon.reload(reloadOptions(proxy, conf({ pass: 'one', routes: [solicited.routeUrl], trace: true })));
    t.equal(r.ok, true, r.errors.join('; '));
    t.same(r.changes.map((c) => c.field), ['trace']);
    await proxy.waitForLog(new RegExp(`rid:${rid1} - ->> \\[PING\\]`));
    t.equal(proxy.daemon.routes.getPeer(id1)!.main.rid, rid1, 'same connection');
  });

  await t.test('a new password closes the accepted route that no longer passes; solicited routes stay', async (t) => {
    const r = await proxy.daemon.reload(reloadOptions(proxy, conf({ pass: 'two', routes: [solicited.routeUrl] })));
    t.equal(r.ok, true, r.errors.join('; '));
    t.same(r.changes.map((c) => c.field), ['cluster.authorization', 'trace']);
    await waitFor(() => proxy.daemon.routes.getPeer(id2) === undefined, { what: 'S2 closed' });
    await s2.waitForLog(/Authorization Violation/);
    t.equal(proxy.daemon.routes.getPeer(id1)?.main.rid, rid1, 'S1 (solicited by us) untouched');
    // S2 redials with the old password and is refused.
    await proxy.waitForLog(/Authorization Error$/);
    t.equal(proxy.daemon.routes.getPeer(id2), undefined);
  });

  await t.test('routes added and removed', async (t) => {
    const s4 = await startServer(t, { version: '2.15.1', name: 'S4', cluster: { name: 'c1' } });
    const id4 = (await s4.varz()).server_id as string;
    const add = await proxy.daemon.reload(reloadOptions(proxy, conf({ pass: 'two', routes: [solicited.routeUrl, s4.routeUrl] })));
    t.equal(add.ok, true, add.errors.join('; '));
    t.same(add.changes.map((c) => c.field), ['cluster.routes']);
    await waitFor(() => proxy.daemon.routes.getPeer(id4), { what: 'S4 dialed' });
    t.equal(proxy.daemon.routes.getPeer(id1)?.main.rid, rid1, 'S1 untouched');
    t.ok(proxy.daemon.routes.configuredRoutes().every((r) => r.registered), 'both configured routes registered');

    const rm = await proxy.daemon.reload(reloadOptions(proxy, conf({ pass: 'two', routes: [s4.routeUrl] })));
    t.equal(rm.ok, true, rm.errors.join('; '));
    await proxy.waitForLog(/Route connection closed: Route Removed/);
    t.same(proxy.daemon.routes.configuredRoutes().map((r) => r.url), [s4.routeUrl]);
    t.ok(proxy.daemon.routes.getPeer(id4), 'S4 stays');
  });

  await t.test('an invalid reload source changes nothing', async (t) => {
    const before = proxy.daemon.options().cluster.routes.length;
    const r = await proxy.daemon.reload(); // the helper gave no source
    t.equal(r.ok, false);
    t.equal(proxy.daemon.options().cluster.routes.length, before);
  });
});
