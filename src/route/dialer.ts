// Soliciting one route URL with nats-server's retry rules (route-protocol.md §6.3):
// explicit routes retry forever ~1 s apart, implicit (gossiped) ones obey connect_retries;
// connect_backoff doubles the delay up to 30 s; a dropped route reconnects after 1 s + jitter.
// Hardening beyond nats-server (issue 13): an implicit route whose connection closes before it
// registers counts as a failed attempt (connect_retries, doubling delay), and one that keeps
// registering and dropping within ROUTE_STABLE_MS backs off too, so a peer that names a listener
// which accepts and closes cannot make us redial it (with our credentials) many times a second.
import net from 'node:net';
import type { Logger } from '../log.js';
import type { RouteUrl } from '../config/options.js';
import { connectWithReusedReads } from './socket-reads.js';

export const ROUTE_CONNECT_DELAY_MS = 1_000;
export const ROUTE_CONNECT_MAX_MS = 30_000;
export const ROUTE_DIAL_TIMEOUT_MS = 1_000;
/** An implicit route connection that lived at least this long was a real route, not a flap. */
export const ROUTE_STABLE_MS = 10_000;

/** Delay before the next attempt after `attempt` failed ones (1-based): 1 s, or 1, 2, 4 … 30 s with backoff. */
export function retryDelayMs(attempt: number, backoff: boolean): number {
  if (!backoff) return ROUTE_CONNECT_DELAY_MS;
  return Math.min(ROUTE_CONNECT_DELAY_MS * 2 ** Math.min(attempt - 1, 16), ROUTE_CONNECT_MAX_MS);
}

export interface DialerSettings {
  explicit: boolean;
  connectRetries: number; // implicit routes: retries after the first failure
  connectBackoff: boolean;
  /** Implicit routes: the gossip said the peer requires auth, so our cluster credentials go along. */
  sendClusterAuth?: boolean;
  /** A pinned account's dedicated connection (§4.1). */
  account?: string;
  /** Not the address's first connection: another pooled one or a pinned account's (§3.4). */
  extra?: boolean;
  /** Plain TCP: read into a reused buffer (socket-reads.ts); not for a socket TLS will wrap. */
  reuseReads?: boolean;
}

export class RouteDialer {
  private timer: NodeJS.Timeout | undefined;
  private socket: net.Socket | undefined;
  private stopped = false;
  /** Attempts since the last success (or start). */
  attempt = 0;
  /** The live connection made by this dialer (or inherited as the kept half of a duplicate). */
  busy = false;
  /** Registered connections in a row that dropped within ROUTE_STABLE_MS. */
  flaps = 0;
  /** Every connection attempt since start (monitoring: attempts per peer are bounded and counted). */
  dials = 0;

  constructor(
    readonly url: RouteUrl,
    private readonly settings: DialerSettings,
    private readonly log: Logger,
    /** Called with a connected socket; the owner builds the RouteConnection. */
    private readonly onSocket: (socket: net.Socket, dialer: RouteDialer) => void,
    /** An implicit route that used up its retries. */
    private readonly onGiveUp: (dialer: RouteDialer) => void = () => {},
  ) {}

  get explicit(): boolean {
    return this.settings.explicit;
  }

  get sendClusterAuth(): boolean {
    return this.settings.sendClusterAuth === true;
  }

  get account(): string | undefined {
    return this.settings.account;
  }

  get extra(): boolean {
    return this.settings.extra === true;
  }

  start(delayMs = 0): void {
    if (this.stopped || this.busy) return;
    this.schedule(delayMs);
  }

  /** After the connection this dialer made (or was attached to) closed. */
  reconnect(): void {
    this.busy = false;
    if (this.stopped) return;
    this.attempt = 0;
    const jitter = Math.floor(Math.random() * 100);
    this.schedule(this.settings.explicit ? ROUTE_CONNECT_DELAY_MS + jitter : jitter);
  }

