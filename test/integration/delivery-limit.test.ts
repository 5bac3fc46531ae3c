/**
 * x-delivery-limit: a message returned to the queue more often than the limit is dead-lettered
 * with reason 'delivery_limit' (or dropped without a DLX); redeliveries carry x-delivery-count.
 *
 * RabbitMQ 3.10 supports x-delivery-limit on quorum queues only (a classic queue refuses the
 * argument); Warren supports it on classic queues too, so that variant is Warren-only.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Channel, ConsumeMessage, GetMessage, MessageProperties } from 'amqplib';
import { startTestBroker, uniqueName, waitFor, withConfirmChannel, type TestBroker } from '../helpers/broker.js';

const broker: TestBroker = await startTestBroker();
afterAll(async () => {
  await broker.close();
});

type Kind = 'quorum' | 'classic';

/**
 * Declare the limited queue: a quorum queue must be durable and not exclusive (deleted by the
 * test), a classic one is exclusive.
 */
async function limitedQueue(ch: Channel, kind: Kind, prefix: string, extra: Record<string, unknown> = {}): Promise<string> {
  const q = uniqueName(`${prefix}-${kind}`);
  if (kind === 'quorum') {
    await ch.assertQueue(q, { durable: true, arguments: { 'x-queue-type': 'quorum', 'x-delivery-limit': 2, ...extra } });
  } else {
    await ch.assertQueue(q, { exclusive: true, arguments: { 'x-delivery-limit': 2, ...extra } });
  }
  return q;
}

async function cleanup(ch: Channel, kind: Kind, q: string): Promise<void> {
  if (kind === 'quorum') await ch.deleteQueue(q).catch(() => {});
}

/** basic.get until a message comes (a quorum queue returns a nacked message asynchronously). */
async function nextGet(ch: Channel, q: string, noAck = false): Promise<GetMessage> {
  return waitFor(async () => {
    const m = await ch.get(q, { noAck });
    return m === false ? undefined : m;
  });
}

/** Headers with the x-death `time` values checked (AMQP timestamps, in seconds, not before fromMs) and removed. */
function withoutDeathTimes(properties: MessageProperties, fromMs: number): Record<string, unknown> {
  const headers = { ...(properties.headers ?? {}) } as Record<string, unknown>;
  const deaths = headers['x-death'];
  if (!Array.isArray(deaths)) return headers;
  headers['x-death'] = deaths.map((entry: Record<string, unknown>) => {
    const { time, ...rest } = entry;
    expect(time).toEqual({ '!': 'timestamp', value: expect.any(Number) });
    expect((time as { value: number }).value).toBeGreaterThanOrEqual(Math.floor(fromMs / 1000));
    expect((time as { value: number }).value).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
    return rest;
  });
  return headers;
}

/** x-last-death-* are RabbitMQ 3.13 headers: expected from Warren, absent on RabbitMQ 3.10. */
const lastDeath = (queue: string, reason: string, exchange: string) =>
  broker.external
    ? {}
    : { 'x-last-death-queue': queue, 'x-last-death-reason': reason, 'x-last-death-exchange': exchange };

const kinds: { kind: Kind; warrenOnly: boolean }[] = [
  { kind: 'quorum', warrenOnly: false },
  // RabbitMQ 3.10 refuses x-delivery-limit on classic queues; the issue requires Warren to support it
  { kind: 'classic', warrenOnly: true },
];

