/**
 * The sample history of one object (queue, exchange, vhost): a bounded ring of samples of its
 * counts and lengths, taken by the stats timer (every 5 s by default), as RabbitMQ's
 * exometer_slide keeps them for `?lengths_age=&msg_rates_age=` (its basic retention policy: 600 s
 * at 5 s). A sample is stored only when a value changed since the last stored one, so an idle
 * object holds one slot whatever the time; the values between slots are the last stored ones.
 * Times are epoch milliseconds.
 */

/** RabbitMQ's basic sample retention: 600 s (rabbit_mgmt_agent sample_retention_policies). */
export const RETENTION_MS = 600_000;

/** One point of a history: a value and its time (RabbitMQ's `{sample, timestamp}`). */
export interface SamplePoint {
  sample: number;
  timestamp: number;
}

export class SampleHistory {
  private times: Float64Array;
  private values: Float64Array;
  /** ring: index of the oldest slot, number of slots */
  private head = 0;
  private count = 0;
  /** slots were dropped off the old end: before the oldest one, values are unknown (taken as the oldest) */
  private dropped = false;
  /** time of the latest sampling, and of the one before (0: none) */
  lastAt = 0;
  prevAt = 0;

  constructor(
    readonly size: number,
    private readonly capacity: number,
  ) {
    this.times = new Float64Array(2);
    this.values = new Float64Array(2 * size);
  }

  /** Take a sample at `at` of the values in `sample` (length `size`). */
  record(at: number, sample: Float64Array): void {
    this.prevAt = this.lastAt;
    this.lastAt = at;
    if (this.count > 0 && this.equalsNewest(sample)) return;
    if (this.count === this.times.length) {
      if (this.count < this.capacity) this.grow(Math.min(this.capacity, this.count * 2));
      else {
        this.head = (this.head + 1) % this.times.length;
        this.count--;
        this.dropped = true;
      }
    }
    const slot = (this.head + this.count) % this.times.length;
    this.times[slot] = at;
    this.values.set(sample, slot * this.size);
    this.count++;
  }

  /** Do `values` equal the newest sample? */
  equalsNewest(values: Float64Array): boolean {
    const base = this.slotOf(this.count - 1) * this.size;
    for (let i = 0; i < this.size; i++) if (values[i] !== this.values[base + i]) return false;
    return true;
  }

  /** Time of the newest stored sample (0: none): the object has not changed since, if its values still equal it. */
  get newestAt(): number {
    return this.count === 0 ? 0 : (this.times[this.slotOf(this.count - 1)] as number);
  }

  /** Per-second rates over the last sampling interval, into `out` (zeros when nothing changed in it). */
  rates(out: Float64Array): Float64Array {
    out.fill(0);
    if (this.count < 2 || this.prevAt === 0 || this.newestAt !== this.lastAt) return out;
    const seconds = (this.lastAt - this.prevAt) / 1000;
    const cur = this.slotOf(this.count - 1) * this.size;
    const prev = this.slotOf(this.count - 2) * this.size;
    for (let i = 0; i < this.size; i++) out[i] = ((this.values[cur + i] as number) - (this.values[prev + i] as number)) / seconds;
    return out;
  }

  /**
   * Value `index` at each time from `last` down to `first` by `incr` (newest first, as RabbitMQ
   * lists them): the latest sample at or before that time; 0 before the first one.
   */
  points(index: number, first: number, last: number, incr: number): SamplePoint[] {
    const out: SamplePoint[] = [];
    let k = this.count - 1;
    for (let t = last; t >= first; t -= incr) {
      while (k >= 0 && (this.times[this.slotOf(k)] as number) > t) k--;
      let sample = 0;
      if (k >= 0) sample = this.values[this.slotOf(k) * this.size + index] as number;
      else if (this.dropped && this.count > 0) sample = this.values[this.slotOf(0) * this.size + index] as number;
      out.push({ sample, timestamp: t });
    }
    return out;
  }

  private slotOf(k: number): number {
    return (this.head + k) % this.times.length;
  }

  private grow(slots: number): void {
    const times = new Float64Array(slots);
    const values = new Float64Array(slots * this.size);
    for (let k = 0; k < this.count; k++) {
      const s = this.slotOf(k);
      times[k] = this.times[s] as number;
      values.set(this.values.subarray(s * this.size, (s + 1) * this.size), k * this.size);
    }
    this.times = times;
    this.values = values;
    this.head = 0;
  }
}
