import type { FlowWaiter, Queue } from './queue.js';

/**
 * Above this many ready messages, a queue whose delivery pass ran out of budget (consumers could
 * take more) is congested: its publishers stop reading input until it catches up.
 */
export const FLOW_HIGH_WATER = 512;

/**
 * Credit flow of one queue, as RabbitMQ's credit_flow between channel and queue: intake may not
 * outrun delivery. A queue is congested while its deliveries lag behind what arrives (a pass
 * stopped on its budget with more than FLOW_HIGH_WATER ready and a consumer able to take them);
 * publishers that routed to it wait (their sockets are not read) and are told when it is not.
 * A queue whose consumers cannot take more (prefetch full, socket full) or that has none is never
 * congested: its backlog grows and is bounded by paging to the store.
 */
export class QueueFlow {
  congested = false;
  private waiters: Set<FlowWaiter> | null = null;

  constructor(private readonly queue: Queue) {}

  /** A delivery pass ended; `more`: it stopped on its budget with deliverable messages left. */
  passEnded(more: boolean, ready: number): void {
    const congested = more && ready > FLOW_HIGH_WATER;
    if (congested === this.congested) return;
    this.congested = congested;
    if (!congested) this.release();
  }

  await(waiter: FlowWaiter): void {
    (this.waiters ??= new Set()).add(waiter);
  }

  /** Not congested any more, or the queue went away: every waiter may go on. */
  release(): void {
    this.congested = false;
    const waiters = this.waiters;
    if (waiters === null) return;
    this.waiters = null;
    for (const w of waiters) w.flowResumed(this.queue);
  }
}
