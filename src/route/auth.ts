// Route authorization as nats-server does it (route-protocol.md §8.1): one user/password;
// the password may be a bcrypt hash, otherwise it is compared in constant time.
// bcrypt runs in a worker thread with a bound on the checks in flight (issue 13). Past it a CONNECT
// is refused (the caller closes the connection; a real peer retries); waiting checks run newest
// first, so a peer arriving after a burst of wrong passwords waits for one check, not the burst;
// and a password verified once is accepted from a keyed digest without bcrypt.
import { timingSafeEqual, createHash, createHmac, randomBytes } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import type { CompareReply, CompareRequest } from './bcrypt-worker.js';

const BCRYPT_RE = /^\$2[abxy]\$\d{2}\$.*/;
/** bcrypt checks running or waiting at once (one runs at a time in the worker). */
export const MAX_AUTH_CHECKS = 4;
/** Verified (password, hash) digests kept; real deployments have one route password. */
const VERIFIED_MAX = 16;

export function isBcrypt(password: string): boolean {
  return BCRYPT_RE.test(password);
}

/** Constant-time string equality that does not leak the length through an early exit. */
function constantTimeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb) && a.length === b.length;
}

/** `busy`: refused without checking, because MAX_AUTH_CHECKS were in flight. */
export type CredentialVerdict = 'ok' | 'denied' | 'busy';

interface Check { password: string; hash: string; done: (ok: boolean) => void }

class BcryptWorker {
  private worker: Worker | undefined;
  /** The check the worker is running (one at a time, so the newest waiting one can go next). */
  private running: { id: number; done: (ok: boolean) => void } | undefined;
  /** Waiting checks, newest last: taken newest first, so a peer arriving after a burst of wrong passwords waits for one check, not the burst. */
  private readonly waiting: Check[] = [];
  private nextId = 0;
  /** Process-local key: verified digests are useless outside this process. */
  private readonly key = randomBytes(32);
  private readonly verified = new Set<string>();

  get inFlight(): number {
    return this.waiting.length + (this.running ? 1 : 0);
  }

  digest(password: string, hash: string): string {
    return createHmac('sha256', this.key).update(hash).update('\0').update(password).digest('base64');
  }

  isVerified(d: string): boolean {
    return this.verified.has(d);
  }

  remember(d: string): void {
    if (this.verified.size >= VERIFIED_MAX) this.verified.clear();
    this.verified.add(d);
  }

  /** Starts the worker ahead of the first CONNECT (loading it takes a moment, the auth timer is running). */
  warm(): void {
    this.worker ??= this.spawn();
  }

  compare(password: string, hash: string): Promise<boolean> {
    return new Promise((done) => {
      this.waiting.push({ password, hash, done });
      this.pump();
    });
  }

  private pump(): void {
    if (this.running) return;
    const next = this.waiting.pop();
    if (!next) return;
    const w = this.worker ?? this.spawn();
    const id = ++this.nextId;
    this.running = { id, done: next.done };
    w.postMessage({ id, password: next.password, hash: next.hash } satisfies CompareRequest);
    w.ref(); // keep the process alive while a check is running, not while idle
  }

  private spawn(): Worker {
    // No inherited execArgv: loader hooks of the parent (test runners, coverage) only slow its start.
    const w = new Worker(new URL('./bcrypt-worker.js', import.meta.url), { execArgv: [] });
    w.on('message', (r: CompareReply) => {
      const run = this.running;
      if (run?.id !== r.id) return;
      this.running = undefined;
      w.unref();
      run.done(r.ok);
      this.pump();
    });
    const fail = () => {
      // A dead worker denies the check it had; the next one starts a new worker.
      if (this.worker !== w) return;
      this.worker = undefined;
      const run = this.running;
      this.running = undefined;
      run?.done(false);
      this.pump();
    };
    w.on('error', fail);
    w.on('exit', fail);
    w.unref();
    this.worker = w;
    return w;
  }
}

const bcryptWorker = new BcryptWorker();

/** Starts the bcrypt worker now when the configured password is a bcrypt hash. */
export function prepareRouteCredentials(configured: { password: string } | undefined): void {
  if (configured && isBcrypt(configured.password)) bcryptWorker.warm();
}

/** bcrypt checks running or waiting now (for tests and monitoring). */
export function authChecksInFlight(): number {
  return bcryptWorker.inFlight;
}

/**
 * Checks CONNECT credentials. With no configured user every route is accepted.
 * bcrypt hashes are compared in a worker thread, so other peers' traffic keeps flowing.
 */
export async function verifyRouteCredentials(
  configured: { user: string; password: string } | undefined,
  user: string | undefined,
  pass: string | undefined,
): Promise<CredentialVerdict> {
  if (!configured) return 'ok';
  if (user === undefined || !constantTimeEqual(user, configured.user)) return 'denied';
  const given = pass ?? '';
  if (!isBcrypt(configured.password)) return constantTimeEqual(given, configured.password) ? 'ok' : 'denied';
  // nats-server accepts $2x$/$2y$ as well; bcryptjs understands $2a$/$2b$/$2y$; $2x$ differs only for
  // non-ASCII passwords from a historic bug, so it is compared as $2a$.
  const hash = configured.password.startsWith('$2x$') ? '$2a$' + configured.password.slice(4) : configured.password;
  const d = bcryptWorker.digest(given, hash);
  if (bcryptWorker.isVerified(d)) return 'ok';
  if (bcryptWorker.inFlight >= MAX_AUTH_CHECKS) return 'busy';
  const ok = await bcryptWorker.compare(given, hash);
  if (ok) bcryptWorker.remember(d);
  return ok ? 'ok' : 'denied';
}

/** The boolean form: a busy refusal is a denial. */
export async function checkRouteCredentials(
  configured: { user: string; password: string } | undefined,
  user: string | undefined,
  pass: string | undefined,
): Promise<boolean> {
  return (await verifyRouteCredentials(configured, user, pass)) === 'ok';
}
