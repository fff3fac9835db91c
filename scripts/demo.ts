// `npm run demo`: two sites of real nats-servers joined by two proxies, on loopback.
// Site A: two nats-server 2.10.27; site B: one 2.10.27 and one 2.9.10. Publishes in A,
// receives in B (and asks a service in A from B), prints what went where, shuts down.
import { connect } from '@nats-io/transport-node';
import { pino } from 'pino';
import { parseConfigText } from '../src/config/load.js';
import { buildOptions, formatIssue } from '../src/config/build.js';
import { runDaemon, type RunningDaemon } from '../src/daemon.js';
import { startServer, waitFor, type ServerVersion, type StartedServer } from '../test/helpers/nats-server.js';

const say = (s: string) => process.stdout.write(`${s}\n`);

async function proxy(name: string, routes: string[]): Promise<RunningDaemon> {
  const conf = `server_name: ${name}
cluster {
  name: demo
  listen: "127.0.0.1:-1"
  ${routes.length ? `routes = [ ${routes.map((r) => `"${r}"`).join(', ')} ]` : ''}
}
`;
  const built = buildOptions(parseConfigText(conf, `${name}.conf`));
  if (!built.options) throw new Error(built.errors.map(formatIssue).join('\n'));
  // Warnings and errors only: the demo prints its own story.
  return runDaemon(built.options, { logger: pino({ level: 'warn' }) });
}

async function site(name: string, p: RunningDaemon, versions: ServerVersion[]): Promise<StartedServer[]> {
  const servers: StartedServer[] = [];
  for (const [i, version] of versions.entries()) {
    servers.push(await startServer(undefined, {
      version, name: `${name}${i + 1}`,
      cluster: { name: 'demo', routes: [`nats-route://127.0.0.1:${p.routes.listenPort}`] },
    }));
  }
  await waitFor(async () => {
    for (const s of servers) {
      const ids = new Set(((await s.routez()).routes ?? []).map((r: { remote_id: string }) => r.remote_id));
      if (ids.size !== versions.length) return false; // 2.10 servers pool: count peers, not connections
    }
    return true;
  }, { what: `site ${name} meshed`, timeoutMs: 15_000 });
  say(`site ${name}: ${servers.map((s) => `${s.name} (nats-server ${s.version}, client port ${s.clientPort})`).join(', ')}`);
  return servers;
}

async function main(): Promise<void> {
  const started = Date.now();
  const pb = await proxy('proxy-B', []);
  const pa = await proxy('proxy-A', [`nats-route://127.0.0.1:${pb.routes.listenPort}`]);
  say(`proxy-A on 127.0.0.1:${pa.routes.listenPort} dials proxy-B on 127.0.0.1:${pb.routes.listenPort}`);
  const a = await site('A', pa, ['2.10.27', '2.10.27']);
  const b = await site('B', pb, ['2.10.27', '2.9.10']);
  await waitFor(() => pa.routes.getPeers().some((p) => p.kind === 'proxy'), { what: 'proxies connected' });
  for (const [n, p] of [['proxy-A', pa], ['proxy-B', pb]] as const) {
    say(`${n} peers: ${p.routes.getPeers().map((x) => `${x.name} (${x.kind})`).join(', ')}`);
  }

  const subB = await connect({ servers: b[1]!.clientUrl, name: 'subscriber in B' });
  const got: string[] = [];
  subB.subscribe('demo.>', { callback: (_e, m) => { got.push(`${m.subject} "${m.string()}"`); } });
  const svcA = await connect({ servers: a[1]!.clientUrl, name: 'service in A' });
  svcA.subscribe('time.now', { callback: (_e, m) => { m.respond(`it is ${new Date().toISOString()} in site A`); } });
  await Promise.all([subB.flush(), svcA.flush()]);
  // Interest travels B2 → proxy-B → proxy-A → A1/A2; wait until site A's proxy advertises it.
  await waitFor(() => pb.routes.getPeers().some((p) => p.kind === 'proxy'
    && [...p.interest.entries()].some((e) => e.subject === 'time.now'))
    && pa.routes.getPeers().some((p) => p.kind === 'proxy'
    && [...p.interest.entries()].some((e) => e.subject === 'demo.>')), { what: 'interest propagated' });
  // Last hop: site A's servers list the subscription on their route to proxy-A.
  await waitFor(async () => {
    for (const s of a) {
      const r = ((await s.routez('subs=1')).routes ?? []).find((x: { remote_id: string }) => x.remote_id === pa.routes.serverId);
      if (!(r?.subscriptions_list ?? []).includes('demo.>')) return false;
    }
    return true;
  }, { what: 'site A servers see the interest' });

  const pubA = await connect({ servers: a[0]!.clientUrl, name: 'publisher in A' });
  say(`\npublishing 5 messages on ${a[0]!.name} (site A), subscriber on ${b[1]!.name} (site B, nats-server ${b[1]!.version})`);
  for (let i = 1; i <= 5; i++) pubA.publish(`demo.greeting`, `hello from A #${i}`);
  await pubA.flush();
  await waitFor(() => got.length >= 5, { what: 'messages in B' });
  for (const g of got) say(`  ${b[1]!.name} received ${g}`);

  const reply = await subB.request('time.now', '', { timeout: 5000 });
  say(`\nrequest from site B to a service in site A → "${reply.string()}"`);

  say(`\nproxy-A relay: ${JSON.stringify(pa.relay.stats)}`);
  say(`proxy-B relay: ${JSON.stringify(pb.relay.stats)}`);

  await Promise.all([subB.close(), svcA.close(), pubA.close()]);
  for (const s of [...a, ...b]) await s.stop();
  await pa.close();
  await pb.close();
  say(`\ndone in ${((Date.now() - started) / 1000).toFixed(1)} s: everything shut down`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`demo failed: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
