// JetStream across sites: site A runs a 3-server JetStream cluster (2.10.27); site B (2.9.10
// and 2.10.27) uses it through the proxies: the JetStream API, push deliveries (which travel
// as `RMSG <deliver subject> $JS.ACK…@<stream subject>`) and acks back to the consumer.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { startServer, waitFor, type ServerVersion, type StartedServer } from '../helpers/nats-server.js';
import { startProxy, type StartedProxy } from '../helpers/proxy.js';

const proxyConf = (name: string, routes: string[]) => `server_name: ${name}
cluster {
  name: world
  listen: "127.0.0.1:-1"
  ${routes.length ? `routes = [ ${routes.map((r) => `"${r}"`).join(', ')} ]` : ''}
}
`;

async function jsApi(nc: NatsConnection, subject: string, body: unknown): Promise<any> {
  const r = JSON.parse((await nc.request(subject, JSON.stringify(body), { timeout: 3000 })).string());
  if (r.error) throw new Error(`${subject}: ${JSON.stringify(r.error)}`);
  return r;
}

t.test('JetStream in site A, used from site B', async (t) => {
  const store = mkdtempSync(join(tmpdir(), 'nrp-js-'));
  t.teardown(() => rmSync(store, { recursive: true, force: true }));
  const pb = await startProxy(t, proxyConf('proxy-B', []), { level: 'info' });
  const pa = await startProxy(t, proxyConf('proxy-A', [`nats-route://127.0.0.1:${pb.port}`]), { level: 'info' });
  // Started together: a JetStream server reports healthy only once a meta leader exists.
  const site = (names: string[], versions: ServerVersion[], p: StartedProxy, js: boolean): Promise<StartedServer[]> =>
    Promise.all(names.map((name, i) => startServer(t, {
      version: versions[i]!, name,
      extraConfig: js ? `jetstream { store_dir: "${join(store, name)}" }` : '',
      cluster: { name: 'world', routes: [`nats-route://127.0.0.1:${p.port}`] },
    })));
  const a = await site(['A1', 'A2', 'A3'], ['2.10.27', '2.10.27', '2.10.27'], pa, true);
  const b = await site(['B1', 'B2'], ['2.9.10', '2.15.1'], pb, false);

  for (const [i, sb] of b.entries()) {
    await t.test(`push consumer delivering to ${sb.name} (nats-server ${sb.version})`, async (t) => {
      const stream = `ORDERS${i}`;
      const ncB = await connect({ servers: sb.clientUrl });
      t.teardown(() => ncB.close());
      // The JetStream API itself crosses the sites: requests from B, responses from A.
      await waitFor(async () => {
        try {
          await jsApi(ncB, `$JS.API.STREAM.CREATE.${stream}`, { name: stream, subjects: [`orders${i}.>`] });
          return true;
        } catch {
          return false; // API interest may still be propagating
        }
      }, { what: 'stream created from site B', timeoutMs: 20_000 });
      const got: Array<{ subject: string; data: string }> = [];
      const deliver = `deliver.b${i}`;
      ncB.subscribe(deliver, {
        callback: (_e, m) => {
          got.push({ subject: m.subject, data: m.string() });
          m.respond(); // ack: an empty message to the $JS.ACK reply, back across the sites
        },
      });
      await ncB.flush();
      await waitFor(() => pa.daemon.routes.getPeers().some((p) => p.kind === 'proxy'
        && [...p.interest.entries()].some((e) => e.subject === deliver)), { what: 'deliver interest reached site A' });
      await jsApi(ncB, `$JS.API.CONSUMER.DURABLE.CREATE.${stream}.PUSH`, {
        stream_name: stream,
        config: { durable_name: 'PUSH', deliver_subject: deliver, ack_policy: 'explicit' },
      });
      const ncA = await connect({ servers: a[1]!.clientUrl });
      t.teardown(() => ncA.close());
      for (let n = 1; n <= 3; n++) await ncA.request(`orders${i}.new`, `order-${n}`, { timeout: 3000 }); // stored (PubAck)
      await waitFor(() => got.length === 3, { what: 'push deliveries in site B' });
      t.same(got, [1, 2, 3].map((n) => ({ subject: `orders${i}.new`, data: `order-${n}` })),
        'delivered on the deliver subject, shown with the stream subject, once each, in order');
      await waitFor(async () => {
        const info = await jsApi(ncB, `$JS.API.CONSUMER.INFO.${stream}.PUSH`, {});
        return info.num_ack_pending === 0 && info.delivered.consumer_seq === 3;
      }, { what: 'acks from site B reached the consumer in site A' });
      t.pass('acknowledged across the sites');
    });
  }
});
