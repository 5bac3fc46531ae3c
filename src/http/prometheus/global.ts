/**
 * rabbitmq_global_* (RabbitMQ's rabbit_global_counters): node-wide message counters by protocol,
 * and by queue type for deliveries and acks. Warren sums its live queues' and exchanges' counters
 * with what deleted ones had counted (retired.ts), so the counters only go up, and reads the open
 * sessions for the consumer and publisher gauges. Only AMQP 0-9-1 is served: protocol="amqp091".
 */
import type { Broker } from '../../broker/broker.js';
import type { GLOBAL_PROTOCOL, GLOBAL_QUEUE_TYPE } from './families.js';
import { addExchangeTotals, qi, QUEUE_SIZE, retiredOf, type ExchangeTotals } from './retired.js';
import { queueCounts } from '../../broker/stats/message-stats.js';
import type { Labels } from './rows.js';

interface Sample {
  readonly labels: Labels;
  readonly value: number;
}

export interface GlobalSamples {
  readonly byProtocol: Record<keyof typeof GLOBAL_PROTOCOL, Sample[]>;
  readonly byQueueType: Record<keyof typeof GLOBAL_QUEUE_TYPE, Sample[]>;
}

const PROTOCOL = 'amqp091';

/** RabbitMQ's queue type modules, labelled as RabbitMQ labels them (all three, as it does). */
const QUEUE_TYPES: readonly (readonly [string, string])[] = [
  ['classic', 'rabbit_classic_queue'],
  ['quorum', 'rabbit_quorum_queue'],
  ['stream', 'rabbit_stream_queue'],
];

/** Where each by-queue-type counter is in a queueCounts() array. */
const BY_QUEUE_TYPE: Record<keyof typeof GLOBAL_QUEUE_TYPE, number> = {
  acknowledged: qi('ack'),
  consumeAutoAck: qi('deliverNoAck'),
  consumeManualAck: qi('deliver'),
  getAutoAck: qi('getNoAck'),
  getManualAck: qi('get'),
  delivered: qi('deliverGet'),
  getEmpty: qi('getEmpty'),
  redelivered: qi('redeliver'),
};

export function globalSamples(broker: Broker): GlobalSamples {
  const retired = retiredOf(broker);
  const byType = new Map<string, Float64Array>();
  for (const [type, sum] of retired.queues) byType.set(type, Float64Array.from(sum));
  const exchanges: ExchangeTotals = { ...retired.exchanges };
  let confirmed = 0;
  let returned = 0;
  let receivedConfirm = 0;
  let consumers = 0;
  const scratch = new Float64Array(QUEUE_SIZE);
  for (const v of broker.vhosts.values()) {
    confirmed += v.counters.confirmed;
    returned += v.counters.returned;
    receivedConfirm += v.counters.receivedConfirmClosed;
    for (const x of v.exchanges.values()) addExchangeTotals(exchanges, x);
    for (const q of v.queues.values()) {
      consumers += q.consumerCount;
      const counts = queueCounts(q, scratch);
      let sum = byType.get(q.type);
      if (sum === undefined) byType.set(q.type, (sum = new Float64Array(QUEUE_SIZE)));
      for (let i = 0; i < QUEUE_SIZE; i++) sum[i] = (sum[i] as number) + (counts[i] as number);
    }
  }
  let publishers = 0;
  for (const s of broker.sessions.list()) {
    for (const ch of s.channels()) {
      if (ch.publishing) publishers++;
      receivedConfirm += ch.receivedConfirm;
    }
  }
  const one = (value: number): Sample[] => [{ labels: { protocol: PROTOCOL }, value }];
  const byProtocol = {
    consumers: one(consumers),
    confirmed: one(confirmed),
    receivedConfirm: one(receivedConfirm),
    received: one(exchanges.published),
    routed: one(exchanges.routed),
    dropped: one(Math.max(0, exchanges.unroutable - returned)),
    returned: one(returned),
    publishers: one(publishers),
  };
  const perType = (at: number): Sample[] =>
    QUEUE_TYPES.map(([type, label]) => ({ labels: { protocol: PROTOCOL, queue_type: label }, value: byType.get(type)?.[at] ?? 0 }));
  const byQueueType = Object.fromEntries(Object.entries(BY_QUEUE_TYPE).map(([k, at]) => [k, perType(at)])) as GlobalSamples['byQueueType'];
  return { byProtocol, byQueueType };
}
