/**
 * /api/exchanges: list, show, declare (201/204), delete (if-unused), their bindings, and publish
 * through the broker's publish path. RabbitMQ's status codes, shapes and texts; checked against
 * RabbitMQ 3.10 with WARREN_TEST_MGMT_URL. Each test works in a vhost of its own.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { uniqueName } from '../helpers/broker.js';
import { managementSuite, seg } from '../helpers/management.js';

const tm = managementSuite();
const { api, cleanup } = tm;
let vhost: string;

beforeEach(async () => {
  vhost = await tm.vhost('http-x');
});

const xPath = (name: string): string => `/api/exchanges/${seg(vhost)}/${seg(name)}`;
const publish = (x: string, body: unknown) => api.post(`${xPath(x)}/publish`, body);
const msg = (routingKey: string, payload = 'hello', extra: Record<string, unknown> = {}) => ({
  routing_key: routingKey,
  payload,
  payload_encoding: 'string',
  properties: {},
  ...extra,
});

describe('exchanges', () => {
  it('declares (201), redeclares (204), shows, lists and deletes an exchange', async () => {
    const args = { 'alternate-exchange': 'ae' };
    expect((await api.put(xPath('x1'), { type: 'topic', durable: true, auto_delete: false, internal: false, arguments: args })).status).toBe(201);
    expect((await api.put(xPath('x1'), { type: 'topic', durable: true, arguments: args })).status).toBe(204);
    const r = await api.get(xPath('x1'));
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ name: 'x1', vhost, type: 'topic', durable: true, auto_delete: false, internal: false, arguments: args });
    const list = (await api.get(`/api/exchanges/${seg(vhost)}`)).body as { name: string }[];
    expect(list.map((x) => x.name)).toEqual(['', 'amq.direct', 'amq.fanout', 'amq.headers', 'amq.match', 'amq.rabbitmq.trace', 'amq.topic', 'x1']);
    expect(((await api.get('/api/exchanges')).body as { vhost: string; name: string }[]).filter((x) => x.vhost === vhost).length).toBe(list.length);
    expect((await api.delete(xPath('x1'))).status).toBe(204);
    expect((await api.get(xPath('x1'))).status).toBe(404);
    expect((await api.get(xPath('x1'))).body).toEqual({ error: 'Object Not Found', reason: 'Not Found' });
    expect((await api.delete(xPath('x1'))).status).toBe(404);
  });

  it('defaults an empty body as exchange.declare does: direct, not durable', async () => {
    expect((await api.put(xPath('plain'), {})).status).toBe(201);
    expect((await api.get(xPath('plain'))).body).toMatchObject({ type: 'direct', durable: false, auto_delete: false, internal: false, arguments: {} });
  });

  it('shows the default exchange as amq.default, named ""', async () => {
    const r = await api.get(xPath('amq.default'));
    expect(r.body).toMatchObject({ name: '', type: 'direct', durable: true, vhost });
  });

  it('refuses what exchange.declare and exchange.delete refuse, with RabbitMQ texts', async () => {
    await api.mustPut(xPath('x1'), { type: 'topic' });
    const inequivalent = await api.put(xPath('x1'), { type: 'fanout' });
    expect(inequivalent.status).toBe(400);
    expect(inequivalent.body).toEqual({
      error: 'bad_request',
      reason: `inequivalent arg 'type' for exchange 'x1' in vhost '${vhost}': received 'fanout' but current is 'topic'`,
    });
    expect((await api.put(xPath('x2'), { type: 'nope' })).body).toEqual({ error: 'bad_request', reason: "unknown exchange type 'nope'" });
    expect((await api.put(xPath('x2'), { durable: 'yes' })).body).toEqual({ error: 'bad_request', reason: ['not_boolean', 'yes'] });
    expect((await api.put(xPath('amq.foo'), { type: 'fanout' })).body).toEqual({ error: 'not_authorised', reason: 'Access refused.' });
    expect((await api.delete(xPath('amq.direct'))).status).toBe(401);
    await api.mustPut(`/api/queues/${seg(vhost)}/q1`, {});
    expect((await api.post(`/api/bindings/${seg(vhost)}/e/x1/q/q1`, { routing_key: 'k' })).status).toBe(201);
    const inUse = await api.delete(`${xPath('x1')}?if-unused=true`);
    expect(inUse.status).toBe(400);
    expect(inUse.body).toEqual({ error: 'bad_request', reason: `exchange 'x1' in vhost '${vhost}' in use` });
    expect((await api.delete(`${xPath('x1')}?if-unused=false`)).status).toBe(204);
    expect((await api.get(`/api/exchanges/${seg(uniqueName('nov'))}`)).status).toBe(404);
  });

  it('lists bindings from and to an exchange', async () => {
    await api.mustPut(xPath('src'), { type: 'direct' });
    await api.mustPut(xPath('dst'), { type: 'fanout' });
    await api.mustPut(`/api/queues/${seg(vhost)}/q1`, {});
    await api.post(`/api/bindings/${seg(vhost)}/e/src/q/q1`, { routing_key: 'k1', arguments: { a: 'b' } });
    await api.post(`/api/bindings/${seg(vhost)}/e/src/e/dst`, { routing_key: 'k2' });
    const toQueue = { source: 'src', vhost, destination: 'q1', destination_type: 'queue', routing_key: 'k1', arguments: { a: 'b' }, properties_key: 'k1~KCO9yA' };
    const toExchange = { source: 'src', vhost, destination: 'dst', destination_type: 'exchange', routing_key: 'k2', arguments: {}, properties_key: 'k2' };
    const source = (await api.get(`${xPath('src')}/bindings/source`)).body;
    expect(source).toEqual([toExchange, toQueue]);
    expect(Object.keys(source[0])).toEqual(['source', 'vhost', 'destination', 'destination_type', 'routing_key', 'arguments', 'properties_key']);
    expect((await api.get(`${xPath('dst')}/bindings/destination`)).body).toEqual([toExchange]);
    expect((await api.get(`${xPath('src')}/bindings/destination`)).body).toEqual([]);
    expect((await api.get(`${xPath('amq.default')}/bindings/source`)).body).toEqual([
      { source: '', vhost, destination: 'q1', destination_type: 'queue', routing_key: 'q1', arguments: {}, properties_key: 'q1' },
    ]);
    expect((await api.get(`${xPath('nope')}/bindings/source`)).body).toEqual([]);
  });
});

describe('publish', () => {
  it('answers routed true or false, and the message arrives with its properties', async () => {
    await api.mustPut(`/api/queues/${seg(vhost)}/q1`, {});
    const properties = { content_type: 'text/plain', delivery_mode: 2, priority: 3, message_id: 'm1', timestamp: 1700000000, headers: { a: 1, b: 'x', c: [1, 'y'], d: { e: true }, f: 1.5 } };
    const r = await publish('amq.default', msg('q1', 'hello', { properties }));
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ routed: true });
    expect((await publish('amq.default', msg('nowhere'))).body).toEqual({ routed: false });
    expect((await publish('amq.default', msg('q1', 'AAEC/w==', { payload_encoding: 'base64' }))).body).toEqual({ routed: true });
    const got = await api.post(`/api/queues/${seg(vhost)}/q1/get`, { count: 5, ackmode: 'ack_requeue_false', encoding: 'auto' });
    expect(got.body).toEqual([
      {
        payload_bytes: 5,
        redelivered: false,
        exchange: '',
        routing_key: 'q1',
        message_count: 1,
        properties: { timestamp: 1700000000, message_id: 'm1', priority: 3, delivery_mode: 2, headers: properties.headers, content_type: 'text/plain' },
        payload: 'hello',
        payload_encoding: 'string',
      },
      { payload_bytes: 4, redelivered: false, exchange: '', routing_key: 'q1', message_count: 0, properties: [], payload: 'AAEC/w==', payload_encoding: 'base64' },
    ]);
    expect(Object.keys(got.body[0].properties)).toEqual(['timestamp', 'message_id', 'priority', 'delivery_mode', 'headers', 'content_type']);
  });

  it('publishes a persistent message to a durable queue (answered once stored)', async () => {
    await api.mustPut(`/api/queues/${seg(vhost)}/dq`, { durable: true });
    expect((await publish('amq.default', msg('dq', 'kept', { properties: { delivery_mode: 2 } }))).body).toEqual({ routed: true });
    const got = await api.post(`/api/queues/${seg(vhost)}/dq/get`, { count: 1, ackmode: 'ack_requeue_false', encoding: 'auto' });
    expect(got.body).toMatchObject([{ payload: 'kept', properties: { delivery_mode: 2 } }]);
  });

  it('refuses bad bodies as RabbitMQ does', async () => {
    expect((await publish('amq.default', { routing_key: 'x', payload: 'hi' })).body).toEqual({
      error: 'bad_request',
      reason: '[{key_missing,properties},{key_missing,payload_encoding}]',
    });
    expect((await publish('amq.default', msg('x', 'hi', { properties: { priority: '3' } }))).body).toEqual({ error: 'bad_request', reason: ['not_int', 'priority'] });
    expect((await publish('amq.default', msg('x', 'hi', { payload_encoding: 'bad' }))).body).toEqual({ error: 'bad_request', reason: ['unsupported_encoding', 'bad'] });
    expect((await publish('amq.default', msg('x', 'hi%', { payload_encoding: 'base64' }))).body).toEqual({ error: 'bad_request', reason: ['not_base64', 'hi%'] });
    expect((await publish('amq.default', { ...msg('x'), payload: 5 })).body).toEqual({ error: 'bad_request', reason: 'payload_not_string' });
    const missing = await publish('nope', msg('x'));
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual({ error: 'bad_request', reason: `404 NOT_FOUND - no exchange 'nope' in vhost '${vhost}'` });
  });

  it('publishes as the request user: write permission on the exchange', async () => {
    const user = cleanup.user(uniqueName('http-xu'));
    await api.mustPut(`/api/users/${seg(user)}`, { password: 'pw', tags: 'management' });
    await api.mustPut(`/api/permissions/${seg(vhost)}/${seg(user)}`, { configure: '.*', write: '^allowed', read: '.*' });
    await api.mustPut(xPath('allowed'), { type: 'fanout' });
    await api.mustPut(xPath('denied'), { type: 'fanout' });
    const as = api.as(user, 'pw');
    expect((await as.post(`${xPath('allowed')}/publish`, msg(''))).body).toEqual({ routed: false });
    const refused = await as.post(`${xPath('denied')}/publish`, msg(''));
    expect(refused.status).toBe(400);
    expect(refused.body.reason).toBe(`403 ACCESS_REFUSED - access to exchange 'denied' in vhost '${vhost}' refused for user '${user}'`);
  });
});
