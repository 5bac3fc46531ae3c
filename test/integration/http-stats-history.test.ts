/**
 * Sample histories: `?lengths_age=60&lengths_incr=5`, `?msg_rates_age=60&msg_rates_incr=5` and
 * `?data_rates_age=` add `samples` (newest first, every `incr` seconds on multiples of it), `avg`
 * and `avg_rate` to the `*_details` of queues, vhosts, exchanges, the overview and connections, as
 * RabbitMQ 3.10 does. Runs against RabbitMQ with WARREN_TEST_MGMT_URL (samples every 5 s: polled
 * with a deadline, never slept); Warren samples every 100 ms here.
 */
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueName, waitFor } from '../helpers/broker.js';
import { managementSuite, seg } from '../helpers/management.js';

const suite = managementSuite({ statsInterval: 100 });
const { api } = suite;

const STATS_TIMEOUT = 30_000;
const RANGE = 'lengths_age=60&lengths_incr=5&msg_rates_age=60&msg_rates_incr=5&data_rates_age=60&data_rates_incr=5';
/** 60 s back every 5 s, both ends included */
const POINTS = 13;

interface Point {
  sample: number;
  timestamp: number;
}
type Json = Record<string, unknown>;

let vhost: string;
let conn: ChannelModel;
let ch: Channel;
const connectionName = uniqueName('http-history-conn');

beforeAll(async () => {
  vhost = await suite.vhost('http-hist');
  conn = await amqp.connect(suite.amqpUrl('guest', 'guest', vhost), { clientProperties: { connection_name: connectionName } });
  ch = await conn.createChannel();
  await ch.assertExchange('x', 'direct', { durable: false });
  await ch.assertQueue('paced', { durable: false });
  await ch.bindQueue('paced', 'x', 'k');
  // A known pace: two batches of 5, the second once the broker has counted the first.
  for (let i = 0; i < 5; i++) ch.publish('x', 'k', Buffer.from(`a${i}`));
  await waitFor(async () => (await ch.checkQueue('paced')).messageCount === 5);
  for (let i = 0; i < 5; i++) ch.publish('x', 'k', Buffer.from(`b${i}`));
  await waitFor(async () => (await ch.checkQueue('paced')).messageCount === 10);
});

afterAll(async () => {
  await conn?.close();
});

const details = (o: unknown, key: string): Json => (o as Json)[`${key}_details`] as Json;
const samplesOf = (d: Json): Point[] => d['samples'] as Point[];

/** GET `path` until `ready` holds (RabbitMQ's samples arrive every 5 s). */
async function getWhen(path: string, ready: (body: Json) => boolean): Promise<Json> {
  let last: Json = {};
  try {
    return await waitFor(async () => {
      last = (await api.get(path)).body as Json;
      return ready(last) ? last : undefined;
    }, STATS_TIMEOUT, 250);
  } catch {
    return last;
  }
}

/** RabbitMQ's shape: 13 points, newest first, on multiples of 5 s near now; avg and avg_rate from them. */
function expectHistory(d: Json, max: number): Point[] {
  expect(Object.keys(d).sort()).toEqual(['avg', 'avg_rate', 'rate', 'samples']);
  const samples = samplesOf(d);
  expect(samples).toHaveLength(POINTS);
  const newest = samples[0] as Point;
  const oldest = samples[POINTS - 1] as Point;
  expect(Math.abs(newest.timestamp - Date.now())).toBeLessThan(15_000);
  samples.forEach((p, i) => {
    expect(Object.keys(p).sort()).toEqual(['sample', 'timestamp']);
    expect(p.timestamp % 5000).toBe(0);
    expect(p.timestamp).toBe(newest.timestamp - i * 5000);
    expect(p.sample).toBeGreaterThanOrEqual(0);
    expect(p.sample).toBeLessThanOrEqual(max);
  });
  const sum = samples.reduce((s, p) => s + p.sample, 0);
  expect(d['avg']).toBeCloseTo(sum / POINTS, 10);
  expect(d['avg_rate']).toBeCloseTo(((newest.sample - oldest.sample) * 1000) / (newest.timestamp - oldest.timestamp), 10);
  expect(typeof d['rate']).toBe('number');
  return samples;
}

/** Cumulative counts never go down: newer samples are at least the older ones. */
const nonIncreasing = (samples: Point[]): boolean => samples.every((p, i) => i === 0 || p.sample <= (samples[i - 1] as Point).sample);

