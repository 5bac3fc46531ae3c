/**
 * The x-delayed-message exchange type (as RabbitMQ's rabbitmq-delayed-message-exchange plugin):
 * a message with an x-delay header is routed, by the exchange's x-delayed-type, only once the
 * delay has passed.
 *
 * Warren-only: the plugin is not installed in the RabbitMQ used to check these tests (declaring
 * the exchange type there closes the connection with 503 "unknown exchange type").
 */
import { afterAll, describe, expect, it } from 'vitest';
import amqp from 'amqplib';
import type { Channel, ConsumeMessage } from 'amqplib';
import { expectClose, startTestBroker, uniqueName, waitFor, withChannel, withConfirmChannel, type TestBroker, readyCount } from '../helpers/broker.js';

const broker: TestBroker = await startTestBroker();
afterAll(async () => {
  await broker.close();
});

/** A delayed exchange of the given underlying type, and an exclusive queue bound to it with `key`. */
async function delayedSetup(ch: Channel, type: string, key: string): Promise<{ x: string; q: string }> {
  const x = uniqueName('delayed-x');
  const q = uniqueName('delayed-q');
  await ch.assertExchange(x, 'x-delayed-message', { autoDelete: true, arguments: { 'x-delayed-type': type } });
  await ch.assertQueue(q, { exclusive: true });
  await ch.bindQueue(q, x, key);
  return { x, q };
}

interface Received {
  got: ConsumeMessage[];
  at: number[];
}

async function collect(ch: Channel, q: string): Promise<Received> {
  const r: Received = { got: [], at: [] };
  await ch.consume(
    q,
    (m) => {
      if (!m) return;
      r.got.push(m);
      r.at.push(Date.now());
    },
    { noAck: true },
  );
  return r;
}

const exchangeFailed = (text: string) => ({
  code: 406,
  message: `Operation failed: ExchangeDeclare; 406 (PRECONDITION-FAILED) with message "PRECONDITION_FAILED - ${text}"`,
});

