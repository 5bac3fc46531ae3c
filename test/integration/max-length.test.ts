/**
 * Queue length limits: x-max-length and x-max-length-bytes with x-overflow drop-head (the default),
 * reject-publish and reject-publish-dlx; invalid values.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { ConfirmChannel, GetMessage } from 'amqplib';
import { expectClose, startTestBroker, uniqueName, waitFor, withChannel, withConfirmChannel, type TestBroker, roundTrip, readyCount, invalidArg, drainBodies } from '../helpers/broker.js';

const broker: TestBroker = await startTestBroker();
afterAll(async () => {
  await broker.close();
});

/**
 * Publish each body to `q` through the confirm channel; resolves to 'body:ack' / 'body:nack' in
 * publish order (confirms may arrive out of order) once all are confirmed, and whether
 * waitForConfirms rejected.
 */
async function publishAll(ch: ConfirmChannel, q: string, payloads: string[]): Promise<{ outcomes: string[]; waitError: string | undefined }> {
  const confirmed = payloads.map(
    (body) =>
      new Promise<string>((resolve) => {
        ch.sendToQueue(q, Buffer.from(body), {}, (err) => resolve(`${body}:${err ? 'nack' : 'ack'}`));
      }),
  );
  // waitForConfirms rejects at the first nack, possibly before the later confirms arrive
  let waitError: string | undefined;
  try {
    await ch.waitForConfirms();
  } catch (err) {
    waitError = (err as Error).message;
  }
  return { outcomes: await Promise.all(confirmed), waitError };
}

describe('drop-head (default)', () => {
  it('x-max-length: the oldest messages are dropped', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const q = uniqueName('maxlen-drop');
      await ch.assertQueue(q, { exclusive: true, arguments: { 'x-max-length': 3 } });
      const { outcomes } = await publishAll(ch, q, ['1', '2', '3', '4', '5']);
      expect(outcomes).toEqual(['1:ack', '2:ack', '3:ack', '4:ack', '5:ack']);
      expect(await readyCount(ch, q)).toBe(3);
      expect(await drainBodies(ch, q)).toEqual(['3', '4', '5']);
    });
  });

  it("x-overflow 'drop-head' spelled out behaves the same", async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const q = uniqueName('maxlen-drop-explicit');
      await ch.assertQueue(q, { exclusive: true, arguments: { 'x-max-length': 1, 'x-overflow': 'drop-head' } });
      await publishAll(ch, q, ['1', '2']);
      expect(await drainBodies(ch, q)).toEqual(['2']);
    });
  });

  it('x-max-length-bytes counts body bytes: the oldest are dropped until the rest fit', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const q = uniqueName('maxbytes-drop');
      await ch.assertQueue(q, { exclusive: true, arguments: { 'x-max-length-bytes': 10 } });
      // headers and properties do not count toward the limit
      for (const body of ['aaaa', 'bbbb', 'cccc']) {
        ch.sendToQueue(q, Buffer.from(body), { headers: { padding: 'x'.repeat(100) }, messageId: 'a-long-message-id' });
      }
      await ch.waitForConfirms();
      expect(await drainBodies(ch, q)).toEqual(['bbbb', 'cccc']);
      // exactly at the limit is allowed
      await publishAll(ch, q, ['12345', '67890']);
      expect(await drainBodies(ch, q)).toEqual(['12345', '67890']);
    });
  });

  it('with both limits, whichever is reached first applies', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const q = uniqueName('maxlen-both');
      await ch.assertQueue(q, { exclusive: true, arguments: { 'x-max-length': 3, 'x-max-length-bytes': 6 } });
      await publishAll(ch, q, ['aa', 'bb', 'cc', 'dd']);
      expect(await drainBodies(ch, q)).toEqual(['bb', 'cc', 'dd']);
      await publishAll(ch, q, ['1', '2', '3333', '4444']);
      expect(await drainBodies(ch, q)).toEqual(['4444']);
    });
  });

  it('unacked messages do not count toward x-max-length', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const q = uniqueName('maxlen-unacked');
      await ch.assertQueue(q, { exclusive: true, arguments: { 'x-max-length': 1 } });
      await publishAll(ch, q, ['1']);
      const held = await ch.get(q);
      if (held === false) throw new Error('queue empty');
      await publishAll(ch, q, ['2']);
      expect(await readyCount(ch, q)).toBe(1);
      ch.ack(held);
      expect(await drainBodies(ch, q)).toEqual(['2']);
    });
  });

  it('x-max-length 0 drops every message that no consumer takes at once', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const q = uniqueName('maxlen-zero');
      await ch.assertQueue(q, { exclusive: true, arguments: { 'x-max-length': 0 } });
      const { outcomes } = await publishAll(ch, q, ['1', '2']);
      expect(outcomes).toEqual(['1:ack', '2:ack']);
      expect(await readyCount(ch, q)).toBe(0);
    });
  });
});