  /**
   * The connection this dialer made closed. Explicit routes reconnect as nats-server does; an
   * implicit one that never registered failed this attempt, and one that registered but did
   * not stay up for ROUTE_STABLE_MS reconnects with a doubling delay.
   */
  connectionClosed(registered: boolean, livedMs: number, refused = false): void {
    if (this.settings.explicit) {
      // A configured route that keeps registering and being refused by the peer's -ERR (a pool size
      // mismatch with nats-server 2.10.x, a pinned account the peer does not pin) backs off instead
      // of redialing every second forever (nats-server issues #5483, #7194); any other close (ours on
      // a reload, the peer restarting) reconnects at once.
      this.flaps = !refused || livedMs >= ROUTE_STABLE_MS ? 0 : this.flaps + 1;
      if (this.flaps <= 1) return this.reconnect();
      this.busy = false;
      if (this.stopped) return;
      this.attempt = 0;
      this.schedule(retryDelayMs(this.flaps - 1, true) + Math.floor(Math.random() * 100));
      return;
    }
    this.busy = false;
    if (this.stopped) return;
    if (!registered) {
      this.failed(new Error('connection closed before the route registered'), true);
      return;
    }
    this.attempt = 0;
    this.flaps = livedMs >= ROUTE_STABLE_MS ? 0 : this.flaps + 1;
    const jitter = Math.floor(Math.random() * 100);
    this.schedule(this.flaps <= 1 ? jitter : retryDelayMs(this.flaps - 1, true) + jitter);
  }

  private schedule(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.dial(), ms);
    this.timer.unref();
  }

  private dial(): void {
    this.timer = undefined;
    if (this.stopped) return;
    this.attempt++;
    this.dials++;
    const { host, port } = this.url;
    if (!host || !port) {
      this.failed(new Error(`address ${host || this.url.display}: missing port in address`));
      return;
    }
    let socket: net.Socket;
    try {
      const opts = { host, port, noDelay: true };
      socket = this.settings.reuseReads ? connectWithReusedReads(opts) : net.connect(opts);
    } catch (err) {
      // e.g. ERR_SOCKET_BAD_PORT: net.connect throws synchronously for some bad addresses.
      this.failed(err as Error);
      return;
    }
    this.socket = socket;
    socket.setTimeout(ROUTE_DIAL_TIMEOUT_MS);
    const onError = (err: Error) => {
      socket.destroy();
      this.socket = undefined;
      this.failed(err);
    };
    socket.once('timeout', () => onError(new Error('i/o timeout')));
    socket.once('error', onError);
    socket.once('connect', () => {
      socket.setTimeout(0);
      socket.removeAllListeners('timeout');
      socket.removeListener('error', onError);
      this.socket = undefined;
      if (this.stopped) {
        socket.destroy();
        return;
      }
      this.busy = true;
      this.onSocket(socket, this);
    });
  }

  /**
   * The TCP connection was made but the route never came up (TLS handshake, certificate or
   * handshake rejection): a failed attempt, so the retry rules and backoff apply (no redial storm).
   */
  notEstablished(err: Error): void {
    this.busy = false;
    // A gossiped address that accepts and closes doubles its delay whatever connect_backoff says.
    this.failed(err, !this.settings.explicit);
  }

  /** `afterConnect`: the peer accepted and closed; the delay doubles whatever connect_backoff says. */
  private failed(err: Error, afterConnect = false): void {
    if (this.stopped) return;
    const msg = `Error trying to connect to route (attempt ${this.attempt}): ${err.message}`;
    // The first failure is worth an operator's attention; the retry loop's repeats are not.
    if (this.attempt === 1) this.log.info(`${this.url.display} - ${msg}`);
    else this.log.debug(`${this.url.display} - ${msg}`);
    if (!this.settings.explicit && this.attempt > this.settings.connectRetries) {
      this.stopped = true;
      this.onGiveUp(this);
      return;
    }
    this.schedule(retryDelayMs(this.attempt, afterConnect || this.settings.connectBackoff));
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.socket?.destroy();
  }

  get isStopped(): boolean {
    return this.stopped;
  }
}
