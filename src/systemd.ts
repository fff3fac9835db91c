// systemd readiness and watchdog (sd_notify) through the `systemd-notify` tool: Node has no
// Unix datagram sockets, and the tool's default synchronous mode (BARRIER=1) waits until systemd
// has read the message, so the message is not lost when the short-lived sender exits first
// (the unit sets NotifyAccess=all for it). Without NOTIFY_SOCKET everything here does nothing.
import { spawn } from 'node:child_process';
import type { Logger } from './log.js';

export interface Notifier {
  readonly enabled: boolean;
  /** Sends `KEY=value` assignments as one datagram; resolves when sent (never rejects). */
  notify(...assignments: string[]): Promise<void>;
  /** Starts WATCHDOG=1 pings at half of WATCHDOG_USEC, from the event loop (a stuck loop stops them). */
  startWatchdog(): void;
  stop(): void;
}

export function createNotifier(log: Logger, env: NodeJS.ProcessEnv = process.env): Notifier {
  const socket = env.NOTIFY_SOCKET;
  const tool = env.NRP_SYSTEMD_NOTIFY ?? 'systemd-notify';
  let chain: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  let broken = false;

  const send = (assignments: string[]): Promise<void> =>
    new Promise((resolve) => {
      // --pid: the message speaks for us (MAINPID), not for the short-lived tool.
      const child = spawn(tool, [`--pid=${process.pid}`, ...assignments], {
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { ...env, NOTIFY_SOCKET: socket },
      });
      let err = '';
      child.stderr.on('data', (b: Buffer) => { if (err.length < 500) err += b.toString(); });
      const done = setTimeout(() => child.kill('SIGKILL'), 5000);
      done.unref();
      child.once('error', (e) => {
        clearTimeout(done);
        if (!broken) log.warn(`systemd: cannot run ${tool} (${e.message}): readiness and watchdog are not reported`);
        broken = true;
        resolve();
      });
      child.once('exit', (code) => {
        clearTimeout(done);
        if (code !== 0 && code !== null) log.warn(`systemd: ${tool} ${assignments.join(' ')} exited with ${code}: ${err.trim()}`);
        resolve();
      });
    });

  const notify = (...assignments: string[]): Promise<void> => {
    if (!socket || broken) return Promise.resolve();
    // One at a time and in order: READY=1 must not overtake RELOADING=1.
    chain = chain.then(() => send(assignments));
    return chain;
  };

  return {
    enabled: socket !== undefined && socket !== '',
    notify,
    startWatchdog() {
      const usec = Number(env.WATCHDOG_USEC);
      if (!socket || !Number.isFinite(usec) || usec <= 0) return;
      const pid = env.WATCHDOG_PID;
      if (pid !== undefined && pid !== '' && Number(pid) !== process.pid) return; // meant for another process
      const every = Math.max(100, Math.floor(usec / 1000 / 2));
      timer = setInterval(() => void notify('WATCHDOG=1'), every);
      timer.unref();
      void notify('WATCHDOG=1');
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}
