// Two (and three) sites joined by proxies, with real nats-servers and official clients:
// site A = nats-server 2.15.1 and 2.10.27, site B = one 2.10.27 and one 2.9.10. Pooling is on
// (the default pool_size 3 and the pinned $SYS) wherever both sides pool.
import t from 'tap';
import { connect, type NatsConnection, type Msg } from '@nats-io/transport-node';
import { startServer, waitFor, type ServerVersion, type StartedServer } from '../helpers/nats-server.js';
import { startProxy, type StartedProxy } from '../helpers/proxy.js';

// Two accounts besides $G, so that account tokens are exercised end to end.
// max_pending: the subscribing client is a JavaScript one; 500,000 × 128 B sent at full speed
// exceed nats-server's default 64MB client bound if the client falls behind, and the server
// would drop them as a slow consumer (the path under test is the route, not the client).
const ACCOUNTS = `
max_pending: 512MB
accounts {
  ACC_A: { users: [ { user: a, password: a } ] }
  ACC_B: { users: [ { user: b, password: b } ] }
  G: { users: [ { user: g, password: g } ] }
}
`;

function proxyConf(name: string, routes: string[]): string {
  return `server_name: ${name}
cluster {
  name: world
  listen: "127.0.0.1:-1"
  # Short, so that a stopped server is cut quickly in the slow-consumer test (default 10s).
  write_deadline: "2s"
  ${routes.length ? `routes = [ ${routes.map((r) => `"${r}"`).join(', ')} ]` : ''}
}
proxy { max_pending: 4MB }
`;
}

interface Site {
  proxy: StartedProxy;
  servers: StartedServer[];
}

async function startSite(t: { teardown(fn: () => unknown): void }, name: string, versions: ServerVersion[], proxyRoutes: string[]): Promise<Site> {
  const proxy = await startProxy(t, proxyConf(`proxy-${name}`, proxyRoutes), { level: 'info' });
  const servers: StartedServer[] = [];
  for (const [i, version] of versions.entries()) {
    servers.push(await startServer(t, {
      version, name: `${name}${i + 1}`, extraConfig: ACCOUNTS,
      cluster: { name: 'world', routes: [`nats-route://127.0.0.1:${proxy.port}`] },
    }));
  }
  // Every server routes to the proxy and (through its gossip) to the other servers of its site.
  // 2.10 servers pool among themselves (several connections per peer): count distinct peers.
  await waitFor(async () => {
    for (const s of servers) if ((await remotes(s)).size !== versions.length) return false;
    return true;
  }, { what: `site ${name} meshed`, timeoutMs: 15_000 });
  return { proxy, servers };
}

async function remotes(s: StartedServer): Promise<Set<string>> {
  return new Set(((await s.routez()).routes ?? []).map((r: { remote_id: string }) => r.remote_id));
}

async function client(s: StartedServer, user = 'g'): Promise<NatsConnection> {
  return connect({ servers: s.clientUrl, user, pass: user });
}

/** Waits until `nc`'s subscription interest is visible in `remote`'s servers (via the proxies). */
async function interestVisible(site: Site, account: string, subject: string, queue?: string): Promise<void> {
  await waitFor(() => site.proxy.daemon.routes.getPeers()
    .filter((p) => p.kind === 'proxy')
    .some((p) => [...p.interest.entries()].some((e) => e.account === account && e.subject === subject && e.queue === queue)),
  { what: `interest ${account} ${subject} ${queue ?? ''} reached proxy`, timeoutMs: 10_000 });
  // From the proxy to the site's servers is one more hop: wait until each server lists the subscription on its route.
  await waitFor(async () => {
    for (const s of site.servers) {
      const rz = await s.routez('subs=1');
      // One entry per pooled connection: the subject is on the one its account maps to.
      const rs = (rz.routes ?? []).filter((x: any) => x.remote_id === site.proxy.serverId);
      const listed = rs.some((r: any) => (r.subscriptions_list ?? []).some((x: string) => x === subject || x.startsWith(subject + ' ') || x.endsWith(' ' + subject)));
      // 2.9/2.10 list plain subjects only (queue subs appear as "subject queue"); for a queue fall back
      // to the count, on pooled connections only (the pinned $SYS one always has subscriptions).
      if (!listed && (queue === undefined || !rs.some((r: any) => r.account === undefined && r.subscriptions > 0))) return false;
    }
    return true;
  }, { what: `servers of site see ${subject}` });
}

