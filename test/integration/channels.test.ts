/**
 * Channel lifecycle: open, close/close-ok from either side, reuse of channel numbers, isolation of
 * channel errors, channel.flow. Protocol details amqplib hides are driven with the raw client.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import amqp from 'amqplib';
import { expectClose, startTestBroker, uniqueName, waitFor, type TestBroker } from '../helpers/broker.js';
import { RawClient, octet, short, shortstr, table } from '../helpers/raw-client.js';

let broker: TestBroker;

beforeAll(async () => {
  broker = await startTestBroker();
});

afterAll(async () => {
  await broker?.close();
});

/** The server's reply text, as amqplib embeds it in the error message. */
function replyText(message: string): string | undefined {
  return /with message "(.*)"$/s.exec(message)?.[1];
}

/** queue.declare arguments: bits are passive=1, durable=2, exclusive=4, auto-delete=8, no-wait=16. */
function queueDeclare(queue: string, bits: number): Buffer {
  return Buffer.concat([short(0), shortstr(queue), octet(bits), table({})]);
}

function closeArgs(code: number, text: string, classId = 0, methodId = 0): Buffer {
  return Buffer.concat([short(code), shortstr(text), short(classId), short(methodId)]);
}

/** Open a raw connection, run `fn`, always destroy the socket. */
async function withRaw<T>(fn: (c: RawClient) => Promise<T>): Promise<T> {
  const c = await RawClient.open(broker.port);
  try {
    return await fn(c);
  } finally {
    c.destroy();
  }
}

/** queue.declare of a server-named exclusive queue on `channel`; resolves when declare-ok arrives. */
async function declareServerNamed(c: RawClient, channel: number): Promise<void> {
  c.sendMethod(channel, 50, 10, queueDeclare('', 4));
  const ok = await c.expectMethod(50, 11);
  expect(ok.channel).toBe(channel);
}

describe('channel errors', () => {
  it('close only the failing channel; the connection and its other channels keep working', async () => {
    const conn = await amqp.connect(broker.url);
    try {
      const ch1 = await conn.createChannel();
      const ch2 = await conn.createChannel();
      const closed: string[] = [];
      ch1.on('error', () => {});
      ch1.on('close', () => closed.push('ch1'));
      ch2.on('close', () => closed.push('ch2'));
      const missing = uniqueName('q-missing');
      const err = await expectClose(() => ch1.checkQueue(missing));
      expect({ code: err.code, text: replyText(err.message) }).toEqual({ code: 404, text: `NOT_FOUND - no queue '${missing}' in vhost '/'` });
      await waitFor(() => closed.includes('ch1'));

      const { queue } = await ch2.assertQueue('', { exclusive: true });
      ch2.sendToQueue(queue, Buffer.from('still-works'));
      const msg = await waitFor(async () => {
        const m = await ch2.get(queue, { noAck: true });
        return m === false ? undefined : m;
      });
      expect(msg.content.toString()).toBe('still-works');
      // new channels can be opened on the same connection
      const ch3 = await conn.createChannel();
      expect(await ch3.checkQueue(queue)).toEqual({ queue, messageCount: 0, consumerCount: 0 });
      expect(closed).toEqual(['ch1']);
    } finally {
      await conn.close().catch(() => {});
    }
  });

  it('frames the client sends on a channel after the server closed it are ignored until close-ok', async () => {
    await withRaw(async (c) => {
      await c.openChannel(1);
      const first = uniqueName('q-missing');
      c.sendMethod(1, 50, 10, queueDeclare(first, 1));
      // already in flight when the server closes the channel: must be discarded, not answered
      c.sendMethod(1, 50, 10, queueDeclare(uniqueName('q-missing'), 1));
      c.sendMethod(1, 50, 10, queueDeclare(`amq.${uniqueName('q')}`, 0));
      const close = await c.expectChannelClose(1);
      expect(close).toEqual({ replyCode: 404, replyText: `NOT_FOUND - no queue '${first}' in vhost '/'`, classId: 50, methodId: 10 });
      // after close-ok the number is free again, and nothing else was queued for it
      await c.openChannel(1);
      await declareServerNamed(c, 1);
      await c.close();
    });
  });
});

