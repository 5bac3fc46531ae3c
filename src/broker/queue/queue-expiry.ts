import type { Clock } from '../../util/clock.js';

/**
 * x-expires: a queue unused for that long (no consumers, no basic.get, no redeclare) is deleted.
 * One timer, armed only while the queue has no consumers.
 */
export class QueueExpiry {
  private expires: number | undefined = undefined;
  private lastUsed: number;
  private timer: unknown = null;
  private readonly fireBound = (): void => this.fire();

  constructor(
    private readonly clock: Clock,
    private readonly onExpired: () => void,
  ) {
    this.lastUsed = clock.now();
  }

  configure(expires: number | undefined, idle: boolean): void {
    this.expires = expires;
    this.touch(idle);
  }

  /** The queue was used now; `idle` = it has no consumers (so the clock runs). */
  touch(idle: boolean): void {
    this.lastUsed = this.clock.now();
    this.cancel();
    if (idle && this.expires !== undefined) this.timer = this.clock.setTimeout(this.fireBound, this.expires);
  }

  private fire(): void {
    this.timer = null;
    if (this.expires === undefined) return;
    const left = this.lastUsed + this.expires - this.clock.now();
    if (left > 0) this.timer = this.clock.setTimeout(this.fireBound, left);
    else this.onExpired();
  }

  private cancel(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  stop(): void {
    this.cancel();
    this.expires = undefined;
  }
}
