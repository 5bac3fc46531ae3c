/**
 * The broker's change seams (issue 7): definition changes reach observers synchronously, in order,
 * before the AMQP reply; message activity is counted in place on queues and exchanges. This is
 * what the management API's events and rates and the cluster's replication attach to.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { DefinitionObserver } from '../../src/broker/events.js';
import { startTestBroker, uniqueName, waitFor, withConfirmChannel } from '../helpers/broker.js';

const broker = await startTestBroker();
afterAll(() => broker.close());

describe.skipIf(Boolean(process.env['WARREN_TEST_URL']))('change events and counters', () => {
  it('observers see declare, bind, unbind and delete in order, before the reply', async () => {
    const core = broker.broker!.broker;
    const seen: string[] = [];
    const observer: DefinitionObserver = {
      exchangeDeclared: (x) => seen.push(`+x ${x.name}`),
      exchangeDeleted: (x) => seen.push(`-x ${x.name}`),
      queueDeclared: (q) => seen.push(`+q ${q.name} ${q.type}`),
      queueDeleted: (q) => seen.push(`-q ${q.name}`),
      bindingAdded: (b) => seen.push(`+b ${b.source.name}->${b.destination.name}:${b.routingKey}`),
      bindingRemoved: (b) => seen.push(`-b ${b.source.name}->${b.destination.name}:${b.routingKey}`),
    };
    core.observe(observer);
    const x = uniqueName('ev-x');
    const q = uniqueName('ev-q');
    await withConfirmChannel(broker.url, async (ch) => {
      await ch.assertExchange(x, 'direct', { durable: false });
      await ch.assertQueue(q, { durable: false });
      expect(seen).toEqual([`+x ${x}`, `+q ${q} classic`]);
      await ch.bindQueue(q, x, 'k');
      await ch.unbindQueue(q, x, 'k');
      await ch.bindQueue(q, x, 'k2');
      await ch.deleteQueue(q);
      await ch.deleteExchange(x);
    });
    expect(seen).toEqual([
      `+x ${x}`,
      `+q ${q} classic`,
      `+b ${x}->${q}:k`,
      `-b ${x}->${q}:k`,
      `+b ${x}->${q}:k2`,
      `-q ${q}`,
      `-b ${x}->${q}:k2`,
      `-x ${x}`,
    ]);
  });

  it('queue and exchange counters follow publishes, deliveries, acks and rejections', async () => {
    const core = broker.broker!.broker;
    await withConfirmChannel(broker.url, async (ch) => {
      const x = uniqueName('count-x');
      const q = uniqueName('count-q');
      await ch.assertExchange(x, 'fanout', { autoDelete: true });
      await ch.assertQueue(q, { exclusive: true });
      await ch.bindQueue(q, x, '');
      for (let i = 0; i < 5; i++) ch.publish(x, '', Buffer.from(String(i)));
      await ch.waitForConfirms();
      const first = await ch.get(q);
      const second = await ch.get(q);
      if (first === false || second === false) throw new Error('expected messages');
      ch.ack(first);
      ch.nack(second, false, true); // back, then delivered again below
      const got: number[] = [];
      await ch.consume(q, (m) => {
        if (m !== null) {
          got.push(1);
          ch.ack(m);
        }
      });
      await waitFor(() => got.length === 4, 2000);
      const queue = core.vhost('/')!.queues.get(q)!;
      await waitFor(() => queue.counters.acked === 5, 2000);
      expect(queue.counters).toMatchObject({ published: 5, delivered: 6, redelivered: 1, got: 2, acked: 5, discarded: 0 });
      const exchange = core.vhost('/')!.exchanges.get(x)!;
      expect(exchange.counters).toMatchObject({ published: 5, routed: 5, unroutable: 0 });
    });
  });
});
