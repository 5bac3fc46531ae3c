/**
 * What deleted queues and exchanges had counted, kept per broker so the node-wide counters of
 * /metrics (rabbitmq_global_*) never go down when a queue or exchange goes: RabbitMQ counts them
 * in rabbit_global_counters, which outlive every object. Filled by a definition observer on each
 * deletion (never per message); read at scrape time with the live objects' counters.
 */
import type { Broker } from '../../broker/broker.js';
import type { Exchange } from '../../broker/exchange/exchange.js';
import type { Queue } from '../../broker/queue/queue.js';
import { LENGTHS, QUEUE_COUNTS, queueCounts } from '../../broker/stats/message-stats.js';

/** Entries of a queueCounts() array. */
export const QUEUE_SIZE = QUEUE_COUNTS.length + LENGTHS.length;
/** Where a count is in a queueCounts() array. */
export const qi = (k: (typeof QUEUE_COUNTS)[number]): number => QUEUE_COUNTS.indexOf(k);

/** A queue's counts (message-stats QUEUE_COUNTS order, then lengths), summed per queue type. */
export type QueueTotals = Float64Array;

export interface ExchangeTotals {
  published: number;
  routed: number;
  unroutable: number;
}

export class Retired {
  /** by queue type (classic, quorum) */
  readonly queues = new Map<string, QueueTotals>();
  readonly exchanges: ExchangeTotals = { published: 0, routed: 0, unroutable: 0 };
  private readonly scratch = new Float64Array(QUEUE_SIZE);

  addQueue(q: Queue): void {
    const counts = queueCounts(q, this.scratch);
    let sum = this.queues.get(q.type);
    if (sum === undefined) this.queues.set(q.type, (sum = new Float64Array(QUEUE_SIZE)));
    for (let i = 0; i < counts.length; i++) sum[i] = (sum[i] as number) + (counts[i] as number);
  }

  addExchange(x: Exchange): void {
    addExchangeTotals(this.exchanges, x);
  }
}

export function addExchangeTotals(out: ExchangeTotals, x: Exchange): void {
  out.published += x.counters.published;
  out.routed += x.counters.publishedOut;
  out.unroutable += x.counters.unroutable;
}

const RETIRED = new WeakMap<Broker, Retired>();

/** The broker's retired counts, observed from the first call on (startBroker calls it at start). */
export function retiredOf(broker: Broker): Retired {
  let r = RETIRED.get(broker);
  if (r === undefined) {
    const retired = (r = new Retired());
    RETIRED.set(broker, retired);
    broker.observe({ queueDeleted: (q) => retired.addQueue(q), exchangeDeleted: (x) => retired.addExchange(x) });
  }
  return r;
}
