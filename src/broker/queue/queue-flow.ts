import type { FlowWaiter, Queue } from './queue.js';

/**
 * Above this many ready messages, a queue whose deliveries lag (a pass ran out of budget with
 * consumers able to take more, or consumers wait for their sockets to drain) is congested: its
 * publishers stop reading input until it catches up.
 */
export const FLOW_HIGH_WATER = 512;

/**
 * Credit flow of one queue, as RabbitMQ's credit_flow between channel and queue: intake may not
 * outrun delivery. A queue is behind while its last delivery pass stopped on its budget (more was
 * deliverable) or its consumers wait for their sockets to drain; it is congested while it is
 * behind with more than FLOW_HIGH_WATER ready. That is checked on every enqueue, so a burst of
 * input read in one event-loop turn is stopped after the chunk that crossed the line. Publishers
 * that routed to a congested queue wait (their sockets are not read) and are told when it is not.
 * A queue whose consumers cannot take more by their own limits (prefetch full) or that has none
 * is never behind: its backlog grows and is bounded by paging to the store.
 */
export class QueueFlow {
  /** the last pass left deliverable messages behind */
  behind = false;
  private waiters: Set<FlowWaiter> | null = null;

  constructor(private readonly queue: Queue) {}

  congested(ready: number): boolean {
    return this.behind && ready > FLOW_HIGH_WATER;
  }

  /** A delivery pass ended; `more`: deliverable messages are left (budget spent, or sockets full). */
  passEnded(more: boolean, ready: number): void {
    this.behind = more;
    if (this.waiters !== null && !this.congested(ready)) this.release();
  }

  await(waiter: FlowWaiter): void {
    (this.waiters ??= new Set()).add(waiter);
  }

  /** Not congested any more, or the queue went away: every waiter may go on. */
  release(): void {
    const waiters = this.waiters;
    if (waiters === null) return;
    this.waiters = null;
    for (const w of waiters) w.flowResumed(this.queue);
  }
}
