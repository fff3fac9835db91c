// One process-wide budget for the memory peers can make us hold (issue 13): large inbound
// payloads being assembled across chunks, and what outbound queues hold (slabs and referenced
// payloads). Each connection has its own bounds too; this one caps their sum, so many
// connections at their bound cannot take the process down together.

export class MemoryBudget {
  /** Bytes currently accounted. */
  used = 0;
  /** Highest `used` seen (for monitoring and tests). */
  peak = 0;
  /** Large inbound payloads skipped because the budget was spent. */
  refusedPayloads = 0;

  /** `limit` 0 = no process-wide limit (the per-connection bounds still apply). */
  constructor(public limit: number) {}

  /** Takes `n` bytes if they fit; false when the budget would be exceeded. */
  reserve(n: number): boolean {
    if (this.limit > 0 && this.used + n > this.limit) {
      this.refusedPayloads++;
      return false;
    }
    this.add(n);
    return true;
  }

  /** Accounts `n` bytes (negative to give back) that are held whether or not they fit. */
  add(n: number): void {
    this.used += n;
    if (this.used > this.peak) this.peak = this.used;
  }

  get over(): boolean {
    return this.limit > 0 && this.used > this.limit;
  }
}
