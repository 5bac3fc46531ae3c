/**
 * Management HTTP API, the rules every endpoint follows: basic auth and RabbitMQ's 401 texts,
 * user tags deciding access, 405 with Allow, OPTIONS, RabbitMQ's 404 body, JSON answers, `%2F`
 * for vhost `/`; and /api/overview, /api/whoami, /api/cluster-name. Checked against RabbitMQ
 * 3.10 with WARREN_TEST_MGMT_URL (see test/helpers/management.ts).
 */
import { describe, expect, it } from 'vitest';
import { uniqueName } from '../helpers/broker.js';
import { type Api, managementSuite, seg } from '../helpers/management.js';

const tm = managementSuite();
const { api, cleanup } = tm;

/** A user with these tags (password "pw"). */
async function userWithTags(tags: string): Promise<Api> {
  const name = cleanup.user(uniqueName('http-user'));
  await api.mustPut(`/api/users/${seg(name)}`, { password: 'pw', tags });
  return api.as(name, 'pw');
}

describe('authentication', () => {
  it('asks for credentials with 401, the realm, and no body', async () => {
    const r = await api.get('/api/overview', { anonymous: true });
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toBe('Basic realm="RabbitMQ Management"');
    expect(r.text).toBe('');
  });

  it('refuses a wrong password with 401, the realm and RabbitMQ 3.10.8 JSON', async () => {
    const r = await api.as('guest', 'wrong').get('/api/whoami');
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toBe('Basic realm="RabbitMQ Management"');
    expect(r.headers.get('content-type')).toBe('application/json');
    expect(r.body).toEqual({ error: 'not_authorized', reason: 'Login failed' });
  });

  it('refuses a user without a management tag', async () => {
    const none = await userWithTags('');
    const r = await none.get('/api/whoami');
    expect(r.status).toBe(401);
    expect(r.body).toEqual({ error: 'not_authorised', reason: 'Not management user' });
    const other = await userWithTags('impersonator');
    expect((await other.get('/api/overview')).body.reason).toBe('Not management user');
  });

  it('lets management users in, and keeps administrator endpoints for administrators', async () => {
    for (const tag of ['management', 'policymaker', 'monitoring']) {
      const user = await userWithTags(tag);
      const me = await user.get('/api/whoami');
      expect(me.status).toBe(200);
      expect(me.body).toEqual({ name: user.user, tags: [tag] });
      for (const path of ['/api/users', '/api/permissions', '/api/definitions', `/api/vhosts/${seg('/')}`]) {
        const r = await user.get(path);
        expect(r.status, path).toBe(401);
        expect(r.body, path).toEqual({ error: 'not_authorised', reason: 'Not administrator user' });
      }
      expect((await user.put(`/api/vhosts/${seg(uniqueName('denied'))}`, {})).status).toBe(401);
    }
  });

  it('shows tags as a list in whoami', async () => {
    const r = await api.get('/api/whoami');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ name: 'guest', tags: ['administrator'] });
  });
});

