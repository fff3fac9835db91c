// Per-peer interest limits (issue 13): a raw-socket peer flooding RS+ is held to
// max_interest_per_account / max_interest_per_connection and gets nats-server's max_subs reaction
// (-ERR 'maximum subscriptions exceeded', entry dropped, connection kept), while a real nats-server
// routed to the same proxy keeps its route and its interest.
import t from 'tap';
import net from 'node:net';
import { connect } from '@nats-io/transport-node';
import { SERVER_VERSIONS, startServer, waitFor } from '../helpers/nats-server.js';
import { poolSettled, startProxy } from '../helpers/proxy.js';

const version = SERVER_VERSIONS[SERVER_VERSIONS.length - 1]!;

t.test(`an RS+ flood beside nats-server ${version}`, async (t) => {
  const proxy = await startProxy(t, `server_name: il
cluster { name: c1, listen: "127.0.0.1:-1" }
proxy { max_interest_per_connection: 250, max_interest_per_account: 100 }
`, { level: 'info' });
  const s = await startServer(t, { version, name: 'healthy', cluster: { name: 'c1', routes: [`nats-route://127.0.0.1:${proxy.port}`] } });
  const sid = (await s.varz()).server_id as string;
  await waitFor(() => proxy.daemon.routes.getPeer(sid), { what: 'server registered' });
  const nc = await connect({ servers: s.clientUrl });
  t.teardown(() => nc.close());
  for (let i = 0; i < 60; i++) nc.subscribe(`healthy.${i}`);
  await nc.flush();
  const healthy = () => proxy.daemon.routes.getPeer(sid)!.interest;
  await waitFor(() => healthy().get('$G', 'healthy.59'), { what: 'healthy interest arrives' });
  const healthyRid = (await poolSettled(proxy, sid)).main.rid;

  // The flooder: 3 accounts × 1000 RS+.
  const raw = net.connect(proxy.port, '127.0.0.1');
  let received = '';
  let closed = false;
  raw.on('data', (b) => {
    received += b.toString('latin1');
    if (received.endsWith('PING\r\n')) raw.write('PONG\r\n');
  });
  raw.on('close', () => { closed = true; });
  raw.on('error', () => {});
  t.teardown(() => raw.destroy());
  raw.write('CONNECT {"cluster":"c1"}\r\nINFO {"server_id":"NFLOODER","server_name":"flooder","port":1,"cluster":"c1","headers":true}\r\n');
  await waitFor(() => proxy.daemon.routes.getPeer('NFLOODER'), { what: 'flooder registered' });
  let flood = '';
  for (const acc of ['A1', 'A2', 'A3']) for (let i = 0; i < 1000; i++) flood += `RS+ ${acc} flood.${i}\r\n`;
  raw.write(flood);
  const r = proxy.daemon.routes.refusals;
  await waitFor(() => r.count('interest_account_cap') + r.count('interest_connection_cap') === 2750, { what: 'refusals counted' });
  const table = proxy.daemon.routes.getPeer('NFLOODER')!.interest;
  t.equal(table.size, 250, 'held to max_interest_per_connection');
  t.equal(r.count('interest_account_cap'), 900 + 900, 'A1 and A2 stopped at 100 each');
  t.equal(r.count('interest_connection_cap'), 950, 'A3 stopped by the connection limit at 50');
  t.ok(table.get('A1', 'flood.99') && !table.get('A1', 'flood.100'), 'the first 100 of A1 kept');
  await waitFor(() => received.includes("-ERR 'maximum subscriptions exceeded'\r\n"), { what: '-ERR' });
  t.notOk(closed, 'the flooder stays connected, as with nats-server max_subs');
  // An RS- frees a slot: the next RS+ in that account is accepted again.
  raw.write('RS- A1 flood.0\r\nRS+ A1 flood.500\r\n');
  await waitFor(() => table.get('A1', 'flood.500'), { what: 'slot reused' });
  t.ok(proxy.logs().some((l) => /maximum subscriptions exceeded: max_interest_per_account \(100\) in account A1 reached, RS\+ A1 flood\.100 refused/.test(l)), 'logged');

  // The healthy server is untouched: same route, its interest complete, new interest still flows.
  t.equal(proxy.daemon.routes.getPeer(sid)!.main.rid, healthyRid, 'the healthy route never reconnected');
  for (let i = 0; i < 60; i++) t.ok(healthy().get('$G', `healthy.${i}`), `healthy.${i}`, { diagnostic: false });
  nc.subscribe('healthy.late');
  await waitFor(() => healthy().get('$G', 'healthy.late'), { what: 'late interest' });
  const rz = await s.routez();
  t.equal(rz.num_routes >= 1, true, 'the server still routes to the proxy');
  t.comment(`healthy peer holds ${healthy().size} entries (incl. the server's own system subscriptions)`);
});
