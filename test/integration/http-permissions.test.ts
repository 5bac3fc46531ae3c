/**
 * /api/permissions, /api/topic-permissions, /api/vhost-limits and /api/user-limits, with their
 * per-user and per-vhost views: RabbitMQ's status codes, shapes and validation texts, and the
 * effect on AMQP clients. Checked against RabbitMQ 3.10 with WARREN_TEST_MGMT_URL.
 */
import amqp from 'amqplib';
import { beforeEach, describe, expect, it } from 'vitest';
import { uniqueName } from '../helpers/broker.js';
import { managementSuite, seg } from '../helpers/management.js';

const tm = managementSuite();
const { api, cleanup } = tm;
let user: string;
let vhost: string;

beforeEach(async () => {
  vhost = cleanup.vhost(uniqueName('http-pv'));
  user = cleanup.user(uniqueName('http-pu'));
  await api.mustPut(`/api/vhosts/${seg(vhost)}`, {});
  await api.mustPut(`/api/users/${seg(user)}`, { password: 'pw', tags: '' });
});

const permPath = (): string => `/api/permissions/${seg(vhost)}/${seg(user)}`;
const topicPath = (exchange?: string): string => `/api/topic-permissions/${seg(vhost)}/${seg(user)}${exchange === undefined ? '' : `/${seg(exchange)}`}`;

describe('permissions', () => {
  it('sets (201), updates (204), shows, lists and clears permissions', async () => {
    expect((await api.put(permPath(), { configure: '^c', write: '^w', read: '^r' })).status).toBe(201);
    expect((await api.put(permPath(), { configure: '', write: '.*', read: '.*' })).status).toBe(204);
    const p = { user, vhost, configure: '', write: '.*', read: '.*' };
    const r = await api.get(permPath());
    expect(r.body).toEqual(p);
    expect(Object.keys(r.body)).toEqual(['user', 'vhost', 'configure', 'write', 'read']);
    expect((await api.get('/api/permissions')).body).toContainEqual(p);
    expect((await api.get(`/api/users/${seg(user)}/permissions`)).body).toEqual([p]);
    const byVhost = (await api.get(`/api/vhosts/${seg(vhost)}/permissions`)).body;
    expect(byVhost).toContainEqual(p);
    expect(Object.keys(byVhost.find((x: { user: string }) => x.user === user))).toEqual(['vhost', 'user', 'configure', 'write', 'read']);
    expect((await api.delete(permPath())).status).toBe(204);
    expect((await api.get(permPath())).status).toBe(404);
    expect((await api.delete(permPath())).status).toBe(404);
  });

  it('refuses permissions for a missing user or vhost, or with keys missing', async () => {
    const body = { configure: '.*', write: '.*', read: '.*' };
    const noVhost = await api.put(`/api/permissions/${seg(uniqueName('nov'))}/${seg(user)}`, body);
    expect(noVhost.status).toBe(400);
    expect(noVhost.body).toEqual({ error: 'bad_request', reason: 'vhost_or_user_not_found' });
    expect((await api.put(`/api/permissions/${seg(vhost)}/${seg(uniqueName('nou'))}`, body)).body.reason).toBe('vhost_or_user_not_found');
    expect((await api.put(permPath(), { configure: '.*', write: '.*' })).body).toEqual({ error: 'bad_request', reason: '[{key_missing,read}]' });
    expect((await api.get(`/api/users/${seg(uniqueName('nou'))}/permissions`)).status).toBe(404);
    expect((await api.get(`/api/vhosts/${seg(uniqueName('nov'))}/permissions`)).status).toBe(404);
  });

  it('decides what the user may do over AMQP', async () => {
    const conn = await amqp.connect(tm.amqpUrl(user, 'pw', vhost)).catch((e: Error) => e);
    expect(conn).toBeInstanceOf(Error); // no permissions: may not open the vhost
    await api.mustPut(permPath(), { configure: '^allowed', write: '.*', read: '.*' });
    const c = await amqp.connect(tm.amqpUrl(user, 'pw', vhost));
    c.on('error', () => {});
    try {
      const ch = await c.createChannel();
      ch.on('error', () => {});
      await ch.assertQueue('allowed-q', { autoDelete: true });
      await expect(ch.assertQueue('denied-q')).rejects.toThrow(/ACCESS_REFUSED/);
    } finally {
      await c.close().catch(() => {});
    }
  });
});

