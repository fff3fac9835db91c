// What we announce about ourselves, and routes that lead back to us.
import t from 'tap';
import net from 'node:net';
import { startProxy } from '../helpers/proxy.js';
import { freePort } from '../helpers/ports.js';
import { waitFor } from '../helpers/nats-server.js';

function firstInfo(port: number): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let data = '';
    sock.on('data', (b) => {
      data += b.toString();
      const m = /^INFO (\{.*\}) \r\n/.exec(data);
      if (m) {
        sock.destroy();
        resolve(JSON.parse(m[1]!) as Record<string, unknown>);
      }
    });
    sock.on('error', reject);
  });
}

t.test('INFO: identity, capabilities, the proxy extension, pool size, the configured compression', async (t) => {
  const p = await startProxy(t, `server_name: me\ncluster { name: c1, listen: "127.0.0.1:-1", authorization { user: u, password: p } }\n`);
  const info = await firstInfo(p.port);
  t.equal(info.server_id, p.serverId);
  t.equal(info.server_name, 'me');
  t.equal(info.cluster, 'c1');
  t.equal(info.port, p.port, 'our real route port');
  t.equal(info.headers, true);
  t.equal(info.auth_required, true);
  t.equal(info.proto, 2, 'below 3: no trace-only messages are sent to us');
  t.same(info.nrp, { v: 1 }, 'the proxy extension');
  t.equal(info.route_pool_size, 3, 'pooling advertised: pool_size defaults to 3');
  t.notOk('route_pool_idx' in info || 'route_account' in info, 'only a dialer names its slot or account');
  t.equal(info.compression, 'accept', 'compression: the configured mode (default accept), §5.1');
  t.notOk('connect_urls' in info, 'we take no clients');
});

t.test('cluster.advertise sets the host, port and ip we announce', async (t) => {
  const p = await startProxy(t, `cluster { name: c1, listen: "127.0.0.1:-1", advertise: "proxy.example.internal:7777" }\n`);
  const info = await firstInfo(p.port);
  t.equal(info.host, 'proxy.example.internal');
  t.equal(info.port, 7777);
  t.equal(info.ip, 'nats-route://proxy.example.internal:7777/');
});

t.test('a route to ourselves is detected and never retried', async (t) => {
  const port = await freePort();
  const p = await startProxy(t, `cluster { name: c1, listen: "127.0.0.1:${port}", routes: ["nats-route://127.0.0.1:${port}"] }\n`);
  await p.waitForLog(/Detected route to self/);
  await waitFor(() => p.daemon.routes.solicitations().length === 0, { what: 'dialer stopped' });
  t.equal(p.daemon.routes.getPeers().length, 0, 'no peer registered');
});

