/**
 * Dead-lettering: x-dead-letter-exchange / x-dead-letter-routing-key on rejection, expiry and
 * max-length, the x-death table and the x-first-death-* / x-last-death-* headers, cycle detection,
 * a missing DLX, and dead-lettering under publisher confirms.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Channel, ConfirmChannel, ConsumeMessage, GetMessage, MessageProperties } from 'amqplib';
import { startTestBroker, uniqueName, waitFor, withConfirmChannel, type TestBroker, roundTrip, readyCount } from '../helpers/broker.js';

// started at load time so that `it.skipIf(broker.external)` can see it
const broker: TestBroker = await startTestBroker();
afterAll(async () => {
  await broker.close();
});

async function getOne(ch: Channel, q: string): Promise<GetMessage> {
  const m = await ch.get(q, { noAck: true });
  if (m === false) throw new Error(`queue ${q} is empty`);
  return m;
}

/** Wait until `q` holds `n` ready messages, then take them all (no-ack). */
async function takeN(ch: Channel, q: string, n: number): Promise<GetMessage[]> {
  await waitFor(async () => (await readyCount(ch, q)) === n);
  const out: GetMessage[] = [];
  for (let i = 0; i < n; i++) out.push(await getOne(ch, q));
  expect(await ch.get(q)).toBe(false);
  return out;
}

const bodies = (ms: { content: Buffer }[]) => ms.map((m) => m.content.toString());

/** A fanout DLX (auto-deleted with its exclusive queue) and the queue it feeds. */
async function fanoutDlx(ch: Channel, prefix: string): Promise<{ dlx: string; dlq: string }> {
  const dlx = uniqueName(`${prefix}-dlx`);
  const dlq = uniqueName(`${prefix}-dlq`);
  await ch.assertExchange(dlx, 'fanout', { autoDelete: true });
  await ch.assertQueue(dlq, { exclusive: true });
  await ch.bindQueue(dlq, dlx, '');
  return { dlx, dlq };
}

interface Death {
  count: number;
  reason: string;
  queue: string;
  exchange: string;
  'routing-keys': string[];
  'original-expiration'?: string;
}

/**
 * The headers with every x-death `time` checked (an AMQP timestamp, in seconds, within
 * [fromMs, now]) and removed, so the rest can be compared exactly.
 */
function withoutDeathTimes(properties: MessageProperties, fromMs: number): Record<string, unknown> {
  const headers = { ...(properties.headers ?? {}) } as Record<string, unknown>;
  const deaths = headers['x-death'];
  if (!Array.isArray(deaths)) return headers;
  const now = Date.now();
  headers['x-death'] = deaths.map((entry: Record<string, unknown>) => {
    const { time, ...rest } = entry;
    expect(time).toEqual({ '!': 'timestamp', value: expect.any(Number) });
    const seconds = (time as { value: number }).value;
    expect(seconds).toBeGreaterThanOrEqual(Math.floor(fromMs / 1000));
    expect(seconds).toBeLessThanOrEqual(Math.ceil(now / 1000));
    return rest;
  });
  return headers;
}

/**
 * x-first-death-* (RabbitMQ 3.10 and Warren) and, on Warren only, x-last-death-* (RabbitMQ 3.13;
 * 3.10 does not set them, so against it their absence is asserted).
 */
function deathSummary(first: Omit<Death, 'count' | 'routing-keys'>, last = first): Record<string, string> {
  return {
    'x-first-death-queue': first.queue,
    'x-first-death-reason': first.reason,
    'x-first-death-exchange': first.exchange,
    ...(broker.external
      ? {}
      : {
          'x-last-death-queue': last.queue,
          'x-last-death-reason': last.reason,
          'x-last-death-exchange': last.exchange,
        }),
  };
}

