/**
 * /api/queues: list, show, declare (201/204), delete (if-empty, if-unused), purge, get with each
 * ackmode, actions and a queue's bindings. RabbitMQ's status codes, shapes and texts; checked
 * against RabbitMQ 3.10 with WARREN_TEST_MGMT_URL. Each test works in a vhost of its own.
 */
import amqp from 'amqplib';
import { beforeEach, describe, expect, it } from 'vitest';
import { uniqueName, waitFor } from '../helpers/broker.js';
import { managementSuite, seg } from '../helpers/management.js';

const tm = managementSuite();
const { api, cleanup } = tm;
let vhost: string;

beforeEach(async () => {
  vhost = await tm.vhost('http-q');
});

const qPath = (name: string): string => `/api/queues/${seg(vhost)}/${seg(name)}`;
const publish = (routingKey: string, payload: string) =>
  api.post(`/api/exchanges/${seg(vhost)}/amq.default/publish`, { routing_key: routingKey, payload, payload_encoding: 'string', properties: {} });
const get = (q: string, body: Record<string, unknown>) => api.post(`${qPath(q)}/get`, { count: 10, encoding: 'auto', ...body });
/** A queue as the vhost's list shows it (RabbitMQ fills in counts there a moment after they change). */
const listed = async (q: string): Promise<Record<string, unknown> | undefined> =>
  ((await api.get(`/api/queues/${seg(vhost)}`)).body as { name: string }[]).find((x) => x.name === q);

