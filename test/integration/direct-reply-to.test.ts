/**
 * Direct reply-to (amq.rabbitmq.reply-to): RPC replies without a reply queue. The requester consumes
 * the pseudo-queue in no-ack mode, publishes with replyTo 'amq.rabbitmq.reply-to', the server sees a
 * per-channel name 'amq.rabbitmq.reply-to.<opaque>' and replies to it through the default exchange.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import amqp from 'amqplib';
import type { Channel, ConsumeMessage, Message } from 'amqplib';
import { startTestBroker, uniqueName, waitFor, withChannel, withConfirmChannel, type TestBroker, roundTrip } from '../helpers/broker.js';

const REPLY_TO = 'amq.rabbitmq.reply-to';

let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker();
});
afterAll(async () => {
  await broker?.close();
});

/** An RPC server on its own connection: replies "pong:<body>" with the request's correlationId. */
interface Seen {
  body: string;
  replyTo: string;
}

async function withEchoServer<T>(fn: (serverQueue: string, seen: Seen[]) => Promise<T>): Promise<T> {
  return withChannel(broker.url, async (srv) => {
    const q = uniqueName('rpc-server');
    await srv.assertQueue(q, { exclusive: true });
    const seen: Seen[] = [];
    await srv.consume(
      q,
      (m) => {
        if (!m) return;
        const replyTo = String(m.properties.replyTo);
        seen.push({ body: m.content.toString(), replyTo });
        srv.sendToQueue(replyTo, Buffer.from(`pong:${m.content.toString()}`), {
          correlationId: m.properties.correlationId,
        });
      },
      { noAck: true },
    );
    return fn(q, seen);
  });
}

async function expectChannelClosed(
  act: (ch: Channel) => Promise<unknown>,
  expected: { code: number; message: string },
): Promise<void> {
  const conn = await amqp.connect(broker.url);
  conn.on('error', () => {});
  try {
    const ch = await conn.createChannel();
    const closed = new Promise<{ code?: number; message?: string }>((resolve) => ch.once('error', resolve));
    await act(ch).catch(() => {});
    expect(await roundTrip(ch)).toBe('closed');
    const err = await closed;
    expect({ code: err.code, message: err.message }).toEqual(expected);
  } finally {
    await conn.close().catch(() => {});
  }
}

