// Head-of-line (issue: pooled and pinned connections): with HEAVY flooding its pinned connection at
// full speed across two proxies, request/reply in account A stays close to its idle latency. The
// proxies and the flood's publisher run as processes of their own, as in production: in-process
// they would share the test's event loop, which is not what is measured.
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { startServer, waitFor, type StartedServer } from '../helpers/nats-server.js';
import { startDaemonProcess } from '../helpers/daemon-process.js';

const SERVER_CONF = `
accounts {
  A: { users: [ { user: a, password: a } ] }
  B: { users: [ { user: b, password: b } ] }
  HEAVY: { users: [ { user: h, password: h } ] }
}
`;
const FLOOD = path.join(path.dirname(fileURLToPath(import.meta.url)), '../helpers/flood.js');

function proxyConf(name: string, routes: string[]): string {
  return `server_name: ${name}
http: "127.0.0.1:-1"
cluster {
  name: world
  listen: "127.0.0.1:-1"
  accounts: [ HEAVY ]
  ${routes.length ? `routes = [ ${routes.map((r) => `"${r}"`).join(', ')} ]` : ''}
}
`;
}

async function routez(http: number): Promise<any[]> {
  return (await (await fetch(`http://127.0.0.1:${http}/routez`)).json() as { routes: any[] }).routes;
}

const client = (s: StartedServer, user: string): Promise<NatsConnection> => connect({ servers: s.clientUrl, user, pass: user });

interface Probe { idle: number; loaded: number; delivered: number }

/**
 * Median request/reply time of account A (requester on `pubSide`, responder on `subSide`), idle and
 * while HEAVY floods from `pubSide` to `subSide` at full speed (publisher and subscriber in processes
 * of their own).
 */
async function probe(t: Test, pubSide: StartedServer, subSide: StartedServer, hops: () => Promise<void>, floodUser = 'h'): Promise<Probe> {
  const responder = await client(subSide, 'a');
  responder.subscribe('svc.echo', { callback: (_e, m) => { m.respond(m.data); } });
  await responder.flush();
  const requester = await client(pubSide, 'a');
  await waitFor(async () => {
    try { await requester.request('svc.echo', 'x', { timeout: 500 }); return true; } catch { return false; }
  }, { what: 'the service answers' });
  const measure = async (n: number): Promise<number> => {
    const ms: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      await requester.request('svc.echo', 'ping', { timeout: 5000 });
      ms.push(performance.now() - t0);
    }
    ms.sort((x, y) => x - y);
    return ms[Math.floor(ms.length / 2)]!;
  };
  const idle = await measure(100);
  let heavyGot = 0;
  let subReady = false;
  const sub = spawn(process.execPath, [FLOOD, 'sub', subSide.clientUrl, floodUser, floodUser, 'flood'], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => { sub.kill('SIGKILL'); });
  sub.stdout!.on('data', (b: Buffer) => {
    for (const line of b.toString().split('\n')) {
      if (line === 'ready') subReady = true;
      else if (/^\d+$/.test(line)) heavyGot = Number(line);
    }
  });
  await waitFor(() => subReady, { what: 'the HEAVY subscriber' });
  await waitFor(async () => ((await pubSide.routez('subs=1')).routes ?? []).some((r: any) => (r.subscriptions_list ?? []).includes('flood')),
    { what: `flood interest at ${pubSide.name}` });
  await hops();
  const flood = spawn(process.execPath, [FLOOD, 'pub', pubSide.clientUrl, floodUser, floodUser, 'flood', '1024'], { stdio: ['ignore', 'ignore', 'inherit'] });
  t.teardown(() => { flood.kill('SIGKILL'); });
  await waitFor(() => heavyGot > 20_000, { what: 'the flood is crossing', timeoutMs: 30_000 });
  const from = heavyGot;
  const loaded = await measure(100);
  const delivered = heavyGot - from;
  flood.kill('SIGKILL');
  sub.kill('SIGKILL');
  await requester.close();
  await responder.close();
  return { idle, loaded, delivered };
}

