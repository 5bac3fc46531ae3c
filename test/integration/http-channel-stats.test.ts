/**
 * Channel message stats: the message_stats RabbitMQ 3.10's management API shows per channel in
 * /api/channels, /api/vhosts/{vhost}/channels and /api/channels/{name}, after a known sequence of
 * AMQP operations on one confirm channel. Checked against RabbitMQ with WARREN_TEST_MGMT_URL,
 * whose stats arrive after its 5 s emission interval (polled, never slept). Warren samples every
 * 100 ms here (statsInterval).
 */
import amqp, { type ConfirmChannel } from 'amqplib';
import { beforeEach, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/broker.js';
import { managementSuite, seg } from '../helpers/management.js';
import { counts, rateOf, statsReach, STATS_TIMEOUT } from '../helpers/stats.js';

const tm = managementSuite({ statsInterval: 100 });
const { api } = tm;
let vhost: string;

const TEST_TIMEOUT = 90_000;

beforeEach(async () => {
  vhost = await tm.vhost('http-channel-stats');
});

type Json = Record<string, unknown>;

/** The vhost's only channel, once the API lists it (RabbitMQ lists a channel after its first stats). */
async function onlyChannel(): Promise<Json> {
  return waitFor(async () => {
    const list = (await api.get(`/api/vhosts/${seg(vhost)}/channels`)).body as Json[];
    return list.length === 1 ? list[0] : undefined;
  }, STATS_TIMEOUT, 200);
}

const channelJson = async (name: string, query = ''): Promise<Json> => (await api.get(`/api/channels/${seg(name)}${query}`)).body as Json;


/** Consume `count` messages of `queue` with manual ack; the first is nacked back once (a redelivery). */
async function consumeAcking(ch: ConfirmChannel, queue: string, count: number): Promise<void> {
  let seen = 0;
  let tag = '';
  await new Promise<void>((resolve) => {
    void ch
      .consume(queue, (m) => {
        if (m === null) return;
        seen++;
        if (seen === 1) ch.nack(m, false, true);
        else ch.ack(m);
        if (seen === count + 1) resolve();
      })
      .then((ok) => (tag = ok.consumerTag));
  });
  await waitFor(() => tag !== '');
  await ch.cancel(tag);
}

const PUBLISH_KEYS = ['confirm', 'drop_unroutable', 'publish', 'return_unroutable'];

describe('channel message stats', () => {
  it('counts publishes, confirms, returns, drops, deliveries, gets, get-empty, redeliveries and acks', async () => {
    const conn = await amqp.connect(tm.amqpUrl('guest', 'guest', vhost));
    try {
      const ch = await conn.createConfirmChannel();
      await ch.assertQueue('q');
      const name = (await onlyChannel())['name'] as string;
      // Nothing counted yet: no message_stats at all (RabbitMQ's, once its stats have arrived).
      expect((await onlyChannel())['message_stats']).toBeUndefined();
      expect((await channelJson(name))['message_stats']).toBeUndefined();

      const N = 6;
      const returned = new Promise((resolve) => ch.once('return', resolve));
      for (let i = 0; i < N; i++) ch.publish('', 'q', Buffer.from(`m${i}`));
      ch.publish('', 'nowhere', Buffer.from('back'), { mandatory: true });
      ch.publish('amq.direct', 'nowhere', Buffer.from('dropped'));
      await ch.waitForConfirms();
      await returned;
      // Only the publishing side so far.
      const published = await statsReach(() => channelJson(name), { confirm: N + 2, drop_unroutable: 1, publish: N + 2, return_unroutable: 1 });
      expect(Object.keys(published['message_stats'] as object)).toEqual(PUBLISH_KEYS.flatMap((k) => [k, `${k}_details`]));
      expect((published['message_stats'] as Json)['publish_details']).toEqual({ rate: expect.any(Number) });

      const K = 2;
      for (let i = 0; i < K; i++) {
        const m = await ch.get('q');
        if (m === false) throw new Error('q empty');
        ch.ack(m);
      }
      expect(await ch.get('q', { noAck: true })).not.toBe(false);
      const M = N - K - 1;
      await consumeAcking(ch, 'q', M);
      expect(await ch.get('q')).toBe(false);
      // Acks are asynchronous: wait until the broker has them all.
      await waitFor(async () => (await ch.checkQueue('q')).messageCount === 0);

      const expected = {
        ack: K + M,
        confirm: N + 2,
        deliver: M + 1,
        deliver_get: M + 1 + K + 1,
        deliver_no_ack: 0,
        drop_unroutable: 1,
        get: K,
        get_empty: 1,
        get_no_ack: 1,
        publish: N + 2,
        redeliver: 1,
        return_unroutable: 1,
      };
      const detail = await statsReach(() => channelJson(name), expected);
      expect(Object.keys(detail['message_stats'] as object)).toEqual(Object.keys(expected).flatMap((k) => [k, `${k}_details`]));
      for (const k of Object.keys(expected)) expect((detail['message_stats'] as Json)[`${k}_details`]).toEqual({ rate: expect.any(Number) });
      // Per exchange / per queue stats are RabbitMQ's "detailed" rates mode: empty in the default "basic".
      expect(detail).toMatchObject({ publishes: [], deliveries: [] });
      // The lists carry the same message_stats.
      expect(counts((await onlyChannel())['message_stats'])).toEqual(expected);
      const all = (await api.get('/api/channels')).body as Json[];
      expect(counts(all.find((c) => c['name'] === name)?.['message_stats'])).toEqual(expected);
    } finally {
      await conn.close();
    }
  }, TEST_TIMEOUT);

  it('gives rates and, with msg_rates_age, sample histories', async () => {
    const conn = await amqp.connect(tm.amqpUrl('guest', 'guest', vhost));
    try {
      const ch = await conn.createConfirmChannel();
      await ch.assertQueue('busy');
      await ch.consume('busy', (m) => m !== null && ch.ack(m));
      const name = (await onlyChannel())['name'] as string;
      const timer = setInterval(() => {
        for (let i = 0; i < 20; i++) ch.publish('', 'busy', Buffer.from('x'));
      }, 20);
      try {
        const busy = await waitFor(async () => {
          const c = await channelJson(name);
          const s = c['message_stats'];
          return ['publish', 'confirm', 'deliver', 'deliver_get', 'ack'].every((k) => rateOf(s, k) > 0) ? c : undefined;
        }, STATS_TIMEOUT, 100);
        expect(rateOf(busy['message_stats'], 'get')).toBe(0);
        const listed = await waitFor(async () => {
          const c = await onlyChannel();
          return rateOf(c['message_stats'], 'publish') > 0 ? c : undefined;
        }, STATS_TIMEOUT, 100);
        expect(listed['name']).toBe(name);
        const withSamples = await waitFor(async () => {
          const c = await channelJson(name, '?msg_rates_age=60&msg_rates_incr=1');
          const d = (c['message_stats'] as Record<string, Json> | undefined)?.['publish_details'];
          return Array.isArray(d?.['samples']) && (d['samples'] as unknown[]).length >= 2 ? d : undefined;
        }, STATS_TIMEOUT, 200);
        expect(withSamples).toMatchObject({ rate: expect.any(Number), avg: expect.any(Number), avg_rate: expect.any(Number) });
        expect((withSamples['samples'] as unknown[])[0]).toEqual({ sample: expect.any(Number), timestamp: expect.any(Number) });
      } finally {
        clearInterval(timer);
      }
      await ch.waitForConfirms();
      if (!tm.external) {
        // Once publishing stops, the next samples bring the rate back to 0.
        await waitFor(async () => rateOf((await channelJson(name))['message_stats'], 'publish') === 0, 5000, 50);
      }
    } finally {
      await conn.close();
    }
  }, TEST_TIMEOUT);
});
