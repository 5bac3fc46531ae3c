/**
 * basic.ack / basic.nack / basic.reject: single and multiple, requeue in place, dropping,
 * delivery-tag errors, and requeueing of unacked messages when a channel or connection closes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import amqp from 'amqplib';
import type { Channel, ConsumeMessage, GetMessage, Message } from 'amqplib';
import { startTestBroker, waitFor, withConfirmChannel, type TestBroker, roundTrip, nextError, getN, drainMarked, filledQueue } from '../helpers/broker.js';

let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker();
});
afterAll(async () => {
  await broker?.close();
});

const unknownTag = (tag: number) =>
  `Channel closed by server: 406 (PRECONDITION-FAILED) with message "PRECONDITION_FAILED - unknown delivery tag ${tag}"`;

/** A message with a made-up delivery tag, for acking tags the broker never issued. */
function fakeMessage(deliveryTag: number): Message {
  return { fields: { deliveryTag }, content: Buffer.alloc(0), properties: {} } as unknown as Message;
}

/** Publish '1'..'n' to a fresh exclusive queue through the (confirm) channel and wait until enqueued. */

async function waitForReady(ch: Channel, q: string, count: number): Promise<void> {
  await waitFor(async () => (await ch.checkQueue(q)).messageCount === count);
}

describe('basic.ack', () => {
  it('acked messages are gone: only the unacked ones come back when the channel closes', async () => {
    await withConfirmChannel(broker.url, async (ch, conn) => {
      const q = await filledQueue(ch, 'ack-single', 3);
      const getter = await conn.createChannel();
      const [m1, , m3] = await getN(getter, q, 3);
      getter.ack(m1!);
      getter.ack(m3!);
      await getter.close();
      await waitForReady(ch, q, 1);
      expect(await drainMarked(ch, q)).toEqual(['2*']);
    });
  });

  it('ack with multiple=true acks every outstanding tag up to and including the given one', async () => {
    await withConfirmChannel(broker.url, async (ch, conn) => {
      const q = await filledQueue(ch, 'ack-multiple', 5);
      const getter = await conn.createChannel();
      const ms = await getN(getter, q, 5);
      getter.ack(ms[1]!); // tag 2 alone first: multiple skips tags already acked
      getter.ack(ms[3]!, true); // 1..4
      await getter.close();
      await waitForReady(ch, q, 1);
      expect(await drainMarked(ch, q)).toEqual(['5*']);
    });
  });

  it('ack of delivery tag 0 with multiple=true acks everything outstanding', async () => {
    await withConfirmChannel(broker.url, async (ch, conn) => {
      const q = await filledQueue(ch, 'ack-all', 3);
      const getter = await conn.createChannel();
      await getN(getter, q, 3);
      getter.ackAll();
      // a further publish + get proves the channel survived and the broker processed the ack
      ch.sendToQueue(q, Buffer.from('4'));
      await ch.waitForConfirms();
      const [m4] = await getN(getter, q, 1);
      expect(m4!.fields.deliveryTag).toBe(4);
      await getter.close();
      await waitForReady(ch, q, 1);
      expect(await drainMarked(ch, q)).toEqual(['4*']);
    });
  });
});