for (const { kind, warrenOnly } of kinds) {
  describe(`x-delivery-limit on a ${kind} queue`, () => {
    it.skipIf(warrenOnly && broker.external)(
      "after the limit, a nacked (requeue=true) message is dead-lettered with reason 'delivery_limit'",
      async () => {
        await withConfirmChannel(broker.url, async (ch, conn) => {
          const dlq = uniqueName('dlimit-dlq');
          await ch.assertQueue(dlq, { exclusive: true });
          const q = await limitedQueue(ch, kind, 'dlimit', {
            'x-dead-letter-exchange': '',
            'x-dead-letter-routing-key': dlq,
          });
          try {
            const from = Date.now();
            ch.sendToQueue(q, Buffer.from('poison'), { headers: { app: 'warren' }, messageId: 'p-1' });
            await ch.waitForConfirms();
            const consumer = await conn.createChannel();
            const got: ConsumeMessage[] = [];
            await consumer.consume(q, (m) => {
              if (!m) return;
              got.push(m);
              consumer.nack(m, false, true);
            });
            await waitFor(async () => (await ch.checkQueue(dlq)).messageCount === 1);
            // delivered three times: once, then two redeliveries; the third return exceeds the limit
            expect(
              got.map((m) => [m.content.toString(), m.fields.redelivered, m.properties.headers?.['x-delivery-count']]),
            ).toEqual([
              ['poison', false, undefined],
              ['poison', true, 1],
              ['poison', true, 2],
            ]);
            expect(got[1]!.properties.headers).toEqual({ app: 'warren', 'x-delivery-count': 1 });

            const d = await ch.get(dlq, { noAck: true });
            if (d === false) throw new Error('dlq empty');
            expect(d.content.toString()).toBe('poison');
            expect(d.properties.messageId).toBe('p-1');
            expect(d.fields.exchange).toBe('');
            expect(d.fields.routingKey).toBe(dlq);
            expect(withoutDeathTimes(d.properties, from)).toEqual({
              app: 'warren',
              'x-death': [{ count: 1, reason: 'delivery_limit', queue: q, exchange: '', 'routing-keys': [q] }],
              'x-first-death-queue': q,
              'x-first-death-reason': 'delivery_limit',
              'x-first-death-exchange': '',
              ...lastDeath(q, 'delivery_limit', ''),
            });
            expect(await ch.checkQueue(q)).toMatchObject({ messageCount: 0 });
            expect(got).toHaveLength(3);
            await consumer.close();
          } finally {
            await cleanup(ch, kind, q);
          }
        });
      },
    );

    it.skipIf(warrenOnly && broker.external)(
      'without a DLX the message is dropped; basic.get and reject count as deliveries too',
      async () => {
        await withConfirmChannel(broker.url, async (ch) => {
          const q = await limitedQueue(ch, kind, 'dlimit-drop');
          try {
            ch.sendToQueue(q, Buffer.from('poison'));
            await ch.waitForConfirms();
            const counts: unknown[] = [];
            for (let i = 0; i < 3; i++) {
              const m = await nextGet(ch, q);
              counts.push(m.properties.headers?.['x-delivery-count']);
              if (i === 1) ch.reject(m, true);
              else ch.nack(m, false, true);
            }
            // RabbitMQ 3.10 quorum queues put x-delivery-count 0 on a first basic.get (though not on a
            // first consumer delivery); the classic variant is expected to behave the same
            expect(counts).toEqual([0, 1, 2]);
            // a marker published after the last nack: were 'poison' requeued, it would come first
            ch.sendToQueue(q, Buffer.from('marker'));
            await ch.waitForConfirms();
            const next = await nextGet(ch, q, true);
            expect(next.content.toString()).toBe('marker');
            expect(await ch.get(q)).toBe(false);
          } finally {
            await cleanup(ch, kind, q);
          }
        });
      },
    );

    it.skipIf(warrenOnly && broker.external)('returns by a closing channel count toward the limit', async () => {
      await withConfirmChannel(broker.url, async (ch, conn) => {
        const q = await limitedQueue(ch, kind, 'dlimit-close');
        try {
          ch.sendToQueue(q, Buffer.from('poison'));
          await ch.waitForConfirms();
          for (let i = 0; i < 2; i++) {
            const getter = await conn.createChannel();
            await nextGet(getter, q);
            await getter.close();
          }
          const third = await nextGet(ch, q);
          expect(third.fields.redelivered).toBe(true);
          expect(third.properties.headers?.['x-delivery-count']).toBe(2);
          ch.ack(third);
          expect(await ch.checkQueue(q)).toMatchObject({ messageCount: 0 });
        } finally {
          await cleanup(ch, kind, q);
        }
      });
    });
  });
}
