/**
 * basic.recover: requeue=true redelivers every unacked message of the channel, marked redelivered,
 * under new delivery tags; requeue=false is not implemented by RabbitMQ.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import amqp from 'amqplib';
import type { ConsumeMessage, Message } from 'amqplib';
import { startTestBroker, waitFor, withConfirmChannel, type TestBroker, roundTrip, nextError, filledQueue } from '../helpers/broker.js';

let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker();
});
afterAll(async () => {
  await broker?.close();
});

const summary = (m: ConsumeMessage) => [m.content.toString(), m.fields.deliveryTag, m.fields.redelivered];

describe('basic.recover', () => {
  it('requeue=true redelivers the unacked deliveries to the consumer with redelivered=true and new tags', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const q = await filledQueue(ch, 'recover-consume', 3);
      const got: ConsumeMessage[] = [];
      await ch.consume(q, (m) => m && got.push(m));
      await waitFor(() => got.length === 3);
      ch.ack(got[1]!);
      await ch.recover();
      await waitFor(() => got.length === 5);
      expect(got.map(summary)).toEqual([
        ['1', 1, false],
        ['2', 2, false],
        ['3', 3, false],
        ['1', 4, true],
        ['3', 5, true],
      ]);
      ch.ack(got[4]!, true);
      expect((await ch.checkQueue(q)).messageCount).toBe(0);
    });
  });

  it('after recover the old delivery tags are unknown', async () => {
    const conn = await amqp.connect(broker.url);
    conn.on('error', () => {});
    try {
      const ch = await conn.createConfirmChannel();
      ch.on('error', () => {});
      const q = await filledQueue(ch, 'recover-oldtag', 1);
      const got: ConsumeMessage[] = [];
      await ch.consume(q, (m) => m && got.push(m));
      await waitFor(() => got.length === 1);
      await ch.recover();
      await waitFor(() => got.length === 2);
      const closed = nextError(ch);
      ch.ack(got[0]!);
      expect(await roundTrip(ch)).toBe('closed');
      expect(await closed).toEqual({
        code: 406,
        message: 'Channel closed by server: 406 (PRECONDITION-FAILED) with message "PRECONDITION_FAILED - unknown delivery tag 1"',
      });
    } finally {
      await conn.close().catch(() => {});
    }
  });

  it('requeue=true puts unacked basic.get messages back on the queue, in order, redelivered', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const q = await filledQueue(ch, 'recover-get', 4);
      const taken: Message[] = [];
      for (let i = 0; i < 3; i++) {
        const m = await ch.get(q);
        if (m === false) throw new Error('unexpected get-empty');
        taken.push(m);
      }
      ch.ack(taken[0]!);
      await ch.recover();
      const after: string[] = [];
      for (;;) {
        const m = await ch.get(q, { noAck: true });
        if (m === false) break;
        after.push(`${m.content.toString()}${m.fields.redelivered ? '*' : ''}@${m.fields.deliveryTag}`);
      }
      expect(after).toEqual(['2*@4', '3*@5', '4@6']);
    });
  });

  it('recover with nothing unacked is a no-op', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const q = await filledQueue(ch, 'recover-noop', 1);
      await ch.recover();
      const m = await ch.get(q, { noAck: true });
      expect(m && [m.content.toString(), m.fields.redelivered, m.fields.deliveryTag]).toEqual(['1', false, 1]);
    });
  });

  it('requeue=false closes the connection with 540 NOT_IMPLEMENTED', async () => {
    const conn = await amqp.connect(broker.url);
    const closed = new Promise<{ code?: number; message?: string }>((resolve) => conn.once('error', resolve));
    try {
      const ch = await conn.createChannel();
      ch.on('error', () => {});
      // amqplib's recover() always sends requeue=true; send basic.recover (60,110) by hand
      const internals = ch as unknown as { rpc(method: number, fields: object, expect: number): Promise<unknown> };
      await expect(internals.rpc((60 << 16) | 110, { requeue: false }, (60 << 16) | 111)).rejects.toThrow();
      const err = await closed;
      expect(err.code).toBe(540);
      expect(err.message).toBe('Connection closed: 540 (NOT-IMPLEMENTED) with message "NOT_IMPLEMENTED - requeue=false"');
    } finally {
      await conn.close().catch(() => {});
    }
  });
});
