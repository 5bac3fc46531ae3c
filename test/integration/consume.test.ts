/**
 * basic.consume / basic.cancel: round-robin dispatch, consumer tags, no-ack consumers, exclusive
 * consumers, exclusive queues, client and server cancels, consumer priorities (x-priority).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import amqp from 'amqplib';
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import { startTestBroker, uniqueName, waitFor, withChannel, withConfirmChannel, type TestBroker, nextError } from '../helpers/broker.js';

let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker();
});
afterAll(async () => {
  await broker?.close();
});

async function openChannel(conn: ChannelModel): Promise<Channel> {
  const ch = await conn.createChannel();
  ch.on('error', () => {});
  return ch;
}

describe('basic.consume', () => {
  it('dispatches round-robin among the consumers of one queue, in registration order', async () => {
    await withChannel(broker.url, async (ch, conn) => {
      const q = uniqueName('consume-rr');
      await ch.assertQueue(q, { exclusive: true });
      const a: string[] = [];
      const b: string[] = [];
      const chA = await openChannel(conn);
      const chB = await openChannel(conn);
      await chA.consume(q, (m) => m && a.push(m.content.toString()), { noAck: true });
      await chB.consume(q, (m) => m && b.push(m.content.toString()), { noAck: true });
      for (let i = 0; i < 6; i++) ch.sendToQueue(q, Buffer.from(String(i)));
      await waitFor(() => a.length + b.length === 6);
      expect(a).toEqual(['0', '2', '4']);
      expect(b).toEqual(['1', '3', '5']);
    });
  });

  it('generates consumer tags starting with amq.ctag- and uses them in deliveries', async () => {
    await withChannel(broker.url, async (ch) => {
      const q = uniqueName('consume-gentag');
      await ch.assertQueue(q, { exclusive: true });
      const got: ConsumeMessage[] = [];
      const { consumerTag } = await ch.consume(q, (m) => m && got.push(m), { noAck: true });
      const second = await ch.consume(q, () => {}, { noAck: true });
      expect(consumerTag).toMatch(/^amq\.ctag-.+/);
      expect(second.consumerTag).toMatch(/^amq\.ctag-.+/);
      expect(second.consumerTag).not.toBe(consumerTag);
      await ch.cancel(second.consumerTag);
      ch.sendToQueue(q, Buffer.from('hello'));
      await waitFor(() => got.length === 1);
      expect(got[0]!.fields.consumerTag).toBe(consumerTag);
      expect(got[0]!.fields.deliveryTag).toBe(1);
      expect(got[0]!.fields.redelivered).toBe(false);
      expect(got[0]!.fields.exchange).toBe('');
      expect(got[0]!.fields.routingKey).toBe(q);
      expect(got[0]!.content.toString()).toBe('hello');
    });
  });

  it('uses an explicit consumer tag as given', async () => {
    await withChannel(broker.url, async (ch) => {
      const q = uniqueName('consume-tag');
      const tag = uniqueName('my-tag');
      await ch.assertQueue(q, { exclusive: true });
      const got: ConsumeMessage[] = [];
      const ok = await ch.consume(q, (m) => m && got.push(m), { consumerTag: tag, noAck: true });
      expect(ok.consumerTag).toBe(tag);
      ch.sendToQueue(q, Buffer.from('x'));
      await waitFor(() => got.length === 1);
      expect(got[0]!.fields.consumerTag).toBe(tag);
    });
  });

  it('closes the connection with 530 NOT_ALLOWED when a consumer tag is reused on the same channel', async () => {
    const conn = await amqp.connect(broker.url);
    const connError = nextError(conn);
    try {
      const ch = await openChannel(conn);
      const q = uniqueName('consume-dup');
      await ch.assertQueue(q, { autoDelete: true });
      await ch.consume(q, () => {}, { consumerTag: 't1' });
      // the same tag on another channel is fine: tags are per channel
      const other = await openChannel(conn);
      await expect(other.consume(q, () => {}, { consumerTag: 't1' })).resolves.toEqual({ consumerTag: 't1' });
      await expect(ch.consume(q, () => {}, { consumerTag: 't1' })).rejects.toThrow();
      const err = await connError;
      expect(err.code).toBe(530);
      expect(err.message).toBe(
        `Connection closed: 530 (NOT-ALLOWED) with message "NOT_ALLOWED - attempt to reuse consumer tag 't1'"`,
      );
    } finally {
      await conn.close().catch(() => {});
    }
  });

  it('no-ack consumers leave nothing unacked: closing the channel requeues nothing', async () => {
    await withChannel(broker.url, async (ch, conn) => {
      const q = uniqueName('consume-noack');
      await ch.assertQueue(q, { exclusive: true });
      const consumerCh = await openChannel(conn);
      const got: ConsumeMessage[] = [];
      await consumerCh.consume(q, (m) => m && got.push(m), { noAck: true });
      for (let i = 0; i < 5; i++) ch.sendToQueue(q, Buffer.from(String(i)));
      await waitFor(() => got.length === 5);
      expect(got.map((m) => m.content.toString())).toEqual(['0', '1', '2', '3', '4']);
      expect(got.map((m) => m.fields.deliveryTag)).toEqual([1, 2, 3, 4, 5]);
      await consumerCh.close();
      const after = await ch.checkQueue(q);
      expect(after.messageCount).toBe(0);
      expect(after.consumerCount).toBe(0);
    });
  });

  it('an exclusive consumer refuses other consumers with 403 ACCESS_REFUSED, and vice versa', async () => {
    await withChannel(broker.url, async (ch, conn) => {
      const q = uniqueName('consume-excl');
      await ch.assertQueue(q, { exclusive: true });
      await ch.consume(q, () => {}, { exclusive: true });
      const text = `ACCESS_REFUSED - queue '${q}' in vhost '/' in exclusive use`;

      const other = await openChannel(conn);
      const closed = nextError(other);
      await expect(other.consume(q, () => {})).rejects.toThrow(
        `Operation failed: BasicConsume; 403 (ACCESS-REFUSED) with message "${text}"`,
      );
      expect(await closed).toEqual({ code: 403, message: `Channel closed by server: 403 (ACCESS-REFUSED) with message "${text}"` });

      // the exclusive consumer is unaffected
      ch.sendToQueue(q, Buffer.from('still mine'));
      const check = await ch.checkQueue(q);
      expect(check.consumerCount).toBe(1);

      // an exclusive consume on a queue that already has a consumer is refused the same way
      const q2 = uniqueName('consume-excl2');
      await ch.assertQueue(q2, { exclusive: true });
      await ch.consume(q2, () => {});
      const third = await openChannel(conn);
      await expect(third.consume(q2, () => {}, { exclusive: true })).rejects.toThrow(
        `Operation failed: BasicConsume; 403 (ACCESS-REFUSED) with message "ACCESS_REFUSED - queue '${q2}' in vhost '/' in exclusive use"`,
      );
    });
  });

  it("refuses to consume from another connection's exclusive queue with 405 RESOURCE_LOCKED", async () => {
    await withChannel(broker.url, async (owner) => {
      const q = uniqueName('consume-exclq');
      await owner.assertQueue(q, { exclusive: true });
      await withChannel(broker.url, async (ch) => {
        const closed = nextError(ch);
        const text =
          `RESOURCE_LOCKED - cannot obtain exclusive access to locked queue '${q}' in vhost '/'. ` +
          'It could be originally declared on another connection or the exclusive property value does not match that of the original declaration.';
        await expect(ch.consume(q, () => {})).rejects.toThrow(
          `Operation failed: BasicConsume; 405 (RESOURCE-LOCKED) with message "${text}"`,
        );
        const err = await closed;
        expect(err.code).toBe(405);
      });
      // the owner can still consume
      await expect(owner.consume(q, () => {})).resolves.toHaveProperty('consumerTag');
    });
  });

  it('basic.cancel stops deliveries; unacked deliveries stay ackable', async () => {
    await withConfirmChannel(broker.url, async (ch, conn) => {
      const q = uniqueName('consume-cancel');
      await ch.assertQueue(q, { exclusive: true });
      const consumerCh = await openChannel(conn);
      const got: ConsumeMessage[] = [];
      const { consumerTag } = await consumerCh.consume(q, (m) => m && got.push(m));
      ch.sendToQueue(q, Buffer.from('before'));
      await waitFor(() => got.length === 1);
      await consumerCh.cancel(consumerTag);
      ch.sendToQueue(q, Buffer.from('after-1'));
      ch.sendToQueue(q, Buffer.from('after-2'));
      // confirmed = enqueued by the queue, so the count below is not racing the publishes
      await ch.waitForConfirms();
      const check = await ch.checkQueue(q);
      expect(check.messageCount).toBe(2);
      expect(check.consumerCount).toBe(0);
      expect(got).toHaveLength(1);
      // the delivery made before the cancel can still be acked on the consumer's channel
      consumerCh.ack(got[0]!);
      await consumerCh.close();
      expect((await ch.checkQueue(q)).messageCount).toBe(2);
    });
  });

  it('basic.cancel with an unknown consumer tag is answered with cancel-ok', async () => {
    await withChannel(broker.url, async (ch) => {
      await expect(ch.cancel(uniqueName('no-such-tag'))).resolves.toBeUndefined();
      // the channel is still open
      const q = uniqueName('consume-cancel-unknown');
      await expect(ch.assertQueue(q, { exclusive: true })).resolves.toMatchObject({ queue: q });
    });
  });

  it('sends basic.cancel to the consumer when its queue is deleted; the channel stays open', async () => {
    await withChannel(broker.url, async (ch) => {
      const q = uniqueName('consume-srvcancel');
      await ch.assertQueue(q);
      const events: (ConsumeMessage | null)[] = [];
      await ch.consume(q, (m) => {
        events.push(m);
      });
      await withChannel(broker.url, async (other) => {
        await other.deleteQueue(q);
      });
      await waitFor(() => events.length === 1);
      expect(events[0]).toBeNull();
      const q2 = uniqueName('consume-srvcancel-after');
      await expect(ch.assertQueue(q2, { exclusive: true })).resolves.toMatchObject({ queue: q2 });
    });
  });

  it('x-priority: the higher-priority consumer gets messages while it has capacity', async () => {
    await withChannel(broker.url, async (ch, conn) => {
      const q = uniqueName('consume-prio');
      await ch.assertQueue(q, { exclusive: true });
      const lowCh = await openChannel(conn);
      const highCh = await openChannel(conn);
      await highCh.prefetch(2);
      const low: string[] = [];
      const high: ConsumeMessage[] = [];
      // the low-priority consumer registers first, so plain round-robin would favour it
      await lowCh.consume(q, (m) => m && low.push(m.content.toString()), { noAck: true });
      await highCh.consume(q, (m) => m && high.push(m), { priority: 10 });
      for (let i = 0; i < 6; i++) ch.sendToQueue(q, Buffer.from(String(i)));
      await waitFor(() => low.length + high.length === 6);
      expect(high.map((m) => m.content.toString())).toEqual(['0', '1']);
      expect(low).toEqual(['2', '3', '4', '5']);

      // once it has capacity again, the high-priority consumer is preferred again
      highCh.ack(high[0]!);
      highCh.ack(high[1]!);
      // round trip on highCh: the broker has processed the acks before we publish
      await highCh.checkQueue(q);
      for (let i = 6; i < 9; i++) ch.sendToQueue(q, Buffer.from(String(i)));
      await waitFor(() => low.length + high.length === 9);
      expect(high.map((m) => m.content.toString())).toEqual(['0', '1', '6', '7']);
      expect(low).toEqual(['2', '3', '4', '5', '8']);
    });
  });
});
