/**
 * queue.declare / bind / unbind / purge / delete, exclusive and auto-delete queues, with the reply
 * codes and texts RabbitMQ 3.10 sends.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import amqp from 'amqplib';
import type { Channel, ChannelModel, Options } from 'amqplib';
import { expectClose, startTestBroker, uniqueName, waitFor, withChannel, type TestBroker } from '../helpers/broker.js';

let broker: TestBroker;
/** a connection used only to look queues up (a 404 closes just the probe channel) */
let probe: ChannelModel;

beforeAll(async () => {
  broker = await startTestBroker();
  probe = await amqp.connect(broker.url);
  probe.on('error', () => {});
});

afterAll(async () => {
  await probe?.close().catch(() => {});
  await broker?.close();
});

/** The server's reply text, as amqplib embeds it in the error message. */
function replyText(message: string): string | undefined {
  return /with message "(.*)"$/s.exec(message)?.[1];
}

async function expectChannelError(fn: () => Promise<unknown>, code: number, text: string): Promise<void> {
  const err = await expectClose(fn);
  expect({ code: err.code, text: replyText(err.message) }).toEqual({ code, text });
}

/** Whether `queue` exists, by passive declare on a throwaway channel of the probe connection. */
async function queueExists(queue: string): Promise<boolean> {
  const ch = await probe.createChannel();
  ch.on('error', () => {});
  try {
    await ch.checkQueue(queue);
    await ch.close();
    return true;
  } catch (err) {
    const text = replyText((err as Error).message);
    if (text === `NOT_FOUND - no queue '${queue}' in vhost '/'`) return false;
    throw err;
  }
}

const lockedText = (q: string): string =>
  `RESOURCE_LOCKED - cannot obtain exclusive access to locked queue '${q}' in vhost '/'. It could be originally declared on another connection or the exclusive property value does not match that of the original declaration.`;

/** Publish `n` messages to `queue` and wait until the queue reports them ready. */
async function fill(ch: Channel, queue: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) ch.sendToQueue(queue, Buffer.from(`m${i}`));
  await waitFor(async () => (await ch.checkQueue(queue)).messageCount === n);
}