describe('reject-publish', () => {
  it('publishes beyond the limit are nacked, the others acked; the queue keeps the oldest', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const q = uniqueName('maxlen-reject');
      await ch.assertQueue(q, { exclusive: true, arguments: { 'x-max-length': 2, 'x-overflow': 'reject-publish' } });
      const { outcomes, waitError } = await publishAll(ch, q, ['1', '2', '3', '4']);
      expect(outcomes).toEqual(['1:ack', '2:ack', '3:nack', '4:nack']);
      expect(waitError).toBe('message nacked');
      expect(await readyCount(ch, q)).toBe(2);
      // once there is room again, publishes are accepted
      const first = await ch.get(q, { noAck: true });
      expect(first && first.content.toString()).toBe('1');
      const again = await publishAll(ch, q, ['5', '6']);
      expect(again.outcomes).toEqual(['5:ack', '6:nack']);
      expect(await drainBodies(ch, q)).toEqual(['2', '5']);
    });
  });

  it('x-max-length-bytes with reject-publish nacks the publish that would exceed it', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const q = uniqueName('maxbytes-reject');
      await ch.assertQueue(q, {
        exclusive: true,
        arguments: { 'x-max-length-bytes': 10, 'x-overflow': 'reject-publish' },
      });
      const { outcomes } = await publishAll(ch, q, ['aaaa', 'bbbb', 'cccc', 'dd']);
      expect(outcomes).toEqual(['aaaa:ack', 'bbbb:ack', 'cccc:nack', 'dd:ack']);
      expect(await drainBodies(ch, q)).toEqual(['aaaa', 'bbbb', 'dd']);
    });
  });

  it('routed to two queues, one full: the publish is nacked and the other queue still gets it', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const x = uniqueName('maxlen-fanout');
      const full = uniqueName('maxlen-fanout-full');
      const open = uniqueName('maxlen-fanout-open');
      await ch.assertExchange(x, 'fanout', { autoDelete: true });
      await ch.assertQueue(full, { exclusive: true, arguments: { 'x-max-length': 1, 'x-overflow': 'reject-publish' } });
      await ch.assertQueue(open, { exclusive: true });
      await ch.bindQueue(full, x, '');
      await ch.bindQueue(open, x, '');
      const outcomes = await Promise.all(
        ['1', '2'].map(
          (body) =>
            new Promise<string>((resolve) => {
              ch.publish(x, '', Buffer.from(body), {}, (err) => resolve(`${body}:${err ? 'nack' : 'ack'}`));
            }),
        ),
      );
      expect(outcomes).toEqual(['1:ack', '2:nack']);
      expect(await drainBodies(ch, full)).toEqual(['1']);
      expect(await drainBodies(ch, open)).toEqual(['1', '2']);
    });
  });

  it('a publisher without confirms: refused messages are dropped silently, the channel stays open', async () => {
    await withChannel(broker.url, async (ch) => {
      const q = uniqueName('maxlen-reject-noconfirm');
      await ch.assertQueue(q, { exclusive: true, arguments: { 'x-max-length': 2, 'x-overflow': 'reject-publish' } });
      for (const body of ['1', '2', '3', '4']) ch.sendToQueue(q, Buffer.from(body));
      expect(await roundTrip(ch)).toBe('open');
      await waitFor(async () => (await readyCount(ch, q)) === 2);
      expect(await drainBodies(ch, q)).toEqual(['1', '2']);
    });
  });

  it('refused messages are not dead-lettered', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const dlq = uniqueName('maxlen-reject-dlq');
      const q = uniqueName('maxlen-reject-nodl');
      await ch.assertQueue(dlq, { exclusive: true });
      await ch.assertQueue(q, {
        exclusive: true,
        arguments: {
          'x-max-length': 1,
          'x-overflow': 'reject-publish',
          'x-dead-letter-exchange': '',
          'x-dead-letter-routing-key': dlq,
        },
      });
      const { outcomes } = await publishAll(ch, q, ['1', '2']);
      expect(outcomes).toEqual(['1:ack', '2:nack']);
      expect(await readyCount(ch, dlq)).toBe(0);
      expect(await drainBodies(ch, q)).toEqual(['1']);
    });
  });
});

