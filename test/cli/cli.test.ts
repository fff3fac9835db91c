// The command line, run as users run it: `node dist/src/cli.js ...`.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../helpers/ports.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CLI = path.join(ROOT, 'dist/src/cli.js');
const TMP = mkdtempSync(path.join(os.tmpdir(), 'nrp-cli-'));

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function tmpConf(name: string, text: string): string {
  const f = path.join(TMP, name);
  writeFileSync(f, text);
  return f;
}

const noStack = (s: string) => !/^\s+at /m.test(s);

t.test('-t with a valid file: exit 0, redacted JSON on stdout', async (t) => {
  const r = cli('-t', '-c', 'config/route-proxy.conf');
  t.equal(r.code, 0);
  t.equal(r.stderr, 'nats-route-proxy: configuration file config/route-proxy.conf is valid\n');
  const o = JSON.parse(r.stdout) as { serverName: string; cluster: { port: number; authorization: { password: string } } };
  t.equal(o.serverName, 'route-proxy-a');
  t.equal(o.cluster.port, 6222);
  t.equal(o.cluster.authorization.password, '[REDACTED]');
  t.notOk((r.stdout + r.stderr).includes('change-me-route-secret'), 'the password is never printed');
});

t.test('-t with errors: exit 1, file:line:col lines, nothing on stdout', async (t) => {
  const f = tmpConf('bad.conf', 'cluster {\n  port: "x"\n  foo: 1\n}\n');
  const r = cli('-t', '-c', f);
  t.equal(r.code, 1);
  t.equal(r.stdout, '');
  t.equal(r.stderr, `${f}:2:3: interface conversion: interface {} is string, not int64\n${f}:3:3: unknown field "foo"\n`);
});

t.test('-t with warnings only: exit 1 like nats-server', async (t) => {
  const f = tmpConf('warn.conf', 'cluster {\n  port: 6222\n  ping_interval: 5\n}\n');
  const r = cli('-t', '-c', f);
  t.equal(r.code, 1);
  t.equal(r.stderr, `${f}:3:3: invalid use of field "ping_interval": ping_interval should be converted to a duration\n`);
});

t.test('a syntax error: one line with the position', async (t) => {
  const f = tmpConf('syntax.conf', 'cluster {\n  name: my cluster\n}\n');
  const r = cli('-t', '-c', f);
  t.equal(r.code, 1);
  t.equal(r.stderr.split('\n').filter(Boolean).length, 1);
  t.match(r.stderr, new RegExp(`^nats-route-proxy: ${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2:`));
  t.ok(noStack(r.stderr));
});

t.test('a missing file: exit 1, one line, no stack', async (t) => {
  for (const args of [['-t', '-c', '/nonexistent/x.conf'], ['-c', '/nonexistent/x.conf']]) {
    const r = cli(...args);
    t.equal(r.code, 1, args.join(' '));
    t.equal(r.stderr, 'nats-route-proxy: /nonexistent/x.conf: no such file or directory\n');
    t.equal(r.stdout, '');
  }
});

t.test('usage errors', async (t) => {
  let r = cli('--bogus');
  t.equal(r.code, 1);
  t.equal(r.stderr, "nats-route-proxy: Unknown option '--bogus' (see --help)\n");
  r = cli('-t');
  t.equal(r.code, 1);
  t.equal(r.stderr, 'nats-route-proxy: must specify [-c, --config] option to check configuration file syntax\n');
  r = cli('-c');
  t.equal(r.code, 1);
  t.match(r.stderr, /^nats-route-proxy: Option '-c, --config <value>' argument missing/);
  r = cli('--connect_retries', 'abc', '-t', '-c', 'config/route-proxy.conf');
  t.equal(r.code, 1);
  t.equal(r.stderr, 'nats-route-proxy: invalid value "abc" for flag --connect_retries: expected an integer\n');
  r = cli('stray');
  t.equal(r.code, 1);
  t.ok(noStack(r.stderr) && r.stderr.split('\n').filter(Boolean).length === 1);
});

t.test('--help and --version', async (t) => {
  const h = cli('--help');
  t.equal(h.code, 0);
  t.match(h.stdout, /^Usage: nats-route-proxy/);
  for (const flag of ['--config', '--cluster', '--routes', '--cluster_name', '--no_advertise', '--connect_retries', '--http_port', '--debug', '--trace']) {
    t.ok(h.stdout.includes(flag), `documents ${flag}`);
  }
  t.equal(cli('-h').stdout, h.stdout);
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const v = cli('--version');
  t.equal(v.code, 0);
  t.equal(v.stdout, `nats-route-proxy v${pkg.version}\n`);
  t.equal(cli('-v').stdout, v.stdout);
});