describe('queue.declare', () => {
  it('returns the name, ready message count and consumer count', async () => {
    await withChannel(broker.url, async (ch, conn) => {
      const queue = uniqueName('q-counts');
      expect(await ch.assertQueue(queue, { exclusive: true })).toEqual({ queue, messageCount: 0, consumerCount: 0 });
      await fill(ch, queue, 3);
      expect(await ch.assertQueue(queue, { exclusive: true })).toEqual({ queue, messageCount: 3, consumerCount: 0 });
      // a consumer holding one unacked message: it no longer counts as ready
      const consumerChannel = await conn.createChannel();
      await consumerChannel.prefetch(1);
      let delivered = 0;
      await consumerChannel.consume(queue, () => {
        delivered += 1;
      });
      await waitFor(() => delivered === 1);
      await waitFor(async () => (await ch.checkQueue(queue)).messageCount === 2);
      expect(await ch.checkQueue(queue)).toEqual({ queue, messageCount: 2, consumerCount: 1 });
      expect(await ch.assertQueue(queue, { exclusive: true })).toEqual({ queue, messageCount: 2, consumerCount: 1 });
    });
  });

  it("names a queue declared with an empty name 'amq.gen-...', different each time", async () => {
    await withChannel(broker.url, async (ch) => {
      const a = await ch.assertQueue('', { exclusive: true });
      const b = await ch.assertQueue('', { exclusive: true });
      expect(a.queue).toMatch(/^amq\.gen-/);
      expect(b.queue).toMatch(/^amq\.gen-/);
      expect(a.queue).not.toBe(b.queue);
      expect(a).toEqual({ queue: a.queue, messageCount: 0, consumerCount: 0 });
      expect(await ch.checkQueue(a.queue)).toEqual({ queue: a.queue, messageCount: 0, consumerCount: 0 });
    });
  });

  it('passive declare of a missing queue closes the channel with 404', async () => {
    await withChannel(broker.url, async (ch) => {
      const queue = uniqueName('q-missing');
      await expectChannelError(() => ch.checkQueue(queue), 404, `NOT_FOUND - no queue '${queue}' in vhost '/'`);
    });
  });

  it('accepts a 255-character name (the longest a shortstr can carry)', async () => {
    // Longer names cannot be put on the wire at all (shortstr), and amqplib refuses them client-side.
    await withChannel(broker.url, async (ch) => {
      const prefix = uniqueName('q-long');
      const queue = prefix + 'x'.repeat(255 - prefix.length);
      expect(queue).toHaveLength(255);
      expect(await ch.assertQueue(queue, { exclusive: true })).toEqual({ queue, messageCount: 0, consumerCount: 0 });
      ch.sendToQueue(queue, Buffer.from('long'));
      await waitFor(async () => (await ch.checkQueue(queue)).messageCount === 1);
    });
  });

  it("names starting with 'amq.' are reserved (403); passive declare of one is 404", async () => {
    await withChannel(broker.url, async (ch) => {
      const queue = `amq.${uniqueName('q')}`;
      const expected = `ACCESS_REFUSED - queue name '${queue}' contains reserved prefix 'amq.*'`;
      await expectChannelError(() => ch.assertQueue(queue), 403, expected);
    });
    await withChannel(broker.url, async (ch) => {
      // even the server-naming prefix cannot be chosen by a client
      const queue = `amq.gen-${uniqueName('q')}`;
      const expected = `ACCESS_REFUSED - queue name '${queue}' contains reserved prefix 'amq.*'`;
      await expectChannelError(() => ch.assertQueue(queue, { exclusive: true }), 403, expected);
    });
    await withChannel(broker.url, async (ch) => {
      const queue = `amq.${uniqueName('q')}`;
      await expectChannelError(() => ch.checkQueue(queue), 404, `NOT_FOUND - no queue '${queue}' in vhost '/'`);
    });
  });

  it('redeclaring with the same integer argument in another integer type is equivalent', async () => {
    await withChannel(broker.url, async (ch) => {
      const queue = uniqueName('q-inttypes');
      // amqplib sends 1000 as 's' (short); the explicit form sends it as 'l' (long)
      await ch.assertQueue(queue, { exclusive: true, messageTtl: 1000 });
      expect(await ch.assertQueue(queue, { exclusive: true, arguments: { 'x-message-ttl': { '!': 'long', value: 1000 } } })).toEqual({
        queue,
        messageCount: 0,
        consumerCount: 0,
      });
      expect(await ch.assertQueue(queue, { exclusive: true, arguments: { 'x-message-ttl': { '!': 'int', value: 1000 } } })).toEqual({
        queue,
        messageCount: 0,
        consumerCount: 0,
      });
    });
  });

  describe('redeclaring with different properties', () => {
    // [arg, first declaration, second declaration, the text after "...in vhost '/': "]
    // amqplib encodes 5 as 'b' (RabbitMQ: 'byte'), 1000 as 's' ('short'), 100000 as 'I' ('signedint').
    // When both values are integers (of any width) only the values are shown.
    const cases: Array<[arg: string, first: Options.AssertQueue, second: Options.AssertQueue, detail: string]> = [
      ['durable', { durable: true }, { durable: false }, "received 'false' but current is 'true'"],
      ['auto_delete', { durable: false }, { durable: false, autoDelete: true }, "received 'true' but current is 'false'"],
      ['x-message-ttl', { messageTtl: 1000 }, { messageTtl: 2000 }, "received '2000' but current is '1000'"],
      ['x-message-ttl', { messageTtl: 1000 }, { messageTtl: 100000 }, "received '100000' but current is '1000'"],
      ['x-message-ttl', {}, { messageTtl: 1000 }, "received the value '1000' of type 'short' but current is none"],
      ['x-message-ttl', { messageTtl: 1000 }, {}, "received none but current is the value '1000' of type 'short'"],
      ['x-max-length', { messageTtl: 1000 }, { messageTtl: 1000, maxLength: 5 }, "received the value '5' of type 'byte' but current is none"],
    ];
    it.each(cases)('%s: %j then %j is 406', async (arg, first, second, detail) => {
      const queue = uniqueName('q-redeclare');
      const text = `PRECONDITION_FAILED - inequivalent arg '${arg}' for queue '${queue}' in vhost '/': ${detail}`;
      await withChannel(broker.url, async (ch) => {
        await ch.assertQueue(queue, { durable: false, ...first });
        await expectChannelError(() => ch.assertQueue(queue, { durable: false, ...second }), 406, text);
      });
      await withChannel(broker.url, async (ch) => {
        // unchanged: the original declaration is still equivalent; passive ignores properties
        await ch.assertQueue(queue, { durable: false, ...first });
        await ch.checkQueue(queue);
        await ch.deleteQueue(queue);
      });
    });

    it('exclusive, even on the same connection, is 405', async () => {
      const queue = uniqueName('q-redeclare');
      await withChannel(broker.url, async (ch) => {
        await ch.assertQueue(queue, { durable: false });
        await expectChannelError(() => ch.assertQueue(queue, { durable: false, exclusive: true }), 405, lockedText(queue));
        await withChannel(broker.url, (ch2) => ch2.deleteQueue(queue));
      });
    });
  });
});