describe('queues', () => {
  it('declares (201), redeclares (204), shows, lists and deletes a queue', async () => {
    const body = { durable: true, auto_delete: false, arguments: { 'x-max-length': 5 }, node: undefined };
    expect((await api.put(qPath('q1'), body)).status).toBe(201);
    expect((await api.put(qPath('q1'), body)).status).toBe(204);
    const r = await api.get(qPath('q1'));
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ name: 'q1', vhost, durable: true, auto_delete: false, exclusive: false, arguments: { 'x-max-length': 5 }, type: 'classic' });
    expect(typeof r.body.node).toBe('string');
    await api.mustPut(qPath('a0'), {});
    const list = (await api.get(`/api/queues/${seg(vhost)}`)).body as { name: string; state: string }[];
    expect(list.map((q) => q.name)).toEqual(['a0', 'q1']);
    await waitFor(async () => (await listed('q1'))?.['state'] === 'running', 15_000);
    expect(await listed('q1')).toMatchObject({ name: 'q1', durable: true, state: 'running', policy: null, effective_policy_definition: {}, messages: 0 });
    expect(((await api.get('/api/queues')).body as { vhost: string }[]).filter((q) => q.vhost === vhost).length).toBe(2);
    expect((await api.delete(qPath('q1'))).status).toBe(204);
    expect((await api.get(qPath('q1'))).body).toEqual({ error: 'Object Not Found', reason: 'Not Found' });
    expect((await api.delete(qPath('q1'))).status).toBe(404);
    expect((await api.get(`/api/queues/${seg(uniqueName('nov'))}`)).status).toBe(404);
  });

  it('defaults an empty body as queue.declare does, and names only this node', async () => {
    expect((await api.put(qPath('plain'), {})).status).toBe(201);
    const q = (await api.get(qPath('plain'))).body;
    expect(q).toMatchObject({ durable: false, auto_delete: false, exclusive: false, arguments: {} });
    expect((await api.put(qPath('here'), { node: q.node })).status).toBe(201);
    expect((await api.put(qPath('there'), { node: 'rabbit@elsewhere' })).body).toEqual({
      error: 'bad_request',
      reason: 'Node rabbit@elsewhere could not be contacted',
    });
  });

  it('refuses what queue.declare refuses, with RabbitMQ texts', async () => {
    await api.mustPut(qPath('q1'), { durable: true });
    expect((await api.put(qPath('q1'), { durable: false })).body).toEqual({
      error: 'bad_request',
      reason: `inequivalent arg 'durable' for queue 'q1' in vhost '${vhost}': received 'false' but current is 'true'`,
    });
    expect((await api.put(qPath('q2'), { arguments: { 'x-max-length': 'abc' } })).body).toEqual({
      error: 'bad_request',
      reason: `invalid arg 'x-max-length' for queue 'q2' in vhost '${vhost}': "expected integer, got longstr"`,
    });
    expect((await api.put(qPath('q3'), { durable: 'yes' })).body).toEqual({ error: 'bad_request', reason: ['not_boolean', 'yes'] });
    expect((await api.put(qPath('q4'), { arguments: { a: null } })).body).toEqual({ error: 'bad_request', reason: 'null_not_allowed' });
    expect((await api.put(qPath('q5'), { auto_delete: 'true' })).status).toBe(201);
    expect((await api.get(qPath('q5'))).body.auto_delete).toBe(true);
  });

  it('deletes only an empty or unused queue when asked (if-empty, if-unused)', async () => {
    await api.mustPut(qPath('q1'), {});
    await publish('q1', 'm');
    const notEmpty = await api.delete(`${qPath('q1')}?if-empty=true`);
    expect(notEmpty.status).toBe(400);
    expect(notEmpty.body).toEqual({ error: 'bad_request', reason: `queue 'q1' in vhost '${vhost}' not empty` });
    const conn = await amqp.connect(tm.amqpUrl('guest', 'guest', vhost));
    try {
      const ch = await conn.createChannel();
      await ch.consume('q1', () => {}, { noAck: false });
      await waitFor(async () => (await listed('q1'))?.['consumers'] === 1, 15_000);
      const inUse = await api.delete(`${qPath('q1')}?if-unused=true`);
      expect(inUse.body).toEqual({ error: 'bad_request', reason: `queue 'q1' in vhost '${vhost}' in use` });
    } finally {
      await conn.close();
    }
    expect((await api.delete(`${qPath('q1')}?if-unused=true`)).status).toBe(204);
  });

  it('purges a queue (DELETE contents)', async () => {
    await api.mustPut(qPath('q1'), {});
    for (const m of ['a', 'b', 'c']) await publish('q1', m);
    await waitFor(async () => (await listed('q1'))?.['messages'] === 3, 15_000);
    expect((await api.delete(`${qPath('q1')}/contents`)).status).toBe(204);
    expect((await get('q1', { ackmode: 'ack_requeue_false' })).body).toEqual([]);
    expect((await api.delete(`${qPath('nope')}/contents`)).status).toBe(404);
  });

  it('lists the bindings of a queue, the default exchange`s first', async () => {
    await api.mustPut(qPath('q1'), {});
    await api.mustPut(`/api/exchanges/${seg(vhost)}/x1`, { type: 'direct' });
    await api.post(`/api/bindings/${seg(vhost)}/e/x1/q/q1`, { routing_key: 'k' });
    expect((await api.get(`${qPath('q1')}/bindings`)).body).toEqual([
      { source: '', vhost, destination: 'q1', destination_type: 'queue', routing_key: 'q1', arguments: {}, properties_key: 'q1' },
      { source: 'x1', vhost, destination: 'q1', destination_type: 'queue', routing_key: 'k', arguments: {}, properties_key: 'k' },
    ]);
  });

  it('answers sync and cancel_sync with 204, other actions with 400', async () => {
    await api.mustPut(qPath('q1'), {});
    expect((await api.post(`${qPath('q1')}/actions`, { action: 'sync' })).status).toBe(204);
    expect((await api.post(`${qPath('q1')}/actions`, { action: 'cancel_sync' })).status).toBe(204);
    expect((await api.post(`${qPath('q1')}/actions`, { action: 'foo' })).body).toEqual({ error: 'bad_request', reason: ['unknown', 'foo'] });
    // RabbitMQ 3.10 crashes (500) on a missing queue
    if (!tm.external) expect((await api.post(`${qPath('nope')}/actions`, { action: 'sync' })).status).toBe(404);
  });
});

