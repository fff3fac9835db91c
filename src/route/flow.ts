// Backpressure for one target connection (design.md §3): while its queue is past the high-water
// mark, every connection that feeds it is paused (TCP then pushes the backlog back to the sending
// nats-server, which holds it and throttles its publishers, as on a direct route); below the
// low-water mark they resume. The pause is bounded: a target still congested after the stall
// budget is a slow consumer, its producers are released, and from then on it loses messages at
// its bound instead of holding the others hostage.

/** Something whose input can be paused (a route connection). */
export interface Pausable {
  pauseInput(): void;
  resumeInput(): void;
}

export interface FlowStats {
  /** Times the stall budget ran out (slow-consumer events). */
  slowConsumers: number;
  /** Times producers were paused because of this target. */
  pauses: number;
}

export class FlowControl {
  private readonly blocked = new Set<Pausable>();
  private stallTimer: NodeJS.Timeout | undefined;
  /** Past the stall budget: producers run free, messages beyond max_pending are dropped. */
  slow = false;
  private active = false;
  readonly stats: FlowStats = { slowConsumers: 0, pauses: 0 };

  constructor(
    private readonly self: Pausable,
    /** A reload may change it; it applies from the next congestion on. */
    public stallMs: number,
    private readonly onSlow: () => void,
  ) {}

  /** A producer just queued bytes for this (congested) target: hold it until the target drains. */
  producer(src: Pausable): void {
    if (!this.active || this.slow || src === this.self || this.blocked.has(src)) return;
    this.blocked.add(src);
    this.stats.pauses++;
    src.pauseInput();
  }

  congested(): void {
    if (this.active) return;
    this.active = true;
    this.stallTimer = setTimeout(this.stalled, this.stallMs);
    this.stallTimer.unref();
  }

  drained(): void {
    this.active = false;
    this.slow = false;
    this.clearTimer();
    this.release();
  }

  private readonly stalled = (): void => {
    this.stallTimer = undefined;
    if (!this.active) return;
    this.slow = true;
    this.stats.slowConsumers++;
    this.release();
    this.onSlow();
  };

  /** Producers currently held by this target. */
  get holding(): number {
    return this.blocked.size;
  }

  /** The target is going away: nobody may stay paused on its account. */
  close(): void {
    this.active = false;
    this.clearTimer();
    this.release();
  }

  private release(): void {
    if (this.blocked.size === 0) return;
    const held = [...this.blocked];
    this.blocked.clear();
    for (const s of held) s.resumeInput();
  }

  private clearTimer(): void {
    if (this.stallTimer) clearTimeout(this.stallTimer);
    this.stallTimer = undefined;
  }
}