t.test('trace level logs protocol lines in nats-server form, never a password', async (t) => {
  const p = await startProxy(t, `cluster { name: c1, listen: "127.0.0.1:-1", authorization { user: u, password: "pw-secret-1" } }\n`, { level: 'trace' });
  const sock = net.connect(p.port, '127.0.0.1');
  t.teardown(() => sock.destroy());
  sock.write('CONNECT {"user":"u","pass":"pw-secret-1","cluster":"c1","name":"NTRACE"}\r\n'
    + 'INFO {"server_id":"NTRACE","server_name":"tracer","port":1,"cluster":"c1","headers":true}\r\n'
    + 'RS+ $G trace.me q 2\r\nRMSG $G trace.me 2\r\nhi\r\nPING\r\n');
  await p.waitForLog(/->> \[PONG\]/);
  const logs = p.logs();
  t.ok(logs.some((l) => /rid:\d+ - ->> \[INFO \{.*"server_id"/.test(l)), 'our INFO');
  t.ok(logs.some((l) => /<<- \[CONNECT .*"pass":"\[REDACTED\]"/.test(l)), 'CONNECT traced with the password redacted');
  t.ok(logs.some((l) => /<<- \[RS\+ \$G trace\.me q 2\]/.test(l)), 'interest');
  t.ok(logs.some((l) => /<<- \[RMSG \$G trace\.me 2\]/.test(l)), 'message control line');
  t.ok(logs.some((l) => /<<- \[PING\]/.test(l)));
  t.notOk(logs.some((l) => l.includes('pw-secret-1')), 'the password appears nowhere in the log');
});

t.test('a CONNECT that does not parse, or spells the key oddly, never puts the password in the log', async (t) => {
  const p = await startProxy(t, `cluster { name: c1, listen: "127.0.0.1:-1" }\n`, { level: 'trace' });
  for (const connect of ['CONNECT {"user":"u","pass":pw-secret-2}\r\n', 'CONNECT {"user":"u","PASS":"pw-secret-2","cluster":"c1"}\r\n',
    'CONNECT {"user":"u","p\\u0061ss":"pw-secret-2","cluster":"c1"}\r\n', 'CONNECT {"user":"u","pass":12345678,"cluster":"c1"}\r\n']) {
    const sock = net.connect(p.port, '127.0.0.1');
    sock.on('error', () => {});
    sock.write(connect + 'PING\r\n');
    await new Promise((r) => setTimeout(r, 50).unref());
    sock.destroy();
  }
  await p.waitForLog(/not valid JSON/);
  t.notOk(p.logs().some((l) => l.includes('pw-secret-2') || l.includes('12345678')), 'no password in any log line');
  t.ok(p.logs().some((l) => /<<- \[CONNECT .*"PASS":"\[REDACTED\]"/.test(l)), 'odd letter case redacted too');
});

t.test('our cluster credentials go to a gossiped route only when it says auth_required', async (t) => {
  const p = await startProxy(t, `cluster { name: c1, listen: "127.0.0.1:-1", authorization { user: ru, password: "cluster-pw-3" } }\n`);
  // Two fake servers that record the CONNECT they get from the proxy.
  const connects = new Map<number, string>();
  const fake = async () => {
    let port = 0; // captured once: the proxy redials (as nats-server does) even while teardown closes us
    const srv = net.createServer((sock) => {
      sock.on('data', (b) => {
        const m = /CONNECT (\{.*\})\r\n/.exec(b.toString());
        if (m && !connects.has(port)) connects.set(port, m[1]!);
        sock.destroy();
      });
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    port = (srv.address() as net.AddressInfo).port;
    t.teardown(() => srv.close());
    return port;
  };
  const open = await fake();
  const guarded = await fake();
  const peer = net.connect(p.port, '127.0.0.1');
  t.teardown(() => peer.destroy());
  peer.on('error', () => {});
  peer.write('CONNECT {"user":"ru","pass":"cluster-pw-3","cluster":"c1"}\r\n'
    + 'INFO {"server_id":"NGOSSIPER","server_name":"g","port":1,"cluster":"c1","headers":true}\r\n'
    + `INFO {"server_id":"NOPEN","host":"127.0.0.1","port":${open},"cluster":"c1"}\r\n`
    + `INFO {"server_id":"NGUARDED","host":"127.0.0.1","port":${guarded},"cluster":"c1","auth_required":true}\r\n`);
  await waitFor(() => connects.size === 2, { what: 'both gossiped routes dialed' });
  const o = JSON.parse(connects.get(open)!);
  const g = JSON.parse(connects.get(guarded)!);
  t.notOk('user' in o || 'pass' in o, 'no credentials to a route that did not ask');
  t.equal(g.user, 'ru');
  t.equal(g.pass, 'cluster-pw-3', 'credentials where auth is required');
});

t.test('cluster.tls without a certificate: refused at config time (never plaintext, never half TLS)', async (t) => {
  await t.rejects(startProxy(undefined, `cluster { name: c1, listen: "127.0.0.1:-1", tls {} }\n`),
    /missing 'cert_file' and 'key_file' in TLS configuration/);
});
