/**
 * basic.get: get-ok with the count of remaining messages, get-empty, no-ack gets, errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GetMessage } from 'amqplib';
import { startTestBroker, uniqueName, waitFor, withChannel, withConfirmChannel, type TestBroker, nextError } from '../helpers/broker.js';

let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker();
});
afterAll(async () => {
  await broker?.close();
});

function asMessage(m: GetMessage | false): GetMessage {
  if (m === false) throw new Error('expected a message, got get-empty');
  return m;
}

describe('basic.get', () => {
  it('returns messages in order with the number of messages remaining', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const q = uniqueName('get-order');
      await ch.assertQueue(q, { exclusive: true });
      for (let i = 1; i <= 3; i++) ch.sendToQueue(q, Buffer.from(`m${i}`), { messageId: `id-${i}` });
      await ch.waitForConfirms();

      const m1 = asMessage(await ch.get(q));
      expect(m1.content.toString()).toBe('m1');
      expect(m1.fields).toEqual({ deliveryTag: 1, redelivered: false, exchange: '', routingKey: q, messageCount: 2 });
      expect(m1.properties.messageId).toBe('id-1');

      const m2 = asMessage(await ch.get(q));
      expect(m2.content.toString()).toBe('m2');
      expect(m2.fields.deliveryTag).toBe(2);
      expect(m2.fields.messageCount).toBe(1);

      const m3 = asMessage(await ch.get(q));
      expect(m3.content.toString()).toBe('m3');
      expect(m3.fields.deliveryTag).toBe(3);
      expect(m3.fields.messageCount).toBe(0);

      expect(await ch.get(q)).toBe(false);

      // unacked gets are not counted as ready
      const check = await ch.checkQueue(q);
      expect(check.messageCount).toBe(0);
      ch.ack(m3, true);
    });
  });

  it('reports the exchange and routing key the message was published with', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const q = uniqueName('get-fields');
      await ch.assertQueue(q, { exclusive: true });
      await ch.bindQueue(q, 'amq.direct', 'rk-get');
      ch.publish('amq.direct', 'rk-get', Buffer.from('via amq.direct'));
      await ch.waitForConfirms();
      const m = asMessage(await ch.get(q, { noAck: true }));
      expect(m.fields.exchange).toBe('amq.direct');
      expect(m.fields.routingKey).toBe('rk-get');
      expect(m.content.toString()).toBe('via amq.direct');
    });
  });

  it('returns false (get-empty) on an empty queue', async () => {
    await withChannel(broker.url, async (ch) => {
      const q = uniqueName('get-empty');
      await ch.assertQueue(q, { exclusive: true });
      expect(await ch.get(q)).toBe(false);
      expect(await ch.get(q, { noAck: true })).toBe(false);
    });
  });

  it('with noAck removes the message at once: closing the channel requeues nothing', async () => {
    await withConfirmChannel(broker.url, async (ch, conn) => {
      const q = uniqueName('get-noack');
      await ch.assertQueue(q, { exclusive: true });
      ch.sendToQueue(q, Buffer.from('a'));
      ch.sendToQueue(q, Buffer.from('b'));
      await ch.waitForConfirms();

      const getter = await conn.createChannel();
      const m = asMessage(await getter.get(q, { noAck: true }));
      expect(m.content.toString()).toBe('a');
      expect(m.fields.messageCount).toBe(1);
      await getter.close();

      const next = asMessage(await ch.get(q, { noAck: true }));
      expect(next.content.toString()).toBe('b');
      expect(next.fields.redelivered).toBe(false);
      expect(await ch.get(q, { noAck: true })).toBe(false);
    });
  });

  it('without noAck the message is requeued, redelivered, when the channel closes unacked', async () => {
    await withConfirmChannel(broker.url, async (ch, conn) => {
      const q = uniqueName('get-requeue');
      await ch.assertQueue(q, { exclusive: true });
      ch.sendToQueue(q, Buffer.from('a'));
      await ch.waitForConfirms();

      const getter = await conn.createChannel();
      const m = asMessage(await getter.get(q));
      expect(m.fields.redelivered).toBe(false);
      await getter.close();

      // the requeue on close may complete after close-ok: poll
      const redelivered = asMessage(await waitFor(() => ch.get(q, { noAck: true })));
      expect(redelivered.content.toString()).toBe('a');
      expect(redelivered.fields.redelivered).toBe(true);
      expect(redelivered.fields.messageCount).toBe(0);
    });
  });

  it('shares the delivery-tag sequence with consumers on the same channel', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const q = uniqueName('get-tags');
      await ch.assertQueue(q, { exclusive: true });
      for (let i = 0; i < 3; i++) ch.sendToQueue(q, Buffer.from(String(i)));
      await ch.waitForConfirms();
      const a = asMessage(await ch.get(q));
      const b = asMessage(await ch.get(q, { noAck: true }));
      const c = asMessage(await ch.get(q));
      expect([a.fields.deliveryTag, b.fields.deliveryTag, c.fields.deliveryTag]).toEqual([1, 2, 3]);
      ch.ack(c, true);
      expect((await ch.checkQueue(q)).messageCount).toBe(0);
    });
  });

  it('closes the channel with 404 NOT_FOUND for a missing queue', async () => {
    await withChannel(broker.url, async (ch) => {
      const q = uniqueName('get-missing');
      const closed = nextError(ch);
      await expect(ch.get(q)).rejects.toBeDefined();
      expect(await closed).toEqual({
        code: 404,
        message: `Channel closed by server: 404 (NOT-FOUND) with message "NOT_FOUND - no queue '${q}' in vhost '/'"`,
      });
    });
  });

  it("closes the channel with 405 RESOURCE_LOCKED for another connection's exclusive queue", async () => {
    await withChannel(broker.url, async (owner) => {
      const q = uniqueName('get-exclq');
      await owner.assertQueue(q, { exclusive: true });
      await withChannel(broker.url, async (ch) => {
        const closed = nextError(ch);
        await expect(ch.get(q)).rejects.toBeDefined();
        expect(await closed).toEqual({
          code: 405,
          message:
            'Channel closed by server: 405 (RESOURCE-LOCKED) with message ' +
            `"RESOURCE_LOCKED - cannot obtain exclusive access to locked queue '${q}' in vhost '/'. ` +
            'It could be originally declared on another connection or the exclusive property value does not match that of the original declaration."',
        });
      });
      expect(await owner.get(q)).toBe(false);
    });
  });
});
