/**
 * The fields of a queue's JSON, as RabbitMQ 3.10.8 gives them for GET /api/queues/{vhost}/{name}
 * and in /api/queues, and the consumers' `active` / `activity_status`: a plain queue, a
 * single-active-consumer queue with two consumers, and a durable queue with unacknowledged
 * messages. The key sets are RabbitMQ's, less the Erlang VM internals Warren has no equivalent
 * of (ERLANG_ONLY). Runs against RabbitMQ with WARREN_TEST_MGMT_URL (its stats come every 5 s:
 * polled, never slept); Warren samples every 100 ms here.
 */
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/broker.js';
import { managementSuite, seg } from '../helpers/management.js';

const suite = managementSuite({ statsInterval: 100 });
const { api } = suite;

/** RabbitMQ emits queue stats every 5 s and idle_since when the queue process hibernates. */
const STATS_TIMEOUT = 25_000;

/** Keys RabbitMQ shows that describe its Erlang process or its backing queue's internals. */
const ERLANG_ONLY = ['backing_queue_status', 'garbage_collection', 'reductions', 'reductions_details'];

/** RabbitMQ 3.10.8's keys of a classic queue in /api/queues (idle_since while idle; message_stats once messages moved). */
const LIST_KEYS = [
  'arguments', 'auto_delete', 'consumer_capacity', 'consumer_utilisation', 'consumers', 'durable',
  'effective_policy_definition', 'exclusive', 'exclusive_consumer_tag', 'head_message_timestamp', 'idle_since', 'memory',
  'message_bytes', 'message_bytes_paged_out', 'message_bytes_persistent', 'message_bytes_ram', 'message_bytes_ready',
  'message_bytes_unacknowledged', 'messages', 'messages_details', 'messages_paged_out', 'messages_persistent',
  'messages_ram', 'messages_ready', 'messages_ready_details', 'messages_ready_ram', 'messages_unacknowledged',
  'messages_unacknowledged_details', 'messages_unacknowledged_ram', 'name', 'node', 'operator_policy', 'policy',
  'recoverable_slaves', 'single_active_consumer_tag', 'state', 'type', 'vhost',
];
/** GET of one queue adds these. */
const DETAIL_KEYS = [...LIST_KEYS, 'consumer_details', 'deliveries', 'incoming'];

const CONSUMER_KEYS = [
  'ack_required', 'active', 'activity_status', 'arguments', 'channel_details', 'consumer_tag', 'exclusive', 'prefetch_count', 'queue',
];

type Json = Record<string, unknown>;

const keysOf = (o: Json): string[] => Object.keys(o).filter((k) => !ERLANG_ONLY.includes(k)).sort();

let vhost: string;
let conn: ChannelModel;
let ch: Channel;
const tags: { sac: string[]; unacked: string } = { sac: [], unacked: '' };

/** 5 messages of 7 bytes: "hello 0" .. "hello 4"; even ones persistent; timestamps 1700000000 + i. */
const BODIES = [0, 1, 2, 3, 4].map((i) => `hello ${i}`);

beforeAll(async () => {
  vhost = await suite.vhost('http-qf');
  conn = await amqp.connect(suite.amqpUrl('guest', 'guest', vhost));
  ch = await conn.createChannel();
  await ch.assertQueue('plain', { durable: false });
  await ch.assertQueue('sac', { durable: false, arguments: { 'x-single-active-consumer': true } });
  for (let i = 0; i < 2; i++) tags.sac.push((await ch.consume('sac', () => {})).consumerTag);
  await ch.assertQueue('unacked', { durable: true });
  BODIES.forEach((b, i) => ch.sendToQueue('unacked', Buffer.from(b), { persistent: i % 2 === 0, timestamp: 1700000000 + i }));
  await ch.prefetch(2);
  tags.unacked = (await ch.consume('unacked', () => {})).consumerTag;
});

afterAll(async () => {
  await conn?.close();
});

const queuePath = (name: string): string => `/api/queues/${seg(vhost)}/${seg(name)}`;

/** The queue's JSON once RabbitMQ's stats have caught up: `ready` says when. */
async function queueWhen(name: string, ready: (q: Json) => boolean): Promise<Json> {
  let last: Json = {};
  try {
    return await waitFor(async () => {
      last = (await api.get(queuePath(name))).body as Json;
      return ready(last) ? last : undefined;
    }, STATS_TIMEOUT, 100);
  } catch {
    return last;
  }
}

const idle = (q: Json): boolean => typeof q['idle_since'] === 'string';
/** RabbitMQ fills a queue's keys from several stats events: wait for the whole set. */
const keysAre = (q: Json, keys: string[]): boolean => JSON.stringify(keysOf(q)) === JSON.stringify([...keys].sort());

