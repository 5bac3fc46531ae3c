import { preconditionFailed } from '../amqp/errors.js';
import type { Channel } from './channel.js';


/**
 * Consumer acknowledgement timeout: a delivery not settled within the queue's x-consumer-timeout
 * (or the broker's consumer_timeout) closes the channel with RabbitMQ's 406. One timer per channel,
 * armed for the earliest deadline among its unacked deliveries.
 */
export class AckTimeout {
  private timer: NodeJS.Timeout | null = null;
  private armedFor = 0;
  private readonly fireBound = (): void => this.fire();

  constructor(private readonly channel: Channel) {}

  /** A delivery with this deadline was made. */
  track(deadline: number): void {
    if (this.timer !== null && deadline >= this.armedFor) return;
    this.arm(deadline);
  }

  private arm(deadline: number): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.armedFor = deadline;
    this.timer = setTimeout(this.fireBound, Math.max(0, deadline - Date.now()));
    this.timer.unref();
  }

  private fire(): void {
    this.timer = null;
    const ch = this.channel;
    if (ch.state !== 'open') return;
    const now = Date.now();
    let next = Infinity;
    for (const u of ch.deliveries.unacked.values()) {
      if (u.deadline <= now) {
        const err = preconditionFailed(
          `delivery acknowledgement on channel ${ch.number} timed out. Timeout value used: ${u.deadline - u.deliveredAt} ms. This timeout value can be configured, see consumers doc guide to learn more`,
        );
        ch.conn.fail(err, ch.number, 0, 0);
        return;
      }
      if (u.deadline < next) next = u.deadline;
    }
    if (next !== Infinity) this.arm(next);
  }

  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}
