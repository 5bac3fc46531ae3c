import type { Binding } from './binding.js';
import type { Exchange } from './exchange/exchange.js';
import type { Queue } from './queue/queue.js';

/**
 * Definition changes of a vhost, told synchronously to each observer in order, before the
 * operation returns (so declare-ok follows the store's write). Persistence is the first observer;
 * the management API's event stream and the cluster's replication attach the same way.
 * Message-level activity is not an event: it is counted in place (QueueCounters, ExchangeCounters).
 */
export interface DefinitionObserver {
  exchangeDeclared?(x: Exchange): void;
  exchangeDeleted?(x: Exchange): void;
  queueDeclared?(q: Queue): void;
  queueDeleted?(q: Queue): void;
  bindingAdded?(b: Binding): void;
  bindingRemoved?(b: Binding): void;
}

/** Broker-wide changes that end sessions: the server closes the connections they concern. */
export interface BrokerObserver {
  vhostDeleted?(name: string): void;
  userDeleted?(name: string): void;
  /** A cluster leader lost its term (broker.fence): every client connection goes (320). */
  fenced?(reason: string): void;
  /** A cluster leader is about to step down on purpose (broker.handOver), just before it is fenced. */
  handingOver?(reason: string): void;
}
