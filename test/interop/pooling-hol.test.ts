// Head-of-line (issue: pooled and pinned connections): with HEAVY flooding its pinned connection at
// full speed across two proxies, request/reply in account A stays close to its idle latency. The
// proxies and the flood's publisher run as processes of their own, as in production: in-process
// they would share the test's event loop, which is not what is measured.
import t from 'tap';
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

t.test('HEAVY flooding its pinned connection: request/reply in A stays close to its idle latency', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'nrp-hol-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
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

  const responder = await client(b1, 'a');
  t.teardown(() => responder.close());
  responder.subscribe('svc.echo', { callback: (_e, m) => { m.respond(m.data); } });
  await responder.flush();
  const requester = await client(a1, 'a');
  t.teardown(() => requester.close());
  await waitFor(async () => {
    try { await requester.request('svc.echo', 'x', { timeout: 500 }); return true; } catch { return false; }
  }, { what: 'the service answers across the sites' });
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
  const sub = spawn(process.execPath, [FLOOD, 'sub', b1.clientUrl, 'h', 'h', 'flood'], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => { sub.kill('SIGKILL'); });
  let subReady = false;
  sub.stdout!.on('data', (b: Buffer) => {
    for (const line of b.toString().split('\n')) {
      if (line === 'ready') subReady = true;
      else if (/^\d+$/.test(line)) heavyGot = Number(line);
    }
  });
  await waitFor(() => subReady, { what: 'the HEAVY subscriber in B' });
  await waitFor(async () => ((await a1.routez('subs=1')).routes ?? []).some((r: any) => r.account === 'HEAVY' && (r.subscriptions_list ?? []).includes('flood')),
    { what: 'flood interest on A1\'s HEAVY connection' });
  const flood = spawn(process.execPath, [FLOOD, 'pub', a1.clientUrl, 'h', 'h', 'flood', '1024'], { stdio: ['ignore', 'ignore', 'inherit'] });
  t.teardown(() => { flood.kill('SIGKILL'); });
  await waitFor(() => heavyGot > 20_000, { what: 'the flood is crossing', timeoutMs: 30_000 });
  const from = heavyGot;
  const loaded = await measure(100);
  const during = heavyGot - from;
  flood.kill('SIGKILL');
  sub.kill('SIGKILL');

  const links = (await routez(paPorts.http!)).filter((r: any) => r.remote_id === pbId);
  const heavyLink = links.find((r: any) => r.account === 'HEAVY');
  const busiestPooled = Math.max(...links.filter((r: any) => r.account === undefined).map((r: any) => r.out_msgs));
  t.comment(`request/reply median over 100: idle ${idle.toFixed(2)} ms, with HEAVY flooding ${loaded.toFixed(2)} ms `
    + `(${(loaded / idle).toFixed(2)}×); HEAVY messages delivered meanwhile: ${during}; on PA→PB's HEAVY link: ${heavyLink?.out_msgs}`);
  t.ok(heavyLink !== undefined && heavyLink.out_msgs > 20_000, 'the flood travelled on HEAVY\'s own connection between the proxies');
  t.ok(busiestPooled < 1000, `the pooled links carried only account A's requests (${busiestPooled} messages at most)`);
  // Generous bounds: on this 2-core machine the flood's publisher, both servers, both proxies and the
  // test share the cores, so CPU contention alone adds to every hop; queueing behind the flood on a
  // shared connection would add tens to hundreds of milliseconds.
  t.ok(loaded <= Math.max(2 * idle, idle + 5), `A's median within 2× idle (or +5 ms): ${loaded.toFixed(2)} ms vs ${idle.toFixed(2)} ms`);
});
