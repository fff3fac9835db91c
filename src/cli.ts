#!/usr/bin/env node
// The command line: check a configuration (-t) or start the daemon. Every failure is one
// line `nats-route-proxy: <reason>` on stderr and exit code 1, never a stack trace.
import './early-signals.js'; // first: SIGUSR1 must never open the inspector, even during startup
import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { CliOverrides } from './config/options.js';
import type { ConfMap } from './config/tree.js';
import { loadConfigFile } from './config/load.js';
import { buildOptions, formatIssue, type ConfigIssue } from './config/build.js';
import { optionsToJSON } from './config/redact.js';
import { VERSION } from './version.js';
import { ProxyError } from './errors.js';

const PROG = 'nats-route-proxy';

const USAGE = `Usage: ${PROG} [options]

A NATS cluster route-protocol proxy. Configuration uses the nats-server config
language (or YAML/JSON by file extension); flags override the file.

Options:
  -c, --config <file>           Configuration file
  -t                            Test the configuration and exit (prints the
                                resolved options as JSON, passwords redacted)
  -s, --signal <sig>[=<pid>]    Send a signal to a running daemon and exit:
                                reload (SIGHUP), reopen (SIGUSR1, logfile),
                                ldm (SIGUSR2, lame duck), quit (SIGINT),
                                term (SIGTERM), stop (SIGKILL); <pid> is a
                                PID or a pid file (default: pid_file of -c)
  -P, --pid <file>              File to store the process ID (pid_file)
  -l, --log <file>              File to redirect log output (logfile)
  -h, --help                    Show this help
  -v, --version                 Show the version

Cluster options (same meaning as nats-server):
      --cluster <url>           Route listen URL, e.g. nats://0.0.0.0:6222
                                (:-1 = random port; user:pass@ replaces the
                                cluster authorization, no user info clears it)
      --cluster_listen <url>    Same as --cluster
      --routes <url,url,...>    Routes to solicit (replaces cluster.routes)
      --cluster_name <name>     Cluster name
      --cluster_advertise <hp>  host[:port] advertised to peers
      --no_advertise            Do not advertise known client URLs to peers
      --connect_retries <n>     Retries for discovered (implicit) routes

Server options:
  -n, --name, --server_name <name>  Server name
  -m, --http_port <port>        Monitoring HTTP port (host from the file or 0.0.0.0)
      --http <host:port>        Monitoring HTTP listen address
  -D, --debug                   Enable debug logging
  -V, --trace                   Enable protocol trace logging

Long options may also be written with a single dash (-cluster), as nats-server allows.
`;

const OPTIONS = {
  config: { type: 'string', short: 'c' },
  test: { type: 'boolean', short: 't' },
  help: { type: 'boolean', short: 'h' },
  signal: { type: 'string', short: 's' },
  pid: { type: 'string', short: 'P' },
  log: { type: 'string', short: 'l' },
  version: { type: 'boolean', short: 'v' },
  cluster: { type: 'string' },
  cluster_listen: { type: 'string' },
  routes: { type: 'string' },
  cluster_name: { type: 'string' },
  cluster_advertise: { type: 'string' },
  no_advertise: { type: 'boolean' },
  connect_retries: { type: 'string' },
  name: { type: 'string', short: 'n' },
  server_name: { type: 'string' },
  http_port: { type: 'string', short: 'm' },
  http: { type: 'string' },
  debug: { type: 'boolean', short: 'D' },
  trace: { type: 'boolean', short: 'V' },
} satisfies ParseArgsConfig['options'];

class UsageError extends ProxyError {
  constructor(message: string) {
    super('ERR_CLI_USAGE', message);
  }
}

type RunDaemon = typeof import('./daemon.js').runDaemon;

// nats-server's --signal commands (server/signal.go ProcessSignal), same signals.
const SIGNALS: Record<string, NodeJS.Signals> = {
  reload: 'SIGHUP', reopen: 'SIGUSR1', ldm: 'SIGUSR2', quit: 'SIGINT', term: 'SIGTERM', stop: 'SIGKILL',
};

/** Go's flag package accepts `-cluster`; node's parseArgs needs `--cluster`. */
function normalizeArgs(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') { out.push(...argv.slice(i)); break; }
    const m = /^-([a-z_]{2,})(=.*)?$/.exec(a);
    out.push(m && m[1]! in OPTIONS ? `-${a}` : a);
  }
  return out;
}

