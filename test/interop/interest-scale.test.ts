// Interest at scale (issue 12), with real nats-servers and the proxies as real processes:
// site A = one nats-server 2.15.1, site B = 2.15.1 + 2.10.27. A client in site A subscribes to
// 1,000,000 distinct subjects and 100,000 wildcard ones, then unsubscribes from half: site B's
// servers converge to exactly the expected counts, no route connection is closed or re-created,
// a message on a sampled subject is delivered once, and the proxies' RSS stays bounded. Then a
// site-B server is stopped (SIGSTOP) during a second storm: the write deadline alone closes its
// route, the other server is unaffected, and after SIGCONT it resynchronises.
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect } from '@nats-io/transport-node';
import { startServer, waitFor, type ServerVersion, type StartedServer } from '../helpers/nats-server.js';
import { startDaemonProcess, type DaemonProcess } from '../helpers/daemon-process.js';
import { BulkClient } from '../helpers/bulk-client.js';

// The issue's scale is 1,000,000 + 100,000: SCALE_PLAIN=1000000 SCALE_WILD=100000 (passed, 2.5 min
// alone on a loaded 2-core machine: 1.1M subscribed in 55 s, site B converged 77 s after the first
// SUB). The suite runs a quarter of it: at full scale, beside the other files (tap runs two at a
// time), this file took 4.4 min (tap's limit is 5) and starved relay.test.ts's throughput test.
const PLAIN = Number(process.env.SCALE_PLAIN ?? 250_000);
const WILD = Number(process.env.SCALE_WILD ?? 25_000);
/** max_memory of each proxy: the bound its RSS is checked against (plus 100 MB, plus interest). */
const MAX_MEMORY_MB = 128;
/** The documented cost of one interest entry held by a proxy (its peer's table and the aggregate; limits-option.ts). */
const INTEREST_BYTES_PER_ENTRY = 1024;

const TMP = mkdtempSync(path.join(tmpdir(), 'nrp-scale-'));
t.teardown(() => rmSync(TMP, { recursive: true, force: true }));

interface Teardownable { teardown(fn: () => unknown): void }

interface Proxy {
  d: DaemonProcess;
  route: number;
  http: number;
  serverId: string;
  get(endpoint: string): Promise<any>;
}

async function startProxy(t: Teardownable, name: string, routes: string[], writeDeadline: string): Promise<Proxy> {
  const f = path.join(TMP, `${name}.conf`);
  writeFileSync(f, `server_name: ${name}
http: "127.0.0.1:-1"
cluster {
  name: world
  listen: "127.0.0.1:-1"
  write_deadline: "${writeDeadline}"
  ${routes.length ? `routes = [ ${routes.map((r) => `"${r}"`).join(', ')} ]` : ''}
}
proxy {
  max_memory: ${MAX_MEMORY_MB}MB
  max_interest_per_connection: 2000000
  max_interest_per_account: 2000000
}
`);
  const prof = process.env.SCALE_CPU_PROF;
  const d = startDaemonProcess(t, ['-c', f], {}, prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : []);
  const { route, http } = await d.ports();
  const get = async (endpoint: string): Promise<any> => (await fetch(`http://127.0.0.1:${http}/${endpoint}`)).json();
  const serverId = (await get('varz')).server_id as string;
  return { d, route, http: http!, serverId, get };
}

async function server(t: Teardownable, version: ServerVersion, name: string, proxy: Proxy): Promise<StartedServer> {
  return startServer(t, { version, name, cluster: { name: 'world', routes: [`nats-route://127.0.0.1:${proxy.route}`] } });
}

/** The server's routes to `proxyId`: rids and the subscription count (what the proxy advertised). */
async function toProxy(s: StartedServer, proxyId: string): Promise<{ rids: number[]; subs: number }> {
  const rs = ((await s.routez()).routes ?? []).filter((r: any) => r.remote_id === proxyId);
  return { rids: rs.map((r: any) => r.rid as number).sort(), subs: rs.reduce((n: number, r: any) => n + (r.subscriptions as number), 0) };
}

/** The proxy's route connections, as `rid@remote` (any close or re-creation changes the set). */
async function proxyRoutes(p: Proxy): Promise<string[]> {
  return ((await p.get('routez')).routes ?? []).map((r: any) => `${r.rid}@${r.remote_id}`).sort();
}

/** Closes of route connections (any is a failure: a route flapped). */
function closes(p: Proxy): string[] {
  return p.d.lines().map((l) => l.msg ?? '').filter((m) => /Route connection closed/.test(m));
}

