// The daemon as a route peer of real nats-servers (2.9.10 and 2.10.27): handshake in both
// directions, authorization, cluster names, interest, gossip, reconnects and pooling servers.
// Each check is made on both sides: our log/snapshot and the server's log or /routez.
import t from 'tap';
import net from 'node:net';
import { connect } from '@nats-io/transport-node';
import { SERVER_VERSIONS, startServer, waitFor, type StartedServer } from '../helpers/nats-server.js';
import { startProxy } from '../helpers/proxy.js';

const USER = 'route_user';
const PASS = 'route_pass';

function proxyConf(name: string, opts: { cluster?: string; auth?: boolean; routes?: string[]; timeout?: number } = {}): string {
  const auth = opts.auth
    ? `authorization { user: ${USER}, password: ${PASS}, timeout: ${opts.timeout ?? 0.5} }`
    : '';
  const routes = opts.routes?.length ? `routes = [\n${opts.routes.map((r) => `  "${r}"`).join('\n')}\n]` : '';
  return `server_name: ${name}
cluster {
  name: ${opts.cluster ?? 'c1'}
  listen: "127.0.0.1:-1"
  ${auth}
  ${routes}
}
`;
}

const withCreds = (port: number, pass = PASS) => `nats-route://${USER}:${pass}@127.0.0.1:${port}`;

async function routeTo(server: StartedServer, remoteId: string): Promise<any> {
  const rz = await server.routez();
  return (rz.routes ?? []).find((r: any) => r.remote_id === remoteId);
}