describe('reject-publish-dlx', () => {
  it("refused publishes are nacked AND dead-lettered with reason 'maxlen'", async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const dlq = uniqueName('maxlen-rpdlx-dlq');
      const q = uniqueName('maxlen-rpdlx');
      await ch.assertQueue(dlq, { exclusive: true });
      await ch.assertQueue(q, {
        exclusive: true,
        arguments: {
          'x-max-length': 1,
          'x-overflow': 'reject-publish-dlx',
          'x-dead-letter-exchange': '',
          'x-dead-letter-routing-key': dlq,
        },
      });
      const from = Math.floor(Date.now() / 1000);
      const { outcomes, waitError } = await publishAll(ch, q, ['1', '2', '3']);
      expect(outcomes).toEqual(['1:ack', '2:nack', '3:nack']);
      expect(waitError).toBe('message nacked');
      expect(await drainBodies(ch, q)).toEqual(['1']);
      await waitFor(async () => (await readyCount(ch, dlq)) === 2);
      const dead: GetMessage[] = [];
      for (let i = 0; i < 2; i++) {
        const m = await ch.get(dlq, { noAck: true });
        if (m === false) throw new Error('dlq empty');
        dead.push(m);
      }
      expect(dead.map((m) => m.content.toString())).toEqual(['2', '3']);
      const headers = dead[0]!.properties.headers ?? {};
      const deaths = headers['x-death'] as unknown as Record<string, unknown>[];
      const { time, ...entry } = deaths[0]!;
      expect(deaths).toHaveLength(1);
      expect(entry).toEqual({ count: 1, reason: 'maxlen', queue: q, exchange: '', 'routing-keys': [q] });
      expect((time as { value: number }).value).toBeGreaterThanOrEqual(from);
      expect(headers['x-first-death-reason']).toBe('maxlen');
      expect(headers['x-first-death-queue']).toBe(q);
      expect(dead[0]!.fields.routingKey).toBe(dlq);
    });
  });
});

describe('invalid values', () => {
  it.each([
    ['x-overflow', 'bogus', 'invalid_overflow'],
    // amqplib sends 42 as a signed 8-bit field ('b'), which RabbitMQ names 'byte'
    ['x-overflow', 42, '{unacceptable_type,byte}'],
    ['x-max-length', -1, '{value_negative,-1}'],
    ['x-max-length', 'abc', '"expected integer, got longstr"'],
    ['x-max-length-bytes', -1, '{value_negative,-1}'],
    ['x-max-length-bytes', 'abc', '"expected integer, got longstr"'],
  ])('%s %j is refused with 406', async (arg, value, detail) => {
    await withChannel(broker.url, async (ch) => {
      const q = uniqueName('maxlen-invalid');
      const err = await expectClose(() => ch.assertQueue(q, { exclusive: true, arguments: { [arg]: value } }));
      expect(err).toEqual(invalidArg(arg, q, detail));
    });
  });
});
