/**
 * The sampler: counts read live, rates per second over the last sample interval, a vhost's
 * counts summed over its queues and exchanges and kept when they are deleted. No sockets: the
 * broker core with messages published through its one publish path, samples taken by hand.
 */
import { describe, expect, it } from 'vitest';
import { encodeProperties } from '../../../../src/amqp/basic-properties.js';
import { Broker } from '../../../../src/broker/broker.js';
import { PublishContext } from '../../../../src/broker/publish.js';
import { PublishOutcome } from '../../../../src/broker/publish-outcome.js';
import type { Vhost } from '../../../../src/broker/vhost.js';
import { PROPERTIES_CODEC as codec } from '../../../../src/main.js';
import { LENGTHS, QUEUE_COUNTS, VHOST_COUNTS, queueCounts, queueRates, vhostCounts, vhostRates } from '../../../../src/broker/stats/message-stats.js';


const OWNER = {};
const NO_PROPERTIES = encodeProperties({});

function setup(): { broker: Broker; v: Vhost; publish: (exchange: string, key: string, n: number) => void } {
  const broker = new Broker(codec);
  const v = broker.vhosts.get('/') as Vhost;
  const options = { durable: false, autoDelete: false, exclusiveOwner: null, arguments: {} };
  v.declareQueue('a', false, options, OWNER);
  v.declareQueue('b', false, options, OWNER);
  v.declareExchange('fan', 'fanout', false, { durable: false, autoDelete: false, internal: false, arguments: {} });
  v.bindQueue('a', 'fan', '', {}, null);
  v.bindQueue('b', 'fan', '', {}, null);
  const ctx = new PublishContext();
  const out = new PublishOutcome();
  const publish = (exchange: string, key: string, n: number): void => {
    for (let i = 0; i < n; i++) v.publish(ctx, exchange, key, NO_PROPERTIES, Buffer.from('x'), out);
  };
  return { broker, v, publish };
}

const at = (keys: readonly string[], name: string, values: Float64Array, offset = 0): number => values[offset + keys.indexOf(name)] as number;

describe('message stats sampler', () => {
  it('reads counts live and gives rates per second over the last sample interval', () => {
    const { broker, v, publish } = setup();
    const q = v.queues.get('a');
    if (q === undefined) throw new Error('no queue');
    broker.stats.sample(1000);
    expect(at(QUEUE_COUNTS, 'publish', queueRates(q))).toBe(0); // one sample: no rate yet
    publish('fan', '', 10);
    expect(at(QUEUE_COUNTS, 'publish', queueCounts(q))).toBe(10);
    broker.stats.sample(3000);
    expect(at(QUEUE_COUNTS, 'publish', queueRates(q))).toBe(5);
    expect(at(LENGTHS, 'messagesReady', queueRates(q), QUEUE_COUNTS.length)).toBe(5);
    expect(at(VHOST_COUNTS, 'publish', vhostRates(v))).toBe(5); // 10 publishes (to two queues) in 2 s
    expect(at(VHOST_COUNTS, 'publish', vhostCounts(v))).toBe(10);
    expect(at(LENGTHS, 'messages', vhostCounts(v), VHOST_COUNTS.length)).toBe(20);
    q.get(true);
    q.get(false);
    broker.stats.sample(4000);
    expect(at(QUEUE_COUNTS, 'publish', queueRates(q))).toBe(0);
    expect(at(QUEUE_COUNTS, 'getNoAck', queueRates(q))).toBe(1);
    expect(at(LENGTHS, 'messages', queueRates(q), QUEUE_COUNTS.length)).toBe(-1);
    broker.stop();
  });

  it("counts unroutable publishes as dropped, and keeps deleted queues' and exchanges' counts in the vhost", () => {
    const { broker, v, publish } = setup();
    publish('', 'nowhere', 3);
    publish('fan', '', 2);
    const q = v.queues.get('a');
    if (q === undefined) throw new Error('no queue');
    q.get(true);
    const before = vhostCounts(v);
    expect(at(VHOST_COUNTS, 'publish', before)).toBe(5);
    expect(at(VHOST_COUNTS, 'dropUnroutable', before)).toBe(3);
    expect(at(VHOST_COUNTS, 'getNoAck', before)).toBe(1);
    v.deleteQueue('a', false, false, null);
    v.deleteExchange('fan', false);
    const after = vhostCounts(v);
    for (const k of ['publish', 'dropUnroutable', 'getNoAck', 'deliverGet'] as const) expect(at(VHOST_COUNTS, k, after)).toBe(at(VHOST_COUNTS, k, before));
    expect(at(LENGTHS, 'messages', after, VHOST_COUNTS.length)).toBe(2); // queue b's
    broker.stop();
  });
});