describe('direct reply-to', () => {
  it('routes a reply to the requesting channel', async () => {
    await withEchoServer(async (serverQueue, seen) => {
      await withChannel(broker.url, async (ch) => {
        const replies: ConsumeMessage[] = [];
        const { consumerTag } = await ch.consume(REPLY_TO, (m) => m && replies.push(m), { noAck: true });
        ch.sendToQueue(serverQueue, Buffer.from('ping'), { replyTo: REPLY_TO, correlationId: 'c-1' });
        await waitFor(() => replies.length === 1);

        expect(seen).toHaveLength(1);
        const replyTo = seen[0]!.replyTo;
        expect(replyTo.startsWith(`${REPLY_TO}.`)).toBe(true);
        expect(replyTo.length).toBeGreaterThan(REPLY_TO.length + 1);

        const reply = replies[0]!;
        expect(reply.content.toString()).toBe('pong:ping');
        expect(reply.properties.correlationId).toBe('c-1');
        expect(reply.fields.consumerTag).toBe(consumerTag);
        expect(reply.fields.exchange).toBe('');
        expect(reply.fields.routingKey).toBe(replyTo);
        expect(reply.fields.redelivered).toBe(false);
      });
    });
  });

  it('gives the same reply address for every request of a channel, and another one to another channel', async () => {
    await withEchoServer(async (serverQueue, seen) => {
      await withChannel(broker.url, async (a, conn) => {
        const b = await conn.createChannel();
        const gotA: string[] = [];
        const gotB: string[] = [];
        await a.consume(REPLY_TO, (m) => m && gotA.push(m.content.toString()), { noAck: true });
        await b.consume(REPLY_TO, (m) => m && gotB.push(m.content.toString()), { noAck: true });
        a.sendToQueue(serverQueue, Buffer.from('a1'), { replyTo: REPLY_TO });
        a.sendToQueue(serverQueue, Buffer.from('a2'), { replyTo: REPLY_TO });
        b.sendToQueue(serverQueue, Buffer.from('b1'), { replyTo: REPLY_TO });
        await waitFor(() => gotA.length === 2 && gotB.length === 1);
        expect(gotA).toEqual(['pong:a1', 'pong:a2']);
        expect(gotB).toEqual(['pong:b1']);
        const addressOf = (body: string) => seen.find((x) => x.body === body)?.replyTo;
        expect(addressOf('a1')).toBeDefined();
        expect(addressOf('a2')).toBe(addressOf('a1'));
        expect(addressOf('b1')).toMatch(/^amq\.rabbitmq\.reply-to\./);
        expect(addressOf('b1')).not.toBe(addressOf('a1'));
        await b.close();
      });
    });
  });

  it('answers a passive declare of amq.rabbitmq.reply-to (how Spring AMQP detects support)', async () => {
    await withChannel(broker.url, async (ch) => {
      const ok = await ch.checkQueue(REPLY_TO);
      // RabbitMQ answers a fixed consumer_count of 1, whether or not anyone consumes
      expect(ok).toEqual({ queue: REPLY_TO, messageCount: 0, consumerCount: 1 });
      // the channel is still usable afterwards
      await expect(ch.checkExchange('amq.direct')).resolves.toBeDefined();
    });
  });

  it('a reply for a requester whose channel has closed is unroutable (returned with mandatory)', async () => {
    let address = '';
    await withEchoServer(async (serverQueue, seen) => {
      await withChannel(broker.url, async (ch) => {
        const replies: string[] = [];
        await ch.consume(REPLY_TO, (m) => m && replies.push(m.content.toString()), { noAck: true });
        ch.sendToQueue(serverQueue, Buffer.from('x'), { replyTo: REPLY_TO });
        await waitFor(() => replies.length === 1);
        address = seen[0]!.replyTo;
      });
    });
    await withConfirmChannel(broker.url, async (srv) => {
      const returned: Message[] = [];
      srv.on('return', (m: Message) => returned.push(m));
      srv.sendToQueue(address, Buffer.from('too late'), { mandatory: true });
      srv.sendToQueue(`${REPLY_TO}.not-a-valid-address`, Buffer.from('bogus'), { mandatory: true });
      await srv.waitForConfirms();
      expect(returned.map((m) => m.fields)).toEqual([
        { replyCode: 312, replyText: 'NO_ROUTE', exchange: '', routingKey: address },
        { replyCode: 312, replyText: 'NO_ROUTE', exchange: '', routingKey: `${REPLY_TO}.not-a-valid-address` },
      ]);
    });
  });

  it('consuming amq.rabbitmq.reply-to without noAck -> 406', async () => {
    await expectChannelClosed((ch) => ch.consume(REPLY_TO, () => {}), {
      code: 406,
      message:
        'Channel closed by server: 406 (PRECONDITION-FAILED) with message "PRECONDITION_FAILED - reply consumer cannot acknowledge"',
    });
  });

  it('a second reply consumer on the same channel -> 406', async () => {
    await expectChannelClosed(
      async (ch) => {
        await ch.consume(REPLY_TO, () => {}, { noAck: true });
        await ch.consume(REPLY_TO, () => {}, { noAck: true });
      },
      {
        code: 406,
        message:
          'Channel closed by server: 406 (PRECONDITION-FAILED) with message "PRECONDITION_FAILED - reply consumer already set"',
      },
    );
  });

  it('publishing with replyTo amq.rabbitmq.reply-to without consuming it first -> 406', async () => {
    await expectChannelClosed(
      async (ch) => {
        ch.sendToQueue(uniqueName('anywhere'), Buffer.from('req'), { replyTo: REPLY_TO });
        await ch.checkExchange('amq.direct');
      },
      {
        code: 406,
        message:
          'Channel closed by server: 406 (PRECONDITION-FAILED) with message "PRECONDITION_FAILED - fast reply consumer does not exist"',
      },
    );
  });

  it('a reply consumer on a sibling channel of the same connection does not count -> 406', async () => {
    await withChannel(broker.url, async (consumerCh, conn) => {
      await consumerCh.consume(REPLY_TO, () => {}, { noAck: true });
      const ch = await conn.createChannel();
      const closed = new Promise<{ code?: number; message?: string }>((resolve) => ch.once('error', resolve));
      ch.sendToQueue(uniqueName('anywhere'), Buffer.from('req'), { replyTo: REPLY_TO });
      expect(await roundTrip(ch)).toBe('closed');
      const err = await closed;
      expect({ code: err.code, message: err.message }).toEqual({
        code: 406,
        message:
          'Channel closed by server: 406 (PRECONDITION-FAILED) with message "PRECONDITION_FAILED - fast reply consumer does not exist"',
      });
      // the sibling's reply consumer is unaffected
      await expect(consumerCh.checkExchange('amq.direct')).resolves.toBeDefined();
    });
  });
});
