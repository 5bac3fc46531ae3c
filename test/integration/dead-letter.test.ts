/**
 * Dead-lettering: x-dead-letter-exchange / x-dead-letter-routing-key on rejection and expiry
 * (max-length, the x-death table over several deaths and a missing DLX: dead-letter-deaths.test.ts).
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { GetMessage } from 'amqplib';
import { startTestBroker, uniqueName, waitFor, withConfirmChannel, type TestBroker, readyCount } from '../helpers/broker.js';
import { bodies, deathSummary as summary, fanoutDlx, getOne, takeN, withoutDeathTimes, type Death } from '../helpers/dead-letter.js';

// started at load time so that `it.skipIf(broker.external)` can see it
const broker: TestBroker = await startTestBroker();
afterAll(async () => {
  await broker.close();
});

const deathSummary = (first: Omit<Death, 'count' | 'routing-keys'>, last = first): Record<string, string> =>
  summary(broker.external, first, last);

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