describe('exclusive queues', () => {
  it('refuse every access from another connection with 405', async () => {
    await withChannel(broker.url, async (owner) => {
      const queue = uniqueName('q-excl');
      await owner.assertQueue(queue, { exclusive: true });
      const attempts: Array<(ch: Channel) => Promise<unknown>> = [
        (ch) => ch.assertQueue(queue, { exclusive: true }),
        (ch) => ch.assertQueue(queue),
        (ch) => ch.checkQueue(queue),
        (ch) => ch.consume(queue, () => {}),
        (ch) => ch.purgeQueue(queue),
        (ch) => ch.deleteQueue(queue),
        (ch) => ch.bindQueue(queue, 'amq.direct', 'k'),
      ];
      for (const attempt of attempts) {
        await withChannel(broker.url, (ch) => expectChannelError(() => attempt(ch), 405, lockedText(queue)));
      }
      expect(await owner.checkQueue(queue)).toEqual({ queue, messageCount: 0, consumerCount: 0 });
    });
  });

  it('can be used from another channel of the owning connection', async () => {
    await withChannel(broker.url, async (ch, conn) => {
      const queue = uniqueName('q-excl-same');
      await ch.assertQueue(queue, { exclusive: true });
      const other = await conn.createChannel();
      expect(await other.assertQueue(queue, { exclusive: true })).toEqual({ queue, messageCount: 0, consumerCount: 0 });
      other.sendToQueue(queue, Buffer.from('x'));
      await waitFor(async () => (await other.checkQueue(queue)).messageCount === 1);
    });
  });

  it('are deleted when the owning connection closes', async () => {
    const queue = uniqueName('q-excl-gone');
    await withChannel(broker.url, async (ch) => {
      await ch.assertQueue(queue, { exclusive: true });
      expect(await ch.checkQueue(queue)).toEqual({ queue, messageCount: 0, consumerCount: 0 });
    });
    await waitFor(async () => !(await queueExists(queue)));
  });
});

