// Connection cap, accept errors and the open-file limit (issue 13).
import t from 'tap';
import net from 'node:net';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startProxy } from '../helpers/proxy.js';
import { waitFor } from '../helpers/nats-server.js';
import { freePort } from '../helpers/ports.js';
import { connectionCap, parseFdLimit } from '../../src/route/fd-limit.js';

const CLI = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../src/cli.js');
const TMP = mkdtempSync(path.join(os.tmpdir(), 'nrp-fd-'));

/** Connects and resolves with everything received until the peer closes or `untilInfo` sees an INFO. */
function dial(port: number, untilInfo: boolean): Promise<{ sock: net.Socket; data: string; closed: boolean }> {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    let data = '';
    sock.on('error', () => {});
    sock.on('data', (b) => {
      data += b.toString('latin1');
      if (untilInfo && data.startsWith('INFO ')) resolve({ sock, data, closed: false });
    });
    sock.on('close', () => resolve({ sock, data, closed: true }));
  });
}

t.test('max_connections: the next connection gets nats-server\'s -ERR and is closed; a freed slot is reused', async (t) => {
  const p = await startProxy(t, 'cluster { name: c1, listen: "127.0.0.1:-1" }\nproxy { max_connections: 3 }\n', { level: 'info' });
  const held = await Promise.all([0, 1, 2].map(() => dial(p.port, true)));
  t.teardown(() => held.forEach((h) => h.sock.destroy()));
  t.ok(held.every((h) => !h.closed && h.data.startsWith('INFO ')), 'three accepted');
  const fourth = await dial(p.port, false);
  t.equal(fourth.data, "-ERR 'maximum connections exceeded'\r\n");
  t.ok(fourth.closed);
  t.equal(p.daemon.routes.refusals.count('connection_cap'), 1, 'counted');
  await p.waitForLog(/Route connection refused: max_connections \(3\) reached/);
  held[0]!.sock.destroy();
  await waitFor(async () => {
    const again = await dial(p.port, true);
    again.sock.destroy();
    return !again.closed;
  }, { what: 'a freed slot accepts again' });
  t.pass('accepted after one closed');
});

t.test('/proc limits parsing and the start-time warning', async (t) => {
  const text = 'Limit                     Soft Limit           Hard Limit           Units     \nMax open files            1024                 524288               files     \n';
  t.same(parseFdLimit(text), { soft: 1024, hard: 524288 });
  t.same(parseFdLimit('Max open files            unlimited            unlimited            files'), { soft: Infinity, hard: Infinity });
  t.equal(parseFdLimit('nothing'), undefined);
  t.same(connectionCap({ soft: 20000, hard: 20000 }, 1024, 256), { cap: 1024 }, 'fits: unchanged');
  const low = connectionCap({ soft: 1024, hard: 4096 }, 1024, 256 + 2);
  t.equal(low.cap, 1024 - 64 - 258, 'lowered to what fits');
  t.match(low.warning, /^Open file limit 1024 \(hard 4096\) cannot hold max_connections 1024 beside 258 dialed routes .* accepting at most 702 route connections/);
  t.equal(connectionCap({ soft: 64, hard: 64 }, 1000, 256).cap, 8, 'never below 8');
  t.equal(connectionCap({ soft: 20000, hard: 20000 }, 0, 256).cap, 20000 - 64 - 256, 'no max_connections: the fd limit still caps');
  t.same(connectionCap(undefined, 0, 256), { cap: 0 }, 'no /proc: as configured');
});

/** Runs the CLI under a shell `ulimit` and collects its log messages. */
async function daemonUnder(t: { teardown(fn: () => unknown): void }, ulimit: string, proxyBlock: string) {
  const port = await freePort();
  const conf = path.join(TMP, `p${port}.conf`);
  writeFileSync(conf, `cluster { name: c1, listen: "127.0.0.1:${port}" }\n${proxyBlock}\n`);
  const child = spawn('bash', ['-c', `${ulimit} && exec "$0" "$1" -c "$2"`, process.execPath, CLI, conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  const msgs: string[] = [];
  let buf = '';
  child.stdout.on('data', (b: Buffer) => {
    buf += b.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try { msgs.push((JSON.parse(line) as { msg: string }).msg); } catch { msgs.push(line); }
    }
  });
  t.teardown(() => child.kill('SIGKILL'));
  await waitFor(() => msgs.find((m) => m.startsWith('Listening for route connections')), { what: 'daemon listening', timeoutMs: 15_000 });
  return { port, msgs, pid: child.pid! };
}

t.test('a soft fd limit too low for max_connections: a warning, and the cap lowered so accepts are refused visibly', async (t) => {
  // Before: libuv accepted until EMFILE, then dropped connections itself with nothing logged.
  const d = await daemonUnder(t, 'ulimit -n 64', 'proxy { max_connections: 1000 }');
  t.ok(d.msgs.some((m) => /^Open file limit 64 \(hard 64\) cannot hold max_connections 1000 .* accepting at most 8 route connections/.test(m)), 'warned at start');
  const results: Array<Awaited<ReturnType<typeof dial>>> = [];
  for (let i = 0; i < 60; i++) results.push(await dial(d.port, true));
  t.teardown(() => results.forEach((r) => r.sock.destroy()));
  const accepted = results.filter((r) => !r.closed).length;
  const refused = results.filter((r) => r.closed && r.data === "-ERR 'maximum connections exceeded'\r\n").length;
  t.equal(accepted, 8, 'the lowered cap accepted');
  t.equal(refused, 52, 'every other connection answered and closed, none dropped silently');
  await waitFor(() => d.msgs.find((m) => /Route connection refused: max_connections \(8\) reached/.test(m)), { what: 'refusal logged' });
  t.notOk(d.msgs.some((m) => m.includes('Accept Error')), 'the fd limit was never reached');
  results.forEach((r) => r.sock.destroy());
  await waitFor(async () => {
    const again = await dial(d.port, true);
    again.sock.destroy();
    return !again.closed;
  }, { what: 'accepting again once connections closed' });
  t.pass('recovered');
});

t.test('a low soft limit under a high hard limit: Node raises it, no warning', async (t) => {
  const d = await daemonUnder(t, 'ulimit -Sn 128', '');
  const limits = parseFdLimit(readFileSync(`/proc/${d.pid}/limits`, 'utf8'))!;
  t.equal(limits.soft, limits.hard, `soft raised to the hard limit (${limits.hard})`);
  if (limits.hard >= 1024 + 256 + 64) t.notOk(d.msgs.some((m) => m.startsWith('Open file limit')), 'no warning');
});

t.test('accept errors that reach Node are reported each time and never crash the listener', async (t) => {
  const { RouteListener } = await import('../../src/route/listener.js');
  const errors: string[] = [];
  const l = new RouteListener((s) => s.destroy(), { acceptError: (e) => errors.push(e.code ?? '') });
  await l.listen('127.0.0.1', 0);
  t.teardown(() => l.close());
  const server = (l as unknown as { server: net.Server }).server;
  // Before: the bind-time once('error') handler swallowed the first, and the second was an uncaught 'error'.
  for (const code of ['EMFILE', 'ENFILE']) server.emit('error', Object.assign(new Error(`accept ${code}`), { code }));
  t.same(errors, ['EMFILE', 'ENFILE']);
});
