/**
 * One owner of stored messages (StoredMessages): whatever path a persistent message takes, the
 * store's reference count of its body equals the entries that point at it, and once every queue
 * is drained nothing is left behind. Each scenario runs over the wire; the store is then read
 * with the broker stopped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfirmChannel } from 'amqplib';
import { waitFor, withConfirmChannel } from '../helpers/broker.js';
import { DurableBroker, drain, PERSISTENT, withStoreReader } from '../helpers/durable.js';

let b: DurableBroker;
beforeAll(async () => {
  b = await DurableBroker.start();
});
afterAll(async () => {
  await b.destroy();
});

const durable = { durable: true } as const;

/** Publish persistent messages and wait for their confirms. */
async function send(ch: ConfirmChannel, exchange: string, key: string, n: number, headers?: Record<string, unknown>): Promise<void> {
  for (let i = 0; i < n; i++) ch.publish(exchange, key, Buffer.from(`${key}-${i}`), { ...PERSISTENT, ...(headers ? { headers } : {}) });
  await ch.waitForConfirms();
}

describe.skipIf(Boolean(process.env['WARREN_TEST_URL']))('stored message references', () => {
  it('every path keeps refs equal to entries, and a drained broker stores nothing', async () => {
    await withConfirmChannel(b.url, async (ch) => {
      // fan-out to three durable queues, one acked, one nacked with requeue, one rejected to a DLX
      await ch.assertExchange('sm.fan', 'fanout', durable);
      await ch.assertExchange('sm.dlx', 'fanout', durable);
      await ch.assertQueue('sm.dead', durable);
      await ch.bindQueue('sm.dead', 'sm.dlx', '');
      for (const q of ['sm.a', 'sm.b']) {
        await ch.assertQueue(q, durable);
        await ch.bindQueue(q, 'sm.fan', '');
      }
      await ch.assertQueue('sm.c', { durable: true, arguments: { 'x-dead-letter-exchange': 'sm.dlx' } });
      await ch.bindQueue('sm.c', 'sm.fan', '');
      await send(ch, 'sm.fan', 'fan', 20);
      for (let i = 0; i < 20; i++) {
        const a = await ch.get('sm.a');
        if (a) ch.ack(a);
        const m = await ch.get('sm.b');
        if (m) ch.nack(m, false, true);
        const c = await ch.get('sm.c');
        if (c) ch.reject(c, false);
      }
      // TTL expiry into the DLX, drop-head overflow, reject-publish refusals
      await ch.assertQueue('sm.ttl', { durable: true, arguments: { 'x-message-ttl': 1, 'x-dead-letter-exchange': 'sm.dlx' } });
      await send(ch, '', 'sm.ttl', 10);
      await ch.assertQueue('sm.drop', { durable: true, arguments: { 'x-max-length': 3 } });
      await send(ch, '', 'sm.drop', 10);
      await ch.assertQueue('sm.refuse', { durable: true, arguments: { 'x-max-length': 3, 'x-overflow': 'reject-publish' } });
      for (let i = 0; i < 10; i++) ch.sendToQueue('sm.refuse', Buffer.from(String(i)), PERSISTENT);
      await ch.waitForConfirms().catch(() => {}); // nacks for the refused ones
      // delivery limit: requeues replace the entry's message with an x-delivery-count copy
      await ch.assertQueue('sm.limit', { durable: true, arguments: { 'x-delivery-limit': 2, 'x-dead-letter-exchange': 'sm.dlx' } });
      await send(ch, '', 'sm.limit', 3);
      for (let round = 0; round < 4; round++) {
        for (let i = 0; i < 3; i++) {
          const m = await ch.get('sm.limit');
          if (m) ch.nack(m, false, true);
        }
      }
      // a delayed-message exchange holding, then releasing, persistent messages
      await ch.assertExchange('sm.delay', 'x-delayed-message', { durable: true, arguments: { 'x-delayed-type': 'direct' } });
      await ch.assertQueue('sm.delayed', durable);
      await ch.bindQueue('sm.delayed', 'sm.delay', 'k');
      await send(ch, 'sm.delay', 'k', 5, { 'x-delay': 20 });
      await waitFor(async () => (await ch.checkQueue('sm.delayed')).messageCount === 5, 5000);
      // purge and delete
      await ch.assertQueue('sm.purged', durable);
      await send(ch, '', 'sm.purged', 5);
      await ch.purgeQueue('sm.purged');
      await ch.assertQueue('sm.deleted', durable);
      await send(ch, '', 'sm.deleted', 5);
      await ch.deleteQueue('sm.deleted');
      await waitFor(async () => (await ch.checkQueue('sm.dead')).messageCount >= 20 + 10 + 3, 5000);
      // the delayed-message policy holding a persistent message across the restart below
      b.running.broker.setPolicy({
        vhost: '/', name: 'sm.policy', pattern: '^sm\\.policy$', applyTo: 'queues', priority: 0,
        definition: { 'delayed-message': true }, operator: false,
      });
      await ch.assertQueue('sm.policy', durable);
      await send(ch, '', 'sm.policy', 2, { 'x-delay': 400 });
    });
    await b.restart();
    await b.stop();
    await withStoreReader(b.dataDir, (r) => expect(r.referenceMismatches()).toEqual({ leaked: 0, dangling: 0 }));
    await b.restart();
    await withConfirmChannel(b.url, async (ch) => {
      await waitFor(async () => (await ch.checkQueue('sm.policy')).messageCount === 2, 5000);
      for (const q of ['sm.policy', 'sm.a', 'sm.b', 'sm.c', 'sm.dead', 'sm.ttl', 'sm.drop', 'sm.refuse', 'sm.limit', 'sm.delayed', 'sm.purged']) {
        await drain(ch, q);
      }
    });
    await b.stop();
    await withStoreReader(b.dataDir, (r) => {
      expect(r.referenceMismatches()).toEqual({ leaked: 0, dangling: 0 });
      expect(r.counts()).toEqual({ messages: 0, entries: 0 });
    });
    await b.restart();
  });
});
