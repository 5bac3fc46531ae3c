/**
 * x-single-active-consumer: only one consumer at a time receives messages; when it cancels or its
 * channel closes, the next registered consumer takes over (and gets the requeued unacked messages).
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import { expectClose, startTestBroker, uniqueName, waitFor, withChannel, withConfirmChannel, type TestBroker, invalidArg } from '../helpers/broker.js';

const broker: TestBroker = await startTestBroker();
afterAll(async () => {
  await broker.close();
});

interface Consumer {
  ch: Channel;
  tag: string;
  got: ConsumeMessage[];
  /** bodies received, 'body*' when redelivered */
  bodies(): string[];
}

async function consumer(conn: ChannelModel, q: string, prefetch = 0): Promise<Consumer> {
  const ch = await conn.createChannel();
  if (prefetch) await ch.prefetch(prefetch);
  const got: ConsumeMessage[] = [];
  const { consumerTag } = await ch.consume(q, (m) => m && got.push(m));
  return {
    ch,
    tag: consumerTag,
    got,
    bodies: () => got.map((m) => m.content.toString() + (m.fields.redelivered ? '*' : '')),
  };
}

const sacQueue = async (ch: Channel, prefix: string): Promise<string> => {
  const q = uniqueName(prefix);
  await ch.assertQueue(q, { exclusive: true, arguments: { 'x-single-active-consumer': true } });
  return q;
};

describe('x-single-active-consumer', () => {
  it('only the first consumer receives messages; the others wait even when it is at its prefetch limit', async () => {
    await withConfirmChannel(broker.url, async (ch, conn) => {
      const q = await sacQueue(ch, 'sac-first');
      const first = await consumer(conn, q, 1);
      const second = await consumer(conn, q, 10);
      for (const body of ['1', '2', '3']) ch.sendToQueue(q, Buffer.from(body));
      await ch.waitForConfirms();
      await waitFor(() => first.got.length === 1);
      // '2' and '3' stay ready for the active consumer rather than going to the idle second one
      expect(await ch.checkQueue(q)).toEqual({ queue: q, messageCount: 2, consumerCount: 2 });
      for (let n = 1; n <= 3; n++) {
        await waitFor(() => first.got.length === n);
        first.ch.ack(first.got[n - 1]!);
      }
      expect(first.bodies()).toEqual(['1', '2', '3']);
      expect(await ch.checkQueue(q)).toEqual({ queue: q, messageCount: 0, consumerCount: 2 });
      expect(second.got).toEqual([]);
    });
  });

  it('when the active consumer cancels, the next one takes over; its unacked messages stay with its channel until requeued', async () => {
    await withConfirmChannel(broker.url, async (ch, conn) => {
      const q = await sacQueue(ch, 'sac-cancel');
      const first = await consumer(conn, q);
      const second = await consumer(conn, q);
      for (const body of ['1', '2', '3']) ch.sendToQueue(q, Buffer.from(body));
      await ch.waitForConfirms();
      await waitFor(() => first.got.length === 3);
      first.ch.ack(first.got[0]!);
      await first.ch.cancel(first.tag);

      ch.sendToQueue(q, Buffer.from('4'));
      await ch.waitForConfirms();
      await waitFor(() => second.got.length === 1);
      expect(second.bodies()).toEqual(['4']);
      // basic.cancel does not requeue: '2' and '3' are still unacked on the first channel
      expect((await ch.checkQueue(q)).messageCount).toBe(0);
      first.ch.nack(first.got[2]!, true, true);
      await waitFor(() => second.got.length === 3);
      expect(second.bodies()).toEqual(['4', '2*', '3*']);
      expect(first.got).toHaveLength(3);
      expect(await ch.checkQueue(q)).toEqual({ queue: q, messageCount: 0, consumerCount: 1 });
    });
  });

  it("when the active consumer's channel closes, the next one takes over with the unacked messages requeued", async () => {
    await withConfirmChannel(broker.url, async (ch, conn) => {
      const q = await sacQueue(ch, 'sac-close');
      const first = await consumer(conn, q, 2);
      const second = await consumer(conn, q);
      for (const body of ['1', '2', '3', '4']) ch.sendToQueue(q, Buffer.from(body));
      await ch.waitForConfirms();
      await waitFor(() => first.got.length === 2);
      first.ch.ack(first.got[0]!);
      await waitFor(() => first.got.length === 3);
      expect(first.bodies()).toEqual(['1', '2', '3']);
      await first.ch.close();
      await waitFor(() => second.got.length === 3);
      expect(second.bodies()).toEqual(['2*', '3*', '4']);
      expect(await ch.checkQueue(q)).toEqual({ queue: q, messageCount: 0, consumerCount: 1 });
    });
  });

  it('consumers take over in the order they registered', async () => {
    await withConfirmChannel(broker.url, async (ch, conn) => {
      const q = await sacQueue(ch, 'sac-order');
      const a = await consumer(conn, q);
      const b = await consumer(conn, q);
      const c = await consumer(conn, q);
      const send = async (body: string) => {
        ch.sendToQueue(q, Buffer.from(body));
        await ch.waitForConfirms();
      };
      await send('to-a');
      await waitFor(() => a.got.length === 1);
      await a.ch.close();
      await send('to-b');
      await waitFor(() => b.got.length === 2);
      b.ch.ack(b.got[1]!, true);
      await b.ch.cancel(b.tag);
      await send('to-c');
      await waitFor(() => c.got.length === 1);
      // a's unacked message went to b, the then active consumer, before 'to-b'
      expect([a.bodies(), b.bodies(), c.bodies()]).toEqual([['to-a'], ['to-a*', 'to-b'], ['to-c']]);
    });
  });

  it('x-single-active-consumer false: messages are spread over the consumers', async () => {
    await withConfirmChannel(broker.url, async (ch, conn) => {
      const q = uniqueName('sac-off');
      await ch.assertQueue(q, { exclusive: true, arguments: { 'x-single-active-consumer': false } });
      const a = await consumer(conn, q, 1);
      const b = await consumer(conn, q, 1);
      for (const body of ['1', '2']) ch.sendToQueue(q, Buffer.from(body));
      await ch.waitForConfirms();
      await waitFor(() => a.got.length === 1 && b.got.length === 1);
      expect([...a.bodies(), ...b.bodies()].sort()).toEqual(['1', '2']);
    });
  });

  it.each([
    ['yes', '{unacceptable_type,longstr}'],
    // amqplib sends 1 as a signed 8-bit field ('b'), which RabbitMQ names 'byte'
    [1, '{unacceptable_type,byte}'],
  ])('x-single-active-consumer %j (not a boolean) is refused with 406', async (value, detail) => {
    await withChannel(broker.url, async (ch) => {
      const q = uniqueName('sac-invalid');
      const err = await expectClose(() =>
        ch.assertQueue(q, { exclusive: true, arguments: { 'x-single-active-consumer': value } }),
      );
      expect(err).toEqual(invalidArg('x-single-active-consumer', q, detail));
    });
  });
});
