// /metrics with two sites (server → proxy ══ proxy → server) and real traffic: Surveyor-style
// route series per connection, relay counters, close reasons and process metrics.
import t from 'tap';
import { connect } from '@nats-io/transport-node';
import { startServer, waitFor } from '../helpers/nats-server.js';
import { startProxy } from '../helpers/proxy.js';
import { CloseReasons } from '../../src/route/close-reason.js';

function conf(name: string, routes: string[]): string {
  return `server_name: ${name}
http: "127.0.0.1:-1"
cluster {
  name: world
  listen: "127.0.0.1:-1"
  ${routes.length ? `routes = [ ${routes.map((r) => `"${r}"`).join(', ')} ]` : ''}
}
`;
}

async function scrape(port: number): Promise<{ text: string; type: string | null }> {
  const r = await fetch(`http://127.0.0.1:${port}/metrics`);
  return { text: await r.text(), type: r.headers.get('content-type') };
}

/** The value of the first series of `name` whose labels include all of `labels`. */
/** The sum over the series that carry `labels` (a pooled peer has one series per connection). */
function value(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  let sum: number | undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) sum = (sum ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

t.test('metrics from a real relay', async (t) => {
  const pb = await startProxy(t, conf('PB', []), { level: 'info' });
  const pa = await startProxy(t, conf('PA', [pb.routeUrl]), { level: 'info' });
  const sa = await startServer(t, { version: '2.10.27', name: 'SA', cluster: { name: 'world', routes: [pa.routeUrl] } });
  const sb = await startServer(t, { version: '2.15.1', name: 'SB', cluster: { name: 'world', routes: [pb.routeUrl] } });
  const saId = (await sa.varz()).server_id as string;
  await waitFor(() => pa.daemon.routes.getPeer(saId) && pa.daemon.routes.getPeer(pb.serverId), { what: 'PA has SA and PB' });
  await waitFor(() => pb.daemon.routes.getPeers().length === 2, { what: 'PB has SB and PA' });
  // Pool size 3 plus the pinned $SYS connection, towards the server and towards the other proxy.
  await waitFor(() => pa.daemon.routes.getPeers().every((p) => p.connectionCount === 4), { what: 'PA: four connections per peer' });

  const ncb = await connect({ servers: sb.clientUrl });
  const nca = await connect({ servers: sa.clientUrl });
  t.teardown(async () => { await nca.close(); await ncb.close(); });
  let got = 0;
  ncb.subscribe('metrics.x', { callback: () => { got++; } });
  await ncb.flush();
  await waitFor(() => [...pa.daemon.routes.getPeer(pb.serverId)!.interest.entries()].some((e) => e.subject === 'metrics.x'), { what: 'interest reached PA' });
  await waitFor(async () => ((await sa.routez('subs=1')).routes ?? []).some((r: any) => (r.subscriptions_list ?? []).includes('metrics.x')), { what: 'SA sees interest' });
  for (let i = 0; i < 10; i++) nca.publish('metrics.x', 'hello');
  await nca.flush();
  await waitFor(() => got === 10, { what: '10 messages relayed' });

  const http = pa.daemon.monitor!.port;
  const { text, type } = await scrape(http);
  t.match(type, /^text\/plain; version=0\.0\.4/, 'Prometheus text format');
  const fromSa = { server_name: 'PA', server_route_name: 'SA', peer_kind: 'server', server_cluster: 'world' };
  const toPb = { server_route_name: 'PB', peer_kind: 'proxy' };
  t.equal(value(text, 'nats_core_route_count'), 8, 'one series per route connection: 2 peers × (3 pooled + $SYS)');
  t.ok(value(text, 'nats_core_route_recv_msg_count', fromSa)! >= 10, 'messages in from SA');
  t.ok(value(text, 'nats_core_route_recv_bytes', fromSa)! > 0);
  t.ok(value(text, 'nats_core_route_sent_msg_count', toPb)! >= 10, 'messages out to PB');
  t.ok(value(text, 'nats_core_route_sent_bytes', toPb)! > 0);
  t.ok(value(text, 'nats_core_route_pending_bytes', toPb) !== undefined, 'pending bytes per connection');
  // Summed over the pooled and pinned connections, a scrape may catch a control line in flight ($SYS,
  // PINGs): the series drains to 0 once nothing is queued.
  await waitFor(async () => value((await scrape(http)).text, 'nats_core_route_pending_bytes', toPb) === 0, { what: 'pending drains to 0' });
  t.ok(value(text, 'nats_route_proxy_route_wire_sent_bytes', toPb)! >= value(text, 'nats_core_route_sent_bytes', toPb)!, 'wire counts control lines too');
  t.ok(value(text, 'nats_route_proxy_relay_msgs_total', { from: 'server' })! >= 10);
  t.ok(value(text, 'nats_route_proxy_relay_copies_total', { to: 'proxy' })! >= 10);
  t.equal(value(text, 'nats_route_proxy_relay_drops_total', { kind: 'slow_consumer' }), 0);
  t.equal(value(text, 'nats_route_proxy_peers', { peer_kind: 'proxy' }), 1);
  t.equal(value(text, 'nats_route_proxy_ready'), 1);
  t.ok(value(text, 'nats_route_proxy_route_subscriptions', toPb)! >= 1);
  t.ok(value(text, 'process_resident_memory_bytes')! > 0, 'process metrics');
  t.ok(value(text, 'nodejs_eventloop_lag_seconds') !== undefined, 'event loop lag');
  for (const name of ['nats_route_proxy_route_rtt_seconds', 'nats_route_proxy_route_paused_seconds', 'nats_route_proxy_route_slow_consumer_count',
    'nats_route_proxy_route_dropped_msg_count', 'nats_route_proxy_peer_reconnects']) {
    t.ok(value(text, name, toPb) !== undefined, `${name} per route`);
  }

  // A server that restarts: its route closes (reason counted) and it comes back as a reconnect.
  await sa.restart();
  const saId2 = (await sa.varz()).server_id as string;
  await waitFor(() => pa.daemon.routes.getPeer(saId2), { what: 'SA back' });
  const after = (await scrape(http)).text;
  t.ok(value(after, 'nats_route_proxy_route_closed_total', { registered: 'true' })! >= 1, 'a registered route closed, with a reason label');
  const labels = [...after.matchAll(/^nats_route_proxy_route_closed_total\{[^}]*reason="([^"]*)"/gm)].map((m) => m[1]);
  const known = new Set(Object.values(CloseReasons).map((r) => r.label));
  t.ok(labels.length >= 1, `close series present (${labels.join(', ')})`);
  t.ok(labels.every((l) => known.has(l!)), 'every reason label is a stable label from the close-reason table');
});
