/**
 * /api/bindings: create (201 + Location ending in the properties_key), list, show and delete by
 * properties_key, and who may see and do what on exchanges, queues and bindings. Checked against
 * RabbitMQ 3.10 with WARREN_TEST_MGMT_URL. Each test works in a vhost of its own.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { uniqueName } from '../helpers/broker.js';
import { managementSuite, seg } from '../helpers/management.js';

const tm = managementSuite();
const { api, cleanup } = tm;
let vhost: string;

beforeEach(async () => {
  vhost = await tm.vhost('http-b');
  await api.mustPut(`/api/exchanges/${seg(vhost)}/x1`, { type: 'direct' });
  await api.mustPut(`/api/exchanges/${seg(vhost)}/x2`, { type: 'fanout' });
  await api.mustPut(`/api/queues/${seg(vhost)}/q1`, {});
});

const toQueue = (x: string, q: string): string => `/api/bindings/${seg(vhost)}/e/${seg(x)}/q/${seg(q)}`;
const toExchange = (x: string, d: string): string => `/api/bindings/${seg(vhost)}/e/${seg(x)}/e/${seg(d)}`;
const binding = (source: string, destination: string, type: string, key: string, args: object, props: string) => ({
  source,
  vhost,
  destination,
  destination_type: type,
  routing_key: key,
  arguments: args,
  properties_key: props,
});

describe('bindings', () => {
  it('binds (201 with a Location ending in the properties_key), lists, shows and unbinds', async () => {
    const cases: [string, object, string][] = [
      ['', {}, '~'],
      ['k1', { a: 'b' }, 'k1~KCO9yA'],
      ['k1', { x: 1 }, 'k1~9nmLZQ'],
      ['a b/c', {}, 'a+b%2Fc'],
    ];
    for (const [key, args, props] of cases) {
      const r = await api.post(toQueue('x1', 'q1'), { routing_key: key, arguments: args });
      expect(r.status).toBe(201);
      expect(r.text).toBe('');
      expect(r.headers.get('location')).toBe(`q1/${encodeURIComponent(props)}`);
      const one = await api.get(`${toQueue('x1', 'q1')}/${seg(props)}`);
      expect(one.status).toBe(200);
      expect(one.body).toEqual(binding('x1', 'q1', 'queue', key, args, props));
    }
    const listed = (await api.get(toQueue('x1', 'q1'))).body as { properties_key: string }[];
    expect(listed.map((b) => b.properties_key)).toEqual(['~', 'a+b%2Fc', 'k1~9nmLZQ', 'k1~KCO9yA']);
    expect((await api.get(`/api/bindings/${seg(vhost)}`)).body).toEqual([binding('', 'q1', 'queue', 'q1', {}, 'q1'), ...listed]);
    expect(((await api.get('/api/bindings')).body as { vhost: string }[]).filter((b) => b.vhost === vhost)).toHaveLength(5);
    expect((await api.get(`${toQueue('x1', 'q1')}/k1`)).status).toBe(404); // k1 has arguments: named with their hash
    expect((await api.get(`${toQueue('x1', 'q1')}/${seg('k1~AAAAAA')}`)).status).toBe(404);
    expect((await api.delete(`${toQueue('x1', 'q1')}/${seg('k1~KCO9yA')}`)).status).toBe(204);
    expect((await api.get(`${toQueue('x1', 'q1')}/${seg('k1~KCO9yA')}`)).status).toBe(404);
    expect((await api.delete(`${toQueue('x1', 'q1')}/${seg('k1~KCO9yA')}`)).status).toBe(404);
    expect(((await api.get(toQueue('x1', 'q1'))).body as unknown[]).length).toBe(3);
  });

  // RabbitMQ 3.10 crashes (500) building this key: its ~-escaping returns iodata it then appends to
  it.skipIf(Boolean(process.env['WARREN_TEST_MGMT_URL']))('names a binding whose routing key has a ~ and arguments', async () => {
    const r = await api.post(toQueue('x1', 'q1'), { routing_key: 'a~b', arguments: { x: 1 } });
    expect(r.headers.get('location')).toBe('q1/a%257Eb~9nmLZQ');
    expect((await api.get(`${toQueue('x1', 'q1')}/${seg('a%7Eb~9nmLZQ')}`)).body).toEqual(binding('x1', 'q1', 'queue', 'a~b', { x: 1 }, 'a%7Eb~9nmLZQ'));
  });

  it('binds a headers exchange with typed arguments that route what the API publishes', async () => {
    await api.mustPut(`/api/exchanges/${seg(vhost)}/hx`, { type: 'headers' });
    const r = await api.post(toQueue('hx', 'q1'), { routing_key: '', arguments: { 'x-match': 'all', n: 1, s: 'v' } });
    expect(r.status).toBe(201);
    const send = (headers: object) =>
      api.post(`/api/exchanges/${seg(vhost)}/hx/publish`, { routing_key: '', payload: 'p', payload_encoding: 'string', properties: { headers } });
    expect((await send({ n: 1, s: 'v' })).body).toEqual({ routed: true });
    expect((await send({ n: 2, s: 'v' })).body).toEqual({ routed: false });
    const bad = await api.post(toQueue('hx', 'q1'), { arguments: { 'x-match': 'some' } });
    expect(bad.status).toBe(400);
  });

  it('binds exchanges to exchanges', async () => {
    const r = await api.post(toExchange('x1', 'x2'), { routing_key: 'k' });
    expect(r.status).toBe(201);
    expect(r.headers.get('location')).toBe('x2/k');
    expect((await api.get(toExchange('x1', 'x2'))).body).toEqual([binding('x1', 'x2', 'exchange', 'k', {}, 'k')]);
    expect((await api.get(`${toExchange('x1', 'x2')}/k`)).body).toEqual(binding('x1', 'x2', 'exchange', 'k', {}, 'k'));
    expect((await api.delete(`${toExchange('x1', 'x2')}/k`)).status).toBe(204);
    expect((await api.get(toExchange('x1', 'x2'))).body).toEqual([]);
  });

  it('shows the default exchange`s implicit binding, and refuses binding the default exchange', async () => {
    expect((await api.get(toQueue('amq.default', 'q1'))).body).toEqual([binding('', 'q1', 'queue', 'q1', {}, 'q1')]);
    expect((await api.get(`${toQueue('amq.default', 'q1')}/q1`)).body).toEqual(binding('', 'q1', 'queue', 'q1', {}, 'q1'));
    expect((await api.post(toQueue('amq.default', 'q1'), { routing_key: 'k' })).body).toEqual({ error: 'not_authorised', reason: 'Access refused.' });
  });

  it('refuses bindings to or from what does not exist, with RabbitMQ texts', async () => {
    const noX = await api.post(toQueue('nope', 'q1'), { routing_key: 'k' });
    expect(noX.status).toBe(404);
    expect(noX.body).toEqual({ error: 'not_found', reason: `no exchange 'nope' in vhost '${vhost}'` });
    expect((await api.post(toQueue('x1', 'nope'), { routing_key: 'k' })).body).toEqual({ error: 'not_found', reason: `no queue 'nope' in vhost '${vhost}'` });
    expect((await api.get(toQueue('nope', 'q1'))).body).toEqual([]);
    // RabbitMQ 3.10 crashes (500) on a destination type other than q or e; Warren has no such path
    if (!tm.external) expect((await api.get(`/api/bindings/${seg(vhost)}/e/x1/x/q1`)).status).toBe(404);
  });
});

describe('a vhost that does not exist', () => {
  it('answers as RabbitMQ: 404 vhost_not_found to declares and binds, [] to binding lists', async () => {
    const nov = seg(uniqueName('nov'));
    const vhostNotFound = { error: 'not_found', reason: 'vhost_not_found' };
    expect((await api.put(`/api/queues/${nov}/q`, {})).body).toEqual(vhostNotFound);
    expect((await api.put(`/api/exchanges/${nov}/x`, {})).body).toEqual(vhostNotFound);
    expect((await api.post(`/api/bindings/${nov}/e/x/q/q`, { routing_key: 'k' })).body).toEqual(vhostNotFound);
    for (const path of [`/api/bindings/${nov}/e/x/q/q`, `/api/queues/${nov}/q/bindings`, `/api/exchanges/${nov}/x/bindings/source`]) {
      const r = await api.get(path);
      expect([r.status, r.body]).toEqual([200, []]);
    }
    expect((await api.get(`/api/bindings/${nov}`)).status).toBe(404);
    expect((await api.delete(`/api/queues/${nov}/q/contents`)).body).toEqual({ error: 'Object Not Found', reason: 'Not Found' });
    const get = await api.post(`/api/queues/${nov}/q/get`, { count: 1, ackmode: 'ack_requeue_true', encoding: 'auto' });
    expect([get.status, get.body]).toEqual([401, { error: 'not_authorised', reason: 'Access refused.' }]);
    const publish = await api.post(`/api/exchanges/${nov}/x/publish`, { routing_key: 'k', payload: '', payload_encoding: 'string', properties: {} });
    expect([publish.status, publish.body]).toEqual([401, { error: 'not_authorised', reason: 'Access refused.' }]);
  });
});

describe('access', () => {
  let user: string;
  let other: string;

  beforeEach(async () => {
    user = cleanup.user(uniqueName('http-bu'));
    other = cleanup.vhost(uniqueName('http-bo'));
    await api.mustPut(`/api/vhosts/${seg(other)}`, {});
    await api.mustPut(`/api/queues/${seg(other)}/hidden`, {});
    await api.mustPut(`/api/users/${seg(user)}`, { password: 'pw', tags: 'management' });
    await api.mustPut(`/api/permissions/${seg(vhost)}/${seg(user)}`, { configure: '^mine', write: '^(mine|x1)', read: '.*' });
  });

  it('lists only what is in the vhosts a user may open, and refuses the others', async () => {
    const as = api.as(user, 'pw');
    const queues = (await as.get('/api/queues')).body as { vhost: string }[];
    expect(new Set(queues.map((q) => q.vhost))).toEqual(new Set([vhost]));
    expect(((await as.get('/api/exchanges')).body as { vhost: string }[]).every((x) => x.vhost === vhost)).toBe(true);
    expect(((await as.get('/api/bindings')).body as { vhost: string }[]).every((b) => b.vhost === vhost)).toBe(true);
    const refused = await as.get(`/api/queues/${seg(other)}`);
    expect(refused.status).toBe(401);
    expect(refused.body).toEqual({ error: 'not_authorised', reason: 'User not authorised to access virtual host' });
    expect((await as.get(`/api/queues/${seg(other)}/hidden`)).status).toBe(401);
    expect((await as.delete(`/api/queues/${seg(other)}/hidden`)).status).toBe(401);
  });

  it('declares, binds and deletes only what the user`s permissions allow', async () => {
    const as = api.as(user, 'pw');
    const q = (name: string): string => `/api/queues/${seg(vhost)}/${name}`;
    expect((await as.put(q('mine-q'), {})).status).toBe(201);
    expect((await as.put(q('theirs'), {})).body).toEqual({ error: 'not_authorised', reason: 'Access refused.' });
    expect((await as.delete(q('q1'))).status).toBe(401);
    expect((await as.post(toQueue('x1', 'mine-q'), { routing_key: 'k' })).status).toBe(201);
    expect((await as.post(toQueue('x1', 'q1'), { routing_key: 'k' })).status).toBe(401); // no write on q1
    expect((await as.put(`/api/exchanges/${seg(vhost)}/theirs-x`, { type: 'direct' })).status).toBe(401);
    expect((await as.delete(`${q('q1')}/contents`)).status).toBe(204); // read is enough to purge
    expect((await as.delete(q('mine-q'))).status).toBe(204);
  });
});
