/**
 * basic.qos: per-consumer prefetch (global=false), per-channel prefetch (global=true, RabbitMQ
 * semantics), prefetch 0 = unlimited, changes applying to later consumers, prefetch_size refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import amqp from 'amqplib';
import type { ConfirmChannel, ConsumeMessage } from 'amqplib';
import { startTestBroker, uniqueName, waitFor, withConfirmChannel, type TestBroker } from '../helpers/broker.js';

let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker();
});
afterAll(async () => {
  await broker?.close();
});

/** Declare an exclusive queue, publish '0'..'n-1' and wait until the broker has enqueued them. */
async function filledQueue(ch: ConfirmChannel, prefix: string, n: number): Promise<string> {
  const q = uniqueName(prefix);
  await ch.assertQueue(q, { exclusive: true });
  for (let i = 0; i < n; i++) ch.sendToQueue(q, Buffer.from(String(i)));
  await ch.waitForConfirms();
  return q;
}

/** Ready count, polled until it equals `expected` (deliveries are dispatched asynchronously). */
async function expectReady(ch: ConfirmChannel, q: string, expected: number): Promise<void> {
  let last = -1;
  try {
    await waitFor(async () => {
      last = (await ch.checkQueue(q)).messageCount;
      return last === expected;
    }, 3000);
  } catch {
    expect(last, `ready messages in ${q}`).toBe(expected);
  }
}

