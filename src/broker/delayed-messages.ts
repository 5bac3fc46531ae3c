import { fieldNumber, type FieldTable } from '../amqp/field-types.js';
import type { Clock } from '../util/clock.js';
import { MinHeap } from '../util/min-heap.js';
import type { Message } from './message.js';

/** A message held until its x-delay passes. */
export class DelayedMessage {
  cancelled = false;
  constructor(
    readonly id: number,
    readonly dueAt: number,
    readonly message: Message,
    readonly extraRoutingKeys: readonly string[] | undefined,
  ) {}
}

/** The x-delay header in ms, or 0 for "deliver now" (absent, non-numeric or not positive). */
export function delayOf(headers: FieldTable | undefined): number {
  if (headers === undefined) return 0;
  const d = fieldNumber(headers['x-delay']);
  return d !== undefined && d > 0 ? d : 0;
}

/**
 * Messages waiting for their x-delay (delayed-message exchanges, and queues with the
 * delayed-message policy): a min-heap by due time and one armed timer. Unlike RabbitMQ's plugin
 * the delay is not capped at 2^32-1 ms, and held messages can be listed and cancelled.
 */
export class DelayedMessages {
  private readonly heap = new MinHeap<DelayedMessage>((d) => d.dueAt);
  private readonly byId = new Map<number, DelayedMessage>();
  private nextId = 1;
  private timer: unknown = null;
  private armedFor = 0;
  private readonly fireBound = (): void => this.fire();

  constructor(
    private readonly clock: Clock,
    /** called when a message's time has come */
    private readonly release: (d: DelayedMessage) => void,
  ) {}

  get size(): number {
    return this.byId.size;
  }

  hold(message: Message, extraRoutingKeys: readonly string[] | undefined, delayMs: number): DelayedMessage {
    const d = new DelayedMessage(this.nextId++, this.clock.now() + delayMs, message, extraRoutingKeys);
    this.heap.push(d);
    this.byId.set(d.id, d);
    if (this.timer === null || d.dueAt < this.armedFor) this.arm();
    return d;
  }

  /** Held messages, soonest first. */
  list(): DelayedMessage[] {
    return [...this.byId.values()].sort((a, b) => a.dueAt - b.dueAt || a.id - b.id);
  }

  /** Drop a held message; false if it is not held (any more). */
  cancel(id: number): boolean {
    const d = this.byId.get(id);
    if (d === undefined) return false;
    d.cancelled = true;
    this.byId.delete(id);
    return true;
  }

  private arm(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    let next = this.heap.peek();
    while (next !== undefined && next.cancelled) {
      this.heap.pop();
      next = this.heap.peek();
    }
    if (next === undefined) return;
    this.armedFor = next.dueAt;
    this.timer = this.clock.setTimeout(this.fireBound, Math.max(0, next.dueAt - this.clock.now()));
  }

  private fire(): void {
    this.timer = null;
    const now = this.clock.now();
    for (let d = this.heap.peek(); d !== undefined && d.dueAt <= now; d = this.heap.peek()) {
      this.heap.pop();
      if (d.cancelled) continue;
      this.byId.delete(d.id);
      this.release(d);
    }
    this.arm();
  }

  stop(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.heap.clear();
    this.byId.clear();
  }
}
