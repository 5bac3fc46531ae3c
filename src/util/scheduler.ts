import type { Clock } from './clock.js';
import { MinHeap } from './min-heap.js';
import { logger } from './logger.js';

const log = logger('util.scheduler');

/** Node fires a timer after 1 ms when asked for more than this; the scheduler re-arms instead. */
const MAX_TIMER_MS = 2 ** 31 - 1;

class ScheduledTimer {
  cancelled = false;
  constructor(
    readonly at: number,
    readonly fn: () => void,
  ) {}
}

/**
 * All of the broker's timers (TTL expiry, x-expires, delayed messages) in one min-heap behind one
 * real timer. Connections call poll() after each input chunk, so timers fire on time even when a
 * flood of input keeps event-loop turns long (libuv reads a busy socket many times per turn and
 * the real timer waits for the turn to end).
 */
export class Scheduler implements Clock {
  private readonly heap = new MinHeap<ScheduledTimer>((t) => t.at);
  private real: NodeJS.Timeout | null = null;
  private realAt = Infinity;
  private cancelled = 0;
  private readonly fireBound = (): void => {
    this.real = null;
    this.realAt = Infinity;
    this.runDue(Date.now());
  };

  now(): number {
    return Date.now();
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const t = new ScheduledTimer(Date.now() + Math.max(0, ms), fn);
    this.heap.push(t);
    if (t.at < this.realAt) this.arm();
    return t;
  }

  clearTimeout(handle: unknown): void {
    const t = handle as ScheduledTimer;
    if (t.cancelled) return;
    t.cancelled = true;
    // Cancelled timers leave the heap when due; compact when they outnumber the live ones.
    if (++this.cancelled > 1024 && this.cancelled > this.heap.length / 2) this.compact();
  }

  /** Run what is due now. Cheap when nothing is: one clock read and a heap peek. */
  poll(): void {
    const top = this.heap.peek();
    if (top !== undefined && top.at <= Date.now()) this.runDue(Date.now());
  }

  /** Stop the real timer (shutdown); pending timers never fire. */
  stop(): void {
    if (this.real !== null) clearTimeout(this.real);
    this.real = null;
    this.realAt = Infinity;
    this.heap.clear();
    this.cancelled = 0;
  }

  private runDue(now: number): void {
    for (let t = this.heap.peek(); t !== undefined && t.at <= now; t = this.heap.peek()) {
      this.heap.pop();
      if (t.cancelled) {
        this.cancelled--;
        continue;
      }
      t.cancelled = true; // fired: a later clearTimeout is a no-op
      try {
        t.fn();
      } catch (err) {
        // One failing timer must not take the broker (or the other timers) down.
        log.error('a timer failed', err);
      }
    }
    this.arm();
  }

  private arm(): void {
    let top = this.heap.peek();
    while (top !== undefined && top.cancelled) {
      this.heap.pop();
      this.cancelled--;
      top = this.heap.peek();
    }
    if (top === undefined) {
      if (this.real !== null) clearTimeout(this.real);
      this.real = null;
      this.realAt = Infinity;
      return;
    }
    if (top.at === this.realAt && this.real !== null) return;
    if (this.real !== null) clearTimeout(this.real);
    this.realAt = top.at;
    this.real = setTimeout(this.fireBound, Math.min(Math.max(0, top.at - Date.now()), MAX_TIMER_MS));
    this.real.unref();
  }

  private compact(): void {
    const live = this.heap.values().filter((t) => !t.cancelled);
    this.heap.clear();
    for (const t of live) this.heap.push(t);
    this.cancelled = 0;
  }
}