describe('topic permissions', () => {
  it('creates (201) then updates (204) a user vhost topic permissions, lists them, clears one exchange or all', async () => {
    expect((await api.put(topicPath(), { exchange: 'amq.topic', write: '^a', read: '.*' })).status).toBe(201);
    expect((await api.put(topicPath(), { exchange: 'x2', write: '^b', read: '' })).status).toBe(204);
    expect((await api.put(topicPath(), { exchange: 'x2', write: '^c', read: '' })).status).toBe(204);
    const both = [
      { user, vhost, exchange: 'amq.topic', write: '^a', read: '.*' },
      { user, vhost, exchange: 'x2', write: '^c', read: '' },
    ];
    // RabbitMQ lists a user's topic permissions in one vhost in no fixed order: compared as sets.
    const sameSet = (got: unknown[], want: unknown[]): void => {
      expect(got).toHaveLength(want.length);
      expect(got).toEqual(expect.arrayContaining(want));
    };
    sameSet((await api.get(topicPath())).body, both);
    sameSet((await api.get(topicPath('x2'))).body, both); // RabbitMQ 3.10 lists all here too
    sameSet((await api.get(`/api/users/${seg(user)}/topic-permissions`)).body, both);
    const byVhost = (await api.get(`/api/vhosts/${seg(vhost)}/topic-permissions`)).body;
    sameSet(byVhost, both);
    expect(Object.keys(byVhost[0])).toEqual(['vhost', 'user', 'exchange', 'write', 'read']);
    expect((await api.get('/api/topic-permissions')).body).toEqual(expect.arrayContaining(both));
    expect((await api.delete(topicPath('x2'))).status).toBe(204);
    expect((await api.delete(topicPath('x2'))).status).toBe(204); // the resource (amq.topic's) still exists
    expect((await api.get(topicPath())).body).toEqual([both[0]]);
    expect((await api.delete(topicPath())).status).toBe(204);
    expect((await api.delete(topicPath())).status).toBe(404);
    expect((await api.get(topicPath())).status).toBe(404);
  });

  it('refuses topic permissions with a key missing or for a missing vhost', async () => {
    expect((await api.put(topicPath(), { write: '^a', read: '.*' })).body).toEqual({ error: 'bad_request', reason: '[{key_missing,exchange}]' });
    const r = await api.put(`/api/topic-permissions/${seg(uniqueName('nov'))}/${seg(user)}`, { exchange: 'x', write: '', read: '' });
    expect(r.body).toEqual({ error: 'bad_request', reason: 'vhost_or_user_not_found' });
  });
});

describe('vhost limits', () => {
  const limitPath = (name: string, v = vhost): string => `/api/vhost-limits/${seg(v)}/${name}`;

  it('sets (204), lists and clears limits', async () => {
    expect((await api.get(`/api/vhost-limits/${seg(vhost)}`)).body).toEqual([]);
    expect((await api.put(limitPath('max-queues'), { value: 5 })).status).toBe(204);
    expect((await api.put(limitPath('max-queues'), { value: 6 })).status).toBe(204);
    expect((await api.put(limitPath('max-connections'), { value: 7 })).status).toBe(204);
    const entry = { vhost, value: { 'max-connections': 7, 'max-queues': 6 } };
    expect((await api.get(`/api/vhost-limits/${seg(vhost)}`)).body).toEqual([entry]);
    expect((await api.get('/api/vhost-limits')).body).toContainEqual(entry);
    expect((await api.delete(limitPath('max-queues'))).status).toBe(204);
    expect((await api.delete(limitPath('max-queues'))).status).toBe(204);
    expect((await api.get(`/api/vhost-limits/${seg(vhost)}`)).body).toEqual([{ vhost, value: { 'max-connections': 7 } }]);
    expect((await api.get(limitPath('max-connections'))).status).toBe(405);
  });

  it('refuses bad limits with RabbitMQ texts', async () => {
    expect((await api.put(limitPath('max-foo'), { value: 5 })).body).toEqual({
      error: 'bad_request',
      reason: 'Validation failed\n\nUnrecognised terms [{<<"max-foo">>,5}] in limits\n',
    });
    expect((await api.put(limitPath('max-queues'), { value: 'x' })).body.reason).toBe('Validation failed\n\nmax-queues should be a number, actually was <<"x">>\n');
    expect((await api.put(limitPath('max-queues'), { value: 1.5 })).body.reason).toBe('Validation failed\n\nmax-queues should be a number, actually was 1.5\n');
    expect((await api.put(limitPath('max-queues'), {})).body).toEqual({ error: 'bad_request', reason: '[{key_missing,value}]' });
    const noVhost = await api.put(limitPath('max-queues', uniqueName('nov')), { value: 5 });
    expect(noVhost.status).toBe(404);
    expect(noVhost.body).toEqual({ error: 'not_found', reason: 'vhost_not_found' });
    expect((await api.get(`/api/vhost-limits/${seg(uniqueName('nov'))}`)).status).toBe(404);
  });

  it('applies max-queues to AMQP declares', async () => {
    await api.mustPut(limitPath('max-queues'), { value: 1 });
    await api.mustPut(permPath(), { configure: '.*', write: '.*', read: '.*' });
    const c = await amqp.connect(tm.amqpUrl(user, 'pw', vhost));
    c.on('error', () => {});
    try {
      const ch = await c.createChannel();
      ch.on('error', () => {});
      await ch.assertQueue('', { exclusive: true });
      await expect(ch.assertQueue('', { exclusive: true })).rejects.toThrow(/queue limit in vhost/);
    } finally {
      await c.close().catch(() => {});
    }
  });
});