t.test('HEAVY flooding its pinned connection: request/reply in A stays close to its idle latency', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'nrp-hol-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));

  // The reference, in the same run: the same probe over a direct route between two nats-servers.
  const d2 = await startServer(t, { version: '2.15.1', name: 'D2', extraConfig: SERVER_CONF, cluster: { name: 'direct', extra: 'accounts: [ HEAVY ]' } });
  const d1 = await startServer(t, { version: '2.15.1', name: 'D1', extraConfig: SERVER_CONF, cluster: { name: 'direct', extra: 'accounts: [ HEAVY ]', routes: [d2.routeUrl] } });
  await waitFor(async () => (await d1.routez()).num_routes === 5, { what: 'D1–D2: 3 pooled + $SYS + HEAVY' });
  const direct = await probe(t, d1, d2, async () => {});
  await d1.stop();
  await d2.stop();

  const b1 = await startServer(t, { version: '2.15.1', name: 'B1', extraConfig: SERVER_CONF, cluster: { name: 'world', extra: 'accounts: [ HEAVY ]' } });
  writeFileSync(path.join(dir, 'pb.conf'), proxyConf('PB', [b1.routeUrl]));
  const pb = startDaemonProcess(t, ['-c', path.join(dir, 'pb.conf')]);
  const pbPorts = await pb.ports();
  writeFileSync(path.join(dir, 'pa.conf'), proxyConf('PA', [`nats-route://127.0.0.1:${pbPorts.route}`]));
  const pa = startDaemonProcess(t, ['-c', path.join(dir, 'pa.conf')]);
  const paPorts = await pa.ports();
  const a1 = await startServer(t, {
    version: '2.10.27', name: 'A1', extraConfig: SERVER_CONF,
    cluster: { name: 'world', extra: 'accounts: [ HEAVY ]', routes: [`nats-route://127.0.0.1:${paPorts.route}`] },
  });
  // PA: to A1 and to PB, 3 pooled + $SYS + HEAVY each.
  await waitFor(async () => (await routez(paPorts.http!)).length === 10, { what: 'PA has ten route connections', timeoutMs: 20_000 });
  const pbId = (await (await fetch(`http://127.0.0.1:${pbPorts.http}/varz`)).json() as { server_id: string }).server_id;
  const links = async () => (await routez(paPorts.http!)).filter((r: any) => r.remote_id === pbId);
  let before: any[] = [];
  const proxied = await probe(t, a1, b1, async () => { before = await links(); });
  const after = await links();
  const sent = (r: any) => r.out_msgs - (before.find((x: any) => x.rid === r.rid)?.out_msgs ?? 0);
  const heavy = after.filter((r: any) => r.account === 'HEAVY').map(sent)[0] ?? 0;
  const pooled = Math.max(...after.filter((r: any) => r.account === undefined).map(sent));

  const ratio = (p: Probe) => p.loaded / p.idle;
  t.comment(`request/reply median over 100, direct route: idle ${direct.idle.toFixed(2)} ms, flooded ${direct.loaded.toFixed(2)} ms (${ratio(direct).toFixed(2)}×, ${direct.delivered} HEAVY messages meanwhile)`);
  t.comment(`through two proxies: idle ${proxied.idle.toFixed(2)} ms, flooded ${proxied.loaded.toFixed(2)} ms (${ratio(proxied).toFixed(2)}×, ${proxied.delivered} HEAVY messages meanwhile)`);
  t.ok(heavy > 20_000, `the flood travelled on HEAVY's own connection between the proxies (${heavy} messages)`);
  t.ok(pooled < 1000, `the pooled links carried only account A's requests (${pooled} messages at most)`);
  // Generous bounds, as the issue asks: on this 2-core machine the flood's publisher and subscriber,
  // two servers and two single-threaded proxies share the cores (the direct route's servers use both
  // cores each), so scheduling alone slows every hop of a request; the figures above and the
  // benchmark suite's are what to read. Queueing behind the flood on a shared connection (its 4 MB
  // high-water queue, its stalled TCP window) would show up as hundreds of milliseconds.
  const bound = 2 * proxied.idle + 50;
  t.ok(proxied.loaded <= bound, `A's median under the flood ${proxied.loaded.toFixed(2)} ms ≤ 2 × idle + 50 ms (${bound.toFixed(2)} ms); ${ratio(proxied).toFixed(2)}× idle, direct route ${ratio(direct).toFixed(2)}×`);
});