describe('queue fields', () => {
  it('a plain queue has RabbitMQ 3.10 keys, idle_since in its format, no consumers and no message_stats', async () => {
    const q = await queueWhen('plain', (x) => idle(x) && keysAre(x, DETAIL_KEYS));
    expect(keysOf(q)).toEqual([...DETAIL_KEYS].sort());
    expect(q['idle_since']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$/);
    expect(Math.abs(Date.parse(q['idle_since'] as string) - Date.now())).toBeLessThan(120_000);
    expect(q).toMatchObject({
      consumer_details: [],
      consumer_utilisation: 0,
      consumer_capacity: 0,
      exclusive_consumer_tag: null,
      single_active_consumer_tag: null,
      head_message_timestamp: null,
      recoverable_slaves: null,
      state: 'running',
      message_bytes: 0,
      messages_ram: 0,
      deliveries: [],
      incoming: [],
    });
    expect(q['memory']).toBeGreaterThan(0);
    let listed: Json = {};
    await waitFor(async () => {
      listed = ((await api.get(`/api/queues/${seg(vhost)}`)).body as Json[]).find((x) => x['name'] === 'plain') ?? {};
      return keysAre(listed, LIST_KEYS);
    }, STATS_TIMEOUT, 100).catch(() => undefined);
    expect(keysOf(listed)).toEqual([...LIST_KEYS].sort());
  });

  it('a single-active-consumer queue names its active consumer; the other waits', async () => {
    const q = await queueWhen('sac', (x) => keysAre(x, DETAIL_KEYS) && x['consumers'] === 2 && (x['consumer_details'] as Json[]).length === 2);
    expect(keysOf(q)).toEqual([...DETAIL_KEYS].sort());
    expect(q['single_active_consumer_tag']).toBe(tags.sac[0]);
    expect(q['consumer_utilisation']).toBe(1);
    expect(q['consumer_capacity']).toBe(1);
    const details = q['consumer_details'] as Json[];
    const status = (tag: string | undefined): unknown[] => {
      const c = details.find((d) => d['consumer_tag'] === tag) as Json;
      expect(Object.keys(c).sort()).toEqual(CONSUMER_KEYS);
      return [c['active'], c['activity_status']];
    };
    expect(status(tags.sac[0])).toEqual([true, 'single_active']);
    expect(status(tags.sac[1])).toEqual([false, 'waiting']);
    // RabbitMQ lists consumers from its stats database: poll until all three are there.
    let statuses: unknown[][] = [];
    await waitFor(async () => {
      const consumers = (await api.get(`/api/consumers/${seg(vhost)}`)).body as Json[];
      statuses = consumers.map((c) => [(c['queue'] as Json)['name'], c['consumer_tag'], c['active'], c['activity_status']]);
      return statuses.length === 3;
    }, STATS_TIMEOUT, 100).catch(() => undefined);
    expect(statuses).toEqual(
      expect.arrayContaining([
        ['sac', tags.sac[0], true, 'single_active'],
        ['sac', tags.sac[1], false, 'waiting'],
        ['unacked', tags.unacked, true, 'up'],
      ]),
    );
  });

  it('a queue with unacknowledged messages sizes ready, unacknowledged, persistent and in-memory messages', async () => {
    const q = await queueWhen(
      'unacked',
      (x) => keysAre(x, [...DETAIL_KEYS, 'message_stats']) && x['messages_unacknowledged'] === 2 && (x['consumer_details'] as Json[]).length === 1,
    );
    expect(keysOf(q)).toEqual([...DETAIL_KEYS, 'message_stats'].sort());
    expect(q).toMatchObject({
      messages: 5,
      messages_ready: 3,
      messages_unacknowledged: 2,
      messages_ram: 5,
      messages_ready_ram: 3,
      messages_unacknowledged_ram: 2,
      messages_paged_out: 0,
      messages_persistent: 3,
      message_bytes: 35,
      message_bytes_ready: 21,
      message_bytes_unacknowledged: 14,
      message_bytes_ram: 35,
      message_bytes_persistent: 21,
      message_bytes_paged_out: 0,
      exclusive_consumer_tag: null,
      single_active_consumer_tag: null,
    });
    // RabbitMQ looks at the oldest unacknowledged message too (1700000000); Warren at the next ready one.
    expect(q['head_message_timestamp']).toBeGreaterThanOrEqual(1700000000);
    expect(q['head_message_timestamp']).toBeLessThanOrEqual(1700000002);
    // The only consumer's prefetch is full: the queue cannot deliver, so utilisation has fallen below 1.
    expect(q['consumer_utilisation']).toBeGreaterThanOrEqual(0);
    expect(q['consumer_utilisation']).toBeLessThan(1);
    expect(q['consumer_capacity']).toBeCloseTo(q['consumer_utilisation'] as number, 2);
    expect(((q['consumer_details'] as Json[])[0] as Json)['activity_status']).toBe('up');
  });

  it('an exclusive consumer is the queue exclusive_consumer_tag', async () => {
    await ch.assertQueue('exclusive-consumer', { durable: false });
    const { consumerTag } = await ch.consume('exclusive-consumer', () => {}, { exclusive: true });
    const q = await queueWhen('exclusive-consumer', (x) => x['consumers'] === 1 && (x['consumer_details'] as Json[]).length === 1);
    expect(q['exclusive_consumer_tag']).toBe(consumerTag);
    expect(((q['consumer_details'] as Json[])[0] as Json)['exclusive']).toBe(true);
  });
});
