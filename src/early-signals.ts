// Imported first by the CLI, before anything else runs. On Node 20 a SIGUSR1 with no JavaScript
// listener opens the inspector on 127.0.0.1:9229 (anyone local could then run code in the proxy
// and read its cluster password); a listener replaces that native handler (verified on Node
// 20.20: with a listener nothing listens on 9229). SIGUSR1 is nats-server's log-reopen signal.
// SIGHUP/SIGUSR2/SIGQUIT would kill the process silently by default: until the daemon takes
// them over, they are noted on stderr and ignored.
const EARLY = ['SIGUSR1', 'SIGHUP', 'SIGUSR2', 'SIGQUIT'] as const;
export type ManagedSignal = (typeof EARLY)[number] | 'SIGINT' | 'SIGTERM';

const handlers = new Map<ManagedSignal, (sig: NodeJS.Signals) => void>();

function dispatch(sig: NodeJS.Signals): void {
  const h = handlers.get(sig as ManagedSignal);
  if (h) h(sig);
  else process.stderr.write(`nats-route-proxy: ${sig} ignored: not started yet\n`);
}

for (const sig of EARLY) process.on(sig, dispatch);

/** Routes a signal to `fn` (one handler per signal; SIGINT/SIGTERM get a listener only here). */
export function handleSignal(sig: ManagedSignal, fn: (sig: NodeJS.Signals) => void): void {
  if (!handlers.has(sig) && !(EARLY as readonly string[]).includes(sig)) process.on(sig, dispatch);
  handlers.set(sig, fn);
}