describe('dead-lettering on rejection', () => {
  it('basic.reject requeue=false: the message goes to the DLX with an exact x-death table', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const { dlx, dlq } = await fanoutDlx(ch, 'dl-reject');
      const src = uniqueName('dl-reject-src');
      const q = uniqueName('dl-reject-q');
      await ch.assertExchange(src, 'direct', { autoDelete: true });
      await ch.assertQueue(q, { exclusive: true, arguments: { 'x-dead-letter-exchange': dlx } });
      await ch.bindQueue(q, src, 'rk');
      const from = Date.now();
      ch.publish(src, 'rk', Buffer.from('payload'), {
        CC: ['cc-a'],
        headers: { app: 'warren' },
        messageId: 'm-1',
        correlationId: 'c-1',
        contentType: 'text/plain',
        persistent: true,
        priority: 3,
      });
      await ch.waitForConfirms();
      const m = await ch.get(q);
      if (m === false) throw new Error('source queue empty');
      ch.reject(m, false);

      const [d] = await takeN(ch, dlq, 1);
      expect(d!.content.toString()).toBe('payload');
      // republished through the DLX with the original routing key
      expect(d!.fields).toEqual({ deliveryTag: 2, redelivered: false, exchange: dlx, routingKey: 'rk', messageCount: 0 });
      expect(d!.properties.messageId).toBe('m-1');
      expect(d!.properties.correlationId).toBe('c-1');
      expect(d!.properties.contentType).toBe('text/plain');
      expect(d!.properties.deliveryMode).toBe(2);
      expect(d!.properties.priority).toBe(3);
      expect(withoutDeathTimes(d!.properties, from)).toEqual({
        app: 'warren',
        CC: ['cc-a'],
        'x-death': [{ count: 1, reason: 'rejected', queue: q, exchange: src, 'routing-keys': ['rk', 'cc-a'] }],
        ...deathSummary({ queue: q, reason: 'rejected', exchange: src }),
      });
      expect(await readyCount(ch, q)).toBe(0);
    });
  });

  it('basic.nack requeue=false (multiple) dead-letters every message, in order', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const { dlx, dlq } = await fanoutDlx(ch, 'dl-nack');
      const q = uniqueName('dl-nack-q');
      await ch.assertQueue(q, { exclusive: true, arguments: { 'x-dead-letter-exchange': dlx } });
      for (const body of ['1', '2', '3']) ch.sendToQueue(q, Buffer.from(body));
      await ch.waitForConfirms();
      const ms: GetMessage[] = [];
      for (let i = 0; i < 3; i++) {
        const m = await ch.get(q);
        if (m === false) throw new Error('source queue empty');
        ms.push(m);
      }
      ch.nack(ms[2]!, true, false);
      const dead = await takeN(ch, dlq, 3);
      expect(bodies(dead)).toEqual(['1', '2', '3']);
      for (const d of dead) {
        expect(d.fields.routingKey).toBe(q);
        expect((d.properties.headers?.['x-death'] as Death[])[0]).toMatchObject({ count: 1, reason: 'rejected', queue: q, exchange: '' });
      }
    });
  });

  it('basic.reject requeue=true does not dead-letter', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const { dlx, dlq } = await fanoutDlx(ch, 'dl-requeue');
      const q = uniqueName('dl-requeue-q');
      await ch.assertQueue(q, { exclusive: true, arguments: { 'x-dead-letter-exchange': dlx } });
      ch.sendToQueue(q, Buffer.from('back'));
      await ch.waitForConfirms();
      const m = await ch.get(q);
      if (m === false) throw new Error('source queue empty');
      ch.reject(m, true);
      const again = await getOne(ch, q);
      expect(again.fields.redelivered).toBe(true);
      expect(again.properties.headers?.['x-death']).toBeUndefined();
      expect(await readyCount(ch, dlq)).toBe(0);
    });
  });

  it('BCC is stripped and not listed in routing-keys', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const { dlx, dlq } = await fanoutDlx(ch, 'dl-bcc');
      const q = uniqueName('dl-bcc-q');
      await ch.assertQueue(q, { exclusive: true, arguments: { 'x-dead-letter-exchange': dlx } });
      ch.sendToQueue(q, Buffer.from('x'), { BCC: ['hidden'] });
      await ch.waitForConfirms();
      const m = await ch.get(q);
      if (m === false) throw new Error('source queue empty');
      ch.nack(m, false, false);
      const [d] = await takeN(ch, dlq, 1);
      const headers = d!.properties.headers ?? {};
      expect(headers['BCC']).toBeUndefined();
      expect(headers['x-death']).toEqual([expect.objectContaining({ 'routing-keys': [q] })]);
    });
  });
});

