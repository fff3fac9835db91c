// Baseline without the proxy: two real nats-servers of one version form a
// cluster and carry a message across the route. Proves the test-peer helper and
// documents the behaviour the proxy has to reproduce.
import t from 'tap';
import { connect, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { SERVER_VERSIONS, startServer, waitFor, type StartedServer } from '../helpers/nats-server.js';

interface RouteInfo {
  remote_id: string;
  subscriptions_list?: string[];
}

async function routesTo(from: StartedServer, toId: string, query?: string): Promise<RouteInfo[]> {
  const rz = await from.routez(query);
  return ((rz.routes ?? []) as RouteInfo[]).filter((r) => r.remote_id === toId);
}

for (const version of SERVER_VERSIONS) {
  t.test(`nats-server ${version}: two-node cluster relays a message`, async (t) => {
    const s1 = await startServer(t, { version, name: `a-${version}` });
    const s2 = await startServer(t, { version, name: `b-${version}`, cluster: { routes: [s1.routeUrl] } });
    const [id1, id2] = [(await s1.varz()).server_id as string, (await s2.varz()).server_id as string];
    t.not(id1, id2, 'distinct server ids');

    await waitFor(async () => (await routesTo(s1, id2)).length > 0 && (await routesTo(s2, id1)).length > 0, {
      what: 'route established in both directions',
    });
    for (const [s, otherId] of [
      [s1, id2],
      [s2, id1],
    ] as const) {
      const rz = await s.routez();
      t.ok(rz.num_routes >= 1, `${s.name}: num_routes ${rz.num_routes} >= 1`);
      t.ok(
        (rz.routes as RouteInfo[]).every((r) => r.remote_id === otherId),
        `${s.name}: every route's remote_id is the other server`,
      );
    }
    t.match(s2.logs(), /Route connection created/, 'debug log shows route lifecycle');

    const clients: NatsConnection[] = [];
    t.teardown(() => Promise.all(clients.map((c) => c.close())));
    const sub = await connect({ servers: s2.clientUrl, name: 'sub' });
    clients.push(sub);
    const pub = await connect({ servers: s1.clientUrl, name: 'pub' });
    clients.push(pub);

    const subject = `baseline.${version}.hello`;
    const received: Msg[] = [];
    sub.subscribe(subject, {
      callback: (err, msg) => {
        if (err) t.error(err);
        else received.push(msg);
      },
    });
    await sub.flush();

    // Interest crosses the route as RS+; wait until s1 lists it on its route to s2.
    await waitFor(
      async () =>
        (await routesTo(s1, id2, 'subs=1')).some((r) => (r.subscriptions_list ?? []).includes(subject)),
      { what: `s1 to see remote interest in ${subject}` },
    );

    pub.publish(subject, 'hello over the route');
    // A second, later message on the same (ordered) path: once it is in, any
    // duplicate of the first would have arrived before it.
    pub.publish(subject, 'end');
    await pub.flush();
    await waitFor(() => received.some((m) => m.string() === 'end'), { what: 'messages to arrive on s2' });
    t.same(
      received.map((m) => [m.subject, m.string()]),
      [
        [subject, 'hello over the route'],
        [subject, 'end'],
      ],
      'each message delivered exactly once, in order',
    );

    // Helper lifecycle: restart keeps the ports and the route comes back; abrupt kill drops it.
    const ports = [s2.clientPort, s2.clusterPort, s2.httpPort];
    const oldPid = s2.pid;
    const mark = s2.logOffset();
    await s2.restart();
    t.same([s2.clientPort, s2.clusterPort, s2.httpPort], ports, 'restart reuses the same ports');
    t.not(s2.pid, oldPid, 'restart runs a new process');
    await s2.waitForLog(/Route connection created/, 10_000, mark);
    const newId2 = (await s2.varz()).server_id as string;
    t.not(newId2, id2, 'a restarted server has a new server_id');
    await waitFor(async () => (await routesTo(s1, newId2)).length > 0 && (await routesTo(s1, id2)).length === 0, {
      what: 's1 to route to the restarted server only',
    });
    await s2.kill();
    await waitFor(async () => (await s1.routez()).num_routes === 0, { what: 's1 to notice the killed peer' });
    t.pass('killed peer drops the route');
  });
}

t.test('startup failure rejects with the server log', async (t) => {
  await t.rejects(
    startServer(t, { version: '2.9.10', extraConfig: 'no_such_option_xyz: 1' }),
    /exited during startup[\s\S]*no_such_option_xyz/,
  );
});