for (const version of SERVER_VERSIONS) {
  t.test(`nats-server ${version}`, async (t) => {
    t.test('daemon as acceptor', async (t) => {
      const proxy = await startProxy(t, proxyConf(`proxy-acc-${version}`, { auth: true }));

      await t.test('a server with the right credentials is registered on both sides', async (t) => {
        const s = await startServer(t, { version, name: 'acc-ok', cluster: { name: 'c1', routes: [withCreds(proxy.port)] } });
        const id = (await s.varz()).server_id as string;
        await waitFor(() => proxy.daemon.routes.getPeer(id), { what: 'proxy registers the server' });
        const r = await waitFor(() => routeTo(s, proxy.serverId), { what: 'server /routez lists the proxy' });
        // 2.9.10's /routez has no remote_name; 2.10+ shows our server_name there.
        if (version !== '2.9.10') t.equal(r.remote_name, `proxy-acc-${version}`, 'routez remote_name is our server_name');
        t.equal(proxy.daemon.routes.getPeer(id)!.kind, 'server');
        t.ok(proxy.logs().some((l) => /rid:\d+ - Route connection created/.test(l)), 'nats-server wording in our log');
        // The server pings about 1 s after registering; an answered PING shows up as an RTT.
        await waitFor(async () => (await routeTo(s, proxy.serverId))?.rtt, { what: 'server measured RTT (our PONG)' });
        await waitFor(() => proxy.daemon.routes.snapshot().find((p) => p.serverId === id)?.rttMs !== undefined,
          { what: 'our RTT measurement (their PONG)' });
      });

      await t.test('a wrong password gets Authorization Violation', async (t) => {
        const s = await startServer(t, { version, name: 'acc-badpass', cluster: { name: 'c1', routes: [withCreds(proxy.port, 'wrong')] } });
        await s.waitForLog(/Authorization Violation/);
        await proxy.waitForLog(/Authorization Error/);
        // The server may still list the refused connection for a moment after logging the error.
        await waitFor(async () => (await s.routez()).num_routes === 0, { what: 'server has no route' });
        t.pass('server has no route');
        const id = (await s.varz()).server_id as string;
        t.notOk(proxy.daemon.routes.getPeer(id), 'proxy has no peer');
      });

      await t.test('a wrong cluster name is rejected with the nats-server text', async (t) => {
        const s = await startServer(t, { version, name: 'acc-badname', cluster: { name: 'other', routes: [withCreds(proxy.port)] } });
        // Both reactions are nats-server's: our -ERR after its CONNECT, or (2.15.1 reads our INFO
        // first) its own silent close on the INFO's cluster name before the -ERR arrives.
        const line = await s.waitForLog(/Rejecting connection, cluster name "other" does not match "c1"|Cluster Name Conflict/);
        if (/Rejecting/.test(line)) await proxy.waitForLog(/Cluster Name Conflict/);
        t.equal((await s.routez()).num_routes, 0);
        t.notOk(proxy.daemon.routes.getPeer((await s.varz()).server_id as string), 'proxy has no peer');
      });

      await t.test('no CONNECT within the timeout gets Authentication Timeout', async (t) => {
        const got = await new Promise<string>((resolve, reject) => {
          const sock = net.connect(proxy.port, '127.0.0.1');
          let data = '';
          sock.on('data', (b) => (data += b.toString()));
          sock.on('close', () => resolve(data));
          sock.on('error', reject);
          setTimeout(() => sock.destroy(), 5000).unref();
        });
        t.match(got, /^INFO \{.*\} \r\n/, 'INFO is sent at once');
        t.match(got, /-ERR 'Authentication Timeout'\r\n$/, 'then the timeout error');
        await proxy.waitForLog(/Authentication Timeout/);
      });
    });

    t.test('daemon as dialer', async (t) => {
      const s = await startServer(t, {
        version, name: 'dial-target',
        cluster: { name: 'c1', authorization: { user: USER, password: PASS } },
      });
      const sid = (await s.varz()).server_id as string;

      await t.test('right credentials', async (t) => {
        const p = await startProxy(t, proxyConf(`proxy-dial-${version}`, { routes: [withCreds(s.clusterPort)] }));
        await waitFor(() => p.daemon.routes.getPeer(sid), { what: 'proxy registers the server' });
        const r = await waitFor(() => routeTo(s, p.serverId), { what: 'server lists the proxy' });
        if (version !== '2.9.10') t.equal(r.remote_name, `proxy-dial-${version}`);
        t.equal(r.did_solicit, false, 'the server accepted us');
      });

      await t.test('wrong password', async (t) => {
        const since = s.logOffset();
        const p = await startProxy(t, proxyConf(`proxy-dial-bad-${version}`, { routes: [withCreds(s.clusterPort, 'nope')] }));
        await p.waitForLog(/Route Error 'Authorization Violation'/);
        await s.waitForLog(/Authorization Error|authentication error/i, 10_000, since);
        // A dialer registers on the server's INFO, before the server has checked its CONNECT (Go's
        // does too); each redial does so again until the -ERR arrives: the route never stays.
        await waitFor(() => p.daemon.routes.getPeer(sid) === undefined, { what: 'no route left after the -ERR' });
        t.pass('refused');
      });

      await t.test('wrong cluster name', async (t) => {
        const since = s.logOffset();
        const p = await startProxy(t, proxyConf(`proxy-dial-name-${version}`, { cluster: 'elsewhere', routes: [withCreds(s.clusterPort)] }));
        // The server rejects our CONNECT with its -ERR; we may close first on its INFO (cluster "c1"),
        // exactly as a Go dialer would: both are correct, and the race is decided by the scheduler.
        await s.waitForLog(/Rejecting connection, cluster name "elsewhere" does not match "c1"/, 10_000, since);
        await p.waitForLog(/Cluster Name Conflict|Route Error 'Rejecting connection, cluster name "elsewhere" does not match "c1"'/);
        t.notOk(p.daemon.routes.getPeer(sid));
      });
    });

    t.test('interest, gossip and reconnects', async (t) => {
      const proxy = await startProxy(t, proxyConf(`proxy-int-${version}`));
      const a = await startServer(t, { version, name: 'int-a', cluster: { name: 'c1', routes: [`nats-route://127.0.0.1:${proxy.port}`] } });
      const b = await startServer(t, { version, name: 'int-b', cluster: { name: 'c1', routes: [`nats-route://127.0.0.1:${proxy.port}`] } });
      const aid = (await a.varz()).server_id as string;
      const bid = (await b.varz()).server_id as string;

      await t.test('two servers that only name the daemon mesh through its gossip', async (t) => {
        await waitFor(async () => (await routeTo(a, bid)) && (await routeTo(b, aid)), { what: 'a and b route to each other' });
        t.ok(await routeTo(a, proxy.serverId), 'a still routes to the proxy');
        t.ok(await routeTo(b, proxy.serverId), 'b still routes to the proxy');
        t.equal(proxy.daemon.routes.getPeers().length, 2);
      });

      await t.test('subscriptions show up in the interest table and go away', async (t) => {
        const nc = await connect({ servers: a.clientUrl });
        t.teardown(() => nc.close());
        const subs = [nc.subscribe('plain.subject'), nc.subscribe('wild.*.card'), nc.subscribe('tail.>'),
          nc.subscribe('work', { queue: 'workers' }), nc.subscribe('work', { queue: 'workers' })];
        await nc.flush();
        const table = () => [...proxy.daemon.routes.getPeer(aid)!.interest.entries()].filter((e) => e.account === '$G');
        const find = (subject: string) => table().find((e) => e.subject === subject);
        await waitFor(() => find('plain.subject') && find('wild.*.card') && find('tail.>') && find('work')?.weight === 2,
          { what: 'interest arrives with queue weight 2' });
        t.equal(find('work')!.queue, 'workers');
        subs[4]!.unsubscribe();
        await waitFor(() => find('work')?.weight === 1, { what: 'weight drops to 1 (absolute, not a delta)' });
        for (const s of subs.slice(0, 4)) s.unsubscribe();
        await nc.flush();
        await waitFor(() => !find('plain.subject') && !find('wild.*.card') && !find('tail.>') && !find('work'),
          { what: 'all interest withdrawn' });
        t.pass('interest follows the client');
      });

      await t.test('a killed and restarted server comes back with its interest', async (t) => {
        // The proxy dials this one, so reconnecting is our job.
        const c = await startServer(t, { version, name: 'int-c', cluster: { name: 'c1' } });
        const p2 = await startProxy(t, proxyConf(`proxy-re-${version}`, { routes: [`nats-route://127.0.0.1:${c.clusterPort}`] }));
        const cid = (await c.varz()).server_id as string;
        await waitFor(() => p2.daemon.routes.getPeer(cid), { what: 'first registration' });
        await c.kill('SIGKILL');
        await waitFor(() => !p2.daemon.routes.getPeer(cid), { what: 'peer gone after kill' });
        await c.restart();
        const cid2 = (await c.varz()).server_id as string;
        await waitFor(() => p2.daemon.routes.getPeer(cid2), { timeoutMs: 15_000, what: 're-established route' });
        const nc = await connect({ servers: c.clientUrl });
        t.teardown(() => nc.close());
        nc.subscribe('after.restart');
        await nc.flush();
        await waitFor(() => [...p2.daemon.routes.getPeer(cid2)!.interest.entries()].some((e) => e.subject === 'after.restart'),
          { what: 'interest relearned' });
        t.ok(await routeTo(c, p2.serverId), 'server lists the proxy again');
      });
    });
  });
}

