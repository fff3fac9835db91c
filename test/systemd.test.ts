// systemd: the unit passes `systemd-analyze verify` and has the settings the issue asks for, and
// the daemon's notifications (READY, STATUS, WATCHDOG, RELOADING, STOPPING) reach a fake
// NOTIFY_SOCKET (a small Python receiver: Node has no Unix datagram sockets) in order.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDaemonProcess } from './helpers/daemon-process.js';
import { waitFor } from './helpers/nats-server.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const UNIT = path.join(ROOT, 'config/nats-route-proxy.service');
const TMP = mkdtempSync(path.join(os.tmpdir(), 'nrp-systemd-'));
const PYTHON = ['/usr/bin/python3', '/usr/local/bin/python3'].find((p) => existsSync(p)) ?? 'python3';
const TOOLS = spawnSync('sh', ['-c', 'command -v systemd-analyze && command -v systemd-notify'], { encoding: 'utf8' });

t.test('the unit file', async (t) => {
  const unit = readFileSync(UNIT, 'utf8');
  const has = (line: string) => unit.split('\n').some((l) => l.trim() === line);
  for (const line of ['Type=notify', 'NotifyAccess=all', 'Restart=on-failure', 'ExecReload=/bin/kill -s HUP $MAINPID',
    'ProtectSystem=strict', 'User=nats-route-proxy', 'LimitNOFILE=65536', 'NoNewPrivileges=true', 'WatchdogSec=30']) {
    t.ok(has(line), line);
  }
  t.notOk(/^\s*MemoryDenyWriteExecute/m.test(unit), 'no MemoryDenyWriteExecute (breaks the V8 JIT)');
  t.match(unit, /^RestrictAddressFamilies=.*AF_UNIX/m, 'AF_UNIX allowed for the notify socket');

  const analyze = TOOLS.status === 0;
  t.test('systemd-analyze verify', { skip: analyze ? false : 'systemd-analyze not installed' }, async (t) => {
    // The node path of this machine (verify checks that ExecStart is executable).
    const copy = path.join(TMP, 'nats-route-proxy.service');
    writeFileSync(copy, unit.replace(/^ExecStart=\S+/m, `ExecStart=${process.execPath}`));
    const r = spawnSync('systemd-analyze', ['verify', copy], { encoding: 'utf8' });
    const ours = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.includes('nats-route-proxy.service'));
    t.equal(r.status, 0, r.stderr);
    t.same(ours, [], 'no warning about the unit (unknown keys, bad values)');
  });
});

t.test('notifications on a fake NOTIFY_SOCKET', { skip: TOOLS.status === 0 ? false : 'systemd-notify not installed' }, async (t) => {
  const sock = path.join(TMP, 'notify.sock');
  const rx = spawn(PYTHON, [path.join(ROOT, 'test/helpers/notify-socket.py'), sock], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => { rx.kill('SIGKILL'); });
  const got: string[] = [];
  let buf = '';
  let listening = false;
  rx.stdout!.on('data', (b: Buffer) => {
    buf += b.toString();
    const parts = buf.split('\n');
    buf = parts.pop()!;
    for (const p of parts) {
      const o = JSON.parse(p) as { listening?: string; msg?: string };
      if (o.listening) listening = true;
      if (o.msg !== undefined) got.push(o.msg);
    }
  });
  await waitFor(() => listening, { what: 'fake notify socket bound' });
  const conf = path.join(TMP, 'p.conf');
  writeFileSync(conf, 'server_name: sd\ncluster {\n  name: c1\n  listen: "127.0.0.1:-1"\n}\n');
  const d = startDaemonProcess(t, ['-c', conf], { NOTIFY_SOCKET: sock, WATCHDOG_USEC: '400000' });
  await d.ports();
  const all = () => got.join('\n---\n');
  const has = (re: RegExp) => got.some((m) => re.test(m));
  await waitFor(() => has(/^READY=1$/m), { what: `READY=1 in ${all()}` });
  const ready = got.find((m) => /^READY=1$/m.test(m))!;
  t.match(ready, /^STATUS=0 server peer\(s\), 0 proxy peer\(s\) connected$/m, 'STATUS= with the peers');
  t.match(ready, new RegExp(`^MAINPID=${d.pid}$`, 'm'), 'sent on behalf of the daemon (MAINPID)');
  await waitFor(() => got.filter((m) => /^WATCHDOG=1$/m.test(m)).length >= 2, { what: 'two watchdog pings' });

  let mark = got.length;
  d.child.kill('SIGHUP');
  await waitFor(() => got.slice(mark).some((m) => /^READY=1$/m.test(m)), { what: `READY=1 after reload in ${all()}` });
  const afterHup = got.slice(mark).filter((m) => !/^WATCHDOG=1$/m.test(m) && !/^BARRIER=1$/.test(m));
  t.match(afterHup[0], /^RELOADING=1$/m, 'RELOADING=1 first');
  t.match(afterHup[0], /^MONOTONIC_USEC=\d+$/m, 'with MONOTONIC_USEC (Type=notify-reload wants it)');
  t.match(afterHup[1], /^READY=1$/m, 'then READY=1');

  mark = got.length;
  d.child.kill('SIGTERM');
  t.same(await d.exited, { code: 0, signal: null });
  t.ok(got.slice(mark).some((m) => /^STOPPING=1$/m.test(m)), 'STOPPING=1 on shutdown');
});

t.test('no NOTIFY_SOCKET: nothing is sent and nothing breaks', async (t) => {
  const { createNotifier } = await import('../src/systemd.js');
  const { silentLogger } = await import('../src/log.js');
  const n = createNotifier(silentLogger(), {});
  t.equal(n.enabled, false);
  await n.notify('READY=1');
  n.startWatchdog();
  n.stop();
  t.pass();
});
