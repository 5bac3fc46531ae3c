/**
 * Issue 13: a TTL 0 message is delivered when a consumer can take it at once, every time.
 *
 * The cause was the millisecond clock: the queue computed the message's deadline (now + 0) with one
 * clock reading and judged it in the delivery pass with another, so a tick between the two (more
 * likely on a cold path, after the broker sat idle) expired a message a consumer was waiting for.
 * The pattern below is the user's reproduction, 200 times with fresh queues, in 20 parallel lanes.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Channel, ChannelModel, Options } from 'amqplib';
import amqp from 'amqplib';
import { startTestBroker, uniqueName, waitFor, withConfirmChannel } from '../helpers/broker.js';

const broker = await startTestBroker();
afterAll(() => broker.close());

const LANES = 20;
const ROUNDS_PER_LANE = 10;
/** how long the first message sits before basic.get: the idle gap of the original report */
const IDLE_MS = 150;

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Steps 1-4 of the report on one channel; resolves to whether the step-4 message arrived. */
async function oneRound(ch: Channel, perMessage: boolean): Promise<boolean> {
  const q = uniqueName('ttl0');
  await ch.assertQueue(q, { durable: true, arguments: perMessage ? {} : { 'x-message-ttl': 0 } });
  const options: Options.Publish = perMessage ? { expiration: '0' } : {};
  ch.sendToQueue(q, Buffer.from('first'), options);
  // Part of the scenario, not a synchronisation: the broker sits idle before the get.
  await pause(IDLE_MS);
  expect(await ch.get(q, { noAck: true })).toBe(false);
  let delivered = false;
  const { consumerTag } = await ch.consume(q, () => void (delivered = true), { noAck: true });
  ch.sendToQueue(q, Buffer.from('second'), options);
  const arrived = await waitFor(() => delivered, 2000).then(
    () => true,
    () => false,
  );
  await ch.cancel(consumerTag);
  await ch.deleteQueue(q);
  return arrived;
}

async function lossesIn(perMessage: boolean): Promise<number> {
  const conn: ChannelModel = await amqp.connect(broker.url);
  try {
    const lanes = await Promise.all(
      Array.from({ length: LANES }, async () => {
        const ch = await conn.createChannel();
        let lost = 0;
        for (let i = 0; i < ROUNDS_PER_LANE; i++) if (!(await oneRound(ch, perMessage))) lost++;
        await ch.close();
        return lost;
      }),
    );
    return lanes.reduce((a, b) => a + b, 0);
  } finally {
    await conn.close();
  }
}

describe('issue 13: TTL 0 with a waiting consumer', () => {
  it('x-message-ttl 0: 200 rounds, every step-4 message delivered', async () => {
    expect(await lossesIn(false)).toBe(0);
  });

  it("expiration '0': 200 rounds, every step-4 message delivered", async () => {
    expect(await lossesIn(true)).toBe(0);
  });

  it('with no consumer able to take it, a TTL 0 message is dead-lettered at once with reason expired', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const dlq = uniqueName('ttl0-dlq');
      const q = uniqueName('ttl0-dl');
      await ch.assertQueue(dlq, { exclusive: true });
      await ch.assertQueue(q, {
        exclusive: true,
        arguments: { 'x-message-ttl': 0, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': dlq },
      });
      ch.sendToQueue(q, Buffer.from('now-or-never'));
      await ch.waitForConfirms();
      const dead = await waitFor(async () => (await ch.get(dlq, { noAck: true })) || undefined, 2000);
      expect(dead.content.toString()).toBe('now-or-never');
      const death = dead.properties.headers?.['x-death']?.[0];
      expect(death?.reason).toBe('expired');
      expect(death?.queue).toBe(q);
      expect((await ch.checkQueue(q)).messageCount).toBe(0);
    });
  });
});
