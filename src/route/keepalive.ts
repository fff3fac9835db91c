// Route keepalive (route-protocol.md §7): a first PING about 1 s after registration, then one
// every interval (capped at 30 s); after `pingMax` unanswered PINGs the peer is stale.

export const MAX_ROUTE_PING_INTERVAL_MS = 30_000;
const FIRST_PING_MS = 1_000;

export interface KeepaliveHooks {
  sendPing(): void;
  stale(): void;
}

export class Keepalive {
  private timer: NodeJS.Timeout | undefined;
  private outstanding = 0;
  private pingSentAt = 0;
  private stopped = false;
  /** Last measured round-trip time in ms (undefined until the first PONG). */
  rttMs: number | undefined;

  constructor(
    private readonly intervalMs: number,
    private readonly pingMax: number,
    private readonly hooks: KeepaliveHooks,
  ) {}

  start(): void {
    const interval = Math.min(this.intervalMs, MAX_ROUTE_PING_INTERVAL_MS);
    const first = Math.min(interval, FIRST_PING_MS);
    this.schedule(first + Math.random() * first * 0.2);
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(this.tick, ms);
    this.timer.unref();
  }

  private readonly tick = (): void => {
    this.timer = undefined;
    if (this.outstanding + 1 > this.pingMax) {
      this.hooks.stale();
      return;
    }
    this.outstanding++;
    this.pingSentAt = performance.now();
    this.hooks.sendPing();
    if (this.stopped) return; // sending may have closed the connection
    this.schedule(Math.min(this.intervalMs, MAX_ROUTE_PING_INTERVAL_MS));
  };

  /** Any PONG resets the outstanding count; the one answering our PING gives the RTT. */
  pong(): void {
    if (this.outstanding > 0 && this.pingSentAt > 0) this.rttMs = performance.now() - this.pingSentAt;
    this.outstanding = 0;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
