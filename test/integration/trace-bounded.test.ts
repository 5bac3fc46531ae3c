/**
 * Bounded message traces (/api/warren/traces, Warren's own): a trace captures the publishes whose
 * routing key matches its topic pattern, up to max_messages and until its duration is over, and
 * records the path each one took: publish, the exchanges it crossed, the queues it landed in,
 * deliveries and gets, settlement, expiry and dead-lettering, returns. Warren only (RabbitMQ has
 * no such API); over amqplib and fetch.
 */
import type { Channel, ConsumeMessage, GetMessage } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { uniqueName, waitFor } from '../helpers/broker.js';
import { managementSuite, seg } from '../helpers/management.js';

const m = managementSuite();

interface TraceEventJson {
  at: number;
  type: string;
  exchange?: string;
  queue?: string;
  consumer_tag?: string;
  reason?: string;
}
interface TracedMessageJson {
  id: number;
  routing_key: string;
  exchange: string;
  payload_bytes: number;
  properties: Record<string, unknown>;
  events: TraceEventJson[];
}

async function setup(): Promise<{ vh: string; ch: Channel }> {
  const vh = await m.vhost('traces');
  return { vh, ch: await m.channel(vh) };
}

const tracePath = (vh: string, name: string): string => `/api/warren/traces/${seg(vh)}/${seg(name)}`;
const getTrace = async (vh: string, name: string): Promise<{ state: string; message_count: number; messages: TracedMessageJson[] }> =>
  (await m.api.get(tracePath(vh, name))).body;

/** A message's events as `type queue/exchange` strings, for one queue or exchange. */
const steps = (msg: TracedMessageJson, where?: (e: TraceEventJson) => boolean): string[] =>
  msg.events.filter(where ?? (() => true)).map((e) => [e.type, e.queue ?? e.exchange ?? ''].join(' ').trim());