describe('basic.nack / basic.reject', () => {
  it('nack requeue=true puts the message back at its original position, marked redelivered (get)', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const q = await filledQueue(ch, 'nack-pos', 5);
      const ms = await getN(ch, q, 3);
      ch.nack(ms[1]!, false, true);
      // RabbitMQ 3.10 classic queues: '2' goes back ahead of '4','5', not to the tail
      expect(await drainMarked(ch, q)).toEqual(['2*', '4', '5']);
      ch.ack(ms[2]!, true);
    });
  });

  it('several requeued messages keep their original relative order', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const q = await filledQueue(ch, 'nack-pos-many', 6);
      const ms = await getN(ch, q, 4);
      ch.nack(ms[3]!, false, true); // '4' first
      ch.nack(ms[1]!, false, true); // then '2'
      expect(await drainMarked(ch, q)).toEqual(['2*', '4*', '5', '6']);
      ch.ack(ms[2]!, true);
    });
  });

  it('a consumer gets the requeued message before later ones (prefetch 3)', async () => {
    await withConfirmChannel(broker.url, async (ch, conn) => {
      const q = await filledQueue(ch, 'nack-pos-consume', 5);
      const consumer = await conn.createChannel();
      await consumer.prefetch(3);
      const got: ConsumeMessage[] = [];
      await consumer.consume(q, (m) => m && got.push(m));
      await waitFor(() => got.length === 3);
      consumer.nack(got[1]!, false, true);
      await waitFor(() => got.length === 4);
      consumer.ack(got[0]!);
      consumer.ack(got[2]!);
      consumer.ack(got[3]!);
      await waitFor(() => got.length === 6);
      expect(got.map((m) => [m.content.toString(), m.fields.redelivered, m.fields.deliveryTag])).toEqual([
        ['1', false, 1],
        ['2', false, 2],
        ['3', false, 3],
        ['2', true, 4],
        ['4', false, 5],
        ['5', false, 6],
      ]);
      consumer.ackAll();
      await consumer.close();
    });
  });

  it('reject requeue=false drops the message', async () => {
    await withConfirmChannel(broker.url, async (ch, conn) => {
      const q = await filledQueue(ch, 'reject-drop', 3);
      const getter = await conn.createChannel();
      const ms = await getN(getter, q, 3);
      getter.reject(ms[1]!, false);
      await getter.close();
      await waitForReady(ch, q, 2);
      expect(await drainMarked(ch, q)).toEqual(['1*', '3*']);
    });
  });

  it('reject requeue=true requeues it like nack', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const q = await filledQueue(ch, 'reject-requeue', 2);
      const [m1] = await getN(ch, q, 1);
      ch.reject(m1!, true);
      expect(await drainMarked(ch, q)).toEqual(['1*', '2']);
    });
  });

  it('nack multiple requeue=true requeues every outstanding tag up to the given one, in order', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const q = await filledQueue(ch, 'nack-multi', 5);
      const ms = await getN(ch, q, 4);
      ch.nack(ms[2]!, true, true); // 1..3
      expect(await drainMarked(ch, q)).toEqual(['1*', '2*', '3*', '5']);
      ch.ack(ms[3]!);
      expect((await ch.checkQueue(q)).messageCount).toBe(0);
    });
  });

  it('nack multiple requeue=false drops every outstanding tag up to the given one', async () => {
    await withConfirmChannel(broker.url, async (ch, conn) => {
      const q = await filledQueue(ch, 'nack-multi-drop', 4);
      const getter = await conn.createChannel();
      const ms = await getN(getter, q, 4);
      getter.ack(ms[0]!);
      getter.nack(ms[2]!, true, false); // 2 and 3 (1 is already acked)
      await getter.close();
      await waitForReady(ch, q, 1);
      expect(await drainMarked(ch, q)).toEqual(['4*']);
    });
  });
});

