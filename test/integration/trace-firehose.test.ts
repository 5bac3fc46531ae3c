/**
 * RabbitMQ's firehose (rabbitmqctl trace_on): while a vhost's `tracing` is on, every publish is
 * copied to its amq.rabbitmq.trace exchange as `publish.<exchange>` and every delivery or get as
 * `deliver.<queue>`, with the original body and RabbitMQ's headers. Over AMQP (amqplib) and the
 * management API only, so it runs against RabbitMQ 3.10 too:
 *   WARREN_TEST_URL=amqp://guest:guest@127.0.0.1:5672 WARREN_TEST_MGMT_URL=http://guest:guest@127.0.0.1:15672 \
 *     npx vitest run test/integration/trace-firehose.test.ts
 * Each test makes its own vhost, so tracing never touches the shared broker's other vhosts.
 */
import type { Channel, ConsumeMessage, GetMessage } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { expectClose, uniqueName, waitFor } from '../helpers/broker.js';
import { managementSuite, seg } from '../helpers/management.js';

const m = managementSuite();

const TRACE = 'amq.rabbitmq.trace';

const newVhost = (body: object = {}): Promise<string> => m.vhost('firehose', body);

const setTracing = (vh: string, on: boolean): Promise<void> => m.api.mustPut(`/api/vhosts/${seg(vh)}`, { tracing: on });
const tracingOf = async (vh: string): Promise<unknown> => (await m.api.get(`/api/vhosts/${seg(vh)}`)).body.tracing;

/** A channel on `vh` with an exclusive queue bound to amq.rabbitmq.trace by `#`, consumed into `copies`. */
async function traceConsumer(vh: string): Promise<{ ch: Channel; copies: ConsumeMessage[]; tq: string }> {
  const ch = await m.channel(vh);
  const tq = (await ch.assertQueue('', { exclusive: true })).queue;
  await ch.bindQueue(tq, TRACE, '#');
  const copies: ConsumeMessage[] = [];
  await ch.consume(tq, (msg) => msg !== null && copies.push(msg), { noAck: true });
  return { ch, copies, tq };
}

const keys = (copies: readonly ConsumeMessage[]): string[] => copies.map((c) => c.fields.routingKey);

/** The node name as the management API reports it (the firehose's `node` header). */
const nodeName = async (): Promise<string> => (await m.api.get('/api/overview')).body.node as string;

