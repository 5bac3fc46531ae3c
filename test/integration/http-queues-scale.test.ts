/**
 * GET /api/queues over a few thousand queues: pages (sorted, reversed, filtered by name) are
 * slices of the whole sorted list, whichever way the server builds them (Warren sorts and pages
 * the queues before making JSON of the page when it can: http/lazy-list.ts). The figures for
 * 10,000 queues are in test/bench/management-scale.mjs.
 */
import amqp, { type ChannelModel } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/broker.js';
import { managementSuite, seg } from '../helpers/management.js';

const suite = managementSuite();
const { api } = suite;

const QUEUES = 3000;
const CHANNELS = 10;
let vhost: string;
let conn: ChannelModel;

type Json = Record<string, unknown>;

beforeAll(async () => {
  vhost = await suite.vhost('http-qscale');
  conn = await amqp.connect(suite.amqpUrl('guest', 'guest', vhost));
  const channels = await Promise.all(Array.from({ length: CHANNELS }, () => conn.createChannel()));
  await Promise.all(
    channels.map(async (ch, c) => {
      const names = Array.from({ length: QUEUES / CHANNELS }, (_, i) => `q-${String(c * (QUEUES / CHANNELS) + i).padStart(5, '0')}`);
      await Promise.all(names.map((q) => ch.assertQueue(q, { durable: false })));
      // Some messages, so that sorting on messages has something to order: queue i holds i % 7.
      names.forEach((q, i) => {
        for (let k = 0; k < (c * (QUEUES / CHANNELS) + i) % 7; k++) ch.sendToQueue(q, Buffer.from('m'));
      });
      // Consumers on a few of the queues that stay empty.
      const empty = names.filter((q) => Number(q.slice(2)) % 7 === 0).slice(0, 5);
      await Promise.all(empty.map((q) => ch.consume(q, () => {}, { noAck: true })));
    }),
  );
  // A round trip on each channel: its publishes have been routed.
  await Promise.all(channels.map((ch) => ch.checkQueue('q-00000')));
  // RabbitMQ shows lengths and message_stats once each queue has emitted its stats (every 5 s).
  const settled = (q: Json): boolean =>
    q['messages'] === Number((q['name'] as string).slice(2)) % 7 && (q['messages'] === 0 || q['message_stats'] !== undefined);
  await waitFor(async () => {
    const all = (await api.get(`/api/queues/${seg(vhost)}?columns=name,messages,message_stats`)).body as Json[];
    return all.length === QUEUES && all.every(settled);
  }, 60_000, 500);
}, 120_000);

afterAll(async () => {
  await conn?.close();
});

const list = async (query: string): Promise<Json> => {
  const r = await api.get(`/api/queues/${seg(vhost)}?${query}`);
  expect(r.status).toBe(200);
  return r.body as Json;
};
const names = (items: unknown): string[] => (items as Json[]).map((q) => q['name'] as string);

describe(`GET /api/queues with ${QUEUES} queues`, () => {
  it('pages by name in order, with counts', async () => {
    const first = await list('page=1&page_size=100');
    expect(first).toMatchObject({ filtered_count: QUEUES, item_count: 100, page: 1, page_count: QUEUES / 100, page_size: 100, total_count: QUEUES });
    expect(names(first['items'])).toEqual(Array.from({ length: 100 }, (_, i) => `q-${String(i).padStart(5, '0')}`));
    const last = await list(`page=${QUEUES / 100}&page_size=100`);
    expect(names(last['items']).at(-1)).toBe(`q-${String(QUEUES - 1).padStart(5, '0')}`);
    expect(((last['items'] as Json[])[0] as Json)['messages_ready']).toBeTypeOf('number');
  });

  it('pages are slices of the whole list, for sorts on fields of the queue and on nested stats', async () => {
    for (const sort of ['sort=messages&sort_reverse=true', 'sort=consumers', 'sort=name&sort_reverse=true', 'sort=message_stats.publish']) {
      const all = names(await list(sort));
      expect(all).toHaveLength(QUEUES);
      for (const page of [1, 7, 30]) {
        const paged = await list(`${sort}&page=${page}&page_size=100`);
        expect(names(paged['items'])).toEqual(all.slice((page - 1) * 100, page * 100));
      }
    }
    const byMessages = (await list('sort=messages&sort_reverse=true&page=1&page_size=100'))['items'] as Json[];
    expect(byMessages.every((q) => q['messages'] === 6)).toBe(true);
  });

  it('filters by name before paging, and keeps only the columns asked for', async () => {
    const paged = await list('page=2&page_size=10&name=q-001&columns=name,messages');
    expect(paged).toMatchObject({ filtered_count: 100, item_count: 10, page: 2, page_count: 10, total_count: QUEUES });
    expect(paged['items']).toEqual(Array.from({ length: 10 }, (_, i) => ({ name: `q-001${10 + i}`, messages: (110 + i) % 7 })));
    const regex = await list('page=1&page_size=100&name=^q-0299[0-4]$&use_regex=true');
    expect(names(regex['items'])).toEqual(['q-02990', 'q-02991', 'q-02992', 'q-02993', 'q-02994']);
  });
});
