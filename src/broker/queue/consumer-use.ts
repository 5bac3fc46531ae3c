/**
 * How much of the time a queue could hand messages to its consumers at once: RabbitMQ's consumer
 * utilisation (rabbit_queue_consumers `use`, shown as consumer_utilisation and consumer_capacity).
 * The queue is active while a consumer can take the next message and inactive from the moment a
 * delivery finds none with capacity (prefetch full, flow, output blocked) until one can again.
 * The value is a moving average of the active fraction over the active/inactive periods, with a
 * half-life of one second, as RabbitMQ's rabbit_misc:moving_average.
 *
 * Cost: a boolean test per delivery attempt; the clock is read only on a change of state, and the
 * average is updated only then and when it is read.
 */

/** RabbitMQ's USE_AVG_HALF_LIFE (1 s), in ms. */
const HALF_LIFE = 1000;

const movingAverage = (time: number, next: number, current: number): number => {
  const weight = Math.exp((time * Math.log(0.5)) / HALF_LIFE);
  return next * (1 - weight) + current * weight;
};

/** active time and inactive time (ms) folded into the average */
function useAvg(active: number, inactive: number, avg: number): number {
  if (active === 0 && inactive === 0) return avg;
  const time = active + inactive;
  return movingAverage(time, active / time, avg);
}

export class ConsumerUse {
  /** can a consumer take the next message? RabbitMQ starts active with an average of 1 */
  active = true;
  private since: number;
  /** length of the last active period (while inactive) */
  private activeFor = 0;
  private avg = 1;

  constructor(private readonly now: () => number = performance.now.bind(performance)) {
    this.since = now();
  }

  /** A consumer took a message, or can take one. */
  setActive(): void {
    if (this.active) return;
    const now = this.now();
    this.avg = useAvg(this.activeFor, now - this.since, this.avg);
    this.active = true;
    this.since = now;
  }

  /** No consumer could take the next message. */
  setInactive(): void {
    if (!this.active) return;
    const now = this.now();
    this.active = false;
    this.activeFor = now - this.since;
    this.since = now;
  }

  /** The fraction in [0, 1], as of now (RabbitMQ's capacity/1). */
  capacity(): number {
    const elapsed = this.now() - this.since;
    return this.active ? useAvg(elapsed, 0, this.avg) : useAvg(this.activeFor, elapsed, this.avg);
  }
}