describe('exclusive queues', () => {
  it('shows another connection`s exclusive queue and refuses to touch it, with RabbitMQ texts', async () => {
    const conn = await amqp.connect(tm.amqpUrl('guest', 'guest', vhost));
    try {
      const ch = await conn.createChannel();
      await ch.assertQueue('ex-q', { exclusive: true });
      const locked = `cannot obtain exclusive access to locked queue 'ex-q' in vhost '${vhost}'. It could be originally declared on another connection or the exclusive property value does not match that of the original declaration.`;
      expect((await api.get(qPath('ex-q'))).body).toMatchObject({ name: 'ex-q', exclusive: true });
      expect((await api.put(qPath('ex-q'), {})).body).toEqual({ error: 'bad_request', reason: locked });
      expect((await api.delete(`${qPath('ex-q')}/contents`)).body).toEqual({ error: 'bad_request', reason: locked });
      expect((await api.post(`/api/bindings/${seg(vhost)}/e/amq.direct/q/ex-q`, { routing_key: 'k' })).body).toEqual({ error: 'bad_request', reason: locked });
      expect((await api.delete(qPath('ex-q'))).body).toEqual({ error: 'bad_request', reason: locked });
      expect((await get('ex-q', { ackmode: 'ack_requeue_true' })).body).toEqual({ error: 'bad_request', reason: `405 RESOURCE_LOCKED - ${locked}` });
    } finally {
      await conn.close();
    }
  });
});

describe('get', () => {
  beforeEach(async () => {
    await api.mustPut(qPath('q1'), {});
    for (const m of ['one', 'two']) await publish('q1', m);
  });

  it('ack_requeue_true and reject_requeue_true leave the messages, redelivered', async () => {
    const first = await get('q1', { ackmode: 'ack_requeue_true' });
    expect(first.status).toBe(200);
    expect(first.body.map((m: { payload: string; redelivered: boolean; message_count: number }) => [m.payload, m.redelivered, m.message_count])).toEqual([
      ['one', false, 1],
      ['two', false, 0],
    ]);
    const again = await get('q1', { ackmode: 'reject_requeue_true', count: 1 });
    expect(again.body).toMatchObject([{ payload: 'one', redelivered: true, message_count: 1, exchange: '', routing_key: 'q1', payload_bytes: 3 }]);
    expect((await get('q1', { ackmode: 'reject_requeue_true' })).body).toHaveLength(2);
  });

  it('ack_requeue_false and reject_requeue_false take the messages', async () => {
    expect((await get('q1', { ackmode: 'reject_requeue_false', count: 1 })).body).toMatchObject([{ payload: 'one' }]);
    expect((await get('q1', { ackmode: 'ack_requeue_false' })).body).toMatchObject([{ payload: 'two', redelivered: false }]);
    expect((await get('q1', { ackmode: 'ack_requeue_false' })).body).toEqual([]);
  });

  it('truncates payloads and encodes them as asked', async () => {
    const r = await get('q1', { ackmode: 'ack_requeue_true', count: 1, truncate: 2, encoding: 'base64' });
    expect(r.body).toMatchObject([{ payload_bytes: 3, payload: Buffer.from('on').toString('base64'), payload_encoding: 'base64' }]);
  });

  it('refuses bad bodies as RabbitMQ does', async () => {
    expect((await api.post(`${qPath('q1')}/get`, {})).body).toEqual({
      error: 'bad_request',
      reason: '[{key_missing,ackmode},{key_missing,count},{key_missing,encoding}]',
    });
    expect((await get('q1', { ackmode: 'ack_requeue_true', count: 'x' })).body).toEqual({ error: 'bad_request', reason: ['not_integer', 'x'] });
    expect((await get('q1', { ackmode: 'ack_requeue_true', encoding: 'x' })).body).toEqual({
      error: 'bad_request',
      reason: 'Unsupported encoding. Please use auto or base64.',
    });
    const user = cleanup.user(uniqueName('http-qu'));
    await api.mustPut(`/api/users/${seg(user)}`, { password: 'pw', tags: 'management' });
    await api.mustPut(`/api/permissions/${seg(vhost)}/${seg(user)}`, { configure: '', write: '', read: '^nothing' });
    const refused = await api.as(user, 'pw').post(`${qPath('q1')}/get`, { count: 1, ackmode: 'ack_requeue_true', encoding: 'auto' });
    expect(refused.status).toBe(401);
    expect(refused.body).toEqual({ error: 'not_authorised', reason: `ACCESS_REFUSED - access to queue 'q1' in vhost '${vhost}' refused for user '${user}'` });
    const missing = await get('nope', { ackmode: 'ack_requeue_true' });
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ error: 'not_found', reason: `NOT_FOUND - no queue 'nope' in vhost '${vhost}'` });
  });
});
