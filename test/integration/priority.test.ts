/**
 * Priority queues (x-max-priority): delivery order by priority then FIFO, priorities above the
 * maximum, messages without priority, requeued messages, consumers; invalid x-max-priority values.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Channel, ConfirmChannel, ConsumeMessage, GetMessage } from 'amqplib';
import { expectClose, startTestBroker, uniqueName, waitFor, withChannel, withConfirmChannel, type TestBroker, invalidArg, drainMarked } from '../helpers/broker.js';

const broker: TestBroker = await startTestBroker();
afterAll(async () => {
  await broker.close();
});

async function getOne(ch: Channel, q: string): Promise<GetMessage> {
  const m = await ch.get(q);
  if (m === false) throw new Error(`queue ${q} is empty`);
  return m;
}

/** Publish [body, priority] pairs (priority undefined: no priority property) and wait for the confirms. */
async function publish(ch: ConfirmChannel, q: string, messages: [string, number | undefined][]): Promise<void> {
  for (const [body, priority] of messages) {
    ch.sendToQueue(q, Buffer.from(body), priority === undefined ? {} : { priority });
  }
  await ch.waitForConfirms();
}

async function priorityQueue(ch: Channel, prefix: string, max: number): Promise<string> {
  const q = uniqueName(prefix);
  await ch.assertQueue(q, { exclusive: true, arguments: { 'x-max-priority': max } });
  return q;
}

describe('x-max-priority ordering', () => {
  it('higher priority first, FIFO within a priority', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const q = await priorityQueue(ch, 'prio-order', 10);
      await publish(ch, q, [
        ['l1', 1],
        ['h1', 5],
        ['m1', 3],
        ['h2', 5],
        ['l2', 1],
        ['m2', 3],
        ['top', 10],
      ]);
      expect((await ch.checkQueue(q)).messageCount).toBe(7);
      expect(await drainMarked(ch, q)).toEqual(['top', 'h1', 'h2', 'm1', 'm2', 'l1', 'l2']);
    });
  });

  it('a priority above the maximum counts as the maximum (FIFO with it) and is delivered unchanged', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const q = await priorityQueue(ch, 'prio-above', 5);
      await publish(ch, q, [
        ['p4', 4],
        ['p9', 9],
        ['p5', 5],
        ['p255', 255],
      ]);
      const first = await getOne(ch, q);
      expect(first.content.toString()).toBe('p9');
      expect(first.properties.priority).toBe(9);
      ch.ack(first);
      expect(await drainMarked(ch, q)).toEqual(['p5', 'p255', 'p4']);
    });
  });

  it('a message without priority counts as priority 0', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const q = await priorityQueue(ch, 'prio-none', 5);
      await publish(ch, q, [
        ['none1', undefined],
        ['zero', 0],
        ['one', 1],
        ['none2', undefined],
      ]);
      const first = await getOne(ch, q);
      expect(first.content.toString()).toBe('one');
      ch.ack(first);
      const next = await getOne(ch, q);
      expect(next.content.toString()).toBe('none1');
      expect(next.properties.priority).toBeUndefined();
      ch.ack(next);
      expect(await drainMarked(ch, q)).toEqual(['zero', 'none2']);
    });
  });

  it('a queue without x-max-priority ignores priorities (FIFO)', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const q = uniqueName('prio-plain');
      await ch.assertQueue(q, { exclusive: true });
      await publish(ch, q, [
        ['a', 1],
        ['b', 9],
        ['c', undefined],
      ]);
      expect(await drainMarked(ch, q)).toEqual(['a', 'b', 'c']);
    });
  });
});

describe('requeue', () => {
  it('a requeued message goes back to the front of its own priority', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const q = await priorityQueue(ch, 'prio-requeue', 5);
      await publish(ch, q, [
        ['h1', 5],
        ['h2', 5],
        ['l1', 1],
        ['l2', 1],
      ]);
      const h1 = await getOne(ch, q);
      const h2 = await getOne(ch, q);
      const l1 = await getOne(ch, q);
      expect([h1, h2, l1].map((m) => m.content.toString())).toEqual(['h1', 'h2', 'l1']);
      // a newer high-priority message arrives while h1 is out
      await publish(ch, q, [['h3', 5]]);
      ch.nack(l1, false, true);
      ch.nack(h1, false, true);
      expect(await drainMarked(ch, q)).toEqual(['h1*', 'h3', 'l1*', 'l2']);
      ch.ack(h2);
      expect((await ch.checkQueue(q)).messageCount).toBe(0);
    });
  });

  it('messages requeued by a closing channel return to their priorities', async () => {
    await withConfirmChannel(broker.url, async (ch, conn) => {
      const q = await priorityQueue(ch, 'prio-close', 5);
      await publish(ch, q, [
        ['m', 3],
        ['l', 1],
        ['h', 5],
      ]);
      const getter = await conn.createChannel();
      const got = [await getOne(getter, q), await getOne(getter, q)];
      expect(got.map((m) => m.content.toString())).toEqual(['h', 'm']);
      await publish(ch, q, [['m2', 3]]);
      await getter.close();
      await waitFor(async () => (await ch.checkQueue(q)).messageCount === 4);
      expect(await drainMarked(ch, q)).toEqual(['h*', 'm*', 'm2', 'l']);
    });
  });
});

describe('consumers', () => {
  it('a consumer receives the backlog by priority, and a later high-priority message overtakes waiting ones', async () => {
    await withConfirmChannel(broker.url, async (ch, conn) => {
      const q = await priorityQueue(ch, 'prio-consume', 5);
      await publish(ch, q, [
        ['l1', 1],
        ['l2', 1],
        ['m1', 3],
      ]);
      const consumer = await conn.createChannel();
      await consumer.prefetch(1);
      const got: ConsumeMessage[] = [];
      await consumer.consume(q, (m) => m && got.push(m));
      await waitFor(() => got.length === 1);
      // 'm1' is out (prefetch 1); 'h1' overtakes 'l1' and 'l2'
      await publish(ch, q, [['h1', 5]]);
      for (let n = 1; n < 4; n++) {
        consumer.ack(got[n - 1]!);
        await waitFor(() => got.length === n + 1);
      }
      consumer.ack(got[3]!);
      expect(got.map((m) => m.content.toString())).toEqual(['m1', 'h1', 'l1', 'l2']);
      await consumer.close();
    });
  });
});

describe('invalid x-max-priority', () => {
  it.each([
    [256, '{max_value_exceeded,256}'],
    [-1, '{value_negative,-1}'],
    ['x', '"expected integer, got longstr"'],
  ])('x-max-priority %j is refused with 406', async (value, detail) => {
    await withChannel(broker.url, async (ch) => {
      const q = uniqueName('prio-invalid');
      const err = await expectClose(() => ch.assertQueue(q, { exclusive: true, arguments: { 'x-max-priority': value } }));
      expect(err).toEqual(invalidArg('x-max-priority', q, detail));
    });
  });

  it('255 and 0 are accepted', async () => {
    await withChannel(broker.url, async (ch) => {
      for (const max of [255, 0]) {
        const q = uniqueName('prio-valid');
        expect(await ch.assertQueue(q, { exclusive: true, arguments: { 'x-max-priority': max } })).toEqual({
          queue: q,
          messageCount: 0,
          consumerCount: 0,
        });
      }
    });
  });
});