describe('user limits', () => {
  const limitPath = (name: string, u = user): string => `/api/user-limits/${seg(u)}/${name}`;

  it('sets (204), lists and clears limits', async () => {
    expect((await api.get(`/api/user-limits/${seg(user)}`)).body).toEqual([]);
    expect((await api.put(limitPath('max-channels'), { value: 5 })).status).toBe(204);
    expect((await api.put(limitPath('max-connections'), { value: 2 })).status).toBe(204);
    const entry = { user, value: { 'max-channels': 5, 'max-connections': 2 } };
    expect((await api.get(`/api/user-limits/${seg(user)}`)).body).toEqual([entry]);
    expect((await api.get('/api/user-limits')).body).toContainEqual(entry);
    expect((await api.get(`/api/users/${seg(user)}`)).body.limits).toEqual({ 'max-channels': 5, 'max-connections': 2 });
    expect((await api.delete(limitPath('max-channels'))).status).toBe(204);
    expect((await api.get(`/api/user-limits/${seg(user)}`)).body).toEqual([{ user, value: { 'max-connections': 2 } }]);
    expect((await api.get(`/api/user-limits/${seg(uniqueName('nou'))}`)).status).toBe(404);
  });

  it('refuses bad limits with RabbitMQ texts', async () => {
    expect((await api.put(limitPath('max-queues'), { value: 5 })).body).toEqual({
      error: 'bad_request',
      reason: 'Unrecognised terms [{<<"max-queues">>,5}] in user-limits',
    });
    expect((await api.put(limitPath('max-channels'), { value: 'a' })).body.reason).toBe('max-channels should be a number, actually was <<"a">>');
    const nobody = uniqueName('nou');
    expect((await api.put(limitPath('max-channels', nobody), { value: 5 })).body).toEqual({ error: 'bad_request', reason: ['no_such_user', nobody] });
  });
});

describe('who may', () => {
  it('lets a management user read limits of vhosts it sees, and nothing more', async () => {
    const mgmt = cleanup.user(uniqueName('http-pm'));
    await api.mustPut(`/api/users/${seg(mgmt)}`, { password: 'pw', tags: 'management' });
    const as = api.as(mgmt, 'pw');
    await api.mustPut(`/api/vhost-limits/${seg(vhost)}/max-queues`, { value: 3 });
    const denied = await as.get(`/api/vhost-limits/${seg(vhost)}`);
    expect(denied.status).toBe(401);
    expect(denied.body).toEqual({ error: 'not_authorised', reason: 'User not authorised to access virtual host' });
    expect((await as.get('/api/vhost-limits')).body.map((l: { vhost: string }) => l.vhost)).not.toContain(vhost);
    await api.mustPut(`/api/permissions/${seg(vhost)}/${seg(mgmt)}`, { configure: '', write: '', read: '' });
    expect((await as.get(`/api/vhost-limits/${seg(vhost)}`)).body).toEqual([{ vhost, value: { 'max-queues': 3 } }]);
    expect((await as.put(`/api/vhost-limits/${seg(vhost)}/max-queues`, { value: 4 })).body.reason).toBe('Not administrator user');
    expect((await as.get('/api/topic-permissions')).body.reason).toBe('Not administrator user');
  });
});