describe('delivery-tag errors', () => {
  async function expectUnknownTag(
    tag: number,
    act: (ch: Channel, ms: GetMessage[]) => void,
    opts: { noAck?: boolean } = {},
  ): Promise<void> {
    const conn = await amqp.connect(broker.url);
    conn.on('error', () => {});
    try {
      const ch = await conn.createConfirmChannel();
      ch.on('error', () => {});
      const q = await filledQueue(ch, 'ack-err', 2);
      const ms: GetMessage[] = [];
      for (let i = 0; i < 2; i++) {
        const m = await ch.get(q, { noAck: opts.noAck ?? false });
        if (m === false) throw new Error('queue unexpectedly empty');
        ms.push(m);
      }
      const closed = nextError(ch);
      act(ch, ms);
      expect(await roundTrip(ch)).toBe('closed');
      expect(await closed).toEqual({ code: 406, message: unknownTag(tag) });
      // the channel is gone
      await expect(ch.checkQueue(q)).rejects.toThrow();
    } finally {
      await conn.close().catch(() => {});
    }
  }

  it('ack of a tag never delivered -> 406 "unknown delivery tag 42"', async () => {
    await expectUnknownTag(42, (ch) => ch.ack(fakeMessage(42)));
  });

  it('nack and reject of an unknown tag -> the same 406', async () => {
    await expectUnknownTag(42, (ch) => ch.nack(fakeMessage(42), false, true));
    await expectUnknownTag(42, (ch) => ch.reject(fakeMessage(42), false));
  });

  it('ack multiple=true of a tag beyond the outstanding ones -> 406', async () => {
    await expectUnknownTag(42, (ch) => ch.ack(fakeMessage(42), true));
  });

  it('ack of delivery tag 0 without multiple -> 406 "unknown delivery tag 0"', async () => {
    await expectUnknownTag(0, (ch) => ch.ack(fakeMessage(0)));
  });

  it('double ack -> 406 "unknown delivery tag 1"', async () => {
    await expectUnknownTag(1, (ch, ms) => {
      ch.ack(ms[0]!);
      ch.ack(ms[0]!);
    });
  });

  it('ack multiple=true of a tag already acked -> 406', async () => {
    await expectUnknownTag(2, (ch, ms) => {
      ch.ack(ms[1]!);
      ch.ack(ms[1]!, true);
    });
  });

  it('ack of a delivery made with noAck -> 406', async () => {
    await expectUnknownTag(1, (ch, ms) => ch.ack(ms[0]!), { noAck: true });
  });

  it('ack of a no-ack consumer delivery -> 406', async () => {
    const conn = await amqp.connect(broker.url);
    conn.on('error', () => {});
    try {
      const ch = await conn.createConfirmChannel();
      ch.on('error', () => {});
      const q = await filledQueue(ch, 'ack-noack-consumer', 1);
      const got: ConsumeMessage[] = [];
      await ch.consume(q, (m) => m && got.push(m), { noAck: true });
      await waitFor(() => got.length === 1);
      const closed = nextError(ch);
      ch.ack(got[0]!);
      expect(await roundTrip(ch)).toBe('closed');
      expect(await closed).toEqual({ code: 406, message: unknownTag(1) });
    } finally {
      await conn.close().catch(() => {});
    }
  });

  it('delivery tags are per channel: acking on another channel -> 406', async () => {
    await withConfirmChannel(broker.url, async (ch, conn) => {
      const q = await filledQueue(ch, 'ack-other-channel', 1);
      const [m] = await getN(ch, q, 1);
      const other = await conn.createChannel();
      other.on('error', () => {});
      const closed = nextError(other);
      other.ack(m!);
      expect(await roundTrip(other)).toBe('closed');
      expect(await closed).toEqual({ code: 406, message: unknownTag(1) });
      // the message is still unacked on the original channel, which can ack it
      ch.ack(m!);
      expect((await ch.checkQueue(q)).messageCount).toBe(0);
    });
  });
});

describe('requeue on close', () => {
  it('unacked messages return in their original order, redelivered, when the channel closes', async () => {
    await withConfirmChannel(broker.url, async (ch, conn) => {
      const q = await filledQueue(ch, 'close-ch', 5);
      const getter = await conn.createChannel();
      const ms = await getN(getter, q, 3);
      getter.ack(ms[1]!);
      await getter.close();
      await waitForReady(ch, q, 4);
      expect(await drainMarked(ch, q)).toEqual(['1*', '3*', '4', '5']);
    });
  });

  it('unacked consumer deliveries return, redelivered, when the connection closes', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      // not exclusive: another connection consumes it
      const q = await filledQueue(ch, 'close-conn', 4, false);
      try {
        const conn2 = await amqp.connect(broker.url);
        const consumer = await conn2.createChannel();
        await consumer.prefetch(2);
        const got: ConsumeMessage[] = [];
        await consumer.consume(q, (m) => m && got.push(m));
        await waitFor(() => got.length === 2);
        expect(got.map((m) => m.content.toString())).toEqual(['1', '2']);
        await conn2.close();
        await waitForReady(ch, q, 4);
        expect(await drainMarked(ch, q)).toEqual(['1*', '2*', '3', '4']);
      } finally {
        await ch.deleteQueue(q);
      }
    });
  });
});