describe('the firehose (amq.rabbitmq.trace)', () => {
  it('every vhost has amq.rabbitmq.trace: an internal, durable topic exchange clients cannot publish to', async () => {
    const vh = await newVhost();
    const r = await m.api.get(`/api/exchanges/${seg(vh)}/${TRACE}`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ name: TRACE, type: 'topic', durable: true, auto_delete: false, internal: true, arguments: {} });
    const { ch } = await traceConsumer(vh);
    const closed = await expectClose(async () => {
      ch.publish(TRACE, 'x', Buffer.from('no'));
      await ch.checkExchange(TRACE);
    });
    expect(closed.code).toBe(403);
    expect(closed.message).toContain(`ACCESS_REFUSED - cannot publish to internal exchange '${TRACE}' in vhost '${vh}'`);
  });

  it('is off by default; PUT /api/vhosts {"tracing": true} turns it on, false off, and the vhost JSON shows it', async () => {
    const vh = await newVhost();
    expect(await tracingOf(vh)).toBe(false);
    await setTracing(vh, true);
    expect(await tracingOf(vh)).toBe(true);
    const listed = (await m.api.get('/api/vhosts')).body as Array<{ name: string; tracing: boolean }>;
    expect(listed.find((v) => v.name === vh)?.tracing).toBe(true);
    await setTracing(vh, false);
    expect(await tracingOf(vh)).toBe(false);
  });

  it('PUT {"tracing": ...} alone resets description and tags, as any vhost PUT; "true"/"false" strings count, others are 400', async () => {
    const vh = await newVhost({ description: 'kept?', tags: 'a,b' });
    await m.api.mustPut(`/api/vhosts/${seg(vh)}`, { tracing: 'true' });
    const after = (await m.api.get(`/api/vhosts/${seg(vh)}`)).body;
    expect({ description: after.description, tags: after.tags, tracing: after.tracing }).toEqual({ description: '', tags: [], tracing: true });
    const bad = await m.api.put(`/api/vhosts/${seg(vh)}`, { tracing: 'yes', description: 'changed' });
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({ error: 'bad_request', reason: ['not_boolean', 'yes'] });
    expect((await m.api.get(`/api/vhosts/${seg(vh)}`)).body.description).toBe('');
    await m.api.mustPut(`/api/vhosts/${seg(vh)}`, { tracing: 'false' });
    expect(await tracingOf(vh)).toBe(false);
  });

  it('copies publishes as publish.<exchange> and deliveries and gets as deliver.<queue>, with RabbitMQ headers', async () => {
    const vh = await newVhost({ tracing: true });
    expect(await tracingOf(vh)).toBe(true);
    const { ch, copies, tq } = await traceConsumer(vh);
    const q = uniqueName('traced-q');
    await ch.assertQueue(q, { durable: false });
    await ch.assertExchange('orders', 'direct', { durable: false });
    await ch.bindQueue(q, 'orders', 'new');
    const props = { contentType: 'text/plain', messageId: 'm1', priority: 3, deliveryMode: 2, timestamp: 1234, headers: { a: 1, CC: ['copy'] } };
    ch.publish('orders', 'new', Buffer.from('hello'), props);
    ch.sendToQueue(q, Buffer.from('plain'));
    ch.publish('orders', 'nowhere', Buffer.from('lost'));
    await waitFor(() => copies.length >= 3);
    const got = await ch.get(q, { noAck: false });
    expect(got && got.content.toString()).toBe('hello');
    ch.nack(got as GetMessage, false, true);
    const delivered: ConsumeMessage[] = [];
    await ch.consume(q, (msg) => msg !== null && delivered.push(msg), { noAck: true, consumerTag: 'c1' });
    await waitFor(() => delivered.length === 2 && copies.length >= 6);

    expect(keys(copies).slice(0, 6)).toEqual(['publish.orders', 'publish.', 'publish.orders', `deliver.${q}`, `deliver.${q}`, `deliver.${q}`]);
    const node = await nodeName();
    const [pub, dflt, lost, get, redeliver, plain] = copies as [ConsumeMessage, ConsumeMessage, ConsumeMessage, ConsumeMessage, ConsumeMessage, ConsumeMessage];
    for (const c of copies.slice(0, 6)) {
      expect(c.fields.exchange).toBe(TRACE);
      // Only headers: RabbitMQ's copy has no other property (so it is transient).
      expect(c.properties.deliveryMode).toBeUndefined();
      expect(c.properties.contentType).toBeUndefined();
    }
    expect(pub.content.toString()).toBe('hello');
    const origin = pub.properties.headers as Record<string, unknown>;
    // The connection as the management API names it (RabbitMQ lists it after its next stats emission).
    const listedNames = async (): Promise<string[]> =>
      ((await m.api.get(`/api/vhosts/${seg(vh)}/connections`)).body as Array<{ name: string }>).map((c) => c.name);
    await waitFor(async () => (await listedNames()).includes(origin['connection'] as string), 10_000, 100);
    expect(origin['channel']).toBe(1);
    expect(pub.properties.headers).toEqual({
      exchange_name: 'orders',
      routing_keys: ['new', 'copy'],
      properties: { content_type: 'text/plain', headers: { a: 1, CC: ['copy'] }, delivery_mode: 2, priority: 3, message_id: 'm1', timestamp: 1234 },
      node,
      vhost: vh,
      connection: origin['connection'],
      channel: 1,
      user: 'guest',
      routed_queues: [q],
    });
    expect(dflt.content.toString()).toBe('plain');
    expect(dflt.properties.headers).toMatchObject({ exchange_name: '', routing_keys: [q], routed_queues: [q], user: 'guest', vhost: vh });
    expect(lost.properties.headers).toMatchObject({ exchange_name: 'orders', routing_keys: ['nowhere'], routed_queues: [] });
    expect(get.content.toString()).toBe('hello');
    expect(get.properties.headers).toEqual({
      exchange_name: 'orders',
      routing_keys: ['new', 'copy'],
      properties: { content_type: 'text/plain', headers: { a: 1, CC: ['copy'] }, delivery_mode: 2, priority: 3, message_id: 'm1', timestamp: 1234 },
      node,
      redelivered: 0,
      vhost: vh,
      connection: origin['connection'],
      channel: 1,
      user: 'guest',
    });
    expect(redeliver.properties.headers).toMatchObject({ exchange_name: 'orders', redelivered: 1 });
    expect(plain.properties.headers).toMatchObject({ exchange_name: '', routing_keys: [q], redelivered: 0 });
    // The copies' own deliveries (to the trace queue) are never traced.
    expect(keys(copies)).not.toContain(`deliver.${tq}`);
  });

  it('trace off stops the copies; the copies never trace themselves', async () => {
    const vh = await newVhost();
    const { ch, copies, tq } = await traceConsumer(vh);
    const q = uniqueName('q');
    await ch.assertQueue(q, { durable: false });
    await setTracing(vh, true);
    ch.sendToQueue(q, Buffer.from('one'));
    await waitFor(() => copies.length === 1);
    await setTracing(vh, false);
    ch.sendToQueue(q, Buffer.from('two'));
    await ch.checkQueue(q); // 'two' has been routed by now
    await setTracing(vh, true);
    ch.sendToQueue(q, Buffer.from('three'));
    await waitFor(() => copies.length >= 2);
    await setTracing(vh, false);
    expect(copies.map((c) => `${c.fields.routingKey}:${c.content.toString()}`)).toEqual(['publish.:one', 'publish.:three']);
    expect(keys(copies)).not.toContain(`deliver.${tq}`);
  });

  it('publishes and gets through the management API are traced too', async () => {
    const vh = await newVhost({ tracing: true });
    const { ch, copies } = await traceConsumer(vh);
    const q = uniqueName('http-q');
    await ch.assertQueue(q, { durable: false });
    const pub = await m.api.post(`/api/exchanges/${seg(vh)}/amq.default/publish`, {
      routing_key: q,
      payload: 'via http',
      payload_encoding: 'string',
      properties: {},
    });
    expect(pub.body).toEqual({ routed: true });
    const got = await m.api.post(`/api/queues/${seg(vh)}/${seg(q)}/get`, { count: 1, ackmode: 'ack_requeue_false', encoding: 'auto' });
    expect(got.body).toHaveLength(1);
    await waitFor(() => copies.length >= 2);
    expect(copies.map((c) => `${c.fields.routingKey}:${c.content.toString()}`)).toEqual(['publish.:via http', `deliver.${q}:via http`]);
    expect(copies[0]?.properties.headers).toMatchObject({ exchange_name: '', routing_keys: [q], routed_queues: [q], user: 'guest', vhost: vh });
    expect(copies[1]?.properties.headers).toMatchObject({ exchange_name: '', redelivered: 0, user: 'guest', vhost: vh });
  });

  it('a definitions import with "tracing": true turns it on; exports do not carry it', async () => {
    const vh = m.cleanup.vhost(uniqueName('firehose-defs'));
    const r = await m.api.post('/api/definitions', { vhosts: [{ name: vh, tracing: true }] });
    expect([200, 201, 204]).toContain(r.status);
    await waitFor(async () => (await m.api.get(`/api/vhosts/${seg(vh)}`)).status === 200);
    expect(await tracingOf(vh)).toBe(true);
    const exported = (await m.api.get('/api/definitions')).body.vhosts as Array<Record<string, unknown>>;
    const entry = exported.find((v) => v['name'] === vh);
    expect(entry).toBeDefined();
    expect(entry).not.toHaveProperty('tracing');
  });

  it.skipIf(m.external)('broker.setVhostTracing is the same switch (what `warren ctl trace_on` reaches through the API)', async () => {
    const vh = await newVhost();
    const { ch, copies } = await traceConsumer(vh);
    m.broker?.broker.setVhostTracing(vh, true);
    expect(await tracingOf(vh)).toBe(true);
    ch.sendToQueue('nowhere', Buffer.from('x'));
    await waitFor(() => copies.length === 1);
    expect(copies[0]?.fields.routingKey).toBe('publish.');
    m.broker?.broker.setVhostTracing(vh, false);
    expect(await tracingOf(vh)).toBe(false);
  });
});