describe.skipIf(m.external)('bounded traces (/api/warren/traces)', () => {
  it('record each path: exchange-to-exchange routing, a delivery and its ack, an expiry into the DLX; finish at max_messages', async () => {
    const { vh, ch } = await setup();
    await ch.assertExchange('in', 'topic', { durable: false });
    await ch.assertExchange('fan', 'fanout', { durable: false });
    await ch.assertExchange('dlx', 'fanout', { durable: false });
    await ch.bindExchange('fan', 'in', 'order.#');
    await ch.assertQueue('work', { durable: false });
    await ch.assertQueue('short', { durable: false, arguments: { 'x-message-ttl': 50, 'x-dead-letter-exchange': 'dlx' } });
    await ch.assertQueue('dead', { durable: false });
    await ch.bindQueue('work', 'fan', '');
    await ch.bindQueue('short', 'fan', '');
    await ch.bindQueue('dead', 'dlx', '');

    const put = await m.api.put(tracePath(vh, 'orders'), { pattern: 'order.#', duration: 60, max_messages: 2 });
    expect(put.status).toBe(201);
    const listed = (await m.api.get(`/api/warren/traces/${seg(vh)}`)).body;
    expect(listed).toEqual([
      expect.objectContaining({ name: 'orders', vhost: vh, pattern: 'order.#', exchange: null, state: 'running', max_messages: 2, message_count: 0 }),
    ]);
    expect(listed[0].ends_at - listed[0].started).toBe(60_000);

    const received: ConsumeMessage[] = [];
    await ch.consume('work', (msg) => msg !== null && received.push(msg), { consumerTag: 'worker' });
    ch.publish('in', 'order.1', Buffer.from('first'), { messageId: 'one' });
    ch.publish('in', 'stock.1', Buffer.from('not matched'));
    await waitFor(() => received.length === 1);
    ch.ack(received[0] as ConsumeMessage);
    // The copy in 'short' expires into 'dlx' -> 'dead'; take it from there and reject it.
    const dead = (await waitFor(() => ch.get('dead', { noAck: false }))) as GetMessage;
    ch.reject(dead, false);
    ch.publish('in', 'order.2', Buffer.from('second'));
    await waitFor(() => received.length === 2);
    ch.nack(received[1] as ConsumeMessage, false, true);
    await waitFor(() => received.length === 3);
    ch.ack(received[2] as ConsumeMessage);
    ch.publish('in', 'order.3', Buffer.from('after the end'));
    await waitFor(() => received.length === 4);

    const t = await waitFor(async () => {
      const got = await getTrace(vh, 'orders');
      const second = got.messages[1];
      const done = (x: TracedMessageJson | undefined, type: string): boolean => x !== undefined && x.events.some((e) => e.type === type);
      return done(second, 'ack') && done(second, 'dead-letter') ? got : undefined;
    });
    expect(t.state).toBe('finished');
    expect(t.message_count).toBe(2);
    expect(t.messages.map((x) => x.routing_key)).toEqual(['order.1', 'order.2']);
    const [first, second] = t.messages as [TracedMessageJson, TracedMessageJson];
    expect(first).toMatchObject({ id: 1, exchange: 'in', routing_key: 'order.1', payload_bytes: 5, properties: { message_id: 'one' } });
    expect(steps(first).slice(0, 5)).toEqual(['publish in', 'route in', 'route fan', 'enqueue work', 'enqueue short']);
    expect(steps(first, (e) => e.queue === 'work')).toEqual(['enqueue work', 'deliver work', 'ack work']);
    expect(first.events.find((e) => e.type === 'deliver')?.consumer_tag).toBe('worker');
    expect(steps(first, (e) => e.queue === 'short')).toEqual(['enqueue short', 'expire short', 'dead-letter short']);
    expect(first.events.find((e) => e.type === 'dead-letter')).toMatchObject({ queue: 'short', exchange: 'dlx', reason: 'expired' });
    // 'work' events may interleave with the expiry (timers); the dead copy's own path follows it.
    const notWork = steps(first, (e) => e.queue !== 'work');
    const afterDeath = notWork.slice(notWork.indexOf('dead-letter short') + 1);
    expect(afterDeath).toEqual(['route dlx', 'enqueue dead', 'get dead', 'reject dead']);
    for (let i = 1; i < first.events.length; i++) expect((first.events[i] as TraceEventJson).at).toBeGreaterThanOrEqual((first.events[i - 1] as TraceEventJson).at);
    expect(steps(second, (e) => e.queue === 'work')).toEqual(['enqueue work', 'deliver work', 'requeue work', 'deliver work', 'ack work']);
    expect(steps(second, (e) => e.queue === 'short')).toEqual(['enqueue short', 'expire short', 'dead-letter short']);

    expect((await m.api.delete(tracePath(vh, 'orders'))).status).toBe(204);
    expect((await m.api.get(tracePath(vh, 'orders'))).status).toBe(404);
    expect((await m.api.delete(tracePath(vh, 'orders'))).status).toBe(404);
    expect((await m.api.get(`/api/warren/traces/${seg(vh)}`)).body).toEqual([]);
  });

  it('filter by exchange, record unroutable and returned messages, and finish on their own when the time is up', async () => {
    const { vh, ch } = await setup();
    await ch.assertExchange('lonely', 'direct', { durable: false });
    expect((await m.api.put(tracePath(vh, 'lonely'), { pattern: '#', exchange: 'lonely', duration: 0.3, max_messages: 10 })).status).toBe(201);
    const returned: ConsumeMessage[] = [];
    ch.on('return', (msg: ConsumeMessage) => returned.push(msg));
    ch.publish('lonely', 'k', Buffer.from('nobody'), { mandatory: true });
    ch.sendToQueue('missing', Buffer.from('other exchange'));
    await waitFor(() => returned.length === 1);
    const t = await waitFor(async () => {
      const got = await getTrace(vh, 'lonely');
      return got.state === 'finished' ? got : undefined;
    });
    expect(t.message_count).toBe(1);
    expect(steps(t.messages[0] as TracedMessageJson)).toEqual(['publish lonely', 'route lonely', 'unroutable lonely', 'return lonely']);
    expect(t.messages[0]?.events[3]?.reason).toBe('NO_ROUTE');
    // Finished by time: new publishes are not captured.
    ch.publish('lonely', 'k', Buffer.from('late'));
    await ch.checkExchange('lonely');
    expect((await getTrace(vh, 'lonely')).message_count).toBe(1);
  });

  it('PUT restarts a trace of the same name (204); bad parameters are 400, an unknown vhost 404, and a vhost keeps at most 16', async () => {
    const { vh } = await setup();
    const body = { pattern: '#', duration: 60, max_messages: 5 };
    expect((await m.api.put(tracePath(vh, 'again'), body)).status).toBe(201);
    expect((await m.api.put(tracePath(vh, 'again'), body)).status).toBe(204);
    for (const bad of [{ ...body, max_messages: 0 }, { ...body, duration: -1 }, { pattern: '#', max_messages: 5 }, { ...body, max_messages: 10_001 }]) {
      const r = await m.api.put(tracePath(vh, 'bad'), bad);
      expect(r.status).toBe(400);
      expect(r.body.error).toBe('bad_request');
    }
    expect((await m.api.put(tracePath(uniqueName('no-such-vhost'), 'x'), body)).status).toBe(404);
    for (let i = 1; i < 16; i++) expect((await m.api.put(tracePath(vh, `t${i}`), body)).status).toBe(201);
    const refused = await m.api.put(tracePath(vh, 't16'), body);
    expect(refused.status).toBe(400);
    expect(refused.body.reason).toContain('16 traces');
    expect(((await m.api.get(`/api/warren/traces/${seg(vh)}`)).body as unknown[]).length).toBe(16);
  });
});