describe('channel.close', () => {
  it('from the client is answered by close-ok on that channel, after which the channel is closed', async () => {
    await withRaw(async (c) => {
      await c.openChannel(1);
      await c.openChannel(2);
      c.sendMethod(1, 20, 40, closeArgs(200, 'Goodbye'));
      const ok = await c.expectMethod(20, 41);
      expect({ channel: ok.channel, args: ok.args.length }).toEqual({ channel: 1, args: 0 });
      // channel 2 is unaffected
      await declareServerNamed(c, 2);
      // a method on the closed channel is a connection error
      c.sendMethod(1, 50, 10, queueDeclare('', 4));
      expect(await c.expectConnectionClose()).toEqual({
        replyCode: 504,
        replyText: "CHANNEL_ERROR - expected 'channel.open'",
        classId: 50,
        methodId: 10,
      });
    });
  });

  it('from the client with an error code is acknowledged the same way', async () => {
    await withRaw(async (c) => {
      await c.openChannel(1);
      c.sendMethod(1, 20, 40, closeArgs(406, 'client gives up', 50, 10));
      expect((await c.expectMethod(20, 41)).channel).toBe(1);
      await c.openChannel(1);
      await c.close();
    });
  });

  it('a channel number can be reused after the client closed it', async () => {
    await withRaw(async (c) => {
      for (let round = 0; round < 3; round++) {
        await c.openChannel(7);
        await declareServerNamed(c, 7);
        c.sendMethod(7, 20, 40, closeArgs(200, 'Goodbye'));
        expect((await c.expectMethod(20, 41)).channel).toBe(7);
      }
      await c.close();
    });
  });

  it('a channel number can be reused after the server closed it', async () => {
    await withRaw(async (c) => {
      await c.openChannel(1);
      const missing = uniqueName('q-missing');
      c.sendMethod(1, 50, 10, queueDeclare(missing, 1));
      expect(await c.expectChannelClose(1)).toEqual({
        replyCode: 404,
        replyText: `NOT_FOUND - no queue '${missing}' in vhost '/'`,
        classId: 50,
        methodId: 10,
      });
      await c.openChannel(1);
      await declareServerNamed(c, 1);
      await c.close();
    });
  });

  it('amqplib: closing a channel resolves and the connection stays usable', async () => {
    const conn = await amqp.connect(broker.url);
    try {
      const ch = await conn.createChannel();
      await ch.close();
      await expect(ch.checkQueue('anything')).rejects.toThrow();
      const ch2 = await conn.createChannel();
      await ch2.checkExchange('amq.direct');
    } finally {
      await conn.close();
    }
  });

  it('an unexpected channel.close-ok is a connection error (503)', async () => {
    await withRaw(async (c) => {
      await c.openChannel(1);
      c.sendMethod(1, 20, 41);
      // RabbitMQ 3.10's text for a method it does not expect in this state
      expect(await c.expectConnectionClose()).toEqual({
        replyCode: 503,
        replyText: 'COMMAND_INVALID - unimplemented method',
        classId: 20,
        methodId: 41,
      });
    });
  });
});

describe('channel.flow', () => {
  it('active=true is answered by flow-ok active=true', async () => {
    await withRaw(async (c) => {
      await c.openChannel(1);
      c.sendMethod(1, 20, 20, octet(1));
      const ok = await c.expectMethod(20, 21);
      expect({ channel: ok.channel, active: ok.args.readUInt8(0) }).toEqual({ channel: 1, active: 1 });
      await declareServerNamed(c, 1);
      await c.close();
    });
  });

  it('active=false is refused as in RabbitMQ 3.x: 540 on the connection', async () => {
    await withRaw(async (c) => {
      await c.openChannel(1);
      c.sendMethod(1, 20, 20, octet(0));
      expect(await c.expectConnectionClose()).toEqual({
        replyCode: 540,
        replyText: 'NOT_IMPLEMENTED - active=false',
        classId: 20,
        methodId: 20,
      });
    });
  });
});