describe('auto-delete queues', () => {
  it('stay until a first consumer comes, then go when the last consumer cancels', async () => {
    await withChannel(broker.url, async (ch) => {
      const queue = uniqueName('q-autodel');
      await ch.assertQueue(queue, { autoDelete: true, durable: false });
      // no consumer ever: the queue stays
      ch.sendToQueue(queue, Buffer.from('x'));
      await waitFor(async () => (await ch.checkQueue(queue)).messageCount === 1);
      const a = await ch.consume(queue, () => {}, { noAck: true });
      const b = await ch.consume(queue, () => {}, { noAck: true });
      await ch.cancel(a.consumerTag);
      // one consumer left
      expect(await ch.checkQueue(queue)).toMatchObject({ queue, consumerCount: 1 });
      await ch.cancel(b.consumerTag);
      await waitFor(async () => !(await queueExists(queue)));
    });
  });

  it('go when the channel of the last consumer closes', async () => {
    await withChannel(broker.url, async (ch, conn) => {
      const queue = uniqueName('q-autodel-ch');
      await ch.assertQueue(queue, { autoDelete: true, durable: false });
      const consumerChannel = await conn.createChannel();
      await consumerChannel.consume(queue, () => {});
      expect(await queueExists(queue)).toBe(true);
      await consumerChannel.close();
      await waitFor(async () => !(await queueExists(queue)));
    });
  });
});

describe('queue.purge', () => {
  it('removes ready messages and returns how many', async () => {
    await withChannel(broker.url, async (ch) => {
      const { queue } = await ch.assertQueue('', { exclusive: true });
      await fill(ch, queue, 3);
      expect(await ch.purgeQueue(queue)).toEqual({ messageCount: 3 });
      expect(await ch.checkQueue(queue)).toEqual({ queue, messageCount: 0, consumerCount: 0 });
      expect(await ch.purgeQueue(queue)).toEqual({ messageCount: 0 });
    });
  });

  it('does not touch unacknowledged messages', async () => {
    await withChannel(broker.url, async (ch) => {
      const { queue } = await ch.assertQueue('', { exclusive: true });
      await fill(ch, queue, 3);
      const held = await ch.get(queue, { noAck: false });
      expect(held).not.toBe(false);
      expect(await ch.purgeQueue(queue)).toEqual({ messageCount: 2 });
      if (held !== false) ch.nack(held, false, true);
      await waitFor(async () => (await ch.checkQueue(queue)).messageCount === 1);
    });
  });

  it('of a missing queue closes the channel with 404', async () => {
    await withChannel(broker.url, async (ch) => {
      const queue = uniqueName('q-missing');
      await expectChannelError(() => ch.purgeQueue(queue), 404, `NOT_FOUND - no queue '${queue}' in vhost '/'`);
    });
  });
});

describe('queue.delete', () => {
  it('returns the number of messages deleted with the queue', async () => {
    await withChannel(broker.url, async (ch) => {
      const { queue } = await ch.assertQueue('', { exclusive: true });
      await fill(ch, queue, 4);
      expect(await ch.deleteQueue(queue)).toEqual({ messageCount: 4 });
      expect(await queueExists(queue)).toBe(false);
    });
  });

  it('if-unused refuses a queue with consumers (406)', async () => {
    await withChannel(broker.url, async (ch) => {
      const { queue } = await ch.assertQueue('', { exclusive: true });
      await ch.consume(queue, () => {});
      const expected = `PRECONDITION_FAILED - queue '${queue}' in vhost '/' in use`;
      await expectChannelError(() => ch.deleteQueue(queue, { ifUnused: true }), 406, expected);
    });
  });

  it('if-empty refuses a queue with messages (406)', async () => {
    await withChannel(broker.url, async (ch) => {
      const { queue } = await ch.assertQueue('', { exclusive: true });
      await fill(ch, queue, 1);
      const expected = `PRECONDITION_FAILED - queue '${queue}' in vhost '/' not empty`;
      await expectChannelError(() => ch.deleteQueue(queue, { ifEmpty: true }), 406, expected);
    });
  });

  it('if-unused and if-empty delete a queue that is unused and empty', async () => {
    await withChannel(broker.url, async (ch) => {
      const { queue } = await ch.assertQueue('', { exclusive: true });
      expect(await ch.deleteQueue(queue, { ifUnused: true, ifEmpty: true })).toEqual({ messageCount: 0 });
      expect(await queueExists(queue)).toBe(false);
    });
  });

  it('of a missing queue succeeds with a count of 0', async () => {
    await withChannel(broker.url, async (ch) => {
      const queue = uniqueName('q-never');
      expect(await ch.deleteQueue(queue)).toEqual({ messageCount: 0 });
      expect(await ch.deleteQueue(queue, { ifEmpty: true, ifUnused: true })).toEqual({ messageCount: 0 });
    });
  });

  it('cancels its consumers (basic.cancel from the server)', async () => {
    await withChannel(broker.url, async (ch, conn) => {
      const { queue } = await ch.assertQueue('', { exclusive: true });
      const consumerChannel = await conn.createChannel();
      let cancelled = false;
      await consumerChannel.consume(queue, (msg) => {
        if (msg === null) cancelled = true;
      });
      await ch.deleteQueue(queue);
      await waitFor(() => cancelled);
    });
  });
});