function parseCommandLine(argv: string[]) {
  try {
    return parseArgs({ args: normalizeArgs(argv), options: OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (err) {
    // parseArgs messages carry a long hint after the first sentence; keep the first.
    const first = (err as Error).message.split(/\. (?=[A-Z])/)[0]!.replace(/\.$/, '');
    throw new UsageError(`${first} (see --help)`);
  }
}

function toOverrides(v: ReturnType<typeof parseCommandLine>): CliOverrides {
  const o: CliOverrides = {};
  const cluster = v.cluster ?? v.cluster_listen;
  if (cluster !== undefined) o.cluster = cluster;
  if (v.routes !== undefined) o.routes = v.routes;
  if (v.cluster_name !== undefined) o.clusterName = v.cluster_name;
  if (v.cluster_advertise !== undefined) o.clusterAdvertise = v.cluster_advertise;
  if (v.no_advertise) o.noAdvertise = true;
  if (v.connect_retries !== undefined) {
    if (!/^-?[0-9]+$/.test(v.connect_retries)) {
      throw new UsageError(`invalid value "${v.connect_retries}" for flag --connect_retries: expected an integer`);
    }
    o.connectRetries = Number(v.connect_retries);
  }
  const name = v.server_name ?? v.name;
  if (name !== undefined) o.serverName = name;
  if (v.debug) o.debug = true;
  if (v.trace) o.trace = true;
  if (v.http_port !== undefined) {
    if (!/^-?[0-9]+$/.test(v.http_port)) {
      throw new UsageError(`invalid value "${v.http_port}" for flag --http_port: expected a port number`);
    }
    o.http = v.http_port;
  }
  if (v.http !== undefined) o.http = v.http;
  return o;
}

function printIssues(issues: ConfigIssue[]): void {
  for (const i of issues) process.stderr.write(`${i.pos ? formatIssue(i) : `${PROG}: ${i.message}`}\n`);
}

async function main(argv: string[]): Promise<number> {
  const flags = parseCommandLine(argv);
  if (flags.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (flags.version) {
    process.stdout.write(`${PROG} v${VERSION}\n`);
    return 0;
  }
  const overrides = toOverrides(flags);
  const configFile = flags.config;
  if (flags.signal !== undefined) return sendSignal(flags.signal, configFile, overrides);
  if (flags.test && configFile === undefined) {
    throw new UsageError('must specify [-c, --config] option to check configuration file syntax');
  }
  // Like nats-server, no file means defaults plus flags (`--cluster nats://0.0.0.0:6222` alone works).
  const load = () => {
    const root: ConfMap = configFile !== undefined
      ? loadConfigFile(configFile)
      : { type: 'map', entries: new Map(), pos: { file: '', line: 1, column: 1 } };
    const b = buildOptions(root, overrides, configFile !== undefined ? { configFile } : {});
    if (b.options && flags.pid !== undefined) b.options.pidFile = flags.pid;
    if (b.options && flags.log !== undefined) b.options.logging.logfile = flags.log;
    return b;
  };
  const built = load();
  printIssues(built.warnings);
  printIssues(built.errors);

  if (flags.test) {
    // nats-server -t treats warnings as fatal too.
    if (built.errors.length > 0 || built.warnings.length > 0 || !built.options) return 1;
    process.stdout.write(`${optionsToJSON(built.options)}\n`);
    process.stderr.write(`${PROG}: configuration file ${configFile} is valid\n`);
    return 0;
  }
  if (!built.options) return 1;

  const spec = './daemon.js'; // resolved at run time: the daemon is loaded only to start
  const { runDaemon } = (await import(spec)) as { runDaemon: RunDaemon };
  // A reload reads the same file with the same flags; it never throws (an invalid file changes nothing).
  const source = () => {
    try {
      const b = load();
      return { options: b.options, errors: b.errors.map((i) => (i.pos ? formatIssue(i) : i.message)) };
    } catch (err) {
      return { options: undefined, errors: [(err as Error).message.split('\n').filter((l) => l !== '').join('; ')] };
    }
  };
  await runDaemon(built.options, { handleSignals: true, source });
  return 0;
}

/** `--signal reload[=PID|PIDFILE]`: like nats-server, one signal to one running daemon. */
function sendSignal(spec: string, configFile: string | undefined, overrides: CliOverrides): number {
  const eq = spec.indexOf('=');
  const name = (eq < 0 ? spec : spec.slice(0, eq)).toLowerCase();
  const sig = SIGNALS[name];
  if (!sig) throw new UsageError(`unknown signal "${name}" (use one of ${Object.keys(SIGNALS).join(', ')})`);
  let target = eq < 0 ? '' : spec.slice(eq + 1);
  if (target === '') {
    const pidFile = configFile !== undefined ? buildOptions(loadConfigFile(configFile), overrides, { configFile }).options?.pidFile : undefined;
    if (!pidFile) throw new UsageError(`no PID: use --signal ${name}=<pid|pidfile>, or -c with a pid_file`);
    target = pidFile;
  }
  let pidText = target;
  if (!/^[0-9]+$/.test(target)) {
    try {
      pidText = readFileSync(target, 'utf8').trim();
    } catch (err) {
      throw new Error(`could not read pid file ${target}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  const pid = Number(pidText);
  if (!/^[0-9]+$/.test(pidText) || !Number.isSafeInteger(pid) || pid <= 0) throw new Error(`invalid PID "${pidText.slice(0, 40)}"`);
  try {
    process.kill(pid, sig);
  } catch (err) {
    throw new Error(`could not send ${sig} to ${pid}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return 0;
}

// `-t … | head` may close our output early: that ends the program quietly, not with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => process.exit(err.code === 'EPIPE' ? (process.exitCode ?? 0) : 1));
}

main(process.argv.slice(2)).then(
  (code) => { if (code !== 0) process.exitCode = code; },
  (err: unknown) => {
    const msg = err instanceof Error ? err.message : String(err);
    process.stderr.write(`${PROG}: ${msg.split('\n').filter((l) => l !== '').join('; ')}\n`);
    process.exitCode = 1;
  },
);
