import { accessRefused } from '../../amqp/errors.js';
import type { QueueConsumer } from './consumer.js';
import { ConsumerUse } from './consumer-use.js';

/** A consumer as the management API shows it: RabbitMQ's activity_status. */
export type ConsumerStatus = 'up' | 'single_active' | 'waiting';

/**
 * A queue's consumers, highest priority first then arrival order, and the choice of who gets
 * the next message: round-robin within the highest priority group that has capacity, or the
 * single active consumer (the first in line). Keeps the queue's consumer utilisation (`use`).
 */
export class QueueConsumers {
  private list: QueueConsumer[] = [];
  private rr = 0;
  readonly use = new ConsumerUse();

  get length(): number {
    return this.list.length;
  }

  add(consumer: QueueConsumer, queue: string, vhost: string): void {
    if ((consumer.exclusive && this.list.length > 0) || this.list.some((c) => c.exclusive)) {
      throw accessRefused(`queue '${queue}' in vhost '${vhost}' in exclusive use`);
    }
    let i = this.list.length;
    while (i > 0 && (this.list[i - 1] as QueueConsumer).priority < consumer.priority) i--;
    this.list.splice(i, 0, consumer);
    this.use.setActive();
  }

  /** Remove; returns its former index, or -1. */
  remove(consumer: QueueConsumer): number {
    const i = this.list.indexOf(consumer);
    if (i >= 0) this.list.splice(i, 1);
    return i;
  }

  /** Take them all out (queue deleted). */
  clear(): QueueConsumer[] {
    const all = this.list;
    this.list = [];
    return all;
  }

  /** Is a consumer waiting only for its connection's output to drain? */
  someOutputBlocked(): boolean {
    for (const c of this.list) if (c.outputBlocked()) return true;
    return false;
  }

  /** Who takes the next message; none makes the queue inactive for its utilisation. */
  pick(singleActive: boolean): QueueConsumer | undefined {
    const c = this.next(singleActive);
    if (c === undefined) this.use.setInactive();
    else if (!this.use.active) this.use.setActive();
    return c;
  }

  /** The queue has no message to give: it counts as active again once a consumer could take one. */
  idle(singleActive: boolean): false {
    if (!this.use.active && this.list.some((c, i) => (!singleActive || i === 0) && c.canDeliver())) this.use.setActive();
    return false;
  }

  /** RabbitMQ's consumer_utilisation: 0 without consumers. */
  utilisation(): number {
    return this.list.length === 0 ? 0 : this.use.capacity();
  }

  /** activity_status: the first in line of a single-active-consumer queue is the active one. */
  status(consumer: QueueConsumer, singleActive: boolean): ConsumerStatus {
    if (!singleActive) return 'up';
    return this.list[0] === consumer ? 'single_active' : 'waiting';
  }

  /** single_active_consumer_tag */
  activeTag(singleActive: boolean): string | null {
    return singleActive ? (this.list[0]?.consumerTag ?? null) : null;
  }

  /** exclusive_consumer_tag: the basic.consume exclusive consumer's, else null */
  exclusiveTag(): string | null {
    return this.list.find((c) => c.exclusive)?.consumerTag ?? null;
  }

  private next(singleActive: boolean): QueueConsumer | undefined {
    const list = this.list;
    if (singleActive) {
      const active = list[0];
      return active !== undefined && active.canDeliver() ? active : undefined;
    }
    const n = list.length;
    let start = 0;
    while (start < n) {
      const priority = (list[start] as QueueConsumer).priority;
      let end = start + 1;
      while (end < n && (list[end] as QueueConsumer).priority === priority) end++;
      const size = end - start;
      for (let k = 0; k < size; k++) {
        const offset = (this.rr + k) % size;
        const c = list[start + offset] as QueueConsumer;
        if (c.canDeliver()) {
          this.rr = offset + 1;
          return c;
        }
      }
      start = end;
    }
    return undefined;
  }
}