describe('x-dead-letter-routing-key', () => {
  it('without it the message is routed by its original routing key; with it by the new key', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const dlx = uniqueName('dl-rk-dlx');
      await ch.assertExchange(dlx, 'direct', { autoDelete: true });
      const byOriginal = uniqueName('dl-rk-original');
      const byNew = uniqueName('dl-rk-new');
      await ch.assertQueue(byOriginal, { exclusive: true });
      await ch.assertQueue(byNew, { exclusive: true });
      await ch.bindQueue(byOriginal, dlx, 'orig-key');
      await ch.bindQueue(byNew, dlx, 'dl-key');

      const src = uniqueName('dl-rk-src');
      await ch.assertExchange(src, 'direct', { autoDelete: true });
      const plain = uniqueName('dl-rk-plain');
      const rerouted = uniqueName('dl-rk-rerouted');
      await ch.assertQueue(plain, { exclusive: true, arguments: { 'x-dead-letter-exchange': dlx } });
      await ch.assertQueue(rerouted, {
        exclusive: true,
        arguments: { 'x-dead-letter-exchange': dlx, 'x-dead-letter-routing-key': 'dl-key' },
      });
      await ch.bindQueue(plain, src, 'orig-key');
      await ch.bindQueue(rerouted, src, 'orig-key');
      ch.publish(src, 'orig-key', Buffer.from('m'));
      await ch.waitForConfirms();
      for (const q of [plain, rerouted]) {
        const m = await ch.get(q);
        if (m === false) throw new Error(`${q} empty`);
        ch.nack(m, false, false);
      }
      const [a] = await takeN(ch, byOriginal, 1);
      const [b] = await takeN(ch, byNew, 1);
      expect(a!.fields.routingKey).toBe('orig-key');
      expect(b!.fields.routingKey).toBe('dl-key');
      // x-death always records the original routing keys
      expect((a!.properties.headers?.['x-death'] as Death[])[0]).toMatchObject({ queue: plain, 'routing-keys': ['orig-key'] });
      expect((b!.properties.headers?.['x-death'] as Death[])[0]).toMatchObject({ queue: rerouted, 'routing-keys': ['orig-key'] });
    });
  });

  it('the default exchange as DLX with a routing key naming a queue', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const dlq = uniqueName('dl-default-dlq');
      const q = uniqueName('dl-default-q');
      await ch.assertQueue(dlq, { exclusive: true });
      await ch.assertQueue(q, {
        exclusive: true,
        arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': dlq },
      });
      const from = Date.now();
      ch.sendToQueue(q, Buffer.from('to-dlq'));
      await ch.waitForConfirms();
      const m = await ch.get(q);
      if (m === false) throw new Error('source queue empty');
      ch.reject(m, false);
      const [d] = await takeN(ch, dlq, 1);
      expect(d!.fields.exchange).toBe('');
      expect(d!.fields.routingKey).toBe(dlq);
      expect(withoutDeathTimes(d!.properties, from)).toEqual({
        'x-death': [{ count: 1, reason: 'rejected', queue: q, exchange: '', 'routing-keys': [q] }],
        ...deathSummary({ queue: q, reason: 'rejected', exchange: '' }),
      });
    });
  });
});