describe('basic.qos', () => {
  it('a consumer never holds more unacked messages than its prefetch', async () => {
    await withConfirmChannel(broker.url, async (ch, conn) => {
      const q = await filledQueue(ch, 'qos-basic', 10);
      const consumer = await conn.createChannel();
      await consumer.prefetch(3);
      const got: ConsumeMessage[] = [];
      await consumer.consume(q, (m) => m && got.push(m));
      await waitFor(() => got.length === 3);
      // the queue still holds the other 7: nothing more is on its way
      await expectReady(ch, q, 7);
      expect(got.map((m) => m.content.toString())).toEqual(['0', '1', '2']);

      consumer.ack(got[0]!);
      await waitFor(() => got.length === 4);
      await expectReady(ch, q, 6);
      expect(got[3]!.content.toString()).toBe('3');

      // ack multiple frees two slots at once
      consumer.ack(got[3]!, true);
      await waitFor(() => got.length === 7);
      await expectReady(ch, q, 3);
      expect(got).toHaveLength(7);
      await consumer.close();
    });
  });

  it('each consumer on a channel gets its own prefetch (global=false)', async () => {
    await withConfirmChannel(broker.url, async (ch, conn) => {
      const q = await filledQueue(ch, 'qos-two', 10);
      const consumer = await conn.createChannel();
      await consumer.prefetch(2);
      const a: ConsumeMessage[] = [];
      const b: ConsumeMessage[] = [];
      await consumer.consume(q, (m) => m && a.push(m));
      await consumer.consume(q, (m) => m && b.push(m));
      await waitFor(() => a.length + b.length === 4);
      await expectReady(ch, q, 6);
      expect(a).toHaveLength(2);
      expect(b).toHaveLength(2);

      // acking one of b's frees a slot for b only
      consumer.ack(b[0]!);
      await waitFor(() => b.length === 3);
      await expectReady(ch, q, 5);
      expect(a).toHaveLength(2);
      await consumer.close();
    });
  });

  it('global=true limits the unacked total of the whole channel, shared by its consumers', async () => {
    await withConfirmChannel(broker.url, async (ch, conn) => {
      const q1 = await filledQueue(ch, 'qos-global-1', 5);
      const q2 = await filledQueue(ch, 'qos-global-2', 5);
      const consumer = await conn.createChannel();
      await consumer.prefetch(3, true);
      const got: ConsumeMessage[] = [];
      await consumer.consume(q1, (m) => m && got.push(m));
      await consumer.consume(q2, (m) => m && got.push(m));
      await waitFor(() => got.length === 3);
      await waitFor(async () => (await ch.checkQueue(q1)).messageCount + (await ch.checkQueue(q2)).messageCount === 7);
      expect(got).toHaveLength(3);

      consumer.ack(got[0]!);
      await waitFor(() => got.length === 4);
      await waitFor(async () => (await ch.checkQueue(q1)).messageCount + (await ch.checkQueue(q2)).messageCount === 6);
      expect(got).toHaveLength(4);
      await consumer.close();
    });
  });

  it('prefetch 0 means unlimited', async () => {
    await withConfirmChannel(broker.url, async (ch, conn) => {
      const q = await filledQueue(ch, 'qos-zero', 20);
      const consumer = await conn.createChannel();
      await consumer.prefetch(1);
      await consumer.prefetch(0);
      const got: ConsumeMessage[] = [];
      await consumer.consume(q, (m) => m && got.push(m));
      await waitFor(() => got.length === 20);
      await expectReady(ch, q, 0);
      await consumer.close();
    });
  });

  it('prefetch does not limit no-ack consumers', async () => {
    await withConfirmChannel(broker.url, async (ch, conn) => {
      const q = await filledQueue(ch, 'qos-noack', 10);
      const consumer = await conn.createChannel();
      await consumer.prefetch(1);
      const got: ConsumeMessage[] = [];
      await consumer.consume(q, (m) => m && got.push(m), { noAck: true });
      await waitFor(() => got.length === 10);
      expect(got.map((m) => m.content.toString())).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
      await consumer.close();
    });
  });

  it('basic.get is not limited by the consumer prefetch', async () => {
    await withConfirmChannel(broker.url, async (ch, conn) => {
      const q = await filledQueue(ch, 'qos-get', 3);
      const consumer = await conn.createChannel();
      await consumer.prefetch(1);
      const got: ConsumeMessage[] = [];
      await consumer.consume(q, (m) => m && got.push(m));
      await waitFor(() => got.length === 1);
      const m2 = await consumer.get(q);
      const m3 = await consumer.get(q);
      expect(m2 && m2.content.toString()).toBe('1');
      expect(m3 && m3.content.toString()).toBe('2');
      await consumer.close();
    });
  });

  it('a qos change applies to consumers created after it; earlier ones keep theirs', async () => {
    await withConfirmChannel(broker.url, async (ch, conn) => {
      const q1 = await filledQueue(ch, 'qos-change-1', 6);
      const q2 = await filledQueue(ch, 'qos-change-2', 6);
      const consumer = await conn.createChannel();
      await consumer.prefetch(1);
      const a: ConsumeMessage[] = [];
      const b: ConsumeMessage[] = [];
      await consumer.consume(q1, (m) => m && a.push(m));
      await consumer.prefetch(4);
      await consumer.consume(q2, (m) => m && b.push(m));
      await waitFor(() => a.length === 1 && b.length === 4);
      await expectReady(ch, q1, 5);
      await expectReady(ch, q2, 2);
      expect(a).toHaveLength(1);
      expect(b).toHaveLength(4);
      await consumer.close();
    });
  });

  it('prefetch_size != 0 closes the connection with 540 NOT_IMPLEMENTED', async () => {
    const conn = await amqp.connect(broker.url);
    const closed = new Promise<{ code?: number; message?: string }>((resolve) => conn.once('error', resolve));
    try {
      const ch = await conn.createChannel();
      ch.on('error', () => {});
      // amqplib's prefetch() always sends prefetch_size 0; send basic.qos (60,10) by hand
      const internals = ch as unknown as { rpc(method: number, fields: object, expect: number): Promise<unknown> };
      await expect(
        internals.rpc((60 << 16) | 10, { prefetchSize: 10, prefetchCount: 0, global: false }, (60 << 16) | 11),
      ).rejects.toThrow();
      const err = await closed;
      expect(err.code).toBe(540);
      expect(err.message).toBe(
        'Connection closed: 540 (NOT-IMPLEMENTED) with message "NOT_IMPLEMENTED - prefetch_size!=0 (10)"',
      );
    } finally {
      await conn.close().catch(() => {});
    }
  });
});