t.test('two sites', async (t) => {
  const b = await startSite(t, 'B', ['2.10.27', '2.9.10'], []);
  const a = await startSite(t, 'A', ['2.15.1', '2.10.27'], [`nats-route://127.0.0.1:${b.proxy.port}`]);
  await waitFor(() => a.proxy.daemon.routes.getPeers().some((p) => p.kind === 'proxy'), { what: 'proxies connected' });
  t.equal(b.proxy.daemon.routes.getPeers().filter((p) => p.kind === 'proxy').length, 1, 'B sees A as a proxy');
  // Servers never learn about the other site.
  for (const s of [...a.servers, ...b.servers]) {
    const ids = await remotes(s);
    t.equal(ids.size, 2, `${s.name}: routes to its proxy and its site peer only`);
    t.notOk(ids.has(a.proxy.serverId) && ids.has(b.proxy.serverId), `${s.name}: never to both proxies`);
  }

  t.test('plain and wildcard subjects in several accounts, both directions, exactly once', async (t) => {
    const cases: Array<{ user: string; sub: string; pub: string }> = [
      { user: 'g', sub: 'plain.one', pub: 'plain.one' },
      { user: 'a', sub: 'star.*.x', pub: 'star.mid.x' },
      { user: 'b', sub: 'tail.>', pub: 'tail.deep.er' },
    ];
    for (const [from, to] of [[a, b], [b, a]] as const) {
      for (const c of cases) {
        for (const pubServer of from.servers) {
          const subs = await Promise.all(to.servers.map((s) => client(s, c.user)));
          const got = subs.map(() => [] as string[]);
          subs.forEach((nc, i) => nc.subscribe(c.sub, { callback: (_e, m) => { got[i]!.push(m.string()); } }));
          await Promise.all(subs.map((nc) => nc.flush()));
          const acct = c.user === 'g' ? 'G' : c.user === 'a' ? 'ACC_A' : 'ACC_B';
          await interestVisible(from, acct, c.sub);
          const pub = await client(pubServer, c.user);
          for (let i = 0; i < 5; i++) pub.publish(c.pub, `m${i}`);
          await pub.flush();
          await waitFor(() => got.every((g) => g.length >= 5), { what: `delivery of ${c.sub}` });
          await pub.flush();
          await Promise.all(subs.map((nc) => nc.flush()));
          for (const g of got) t.same(g, ['m0', 'm1', 'm2', 'm3', 'm4'], `${c.user} ${c.sub} via ${pubServer.name}: once, in order`);
          await pub.close();
          await Promise.all(subs.map((nc) => nc.close()));
        }
      }
    }
  });

  t.test('500,000 × 128 B from one publisher at full speed arrive complete, in order, once', async (t) => {
    const sub = await client(b.servers[1]!); // the 2.9.10 server
    const N = 500_000;
    let next = 0;
    let bad = 0;
    const firstBad: string[] = [];
    const done = new Promise<void>((resolve) => {
      sub.subscribe('bulk', {
        callback: (_e, m) => {
          const d = m.data;
          const n = ((d[0]! << 24) | (d[1]! << 16) | (d[2]! << 8) | d[3]!) >>> 0;
          if (n !== next) {
            if (bad < 5) firstBad.push(`${n} after ${next - 1}`);
            bad++;
          }
          next = n + 1;
          if (n === N - 1) resolve();
        },
      });
    });
    await sub.flush();
    await interestVisible(a, 'G', 'bulk');
    const pub = await client(a.servers[0]!);
    for (let i = 0; i < N; i++) {
      // A fresh body each time: the client may still hold the previous one until it flushes.
      const body = Buffer.alloc(128);
      body.writeUInt32BE(i, 0);
      pub.publish('bulk', body);
      if (i % 20000 === 19999) await pub.flush(); // keep the client's own buffer bounded
    }
    await pub.flush();
    await waitFor(() => next >= N, { timeoutMs: 90_000, what: 'all 500,000 messages' }).catch(() => {
      throw new Error(`received ${next} of ${N}; copies sent by proxy B: ${b.proxy.daemon.relay.stats.copiesToServers}`);
    });
    await done;
    t.equal(bad, 0, `no gaps, duplicates or reordering ${firstBad.join(', ')}`);
    t.equal(next, N);
    await pub.close();
    await sub.close();
  });

  t.test('queue groups across sites: each message to exactly one member', async (t) => {
    // Weights 1 (site A, on A1) and 3 (site B: two on B1, one on B2).
    const members: Array<{ nc: NatsConnection; count: number }> = [];
    const seen = new Map<string, number>();
    const add = async (s: StartedServer) => {
      const nc = await client(s);
      const m = { nc, count: 0 };
      nc.subscribe('jobs', {
        queue: 'workers',
        callback: (_e, msg: Msg) => {
          m.count++;
          const k = msg.string();
          seen.set(k, (seen.get(k) ?? 0) + 1);
        },
      });
      await nc.flush();
      members.push(m);
    };
    await add(a.servers[0]!);
    await add(b.servers[0]!);
    await add(b.servers[0]!);
    await add(b.servers[1]!);
    await interestVisible(a, 'G', 'jobs', 'workers');
    await interestVisible(b, 'G', 'jobs', 'workers');
    const N = 10_000;
    const pubs = [await client(a.servers[1]!), await client(b.servers[1]!)];
    for (let i = 0; i < N; i++) pubs[i % 2]!.publish('jobs', String(i));
    await Promise.all(pubs.map((p) => p.flush()));
    await waitFor(() => seen.size === N, { what: 'all queue messages delivered', timeoutMs: 20_000 });
    await Promise.all(members.map((m) => m.nc.flush()));
    const dup = [...seen.values()].filter((v) => v !== 1).length;
    t.equal(dup, 0, 'no message delivered twice');
    t.equal(members.reduce((s, m) => s + m.count, 0), N, 'total deliveries equal messages');
    t.ok(members.every((m) => m.count > 0), 'every member got some');
    for (const c of [...pubs, ...members.map((m) => m.nc)]) await c.close();
  });

  t.test('request/reply across sites, headers byte-exact, unsubscribe stops delivery, no lingering interest', async (t) => {
    const { headers } = await import('@nats-io/transport-node');
    const responder = await client(b.servers[1]!);
    responder.subscribe('svc.echo', {
      callback: (_e, m) => {
        const h = headers();
        h.set('X-Seen', m.headers?.get('X-Trace') ?? 'none');
        m.respond(m.data, { headers: h });
      },
    });
    await responder.flush();
    await interestVisible(a, 'G', 'svc.echo');
    const requester = await client(a.servers[0]!);
    const h = headers();
    h.set('X-Trace', 'abc-123 ünïcode');
    const payload = new Uint8Array([0, 1, 2, 13, 10, 255]);
    const reply = await requester.request('svc.echo', payload, { timeout: 5000, headers: h });
    t.same([...reply.data], [...payload], 'payload byte-exact');
    t.equal(reply.headers?.get('X-Seen'), 'abc-123 ünïcode', 'request header arrived intact');

    // Unsubscribe in B stops delivery from A once the RS- has propagated.
    const sub = await client(b.servers[0]!);
    let count = 0;
    const s = sub.subscribe('stop.me', { callback: () => { count++; } });
    await sub.flush();
    await interestVisible(a, 'G', 'stop.me');
    s.unsubscribe();
    await sub.flush();
    await waitFor(() => ![...a.proxy.daemon.routes.getPeers()].some((p) => p.kind === 'proxy'
      && [...p.interest.entries()].some((e) => e.subject === 'stop.me')), { what: 'RS- reached proxy A' });
    const pub = await client(a.servers[1]!);
    for (let i = 0; i < 10; i++) pub.publish('stop.me', 'x');
    await pub.flush();
    // A marker on a live subject, published after, proves the earlier ones had their chance.
    const marker = sub.subscribe('marker');
    await sub.flush();
    await interestVisible(a, 'G', 'marker');
    pub.publish('marker', 'done');
    await pub.flush();
    for await (const _m of marker) break;
    t.equal(count, 0, 'nothing delivered after unsubscribe');

    for (const c of [responder, requester, sub, pub]) await c.close();
    const userInterest = (site: Site) => site.proxy.daemon.routes.getPeers()
      .flatMap((p) => [...p.interest.entries()]).filter((e) => e.account === 'G');
    await waitFor(() => userInterest(a).length === 0 && userInterest(b).length === 0, { what: 'no lingering interest' });
    t.pass('no interest lingers in either proxy');
  });

  t.test('a stopped server in B: the healthy one gets everything, the stopped one is a slow consumer, cut by the write deadline, and comes back', async (t) => {
    const slow = b.servers[0]!;
    const fast = b.servers[1]!;
    const ncSlow = await client(slow);
    const ncFast = await client(fast);
    let fastGot = 0;
    let slowGot = 0;
    ncSlow.subscribe('flood', { callback: () => { slowGot++; } });
    ncFast.subscribe('flood', { callback: () => { fastGot++; } });
    await Promise.all([ncSlow.flush(), ncFast.flush()]);
    await interestVisible(a, 'G', 'flood');
    const slowRoute = () => b.proxy.daemon.routes.getPeers().find((p) => p.name === slow.name);
    const before = slowRoute()!;
    // The connection that carries account G (its pool index): the flood goes there only.
    const flooded = before.accountConn('G')!;
    const closedRid = flooded.rid;
    await slow.kill('SIGSTOP'); // the route to it stops draining: our queue towards it fills
    t.teardown(() => slow.kill('SIGCONT'));
    const pub = await client(a.servers[0]!);
    // 40 MB: more than the kernel's loopback buffers plus our bound towards the stopped server.
    const N = 20_000;
    const body = new Uint8Array(2048);
    let maxHeld = 0;
    for (let i = 0; i < N; i++) {
      pub.publish('flood', body);
      if (i % 500 === 499) {
        await pub.flush();
        for (const p of b.proxy.daemon.routes.getPeers()) for (const c of p.connections()) maxHeld = Math.max(maxHeld, c.heldBytes);
      }
    }
    await pub.flush();
    await waitFor(() => fastGot === N, { what: `fast consumer got everything (${fastGot})`, timeoutMs: 60_000 });
    t.equal(fastGot, N, 'the healthy server received every message');
    await b.proxy.waitForLog(/Slow Consumer Detected: \d+ bytes pending after/);
    await b.proxy.waitForLog(/Slow Consumer Detected: WriteDeadline of 2s exceeded/, 15_000);
    await waitFor(() => flooded.state === 'closed', { what: 'the stopped server cut by the write deadline', timeoutMs: 15_000 });
    t.equal(flooded.closeReason, 'Slow Consumer (Write Deadline)');
    t.ok(flooded.stats.msgsDropped > 0, `messages beyond max_pending dropped and counted (${flooded.stats.msgsDropped})`);
    // What the proxy holds per connection: its bound (4 MB) plus at most a few slabs and one input chunk.
    t.ok(maxHeld <= 4 * 1024 * 1024 + 2 * 1024 * 1024, `memory held per connection stays within max_pending (${maxHeld} bytes)`);
    await slow.kill('SIGCONT');
    await waitFor(() => { const c = slowRoute()?.accountConn('G'); return c !== undefined && c.rid !== closedRid; },
      { what: 'the resumed server reconnects', timeoutMs: 20_000 });
    await interestVisible(a, 'G', 'flood');
    const had = slowGot;
    pub.publish('flood', body);
    await pub.flush();
    await waitFor(() => slowGot > had, { what: 'traffic to the resumed server', timeoutMs: 15_000 });
    for (const c of [ncSlow, ncFast, pub]) await c.close();
  });

  t.test('a proxy restart: routes and interest come back, delivery resumes', async (t) => {
    const sub = await client(b.servers[1]!);
    const got: string[] = [];
    sub.subscribe('after.restart', { callback: (_e, m) => { got.push(m.string()); } });
    await sub.flush();
    await interestVisible(a, 'G', 'after.restart');
    const port = a.proxy.port;
    await a.proxy.stop();
    const restarted = await startProxy(t, proxyConf('proxy-A', [`nats-route://127.0.0.1:${b.proxy.port}`]).replace('127.0.0.1:-1', `127.0.0.1:${port}`), { level: 'info' });
    const site = { proxy: restarted, servers: a.servers };
    await waitFor(() => restarted.daemon.routes.getPeers().filter((p) => p.kind === 'server').length === 2,
      { what: 'servers reconnect to the restarted proxy', timeoutMs: 15_000 });
    await interestVisible(site, 'G', 'after.restart');
    const pub = await client(a.servers[0]!);
    pub.publish('after.restart', 'back');
    await pub.flush();
    await waitFor(() => got.includes('back'), { what: 'delivery resumed' });
    t.same(got, ['back']);
    a.proxy = restarted;
    await pub.close();
    await sub.close();
  });
});