describe('dead-lettering on expiry', () => {
  it("per-message expiration: reason 'expired', original-expiration recorded, expiration removed", async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const { dlx, dlq } = await fanoutDlx(ch, 'dl-expired');
      const q = uniqueName('dl-expired-q');
      await ch.assertQueue(q, { exclusive: true, arguments: { 'x-dead-letter-exchange': dlx } });
      const from = Date.now();
      ch.sendToQueue(q, Buffer.from('late'), { expiration: '50', headers: { keep: true } });
      await ch.waitForConfirms();
      const [d] = await takeN(ch, dlq, 1);
      expect(d!.content.toString()).toBe('late');
      expect(d!.properties.expiration).toBeUndefined();
      expect(d!.fields.routingKey).toBe(q);
      expect(withoutDeathTimes(d!.properties, from)).toEqual({
        keep: true,
        'x-death': [
          { count: 1, reason: 'expired', queue: q, exchange: '', 'routing-keys': [q], 'original-expiration': '50' },
        ],
        ...deathSummary({ queue: q, reason: 'expired', exchange: '' }),
      });
      expect(await readyCount(ch, q)).toBe(0);
    });
  });

  it('queue TTL: no original-expiration when the message had none', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const { dlx, dlq } = await fanoutDlx(ch, 'dl-qttl');
      const q = uniqueName('dl-qttl-q');
      await ch.assertQueue(q, { exclusive: true, arguments: { 'x-dead-letter-exchange': dlx, 'x-message-ttl': 30 } });
      const from = Date.now();
      ch.sendToQueue(q, Buffer.from('a'));
      ch.sendToQueue(q, Buffer.from('b'));
      await ch.waitForConfirms();
      const dead = await takeN(ch, dlq, 2);
      expect(bodies(dead)).toEqual(['a', 'b']);
      expect(withoutDeathTimes(dead[0]!.properties, from)).toEqual({
        'x-death': [{ count: 1, reason: 'expired', queue: q, exchange: '', 'routing-keys': [q] }],
        ...deathSummary({ queue: q, reason: 'expired', exchange: '' }),
      });
    });
  });

  it('a rejected message that had an expiration also loses it and records original-expiration', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const { dlx, dlq } = await fanoutDlx(ch, 'dl-rej-exp');
      const q = uniqueName('dl-rej-exp-q');
      await ch.assertQueue(q, { exclusive: true, arguments: { 'x-dead-letter-exchange': dlx } });
      ch.sendToQueue(q, Buffer.from('x'), { expiration: '60000' });
      await ch.waitForConfirms();
      const m = await ch.get(q);
      if (m === false) throw new Error('source queue empty');
      ch.reject(m, false);
      const [d] = await takeN(ch, dlq, 1);
      expect(d!.properties.expiration).toBeUndefined();
      expect((d!.properties.headers?.['x-death'] as Death[])[0]).toMatchObject({
        reason: 'rejected',
        'original-expiration': '60000',
      });
    });
  });

  // RabbitMQ only expires (and so dead-letters) messages at the head of the queue; the issue
  // requires Warren to expire a message on time wherever it sits, so this is Warren-only.
  it.skipIf(broker.external)('a message expiring behind a long-lived head is dead-lettered on time', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const { dlx, dlq } = await fanoutDlx(ch, 'dl-anywhere');
      const q = uniqueName('dl-anywhere-q');
      await ch.assertQueue(q, { exclusive: true, arguments: { 'x-dead-letter-exchange': dlx } });
      const from = Date.now();
      ch.sendToQueue(q, Buffer.from('head'), { expiration: '60000' });
      ch.sendToQueue(q, Buffer.from('behind'), { expiration: '30' });
      await ch.waitForConfirms();
      await waitFor(async () => (await readyCount(ch, dlq)) === 1, 1000);
      const [d] = await takeN(ch, dlq, 1);
      expect(d!.content.toString()).toBe('behind');
      expect(withoutDeathTimes(d!.properties, from)).toEqual({
        'x-death': [
          { count: 1, reason: 'expired', queue: q, exchange: '', 'routing-keys': [q], 'original-expiration': '30' },
        ],
        ...deathSummary({ queue: q, reason: 'expired', exchange: '' }),
      });
      expect(bodies(await takeN(ch, q, 1))).toEqual(['head']);
    });
  });
});

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
