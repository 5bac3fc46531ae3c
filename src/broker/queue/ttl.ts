import type { Clock } from '../../util/clock.js';
import { MinHeap } from '../../util/min-heap.js';
import { EntryState, type QueuedMessage } from '../message.js';

/**
 * Expires ready messages on time wherever they sit in the queue: deadlines in a min-heap, one
 * armed timer per queue for the earliest. Entries that left the queue meanwhile are skipped
 * lazily when they surface.
 */
export class ExpiryTimer {
  private readonly heap = new MinHeap<QueuedMessage>((e) => e.expiresAt);
  private timer: unknown = null;
  private armedFor = 0;
  private readonly fireBound = (): void => this.fire();

  constructor(
    private readonly clock: Clock,
    /** called for each ready entry whose deadline passed */
    private readonly expire: (entry: QueuedMessage) => void,
  ) {}

  /** Watch a ready entry's deadline. `live` is how many ready entries the queue holds now. */
  track(entry: QueuedMessage, live: number): void {
    // Entries that left the queue (acked, expired) stay in the heap until they surface: drop them
    // from the top, and rebuild when they outnumber the live ones, so memory follows the queue.
    let top = this.heap.peek();
    while (top !== undefined && top.state !== EntryState.Ready) {
      this.heap.pop();
      top = this.heap.peek();
    }
    if (this.heap.length > 2 * live + 1024) this.compact();
    this.heap.push(entry);
    if (this.timer === null || entry.expiresAt < this.armedFor) this.arm();
  }

  private compact(): void {
    const live = this.heap.values().filter((e) => e.state === EntryState.Ready);
    this.heap.clear();
    for (const e of live) this.heap.push(e);
  }

  get size(): number {
    return this.heap.length;
  }

  private arm(): void {
    const next = this.heap.peek();
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    if (next === undefined) return;
    this.armedFor = next.expiresAt;
    this.timer = this.clock.setTimeout(this.fireBound, Math.max(0, next.expiresAt - this.clock.now()));
  }

  private fire(): void {
    this.timer = null;
    const now = this.clock.now();
    for (let e = this.heap.peek(); e !== undefined && e.expiresAt <= now; e = this.heap.peek()) {
      this.heap.pop();
      if (e.state === EntryState.Ready && e.expiresAt <= now) this.expire(e);
    }
    this.arm();
  }

  stop(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.heap.clear();
  }
}

/**
 * The deadline of a message entering a queue: the lower of the queue's x-message-ttl and the
 * message's expiration property wins. 0 = never.
 */
export function deadlineOf(now: number, queueTtl: number | undefined, expiration: string | undefined): number {
  let ttl = queueTtl;
  const messageTtl = expiration === undefined ? undefined : Number(expiration);
  if (messageTtl !== undefined && (ttl === undefined || messageTtl < ttl)) ttl = messageTtl;
  return ttl === undefined ? 0 : now + ttl;
}