t.test('three sites in a proxy mesh: no message is delivered twice', async (t) => {
  const c = await startSite(t, 'C', ['2.10.27'], []);
  const b = await startSite(t, 'B', ['2.9.10'], [`nats-route://127.0.0.1:${c.proxy.port}`]);
  // A names only B: it meets C through proxy gossip.
  const a = await startSite(t, 'A', ['2.10.27'], [`nats-route://127.0.0.1:${b.proxy.port}`]);
  await waitFor(() => [a, b, c].every((s) => s.proxy.daemon.routes.getPeers().filter((p) => p.kind === 'proxy').length === 2),
    { what: 'proxy full mesh', timeoutMs: 15_000 });
  const subs = await Promise.all([a, b, c].map((s) => client(s.servers[0]!)));
  const counts = [new Map<string, number>(), new Map<string, number>(), new Map<string, number>()];
  subs.forEach((nc, i) => nc.subscribe('mesh.>', {
    callback: (_e, m) => { counts[i]!.set(m.string(), (counts[i]!.get(m.string()) ?? 0) + 1); },
  }));
  await Promise.all(subs.map((nc) => nc.flush()));
  for (const s of [a, b, c]) await interestVisible(s, 'G', 'mesh.>');
  const pubs = await Promise.all([a, b, c].map((s) => client(s.servers[0]!)));
  const N = 300;
  for (let i = 0; i < N; i++) pubs[i % 3]!.publish(`mesh.${i % 3}`, String(i));
  await Promise.all(pubs.map((p) => p.flush()));
  await waitFor(() => counts.every((m) => m.size === N), { what: 'everyone got everything' })
    .catch((err: Error) => { throw new Error(`${err.message}: ${counts.map((m) => m.size).join(', ')} of ${N}`); });
  await Promise.all(subs.map((p) => p.flush()));
  for (const [i, m] of counts.entries()) {
    t.equal([...m.values()].filter((v) => v !== 1).length, 0, `site ${'ABC'[i]}: each message exactly once`);
  }
  for (const nc of [...subs, ...pubs]) await nc.close();
});
