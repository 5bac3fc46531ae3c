/**
 * The broker's publish path without sockets: vhost.publish through a fanout to two classic
 * queues, then basic.get (no-ack) of both copies, so the queues stay empty; and basic.get with an
 * ack. What the per-message counters (QueueCounters, ExchangeCounters, the unacked and persistent
 * tallies) cost shows here, without the e2e bench's noise.
 */
import { bench, describe } from 'vitest';
import { encodeProperties } from '../../src/amqp/basic-properties.js';
import { Broker } from '../../src/broker/broker.js';
import { PublishContext } from '../../src/broker/publish.js';
import { PublishOutcome } from '../../src/broker/publish-outcome.js';
import { PROPERTIES_CODEC as codec } from '../../src/main.js';
import type { Vhost } from '../../src/broker/vhost.js';


const broker = new Broker(codec);
const v = broker.vhosts.get('/') as Vhost;
const options = { durable: false, autoDelete: false, exclusiveOwner: null, arguments: {} };
v.declareQueue('a', false, options, {});
v.declareQueue('b', false, options, {});
v.declareExchange('fan', 'fanout', false, { durable: false, autoDelete: false, internal: false, arguments: {} });
v.bindQueue('a', 'fan', '', {}, null);
v.bindQueue('b', 'fan', '', {}, null);
const [a, b] = [v.queues.get('a'), v.queues.get('b')];
const ctx = new PublishContext();
const out = new PublishOutcome();
const properties = encodeProperties({});
const body = Buffer.alloc(16);

describe('publish path', () => {
  bench('publish to a fanout of two queues, get both copies', () => {
    for (let i = 0; i < 100; i++) v.publish(ctx, 'fan', '', properties, body, out);
    for (let i = 0; i < 100; i++) {
      a?.get(true);
      b?.get(true);
    }
  });

  bench('publish to one queue, get with ack, ack', () => {
    for (let i = 0; i < 100; i++) v.publish(ctx, '', 'a', properties, body, out);
    for (let i = 0; i < 100; i++) {
      const e = a?.get(false);
      if (e !== undefined) a?.ack(e);
    }
  });
});