describe('queue.bind and queue.unbind', () => {
  it('binding a missing queue closes the channel with 404', async () => {
    await withChannel(broker.url, async (ch) => {
      const queue = uniqueName('q-missing');
      await expectChannelError(() => ch.bindQueue(queue, 'amq.direct', 'k'), 404, `NOT_FOUND - no queue '${queue}' in vhost '/'`);
    });
  });

  it('binding to a missing exchange closes the channel with 404 (reported first when both are missing)', async () => {
    await withChannel(broker.url, async (ch) => {
      const { queue } = await ch.assertQueue('', { exclusive: true });
      const exchange = uniqueName('ex-missing');
      await expectChannelError(() => ch.bindQueue(queue, exchange, 'k'), 404, `NOT_FOUND - no exchange '${exchange}' in vhost '/'`);
    });
    await withChannel(broker.url, async (ch) => {
      const exchange = uniqueName('ex-missing');
      const expected = `NOT_FOUND - no exchange '${exchange}' in vhost '/'`;
      await expectChannelError(() => ch.bindQueue(uniqueName('q-missing'), exchange, 'k'), 404, expected);
    });
  });

  it('binding twice is idempotent, and unbind removes the binding', async () => {
    await withChannel(broker.url, async (ch) => {
      const { queue } = await ch.assertQueue('', { exclusive: true });
      expect(await ch.bindQueue(queue, 'amq.direct', queue)).toEqual({});
      expect(await ch.bindQueue(queue, 'amq.direct', queue)).toEqual({});
      ch.publish('amq.direct', queue, Buffer.from('one'));
      await waitFor(async () => (await ch.checkQueue(queue)).messageCount === 1);
      expect(await ch.unbindQueue(queue, 'amq.direct', queue)).toEqual({});
      ch.publish('amq.direct', queue, Buffer.from('unbound'));
      ch.sendToQueue(queue, Buffer.from('sentinel'));
      await waitFor(async () => (await ch.checkQueue(queue)).messageCount === 2);
      const bodies: string[] = [];
      for (let msg = await ch.get(queue, { noAck: true }); msg !== false; msg = await ch.get(queue, { noAck: true })) {
        bodies.push(msg.content.toString());
      }
      expect(bodies).toEqual(['one', 'sentinel']);
    });
  });

  it('unbinding a binding, queue or exchange that does not exist succeeds', async () => {
    await withChannel(broker.url, async (ch) => {
      const { queue } = await ch.assertQueue('', { exclusive: true });
      expect(await ch.unbindQueue(queue, 'amq.direct', uniqueName('never-bound'))).toEqual({});
      expect(await ch.unbindQueue(uniqueName('q-missing'), 'amq.direct', 'k')).toEqual({});
      expect(await ch.unbindQueue(queue, uniqueName('ex-missing'), 'k')).toEqual({});
      await ch.checkQueue(queue);
    });
  });
});
