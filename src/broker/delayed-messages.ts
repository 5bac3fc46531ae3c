import { fieldNumber, type FieldTable } from '../amqp/field-types.js';
import type { Clock } from '../util/clock.js';
import { MinHeap } from '../util/min-heap.js';
import type { Message } from './message.js';
import type { StoredMessages } from './stored-messages.js';

/** A message held until its x-delay passes. */
export class DelayedMessage {
  cancelled = false;
  /** held in the store (a persistent message of a durable holder): released when it leaves */
  stored = false;
  constructor(
    readonly id: number,
    readonly dueAt: number,
    /** routed with its CC/BCC keys (message.ccRoutingKeys) when due */
    readonly message: Message,
  ) {}
}

/** The x-delay header in ms, or 0 for "deliver now" (absent, non-numeric or not positive). */
export function delayOf(headers: FieldTable | undefined): number {
  if (headers === undefined) return 0;
  const d = fieldNumber(headers['x-delay']);
  return d !== undefined && d > 0 ? d : 0;
}

/** Where a durable delayed-message exchange keeps its held persistent messages. */
export interface DelayStore {
  readonly stored: StoredMessages;
  /** a hidden queue in the store; entries are keyed by the held message's id, due time as expiry */
  readonly id: number;
}

/** Names of the hidden store queues of delayed-message exchanges (never real queues). */
export const DELAY_STORE_PREFIX = 'amq.warren.delayed.';
/** Names of the hidden store queues of queues under the delayed-message policy. */
export const QUEUE_DELAY_STORE_PREFIX = 'amq.warren.queue-delayed.';
/** Names of the hidden store queues that queues which are not stored page out to (dropped at start). */
export const PAGING_STORE_PREFIX = 'amq.warren.paging.';

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

  /** set for durable delayed-message exchanges: held persistent messages survive a restart */
  store: DelayStore | null = null;

  constructor(
    private readonly clock: Clock,
    /** called when a message's time has come */
    private readonly release: (d: DelayedMessage) => void,
  ) {}

  get size(): number {
    return this.byId.size;
  }

  hold(message: Message, delayMs: number): DelayedMessage {
    return this.holdUntil(message, this.clock.now() + delayMs, 0);
  }

  /** Hold until `dueAt`; `id` > 0 when restoring one from the store (it is stored already). */
  holdUntil(message: Message, dueAt: number, id: number): DelayedMessage {
    const d = new DelayedMessage(id > 0 ? id : this.nextId++, dueAt, message);
    if (id >= this.nextId) this.nextId = id + 1;
    const store = this.store;
    // CC keys are not kept across a restart; the routing key is. A restored one is stored already.
    if (store !== null && id > 0) d.stored = true;
    else if (store !== null && message.persistent) {
      store.stored.reference(store.id, d.id, message, dueAt, 0);
      d.stored = true;
    }
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
    this.unstore(d);
    return true;
  }

  private unstore(d: DelayedMessage): void {
    if (this.store === null || !d.stored) return;
    d.stored = false;
    this.store.stored.release(this.store.id, d.id, d.message);
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
      // Routed first, then let go: queues that take it reference the stored body before the hold drops it.
      try {
        this.release(d);
      } finally {
        this.unstore(d);
      }
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