t.test('flags override the file', async (t) => {
  const r = cli('-t', '-c', 'config/route-proxy.conf', '--cluster_name', 'other', '--routes', 'nats://u:FlagPass@10.1.1.1:6222',
    '-D', '-n', 'proxy-b', '-cluster', 'nats://127.0.0.1:7333', '-m', '9999');
  t.equal(r.code, 0, r.stderr);
  const o = JSON.parse(r.stdout) as {
    serverName: string; http: { port: number }; logging: { debug: boolean };
    cluster: { name: string; port: number; authorization?: unknown; routes: Array<{ display: string }> };
  };
  t.equal(o.cluster.name, 'other');
  t.equal(o.serverName, 'proxy-b');
  t.equal(o.logging.debug, true);
  t.equal(o.cluster.port, 7333, 'single-dash long flags work like nats-server');
  t.equal(o.cluster.authorization, undefined, '--cluster without user info clears the file credentials');
  t.same(o.cluster.routes.map((x) => x.display), ['nats://u:[REDACTED]@10.1.1.1:6222']);
  t.equal(o.http.port, 9999);
  t.notOk(r.stdout.includes('FlagPass'));
});

t.test('passwords holding "/", "?", "#" or "%" never reach the output', async (t) => {
  const cases: Array<[string, string[], string]> = [
    ['--routes', ['--routes', 'nats://u:pa/ss@h:1', '--cluster', 'nats://127.0.0.1:7333'], 'pa/ss'],
    ['--routes ?', ['--routes', 'nats://u:pa?ss@h:1', '--cluster', 'nats://127.0.0.1:7333'], 'pa?ss'],
    ['--cluster bad port and #', ['--cluster', 'nats://u:s3cret@host:bad#x'], 's3cret'],
    ['--cluster # in password', ['--cluster', 'nats://u:s3cr#et@host:1'], 's3cr'],
    ['--cluster bad escape', ['--cluster', 'nats://u:s3cr%et@host:1'], '%et'],
  ];
  for (const [name, flags, secret] of cases) {
    const r = cli('-t', '-c', 'config/route-proxy.conf', ...flags);
    t.equal(r.code, 1, `${name}: refused`);
    t.match(r.stderr, /\[REDACTED\]/, `${name}: the URL is shown redacted`);
    t.notOk((r.stdout + r.stderr).includes(secret), `${name}: no ${secret} in ${r.stderr}`);
  }
  const f = tmpConf('hash-pass.conf', 'cluster {\n  port: 6222\n  routes: ["nats://u:s3cr#et@host:6222", "nats://u:s3cr#et@host:6222"]\n}\n');
  const r = cli('-t', '-c', f);
  t.equal(r.code, 1);
  t.equal(r.stderr.split('\n').filter(Boolean).length, 2, 'the error and the duplicate warning');
  t.notOk((r.stdout + r.stderr).includes('s3cr'), r.stderr);
});

t.test('start with an invalid config: exit 1, nothing started', async (t) => {
  const f = tmpConf('start-bad.conf', 'cluster {\n  name: x\n}\n');
  const r = cli('-c', f);
  t.equal(r.code, 1);
  t.equal(r.stderr, `${f}:1:1: cluster port is required: the proxy is a route peer (set cluster.listen or cluster.port, or --cluster)\n`);
  const routesOnly = cli('--routes', 'nats://127.0.0.1:4');
  t.equal(routesOnly.code, 1);
  t.equal(routesOnly.stderr, 'nats-route-proxy: solicited routes require cluster capabilities, e.g. --cluster\n');
});

t.test('start with flags only, stop on SIGTERM', async (t) => {
  const port = await freePort();
  const child = spawn(process.execPath, [CLI, '--cluster', `nats://127.0.0.1:${port}`, '--cluster_name', 'clitest'], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); });

  // The route port accepting connections is the observable "started".
  const deadline = Date.now() + 15_000;
  let listening = false;
  while (!listening && Date.now() < deadline && child.exitCode === null) {
    listening = await new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.1', port }, () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (!listening) await new Promise((r) => setTimeout(r, 100));
  }
  t.ok(listening, `route port ${port} is listening (output: ${output})`);
  child.kill('SIGTERM');
  t.equal(await exited, 0, 'clean exit on SIGTERM');
});