describe('sample histories', () => {
  it('a queue: lengths and message counts over the last minute', async () => {
    const path = `/api/queues/${seg(vhost)}/paced?${RANGE}`;
    const q = await getWhen(path, (b) => {
      const stats = b['message_stats'] as Json | undefined;
      return samplesOf(details(b, 'messages'))?.[0]?.sample === 10 && stats !== undefined && samplesOf(details(stats, 'publish'))?.[0]?.sample === 10;
    });
    const lengths = expectHistory(details(q, 'messages'), 10);
    expect(lengths[0]?.sample).toBe(10);
    expectHistory(details(q, 'messages_ready'), 10);
    expect(samplesOf(details(q, 'messages_unacknowledged')).every((p) => p.sample === 0)).toBe(true);
    const publish = expectHistory(details(q['message_stats'], 'publish'), 10);
    expect(nonIncreasing(publish)).toBe(true);
    // Nothing was delivered: RabbitMQ shows the deliveries' series only once it has counted one.
    expect(Object.keys(q['message_stats'] as Json).sort()).toEqual(['publish', 'publish_details']);
    // In a list too.
    const listed = ((await api.get(`/api/queues/${seg(vhost)}?${RANGE}`)).body as Json[]).find((x) => x['name'] === 'paced') as Json;
    expectHistory(details(listed, 'messages'), 10);
  });

  it('the vhost, the exchange and the overview', async () => {
    const v = await getWhen(
      `/api/vhosts/${seg(vhost)}?${RANGE}`,
      (b) => samplesOf(details(b, 'messages'))?.[0]?.sample === 10 && b['message_stats'] !== undefined && samplesOf(details(b['message_stats'], 'publish'))?.[0]?.sample === 10,
    );
    expect(expectHistory(details(v, 'messages'), 10)[0]?.sample).toBe(10);
    expect(nonIncreasing(expectHistory(details(v['message_stats'], 'publish'), 10))).toBe(true);

    const x = await getWhen(`/api/exchanges/${seg(vhost)}/x?${RANGE}`, (b) => {
      const stats = b['message_stats'] as Json | undefined;
      return stats !== undefined && samplesOf(details(stats, 'publish_in'))?.[0]?.sample === 10 && samplesOf(details(stats, 'publish_out'))?.[0]?.sample === 10;
    });
    expect(nonIncreasing(expectHistory(details(x['message_stats'], 'publish_in'), 10))).toBe(true);
    expect(expectHistory(details(x['message_stats'], 'publish_out'), 10)[0]?.sample).toBe(10);

    // The overview sums every vhost (others' too, on a shared broker).
    const o = await getWhen(
      `/api/overview?${RANGE}`,
      (b) => (samplesOf(details(b['queue_totals'], 'messages'))?.[0]?.sample ?? 0) >= 10 && samplesOf(details(b['message_stats'], 'publish')) !== undefined,
    );
    expectHistory(details(o['queue_totals'], 'messages'), Number.MAX_SAFE_INTEGER);
    expectHistory(details(o['message_stats'], 'publish'), Number.MAX_SAFE_INTEGER);
  });

  it('a connection: bytes received and sent (data_rates)', async () => {
    const find = (list: Json[]): Json | undefined => list.find((c) => c['user_provided_name'] === connectionName);
    const c = await getWhen(`/api/connections?${RANGE}`, (b) => {
      const mine = find(b as unknown as Json[]);
      return mine !== undefined && (samplesOf(details(mine, 'recv_oct'))?.[0]?.sample ?? 0) > 0;
    });
    const mine = find(c as unknown as Json[]) as Json;
    const recv = expectHistory(details(mine, 'recv_oct'), mine['recv_oct'] as number);
    expect(nonIncreasing(recv)).toBe(true);
    expectHistory(details(mine, 'send_oct'), mine['send_oct'] as number);
  });

  it('without a range, details are the rate alone; a bad range is 400', async () => {
    const q = (await api.get(`/api/queues/${seg(vhost)}/paced`)).body as Json;
    expect(Object.keys(details(q, 'messages'))).toEqual(['rate']);
    const bad = await api.get(`/api/overview?lengths_age=10&lengths_incr=0`);
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({ error: 'bad_request', reason: 'Invalid range parameters: age 10, incr 0' });
  });
});