/** Samples RSS (each process's /varz mem) until stopped; keeps the maxima. */
function rssSampler(sources: Array<() => Promise<any>>) {
  const max = sources.map(() => 0);
  let on = true;
  const loop = (async () => {
    while (on) {
      await Promise.all(sources.map(async (varz, i) => {
        try { max[i] = Math.max(max[i]!, (await varz()).mem as number); } catch { /* busy: next time */ }
      }));
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  return { max, stop: async () => { on = false; await loop; } };
}

interface World {
  pa: Proxy;
  pb: Proxy;
  /** Site B: 2.15.1 and 2.10.27. */
  b: StartedServer[];
  a1: StartedServer;
  /** Site A's own interest (system subscriptions) as B's servers see it before any client subscribed. */
  baseline: number;
}

/** `writeDeadline`: the proxies' cluster.write_deadline (nats-server's default is 10s). */
async function startWorld(t: Teardownable, writeDeadline = '10s'): Promise<World> {
  const pb = await startProxy(t, 'proxy-B', [], writeDeadline);
  const pa = await startProxy(t, 'proxy-A', [`nats-route://127.0.0.1:${pb.route}`], writeDeadline);
  const b = [await server(t, '2.15.1', 'B1', pb), await server(t, '2.10.27', 'B2', pb)];
  const a1 = await server(t, '2.15.1', 'A1', pa);
  const a1Id = (await a1.varz()).server_id as string;
  await waitFor(async () => (await pa.get('varz')).proxy.proxy_peers === 1 && (await pb.get('varz')).proxy.server_peers === 2
    && (await pa.get('varz')).proxy.server_peers === 1, { what: 'proxies and servers connected', timeoutMs: 15_000 });
  // Every pool complete (3 pooled + $SYS per peer), so that no connection appears during the run:
  // proxy A has A1 and proxy B, proxy B has B1, B2 and proxy A.
  await waitFor(async () => ((await pa.get('routez')).routes as any[]).length === 8 && ((await pb.get('routez')).routes as any[]).length === 12,
    { what: 'every pool complete', timeoutMs: 15_000 });
  // What proxy A holds from A1 is what B's servers must see: settled once they agree.
  const a1Subs = async () => ((await pa.get('routez')).routes as any[]).filter((r) => r.remote_id === a1Id).reduce((n, r) => n + r.subscriptions, 0) as number;
  const baseline = await waitFor(async () => {
    const want = await a1Subs();
    const got = await Promise.all(b.map((s) => toProxy(s, pb.serverId)));
    return want > 0 && got.every((g) => g.subs === want) ? want : undefined;
  }, { what: 'baseline interest settled', timeoutMs: 15_000 });
  return { pa, pb, b, a1, baseline };
}

/**
 * Waits until each of `servers` has exactly `n` subscriptions on its route(s) to the proxy; on a
 * timeout the error names what they had and which route connections the proxies closed.
 */
async function converge(servers: StartedServer[], proxyId: string, n: number, proxies: Proxy[], timeoutMs = 240_000): Promise<void> {
  try {
    await waitFor(async () => (await Promise.all(servers.map((s) => toProxy(s, proxyId)))).every((g) => g.subs === n),
      { what: `${servers.map((s) => s.name).join(', ')} see ${n} subscriptions`, timeoutMs, intervalMs: 200 });
  } catch (err) {
    const had = await Promise.all(servers.map(async (s) => `${s.name} ${(await toProxy(s, proxyId)).subs}`));
    const closed = proxies.flatMap((p) => closes(p).map((m) => `${p.serverId.slice(0, 6)}: ${m}`));
    throw new Error(`${(err as Error).message} (had: ${had.join(', ')}; proxy closes: ${closed.join(' | ') || 'none'})`);
  }
}

const plain = (i: number) => `scale.p.${i}`;
const wild = (i: number) => `scale.w.${i}.*`;

t.test(`${PLAIN} + ${WILD} subscriptions, half withdrawn, across two proxies`, async (t) => {
  const { pa, pb, b, a1, baseline } = await startWorld(t);
  const before = {
    servers: await Promise.all([...b.map((s) => toProxy(s, pb.serverId)), toProxy(a1, pa.serverId)]),
    proxies: await Promise.all([proxyRoutes(pa), proxyRoutes(pb)]),
    closes: [closes(pa).length, closes(pb).length],
  };

  const bulk = await BulkClient.open(a1);
  t.teardown(() => bulk.close());
  // B1 (a nats-server holding the same interest from its route) is the reference, not a bound.
  const rss = rssSampler([() => pa.get('varz'), () => pb.get('varz'), () => b[0]!.varz()]);
  const t0 = performance.now();
  // Sids: plain i → i + 1, wildcard i → PLAIN + i + 1.
  await bulk.send(PLAIN, (i) => `SUB ${plain(i)} ${i + 1}\r\n`);
  await bulk.send(WILD, (i) => `SUB ${wild(i)} ${PLAIN + i + 1}\r\n`);
  const subscribed = performance.now() - t0;
  const full = baseline + PLAIN + WILD;
  await converge(b, pb.serverId, full, [pa, pb]);
  const converged = performance.now() - t0;
  t.comment(`subscribed ${PLAIN + WILD} in ${(subscribed / 1000).toFixed(1)} s; site B converged after ${(converged / 1000).toFixed(1)} s`
    + ` (${Math.round((PLAIN + WILD) / (converged / 1000))} subjects/s end to end)`);

  const t1 = performance.now();
  // Every even index is withdrawn.
  await bulk.send(PLAIN / 2, (i) => `UNSUB ${2 * i + 1}\r\n`);
  await bulk.send(WILD / 2, (i) => `UNSUB ${PLAIN + 2 * i + 1}\r\n`);
  const half = baseline + PLAIN / 2 + WILD / 2;
  await converge(b, pb.serverId, half, [pa, pb]);
  t.same(bulk.errors, [], 'the bulk client got no -ERR');
  t.comment(`half withdrawn and converged in ${((performance.now() - t1) / 1000).toFixed(1)} s`);
  await rss.stop();

  for (const s of b) {
    const g = await toProxy(s, pb.serverId);
    t.equal(g.subs, half, `${s.name}: exactly ${half} subscriptions on its route to the proxy`);
  }
  // The list itself, once (it is large): the withdrawn half is gone, the rest is there.
  const list = new Set<string>(((await b[0]!.routez('subs=1')).routes as any[])
    .filter((r) => r.remote_id === pb.serverId).flatMap((r) => r.subscriptions_list ?? []));
  t.equal(list.size, half, 'B1 lists as many distinct subjects');
  t.ok(list.has(plain(1)) && list.has(plain(PLAIN - 1)) && list.has(wild(WILD - 1)), 'kept subjects listed');
  t.notOk(list.has(plain(0)) || list.has(plain(PLAIN - 2)) || list.has(wild(0)), 'withdrawn subjects not listed');

  const after = {
    servers: await Promise.all([...b.map((s) => toProxy(s, pb.serverId)), toProxy(a1, pa.serverId)]),
    proxies: await Promise.all([proxyRoutes(pa), proxyRoutes(pb)]),
  };
  t.same(after.servers.map((x) => x.rids), before.servers.map((x) => x.rids), 'servers: the same route connections to their proxy');
  t.same(after.proxies, before.proxies, 'proxies: the same route connections');
  t.same([closes(pa).length, closes(pb).length], before.closes, 'no route connection closed');

  // A sampled subject (and a sampled wildcard) is delivered once.
  const got = new Map<string, number>();
  const count = (s: string) => () => { got.set(s, (got.get(s) ?? 0) + 1); };
  const nc = await connect({ servers: a1.clientUrl });
  t.teardown(() => nc.close());
  const sampled = [plain(PLAIN - 223), `scale.w.${WILD - 1}.x`, plain(3)];
  for (const s of sampled) nc.subscribe(s, { callback: count(s) });
  // The marker's subscription is in place (flushed) before anything is published: subscribed later, a
  // marker that outran it through the proxies was never delivered and the test hung (a CI run).
  let marked = false;
  nc.subscribe(plain(5), { max: 1, callback: () => { marked = true; } });
  await nc.flush();
  const pub = await connect({ servers: b[1]!.clientUrl });
  t.teardown(() => pub.close());
  // The sampled subjects already had interest: no wait for new interest is needed.
  for (const s of sampled) pub.publish(s, 'x');
  pub.publish(plain(0), 'withdrawn');
  await pub.flush();
  await waitFor(() => sampled.every((s) => (got.get(s) ?? 0) >= 1), { what: 'sampled deliveries' });
  // A marker after them on the same path: had any been duplicated, the copy would be here by now.
  pub.publish(plain(5), 'marker');
  await pub.flush();
  await waitFor(() => marked, { what: 'the marker delivered' });
  await nc.flush();
  // The bulk client reads what it gets and counts nothing; the counting client is a subscriber of its own.
  for (const s of sampled) t.equal(got.get(s), 1, `${s}: delivered once`);

  const mb = (n: number) => Math.round(n / (1 << 20));
  t.comment(`proxy RSS max: A ${mb(rss.max[0]!)} MB, B ${mb(rss.max[1]!)} MB (max_memory ${MAX_MEMORY_MB} MB, `
    + `${PLAIN + WILD} entries at peak); nats-server B1 ${mb(rss.max[2]!)} MB`);
  // Bound: 100 MB + max_memory + the interest held at its peak.
  const bound = (100 + MAX_MEMORY_MB) * (1 << 20) + INTEREST_BYTES_PER_ENTRY * (PLAIN + WILD);
  for (const [i, m] of rss.max.slice(0, 2).entries()) t.ok(m < bound, `proxy ${'AB'[i]}: RSS ${mb(m)} MB < ${mb(bound)} MB`);
  await nc.close();
  if (process.env.SCALE_CPU_PROF) {
    // Profiles are written at a graceful exit.
    for (const p of [pa, pb]) p.d.child.kill('SIGTERM');
    await Promise.all([pa.d.exited, pb.d.exited]);
  }
});

const STORM = Number(process.env.SCALE_STORM ?? 300_000);
/** Long subjects: the storm must be more than the kernel's socket buffers can absorb (~80 B per RS+). */
const storm = (i: number) => `storm.${i}.${'x'.repeat(56)}`;

t.test('a site-B server stopped during a subscription storm: cut by the write deadline alone, resynchronised after SIGCONT', async (t) => {
  // Short, so that the stopped server is cut quickly.
  const { pb, b, a1, baseline } = await startWorld(t, '2s');
  const [b1, b2] = b as [StartedServer, StartedServer];
  const b2Id = (await b2.varz()).server_id as string;
  const b1Before = await toProxy(b1, pb.serverId);
  const closesBefore = closes(pb).length;
  const bulk = await BulkClient.open(a1);
  t.teardown(() => bulk.close());
  await b2.kill('SIGSTOP');
  t.teardown(() => b2.kill('SIGCONT'));
  const t0 = performance.now();
  await bulk.send(STORM, (i) => `SUB ${storm(i)} ${i + 1}\r\n`);
  const want = baseline + STORM;
  await converge([b1], pb.serverId, want, [pb]);
  t.comment(`B1 converged to ${want} in ${((performance.now() - t0) / 1000).toFixed(1)} s with B2 stopped`);
  const cut = await waitFor(() => closes(pb).slice(closesBefore).find((m) => m.includes('rid:')), { what: 'the stopped server\'s route closed', timeoutMs: 30_000 })
    .catch(async (err: Error) => {
      const rz = ((await pb.get('routez')).routes as any[]).filter((r) => r.remote_id === b2Id).map((r) => `rid ${r.rid} pending ${r.pending_size} out ${r.out_bytes}`);
      throw new Error(`${err.message}; PB's connections to B2: ${rz.join(', ')}; log: ${pb.d.lines().slice(-8).map((l) => l.msg).join(' | ')}`);
    });
  t.match(cut, /Route connection closed: Slow Consumer \(Write Deadline\)/, 'closed by the write deadline');
  t.ok(pb.d.lines().some((l) => /WriteDeadline of 2s exceeded/.test(l.msg ?? '')), 'the deadline is logged');
  t.same(closes(pb).slice(closesBefore), [cut], 'only that route closed');
  t.same((await toProxy(b1, pb.serverId)).rids, b1Before.rids, 'B1 kept its route');
  await b2.kill('SIGCONT');
  const t1 = performance.now();
  await waitFor(async () => ((await pb.get('routez')).routes as any[]).some((r) => r.remote_id === b2Id), { what: 'B2 back', timeoutMs: 30_000 });
  await converge([b2], pb.serverId, want, [pb]);
  t.comment(`B2 resynchronised to ${want} in ${((performance.now() - t1) / 1000).toFixed(1)} s after SIGCONT`);
  t.same((await toProxy(b1, pb.serverId)).rids, b1Before.rids, 'B1 still on the same route');
  t.equal((await toProxy(b1, pb.serverId)).subs, want, 'B1 unchanged');
});
