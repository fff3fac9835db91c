// Signals on a real daemon process (issue 11 lifecycle, issue 13): SIGUSR1 reopens the logfile
// and never opens the inspector; SIGHUP reloads (an invalid file changes nothing); SIGUSR2 is
// lame duck; SIGTERM stops with exit 0 and a second one exits at once, not by signal; SIGQUIT is
// logged; `--signal` and pid_file; none of them kills silently.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, renameSync, writeFileSync, chmodSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { CLI, startDaemonProcess } from '../helpers/daemon-process.js';
import { waitFor } from '../helpers/nats-server.js';

const TMP = mkdtempSync(path.join(os.tmpdir(), 'nrp-signals-'));
let n = 0;

function conf(extra = ''): string {
  const f = path.join(TMP, `p${++n}.conf`);
  writeFileSync(f, `server_name: sig${n}\npid_file: "${path.join(TMP, `p${n}.pid`)}"\ncluster {\n  name: c1\n  listen: "127.0.0.1:-1"\n}\n${extra}`);
  return f;
}

/** Whether process `pid` holds a listening TCP socket on `port` (via /proc: no port is probed). */
function listensOn(pid: number, port: number): boolean {
  const inodes = new Set<string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      const localPort = parseInt(f[1]!.split(':')[1]!, 16);
      if (localPort === port && f[3] === '0A') inodes.add(f[9]!);
    }
  }
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m && inodes.has(m[1]!)) return true;
    } catch { /* fd closed meanwhile */ }
  }
  return false;
}

function routeConnect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

t.test('SIGUSR1: the check itself sees a plain node process open its inspector', async (t) => {
  // The control: without our handler Node 20 opens 127.0.0.1:9229 on SIGUSR1.
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000); console.log("up")'], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => { child.kill('SIGKILL'); });
  await new Promise((r) => child.stdout.once('data', r));
  let err = '';
  child.stderr.on('data', (b: Buffer) => { err += b.toString(); });
  child.kill('SIGUSR1');
  await waitFor(() => /Debugger listening/.test(err) && listensOn(child.pid!, 9229), { what: 'inspector of the control process' });
  t.pass('a process without a SIGUSR1 handler listens on 9229');
});

t.test('SIGUSR1 reopens the logfile and never opens the inspector', async (t) => {
  const logfile = path.join(TMP, 'proxy.log');
  const d = startDaemonProcess(t, ['-c', conf(`logfile: "${logfile}"\n`)]);
  await waitFor(() => existsSync(logfile) && /is ready/.test(readFileSync(logfile, 'utf8')), { what: 'ready in logfile' });
  renameSync(logfile, `${logfile}.1`); // logrotate
  d.child.kill('SIGUSR1');
  await waitFor(() => existsSync(logfile) && /Reopened log file/.test(readFileSync(logfile, 'utf8')), { what: 'new logfile after SIGUSR1' });
  t.notOk(listensOn(d.pid, 9229), 'nothing of ours listens on the inspector port');
  t.notOk(/Debugger listening/.test(d.stderr()), 'no inspector banner');
  t.match(readFileSync(`${logfile}.1`, 'utf8'), /is ready/, 'the rotated file kept the lines from before');
  t.equal(d.child.exitCode, null, 'still running');
  d.child.kill('SIGUSR1');
  await waitFor(() => (readFileSync(logfile, 'utf8').match(/Reopened log file/g) ?? []).length === 2, { what: 'second reopen' });
  t.notOk(listensOn(d.pid, 9229), 'still no inspector after a second SIGUSR1');
  d.child.kill('SIGTERM');
  t.same(await d.exited, { code: 0, signal: null });
});