t.test('a pooling 2.10.27 server pools with us (3 connections plus $SYS), without a reconnect storm', async (t) => {
  const proxy = await startProxy(t, proxyConf('proxy-pool'));
  const s = await startServer(t, { version: '2.10.27', name: 'pooler', cluster: { name: 'c1', routes: [`nats-route://127.0.0.1:${proxy.port}`] } });
  const sid = (await s.varz()).server_id as string;
  await waitFor(async () => proxy.daemon.routes.getPeer(sid)?.connectionCount === 4 && (await s.routez()).num_routes === 4,
    { what: 'four connections on both sides' });
  const countCreated = () => (s.logs().match(/Route connection created/g) ?? []).length;
  const before = countCreated();
  const rids = proxy.daemon.routes.getPeer(sid)!.connections().map((c) => c.rid);
  await new Promise((r) => setTimeout(r, 3000)); // observation window: a storm would show several reconnects here
  t.equal(countCreated(), before, 'no new route connections during 3 s');
  t.same(proxy.daemon.routes.getPeer(sid)!.connections().map((c) => c.rid), rids, 'the same connections are still our route');
  const rz = await s.routez();
  t.equal(rz.num_routes, 4, 'the server has 4 route connections, all to us');
  t.ok(rz.routes.every((r: any) => r.remote_id === proxy.serverId));
  t.same(rz.routes.filter((r: any) => r.account).map((r: any) => r.account), ['$SYS'], 'one of them pinned to $SYS');
  t.equal(proxy.daemon.routes.getPeers().length, 1);
  // And it carries traffic: interest from a client reaches us on $G's pooled connection.
  const nc = await connect({ servers: s.clientUrl });
  t.teardown(() => nc.close());
  nc.subscribe('pooled.works');
  await nc.flush();
  const peer = proxy.daemon.routes.getPeer(sid)!;
  await waitFor(() => [...peer.interest.entries()].some((e) => e.subject === 'pooled.works'), { what: 'interest over the pool' });
  t.ok(peer.accountConn('$G')!.interestAccounts.has('$G'), '$G interest arrived on the connection $G maps to');
  t.equal(peer.accountConn('$G')!.poolIdx, 2, '$G: FNV-1a mod 3 = 2');
});

