/**
 * Dead-lettering, continued: on max-length, the x-death table and the x-first-death-* /
 * x-last-death-* headers over several deaths, cycle detection, and a missing DLX.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { ConfirmChannel, ConsumeMessage } from 'amqplib';
import { startTestBroker, uniqueName, waitFor, withConfirmChannel, type TestBroker, roundTrip, readyCount } from '../helpers/broker.js';
import { bodies, deathSummary as summary, fanoutDlx, getOne, takeN, withoutDeathTimes, type Death } from '../helpers/dead-letter.js';

// started at load time so that `it.skipIf(broker.external)` can see it
const broker: TestBroker = await startTestBroker();
afterAll(async () => {
  await broker.close();
});

const deathSummary = (first: Omit<Death, 'count' | 'routing-keys'>, last = first): Record<string, string> =>
  summary(broker.external, first, last);

describe('dead-lettering on max-length', () => {
  it("drop-head dead-letters the oldest messages with reason 'maxlen'", async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const { dlx, dlq } = await fanoutDlx(ch, 'dl-maxlen');
      const q = uniqueName('dl-maxlen-q');
      await ch.assertQueue(q, { exclusive: true, arguments: { 'x-dead-letter-exchange': dlx, 'x-max-length': 2 } });
      const from = Date.now();
      for (const body of ['1', '2', '3', '4']) ch.sendToQueue(q, Buffer.from(body));
      await ch.waitForConfirms();
      const dead = await takeN(ch, dlq, 2);
      expect(bodies(dead)).toEqual(['1', '2']);
      expect(withoutDeathTimes(dead[0]!.properties, from)).toEqual({
        'x-death': [{ count: 1, reason: 'maxlen', queue: q, exchange: '', 'routing-keys': [q] }],
        ...deathSummary({ queue: q, reason: 'maxlen', exchange: '' }),
      });
      expect(bodies(await takeN(ch, q, 2))).toEqual(['3', '4']);
    });
  });

  it('under publisher confirms every publish is acked and the dropped ones are in the DLQ', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const { dlx, dlq } = await fanoutDlx(ch, 'dl-confirm');
      const q = uniqueName('dl-confirm-q');
      await ch.assertQueue(q, {
        exclusive: true,
        arguments: { 'x-dead-letter-exchange': dlx, 'x-max-length': 1, 'x-overflow': 'drop-head' },
      });
      const outcomes: string[] = [];
      for (const body of ['1', '2', '3', '4', '5']) {
        ch.sendToQueue(q, Buffer.from(body), {}, (err) => outcomes.push(`${body}:${err ? 'nack' : 'ack'}`));
      }
      await ch.waitForConfirms();
      expect(outcomes).toEqual(['1:ack', '2:ack', '3:ack', '4:ack', '5:ack']);
      expect(bodies(await takeN(ch, dlq, 4))).toEqual(['1', '2', '3', '4']);
      expect(bodies(await takeN(ch, q, 1))).toEqual(['5']);
    });
  });
});

describe('the x-death table over several deaths', () => {
  it('a reject/retry cycle keeps cycling: counts grow and the latest entry moves first', async () => {
    await withConfirmChannel(broker.url, async (ch, conn) => {
      const work = uniqueName('dl-cycle-work');
      const retry = uniqueName('dl-cycle-retry');
      await ch.assertQueue(work, {
        exclusive: true,
        arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': retry },
      });
      await ch.assertQueue(retry, {
        exclusive: true,
        arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': work, 'x-message-ttl': 20 },
      });
      const consumer = await conn.createChannel();
      const got: ConsumeMessage[] = [];
      await consumer.consume(work, (m) => {
        if (!m) return;
        got.push(m);
        if (got.length < 4) consumer.reject(m, false);
        else consumer.ack(m);
      });
      const from = Date.now();
      ch.sendToQueue(work, Buffer.from('job'));
      await ch.waitForConfirms();
      await waitFor(() => got.length === 4);

      expect(got[0]!.properties.headers?.['x-death']).toBeUndefined();
      for (let k = 1; k <= 3; k++) {
        const m = got[k]!;
        expect(m.content.toString()).toBe('job');
        expect(m.fields.routingKey).toBe(work);
        // the message arrives from `retry` after expiring there: that entry was just updated, so it is first
        expect(withoutDeathTimes(m.properties, from)).toEqual({
          'x-death': [
            { count: k, reason: 'expired', queue: retry, exchange: '', 'routing-keys': [retry] },
            { count: k, reason: 'rejected', queue: work, exchange: '', 'routing-keys': [work] },
          ],
          ...deathSummary({ queue: work, reason: 'rejected', exchange: '' }, { queue: retry, reason: 'expired', exchange: '' }),
        });
      }
      await consumer.close();
      expect(await readyCount(ch, work)).toBe(0);
      expect(await readyCount(ch, retry)).toBe(0);
    });
  });

  it('an expiry-only cycle is broken: the dead-lettered copy is not routed back to the queue it expired from', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      // q expires into a fanout that routes back to q itself and to an observer queue
      const dlx = uniqueName('dl-loop-dlx');
      const q = uniqueName('dl-loop-q');
      const observer = uniqueName('dl-loop-observer');
      await ch.assertExchange(dlx, 'fanout', { autoDelete: true });
      await ch.assertQueue(q, { exclusive: true, arguments: { 'x-dead-letter-exchange': dlx, 'x-message-ttl': 20 } });
      await ch.assertQueue(observer, { exclusive: true });
      await ch.bindQueue(q, dlx, '');
      await ch.bindQueue(observer, dlx, '');
      // a clock: a message with TTL 150 dead-lettered into `ticks` when it expires
      const clock = uniqueName('dl-loop-clock');
      const ticks = uniqueName('dl-loop-ticks');
      await ch.assertQueue(ticks, { exclusive: true });
      await ch.assertQueue(clock, {
        exclusive: true,
        arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': ticks, 'x-message-ttl': 150 },
      });
      const from = Date.now();
      ch.sendToQueue(q, Buffer.from('loop'));
      ch.sendToQueue(clock, Buffer.from('tick'));
      await ch.waitForConfirms();
      // the copy being dead-lettered already carries {q, expired} in x-death: q is a cycle and skipped
      await waitFor(async () => (await readyCount(ch, observer)) >= 1);
      await waitFor(async () => (await readyCount(ch, ticks)) === 1);
      // 150 ms later the observer still has that one copy: the message never went back to q
      expect(await readyCount(ch, q)).toBe(0);
      const [only] = await takeN(ch, observer, 1);
      expect(only!.content.toString()).toBe('loop');
      expect(withoutDeathTimes(only!.properties, from)).toEqual({
        'x-death': [{ count: 1, reason: 'expired', queue: q, exchange: '', 'routing-keys': [q] }],
        ...deathSummary({ queue: q, reason: 'expired', exchange: '' }),
      });
    });
  });

  it('a queue dead-lettering to itself on expiry through the default exchange loses the message', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const q = uniqueName('dl-self');
      await ch.assertQueue(q, { exclusive: true, arguments: { 'x-dead-letter-exchange': '', 'x-message-ttl': 20 } });
      // a clock: a message with TTL 150 in another queue, dead-lettered into `witness` when it expires
      const clock = uniqueName('dl-self-clock');
      const witness = uniqueName('dl-self-witness');
      await ch.assertQueue(witness, { exclusive: true });
      await ch.assertQueue(clock, {
        exclusive: true,
        arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': witness, 'x-message-ttl': 150 },
      });
      ch.sendToQueue(q, Buffer.from('self'));
      ch.sendToQueue(clock, Buffer.from('tick'));
      await ch.waitForConfirms();
      // meanwhile the message expired from q (20 ms); routing it back to q would be a cycle
      // without rejection, so it was dropped
      await waitFor(async () => (await readyCount(ch, witness)) === 1);
      expect(await readyCount(ch, q)).toBe(0);
      expect(await ch.get(q)).toBe(false);
      // and it stays gone for another tick
      ch.sendToQueue(clock, Buffer.from('tock'));
      await ch.waitForConfirms();
      await waitFor(async () => (await readyCount(ch, witness)) === 2);
      expect(await readyCount(ch, q)).toBe(0);
      expect(await ch.get(q)).toBe(false);
    });
  });
});

describe('missing dead-letter exchange', () => {
  it('a DLX that does not exist: the message is dropped silently and the channel stays open', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const q = uniqueName('dl-missing-q');
      await ch.assertQueue(q, {
        exclusive: true,
        arguments: { 'x-dead-letter-exchange': uniqueName('dl-no-such-exchange') },
      });
      ch.sendToQueue(q, Buffer.from('1'));
      ch.sendToQueue(q, Buffer.from('2'));
      await ch.waitForConfirms();
      const m = await ch.get(q);
      if (m === false) throw new Error('source queue empty');
      ch.reject(m, false);
      expect(await roundTrip(ch)).toBe('open');
      expect(await readyCount(ch, q)).toBe(1);
      expect((await getOne(ch, q)).content.toString()).toBe('2');
    });
  });

  it('a DLX that does not exist on expiry: dropped as well', async () => {
    await withConfirmChannel(broker.url, async (ch: ConfirmChannel) => {
      const q = uniqueName('dl-missing-exp');
      await ch.assertQueue(q, {
        exclusive: true,
        arguments: { 'x-dead-letter-exchange': uniqueName('dl-no-such-exchange'), 'x-message-ttl': 20 },
      });
      ch.sendToQueue(q, Buffer.from('x'));
      await ch.waitForConfirms();
      await waitFor(async () => (await readyCount(ch, q)) === 0);
      expect(await roundTrip(ch)).toBe('open');
      expect(await ch.get(q)).toBe(false);
    });
  });
});