t.test('SIGHUP reloads; an invalid file changes nothing; --signal reads pid_file', async (t) => {
  const f = conf();
  const d = startDaemonProcess(t, ['-c', f]);
  await d.ports();
  const text = readFileSync(f, 'utf8');
  writeFileSync(f, `${text}debug: true\n`);
  let since = d.lines().length;
  d.child.kill('SIGHUP');
  await d.waitForLog(/^Reloaded server configuration$/, { since });
  await d.waitForLog(/^Reloaded: debug$/, { since });

  since = d.lines().length;
  writeFileSync(f, `${text}cluster { nope\n`);
  d.child.kill('SIGHUP');
  const failed = await d.waitForLog(/^Failed to reload server configuration: /, { since });
  t.match(failed, /p\d+\.conf/, 'names the file');

  since = d.lines().length;
  writeFileSync(f, text.replace('name: c1', 'name: other'));
  // nats-server's --signal: the PID comes from the pid_file of -c.
  const r = spawnSync(process.execPath, [CLI, '--signal', 'reload', '-c', f], { encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
  const refused = await d.waitForLog(/^Failed to reload server configuration: /, { since });
  t.match(refused, /config reload not supported for cluster\.name: old=c1, new=other/);
  t.equal(d.child.exitCode, null, 'still running after three reloads');

  // ...and =PIDFILE / =PID forms.
  writeFileSync(f, text);
  since = d.lines().length;
  const pidFile = readFileSync(f, 'utf8').match(/pid_file: "([^"]+)"/)![1]!;
  t.equal(readFileSync(pidFile, 'utf8'), String(d.pid), 'pid_file holds the PID');
  t.equal(spawnSync(process.execPath, [CLI, '--signal', `reload=${pidFile}`]).status, 0);
  await d.waitForLog(/^Reloaded server configuration$/, { since });
  t.equal(spawnSync(process.execPath, [CLI, '--signal', `term=${d.pid}`]).status, 0);
  t.same(await d.exited, { code: 0, signal: null }, 'term: graceful exit 0');
  t.notOk(existsSync(pidFile), 'pid_file removed on exit');
  const bad = spawnSync(process.execPath, [CLI, '--signal', 'bogus=1'], { encoding: 'utf8' });
  t.equal(bad.status, 1);
  t.match(bad.stderr, /^nats-route-proxy: unknown signal "bogus"/);
});

t.test('SIGTERM is graceful (exit 0, routes closed); SIGQUIT is logged', async (t) => {
  const d = startDaemonProcess(t, ['-c', conf()]);
  const { route } = await d.ports();
  const peer = await routeConnect(route); // a route peer sees the close (FIN), so it reconnects
  const peerClosed = new Promise((r) => peer.once('close', r));
  peer.resume();
  d.child.kill('SIGTERM');
  t.same(await d.exited, { code: 0, signal: null });
  await peerClosed;
  const msgs = d.lines().map((l) => l.msg);
  t.ok(msgs.includes('Trapped "SIGTERM" signal'));
  t.ok(msgs.includes('Server Exiting..'));

  const q = startDaemonProcess(t, ['-c', conf()]);
  await q.ports();
  q.child.kill('SIGQUIT');
  t.same(await q.exited, { code: 2, signal: null }, 'SIGQUIT: exit 2, not killed by the signal');
  t.ok(q.lines().some((l) => /Trapped "SIGQUIT" signal: exiting at once/.test(l.msg ?? '')), 'and logged');
});

t.test('a second SIGTERM during a slow stop exits at once, not by signal', async (t) => {
  // A systemd-notify that takes 20 s makes STOPPING=1 (the first step of a stop) slow.
  const slow = path.join(TMP, 'slow-notify.sh');
  writeFileSync(slow, '#!/bin/sh\ncase "$*" in *STOPPING*) sleep 20;; esac\nexit 0\n');
  chmodSync(slow, 0o755);
  const d = startDaemonProcess(t, ['-c', conf()], { NOTIFY_SOCKET: path.join(TMP, 'none.sock'), NRP_SYSTEMD_NOTIFY: slow });
  await d.ports();
  d.child.kill('SIGTERM');
  await d.waitForLog(/^Initiating Shutdown\.\.\.$/);
  d.child.kill('SIGTERM');
  t.same(await d.exited, { code: 1, signal: null });
  t.ok(d.lines().some((l) => /Trapped "SIGTERM" signal again: exiting at once/.test(l.msg ?? '')));
});

t.test('SIGUSR2: lame duck stops accepting, waits the grace period, exits 0', async (t) => {
  const d = startDaemonProcess(t, ['-c', conf('lame_duck_grace_period: "2s"\nhttp: "127.0.0.1:-1"\n')]);
  const { route, http } = await d.ports();
  t.equal((await fetch(`http://127.0.0.1:${http}/healthz`)).status, 200);
  const peer = await routeConnect(route);
  peer.resume();
  const peerClosed = new Promise((r) => peer.once('close', r));
  d.child.kill('SIGUSR2');
  await d.waitForLog(/^Entering lame duck mode, stop accepting new route connections/);
  await waitFor(async () => {
    try { (await routeConnect(route)).destroy(); return false; } catch { return true; }
  }, { what: 'listener closed in lame duck mode' });
  const h = await fetch(`http://127.0.0.1:${http}/healthz`);
  t.equal(h.status, 503, 'not ready in lame duck mode (load balancers move away)');
  t.same(await h.json(), { status: 'unavailable', error: 'lame duck mode' });
  t.equal(d.child.exitCode, null, 'still running during the grace period');
  t.same(await d.exited, { code: 0, signal: null });
  await peerClosed;
  t.pass('existing routes were closed at the end');
});

t.test('an uncaught error is logged with its stack and exits 1 (systemd restarts it)', async (t) => {
  // Preloaded into the daemon's process: an error nobody catches, thrown when we say so.
  const boom = `data:text/javascript,process.on('SIGWINCH', () => setTimeout(() => { throw new Error('boom from a timer'); }))`;
  const d = startDaemonProcess(t, ['-c', conf()], {}, ['--import', boom]);
  await d.ports();
  d.child.kill('SIGWINCH');
  const exit = await d.exited;
  t.same(exit, { code: 1, signal: null }, d.stderr());
  t.ok(d.lines().some((l) => /is ready/.test(l.msg ?? '')), 'it had started');
  const fatal = d.lines().find((l) => l.level === 'fatal');
  t.match(fatal?.msg, /^Unexpected error \(uncaught exception\), exiting: boom from a timer$/);
  t.match((fatal?.err as { stack?: string })?.stack, /boom from a timer/, 'with the stack');
});