describe('request rules', () => {
  it('answers a method the resource lacks with 405 and Allow, before authentication', async () => {
    for (const anonymous of [true, false]) {
      const r = await api.request('POST', '/api/overview', {}, { anonymous });
      expect(r.status).toBe(405);
      expect(r.headers.get('allow')).toBe('HEAD, GET, OPTIONS');
      expect(r.text).toBe('');
    }
    expect((await api.request('PATCH', '/api/vhosts/x', {})).headers.get('allow')).toBe('HEAD, GET, PUT, DELETE, OPTIONS');
  });

  it('answers OPTIONS without credentials', async () => {
    const r = await api.request('OPTIONS', '/api/users/bulk-delete', undefined, { anonymous: true });
    expect(r.status).toBe(200);
    expect(r.headers.get('allow')).toBe('POST, OPTIONS');
  });

  it('answers an unknown path and a missing object with RabbitMQ exact 404 body', async () => {
    const unknown = await api.get('/api/no-such-thing');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ error: 'Object Not Found', reason: 'Not Found' });
    const missing = await api.get(`/api/vhosts/${seg(uniqueName('missing'))}`);
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ error: 'Object Not Found', reason: 'Not Found' });
  });

  it('answers JSON to an Accept header that ranks it low', async () => {
    const r = await api.get('/api/whoami', { headers: { accept: 'text/html, application/json;q=0.1' } });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/json');
    expect(r.headers.get('cache-control')).toBe('no-cache');
    expect(r.body.name).toBe('guest');
  });

  it('reads vhost / as %2F', async () => {
    const r = await api.get('/api/vhosts/%2F');
    expect(r.status).toBe(200);
    expect(r.body.name).toBe('/');
  });

  it('answers HEAD like GET, without a body', async () => {
    const r = await api.request('HEAD', '/api/whoami');
    expect(r.status).toBe(200);
    expect(r.text).toBe('');
  });

  it('refuses a body that is not JSON, or is a JSON string, with RabbitMQ texts', async () => {
    const name = seg(uniqueName('body'));
    expect((await api.put(`/api/users/${name}`, undefined, { raw: '{bad' })).body).toEqual({ error: 'bad_request', reason: 'not_json' });
    expect((await api.put(`/api/users/${name}`, undefined, { raw: '"x"' })).body).toEqual({
      error: 'bad_request',
      reason: 'invalid payload: the request body JSON-decoded to a string. Is the input doubly-JSON-encoded?',
    });
  });
});

describe('overview, cluster name', () => {
  it('reports versions, totals, exchange types and listeners', async () => {
    const r = await api.get('/api/overview');
    expect(r.status).toBe(200);
    const o = r.body;
    expect(o.rabbitmq_version).toMatch(/^3\.10\.\d+$/);
    expect(o.management_version).toBe(o.rabbitmq_version);
    expect(typeof o.product_name).toBe('string');
    expect(typeof o.product_version).toBe('string');
    expect(typeof o.cluster_name).toBe('string');
    expect(typeof o.node).toBe('string');
    expect(o.object_totals).toEqual(
      expect.objectContaining({
        connections: expect.any(Number),
        channels: expect.any(Number),
        consumers: expect.any(Number),
        exchanges: expect.any(Number),
        queues: expect.any(Number),
      }),
    );
    const names = o.exchange_types.map((t: { name: string }) => t.name);
    expect(names).toEqual(expect.arrayContaining(['direct', 'fanout', 'headers', 'topic']));
    expect(o.exchange_types[0]).toEqual({ name: 'direct', description: 'AMQP direct exchange, as per the AMQP specification', enabled: true });
    const amqp = o.listeners.find((l: { protocol: string }) => l.protocol === 'amqp');
    expect(amqp.port).toBe(Number(new URL(tm.amqpBase).port));
    expect(amqp.node).toBe(o.node);
    if (!tm.external) {
      expect(o.product_name).toBe('Warren');
      expect(o.rabbitmq_version).toBe('3.10.8');
      // RabbitMQ leaves queue_totals empty until its stats have a sample; Warren always counts.
      const zero = { rate: 0 };
      expect(o.queue_totals).toEqual({
        messages: 0,
        messages_details: zero,
        messages_ready: 0,
        messages_ready_details: zero,
        messages_unacknowledged: 0,
        messages_unacknowledged_details: zero,
      });
      expect(o.listeners.map((l: { protocol: string }) => l.protocol)).toEqual(['amqp', 'http', 'http/prometheus']); // as RabbitMQ lists its Prometheus listener
    }
  });

  it('shows node and listeners to monitors only', async () => {
    const mgmt = await (await userWithTags('management')).get('/api/overview');
    expect(mgmt.status).toBe(200);
    expect(mgmt.body.node).toBeUndefined();
    expect(mgmt.body.listeners).toBeUndefined();
    expect(mgmt.body.rabbitmq_version).toBeDefined();
    const monitor = await (await userWithTags('monitoring')).get('/api/overview');
    expect(monitor.body.node).toBeDefined();
    expect(monitor.body.listeners).toBeDefined();
  });

  it('gives the cluster name', async () => {
    const r = await api.get('/api/cluster-name');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ name: (await api.get('/api/overview')).body.cluster_name });
  });
});