describe.skipIf(broker.external)('x-delayed-message exchange (Warren only)', () => {
  it('a message with x-delay 200 is routed only after ~200 ms, with its headers and properties', async () => {
    await withConfirmChannel(broker.url, async (ch, conn) => {
      const { x, q } = await delayedSetup(ch, 'direct', 'rk');
      const consumerCh = await conn.createChannel();
      const r = await collect(consumerCh, q);
      const publishedAt = Date.now();
      ch.publish(x, 'rk', Buffer.from('later'), {
        headers: { 'x-delay': 200, app: 'warren' },
        messageId: 'd-1',
        contentType: 'text/plain',
      });
      await ch.waitForConfirms();
      // the publish is confirmed at once, but nothing is routed yet
      expect(Date.now() - publishedAt).toBeLessThan(190);
      expect(await readyCount(ch, q)).toBe(0);
      expect(r.got).toHaveLength(0);

      await waitFor(() => r.got.length === 1, 2000);
      const elapsed = r.at[0]! - publishedAt;
      expect(elapsed).toBeGreaterThanOrEqual(190);
      expect(elapsed).toBeLessThan(400);
      const m = r.got[0]!;
      expect(m.content.toString()).toBe('later');
      expect(m.fields.exchange).toBe(x);
      expect(m.fields.routingKey).toBe('rk');
      expect(m.properties.messageId).toBe('d-1');
      expect(m.properties.contentType).toBe('text/plain');
      const headers = m.properties.headers ?? {};
      expect(headers['app']).toBe('warren');
      // the plugin keeps x-delay (some versions negate it)
      expect(Math.abs(Number(headers['x-delay']))).toBe(200);
    });
  });

  it('without x-delay, or with x-delay 0 or negative, the message is routed at once', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const { x, q } = await delayedSetup(ch, 'direct', 'rk');
      ch.publish(x, 'rk', Buffer.from('no-header'), { headers: { app: 'warren' } });
      ch.publish(x, 'rk', Buffer.from('no-headers-at-all'));
      ch.publish(x, 'rk', Buffer.from('zero'), { headers: { 'x-delay': 0 } });
      ch.publish(x, 'rk', Buffer.from('negative'), { headers: { 'x-delay': -100 } });
      await ch.waitForConfirms();
      expect(await readyCount(ch, q)).toBe(4);
      const bodies: string[] = [];
      for (let i = 0; i < 4; i++) {
        const m = await ch.get(q, { noAck: true });
        if (m === false) throw new Error('queue empty');
        bodies.push(m.content.toString());
        if (i === 0) expect(m.properties.headers).toEqual({ app: 'warren' });
      }
      expect(bodies).toEqual(['no-header', 'no-headers-at-all', 'zero', 'negative']);
    });
  });

  it('messages come out in order of their due time, not of publishing', async () => {
    await withConfirmChannel(broker.url, async (ch, conn) => {
      const { x, q } = await delayedSetup(ch, 'direct', 'rk');
      const r = await collect(await conn.createChannel(), q);
      ch.publish(x, 'rk', Buffer.from('300'), { headers: { 'x-delay': 300 } });
      ch.publish(x, 'rk', Buffer.from('100'), { headers: { 'x-delay': 100 } });
      ch.publish(x, 'rk', Buffer.from('200'), { headers: { 'x-delay': 200 } });
      ch.publish(x, 'rk', Buffer.from('now'));
      await ch.waitForConfirms();
      await waitFor(() => r.got.length === 4, 2000);
      expect(r.got.map((m) => m.content.toString())).toEqual(['now', '100', '200', '300']);
    });
  });

  it('routing after the delay follows x-delayed-type (topic): only matching bindings get it', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const { x, q } = await delayedSetup(ch, 'topic', 'orders.*');
      const other = uniqueName('delayed-other');
      await ch.assertQueue(other, { exclusive: true });
      await ch.bindQueue(other, x, 'invoices.#');
      ch.publish(x, 'orders.created', Buffer.from('o'), { headers: { 'x-delay': 50 } });
      ch.publish(x, 'invoices.paid.late', Buffer.from('i'), { headers: { 'x-delay': 50 } });
      ch.publish(x, 'nobody.listens', Buffer.from('n'), { headers: { 'x-delay': 50 } });
      await ch.waitForConfirms();
      await waitFor(async () => (await readyCount(ch, q)) === 1 && (await readyCount(ch, other)) === 1, 2000);
      const a = await ch.get(q, { noAck: true });
      const b = await ch.get(other, { noAck: true });
      expect([a && a.content.toString(), b && b.content.toString()]).toEqual(['o', 'i']);
    });
  });

  it('fanout as x-delayed-type delivers to every bound queue after the delay', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const { x, q } = await delayedSetup(ch, 'fanout', '');
      const q2 = uniqueName('delayed-fanout-2');
      await ch.assertQueue(q2, { exclusive: true });
      await ch.bindQueue(q2, x, 'ignored');
      ch.publish(x, 'any', Buffer.from('f'), { headers: { 'x-delay': 50 } });
      await ch.waitForConfirms();
      expect(await readyCount(ch, q)).toBe(0);
      await waitFor(async () => (await readyCount(ch, q)) === 1 && (await readyCount(ch, q2)) === 1, 2000);
    });
  });

  it('declaring without x-delayed-type is refused with the plugin\'s 406', async () => {
    await withChannel(broker.url, async (ch) => {
      const err = await expectClose(() => ch.assertExchange(uniqueName('delayed-bad'), 'x-delayed-message', { autoDelete: true }));
      expect(err).toEqual(exchangeFailed("Invalid argument, 'x-delayed-type' must be an existing exchange type"));
    });
  });

  it("x-delayed-type 'x-delayed-message' is refused with the plugin's 406", async () => {
    await withChannel(broker.url, async (ch) => {
      const err = await expectClose(() =>
        ch.assertExchange(uniqueName('delayed-self'), 'x-delayed-message', {
          autoDelete: true,
          arguments: { 'x-delayed-type': 'x-delayed-message' },
        }),
      );
      expect(err).toEqual(exchangeFailed("Invalid argument, 'x-delayed-message' can't be used for 'x-delayed-type'"));
    });
  });

  it('an x-delayed-type that is not an exchange type closes the connection with 503, as an unknown type does', async () => {
    // the plugin checks the type with RabbitMQ's own exchange-type lookup, whose error is a
    // connection-level 503 COMMAND_INVALID (the same text RabbitMQ sends for exchange.declare
    // with an unknown type)
    const conn = await amqp.connect(broker.url);
    let connError: { code: number; message: string } | undefined;
    conn.on('error', (err: { code?: number; message?: string }) => {
      connError ??= { code: err.code ?? -1, message: err.message ?? '' };
    });
    try {
      const ch = await conn.createChannel();
      ch.on('error', () => {});
      await expectClose(() =>
        ch.assertExchange(uniqueName('delayed-bad-type'), 'x-delayed-message', {
          autoDelete: true,
          arguments: { 'x-delayed-type': 'no-such-type' },
        }),
      );
      expect(await waitFor(() => connError, 3000)).toEqual({
        code: 503,
        message: `Connection closed: 503 (COMMAND-INVALID) with message "COMMAND_INVALID - unknown exchange type 'no-such-type'"`,
      });
    } finally {
      await conn.close().catch(() => {});
    }
  });
});
