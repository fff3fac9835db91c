// Runs the daemon as users do (`node dist/src/cli.js -c file`), as a real process, to test
// signals, exit codes and systemd notifications. Logs are pino JSON lines on stdout.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { waitFor } from './nats-server.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const CLI = path.join(ROOT, 'dist/src/cli.js');

export interface DaemonProcess {
  child: ChildProcess;
  pid: number;
  lines: () => Array<{ msg?: string; level?: string; [k: string]: unknown }>;
  stderr: () => string;
  waitForLog(re: RegExp, opts?: { since?: number; timeoutMs?: number }): Promise<string>;
  /** Resolves with the exit code and signal once the process ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Route and http ports from the log (http when configured). */
  ports(): Promise<{ route: number; http?: number }>;
}

export function startDaemonProcess(
  t: { teardown(fn: () => unknown): void },
  args: string[],
  env: NodeJS.ProcessEnv = {},
  nodeArgs: string[] = [],
): DaemonProcess {
  const child = spawn(process.execPath, [...nodeArgs, CLI, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Array<{ msg?: string }> = [];
  let partial = '';
  let stderr = '';
  child.stdout!.on('data', (b: Buffer) => {
    partial += b.toString('utf8');
    const parts = partial.split('\n');
    partial = parts.pop()!;
    for (const p of parts) {
      if (p === '') continue;
      try { lines.push(JSON.parse(p) as { msg?: string }); } catch { lines.push({ msg: p }); }
    }
  });
  child.stderr!.on('data', (b: Buffer) => { stderr += b.toString('utf8'); });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  const waitForLog = (re: RegExp, opts: { since?: number; timeoutMs?: number } = {}) =>
    waitFor(() => lines.slice(opts.since ?? 0).map((l) => l.msg ?? '').find((m) => re.test(m)),
      { timeoutMs: opts.timeoutMs ?? 30_000, what: `daemon log ${re} (stderr: ${stderr.slice(-300)})` });
  return {
    child,
    pid: child.pid!,
    lines: () => lines,
    stderr: () => stderr,
    waitForLog,
    exited,
    async ports() {
      await waitForLog(/is ready \(route proxy\)/);
      const route = await waitForLog(/Listening for route connections on /);
      const r = Number(/:(\d+)$/.exec(route)![1]);
      const h = lines.map((l) => l.msg ?? '').find((m) => /Starting http monitor on /.test(m));
      return h ? { route: r, http: Number(/:(\d+)$/.exec(h)![1]) } : { route: r };
    },
  };
}
