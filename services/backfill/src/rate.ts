/**
 * Paces a backfill at `perSecond` events (0: as fast as Kafka takes them) so loading a month
 * of history does not starve the live stream of the broker and the aggregators. Waits are
 * computed from the start, so short bursts average out instead of drifting.
 */
export class RateLimiter {
  private readonly start: number;
  private sent = 0;
  constructor(
    private readonly perSecond: number,
    private readonly sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
    private readonly now: () => number = Date.now,
  ) {
    this.start = now();
  }

  async take(n: number): Promise<void> {
    if (this.perSecond <= 0) return;
    this.sent += n;
    const due = this.start + (this.sent / this.perSecond) * 1000;
    const wait = due - this.now();
    if (wait > 0) await this.sleep(wait);
  }
}
