/**
 * /api/users and /api/vhosts: create, update, show, list, delete, with RabbitMQ's status codes,
 * fields and error texts; users created over HTTP log in over AMQP (amqplib). Checked against
 * RabbitMQ 3.10 with WARREN_TEST_MGMT_URL.
 */
import amqp from 'amqplib';
import { describe, expect, it } from 'vitest';
import { uniqueName } from '../helpers/broker.js';
import { managementSuite, seg } from '../helpers/management.js';

const tm = managementSuite();
const { api, cleanup } = tm;

const userPath = (name: string): string => `/api/users/${seg(name)}`;
const vhostPath = (name: string): string => `/api/vhosts/${seg(name)}`;

/** Open and close an AMQP connection as this user; resolves true when it logged in. */
async function amqpLogin(user: string, password: string, vhost = '/'): Promise<boolean> {
  try {
    const conn = await amqp.connect(tm.amqpUrl(user, password, vhost));
    await conn.close();
    return true;
  } catch {
    return false;
  }
}

describe('users', () => {
  it('creates a user (201), updates it (204), shows RabbitMQ 3.10 fields, deletes it (204, then 404)', async () => {
    const name = cleanup.user(uniqueName('http-u'));
    expect((await api.put(userPath(name), { password: 'pw1', tags: 'management,monitoring' })).status).toBe(201);
    expect((await api.put(userPath(name), { password: 'pw1', tags: ['monitoring'] })).status).toBe(204);
    const r = await api.get(userPath(name));
    expect(r.status).toBe(200);
    expect(Object.keys(r.body)).toEqual(['name', 'password_hash', 'hashing_algorithm', 'tags', 'limits']);
    expect(r.body).toEqual({
      name,
      password_hash: expect.stringMatching(/^[A-Za-z0-9+/]{48}$/),
      hashing_algorithm: 'rabbit_password_hashing_sha256',
      tags: ['monitoring'],
      limits: {},
    });
    expect((await api.get('/api/users')).body.map((u: { name: string }) => u.name)).toContain(name);
    expect((await api.delete(userPath(name))).status).toBe(204);
    expect((await api.get(userPath(name))).status).toBe(404);
    const again = await api.delete(userPath(name));
    expect(again.status).toBe(404);
    expect(again.body).toEqual({ error: 'Object Not Found', reason: 'Not Found' });
  });

  it('reads tags as a comma-separated string, trimmed, or as a list', async () => {
    const name = cleanup.user(uniqueName('http-tags'));
    await api.mustPut(userPath(name), { password: 'x', tags: ' a , b,,c' });
    expect((await api.get(userPath(name))).body.tags).toEqual(['a', 'b', 'c']);
    await api.mustPut(userPath(name), { password: 'x', tags: [] });
    expect((await api.get(userPath(name))).body.tags).toEqual([]);
  });

  it('refuses a user without tags, or with both a password and a hash', async () => {
    const name = seg(uniqueName('http-bad'));
    expect((await api.put(`/api/users/${name}`, { password: 'x' })).body).toEqual({ error: 'bad_request', reason: 'tags_not_present' });
    const both = await api.put(`/api/users/${name}`, { password: 'x', password_hash: 'abcd', tags: '' });
    expect(both.status).toBe(400);
    expect(both.body).toEqual({ error: 'bad_request', reason: 'both_password_and_password_hash_are_provided' });
    expect((await api.put(`/api/users/${name}`, { password_hash: '!!!', tags: '' })).body).toEqual({ error: 'bad_request', reason: ['not_base64', '!!!'] });
  });

  it('keeps limits given with the user', async () => {
    const name = cleanup.user(uniqueName('http-lim'));
    await api.mustPut(userPath(name), { password: 'x', tags: '', limits: { 'max-connections': 3 } });
    expect((await api.get(userPath(name))).body.limits).toEqual({ 'max-connections': 3 });
  });

  it('lets a user created over HTTP log in over AMQP, with its password or an imported hash', async () => {
    const vhost = cleanup.vhost(uniqueName('http-login-vh'));
    await api.mustPut(vhostPath(vhost), {});
    const name = cleanup.user(uniqueName('http-login'));
    await api.mustPut(userPath(name), { password: 's3cret', tags: '' });
    await api.mustPut(`/api/permissions/${seg(vhost)}/${seg(name)}`, { configure: '.*', write: '.*', read: '.*' });
    expect(await amqpLogin(name, 's3cret', vhost)).toBe(true);
    expect(await amqpLogin(name, 'wrong', vhost)).toBe(false);

    // The same password hash under another name (RabbitMQ's format: base64 of salt + sha256).
    const hash = (await api.get(userPath(name))).body.password_hash as string;
    const twin = cleanup.user(uniqueName('http-twin'));
    await api.mustPut(userPath(twin), { password_hash: hash, hashing_algorithm: 'rabbit_password_hashing_sha256', tags: 'management' });
    expect((await api.get(userPath(twin))).body.password_hash).toBe(hash);
    await api.mustPut(`/api/permissions/${seg(vhost)}/${seg(twin)}`, { configure: '', write: '', read: '' });
    expect(await amqpLogin(twin, 's3cret', vhost)).toBe(true);
    expect((await api.as(twin, 's3cret').get('/api/whoami')).body).toEqual({ name: twin, tags: ['management'] });

    // A password change applies to the next login; no password at all refuses every login.
    await api.mustPut(userPath(name), { password: 'n3w', tags: '' });
    expect(await amqpLogin(name, 's3cret', vhost)).toBe(false);
    expect(await amqpLogin(name, 'n3w', vhost)).toBe(true);
    await api.mustPut(userPath(name), { tags: '' });
    expect((await api.get(userPath(name))).body.password_hash).toBe('');
    expect(await amqpLogin(name, 'n3w', vhost)).toBe(false);
  });

  it('lists users without permissions', async () => {
    const lonely = cleanup.user(uniqueName('http-lonely'));
    await api.mustPut(userPath(lonely), { password: 'x', tags: '' });
    const names = (await api.get('/api/users/without-permissions')).body.map((u: { name: string }) => u.name);
    expect(names).toContain(lonely);
    expect(names).not.toContain('guest');
  });

  it('bulk-deletes users in order, stopping at the first unknown one', async () => {
    const [a, b] = [cleanup.user(uniqueName('http-bulk')), cleanup.user(uniqueName('http-bulk'))];
    for (const u of [a, b]) await api.mustPut(userPath(u), { password: 'x', tags: '' });
    const missing = uniqueName('http-nobody');
    const r = await api.post('/api/users/bulk-delete', { users: [a, missing, b] });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ error: 'bad_request', reason: ['no_such_user', missing] });
    expect((await api.get(userPath(a))).status).toBe(404);
    expect((await api.get(userPath(b))).status).toBe(200);
    expect((await api.post('/api/users/bulk-delete', { users: [b] })).status).toBe(204);
    expect((await api.get(userPath(b))).status).toBe(404);
    expect((await api.post('/api/users/bulk-delete', {})).body).toEqual({ error: 'bad_request', reason: '[{key_missing,users}]' });
  });
});

describe('vhosts', () => {
  it('creates (201) and updates (204) a vhost; an update replaces description and tags', async () => {
    const name = cleanup.vhost(uniqueName('http-vh'));
    expect((await api.put(vhostPath(name), { description: 'first', tags: 'a,b' })).status).toBe(201);
    const created = (await api.get(vhostPath(name))).body;
    expect(created).toEqual(
      expect.objectContaining({ name, description: 'first', tags: ['a', 'b'], default_queue_type: 'undefined', tracing: false }),
    );
    expect(created.metadata).toEqual({ description: 'first', tags: ['a', 'b'] });
    expect(Object.values(created.cluster_state)).toEqual(['running']);
    expect((await api.put(vhostPath(name), { description: 'second' })).status).toBe(204);
    const updated = (await api.get(vhostPath(name))).body;
    expect(updated.description).toBe('second');
    expect(updated.tags).toEqual([]);
  });

  it('creates a vhost with no body, and lists it', async () => {
    const name = cleanup.vhost(uniqueName('http-vh-empty'));
    expect((await api.put(vhostPath(name))).status).toBe(201);
    const listed = (await api.get('/api/vhosts')).body.find((v: { name: string }) => v.name === name);
    expect(listed).toEqual(expect.objectContaining({ name, description: '', tags: [] }));
  });

  it('keeps the default queue type given at creation (defaultqueuetype, as 3.10 reads it)', async () => {
    const name = cleanup.vhost(uniqueName('http-vh-qq'));
    await api.mustPut(vhostPath(name), { defaultqueuetype: 'quorum' });
    const r = (await api.get(vhostPath(name))).body;
    expect(r.default_queue_type).toBe('quorum');
    expect(r.metadata.default_queue_type).toBe('quorum');
    await api.mustPut(vhostPath(name), { description: 'later' });
    expect((await api.get(vhostPath(name))).body.default_queue_type).toBe('quorum');
  });

  it('reads default_queue_type too (3.11+, what Terraform and rabbitmqadmin send)', async () => {
    if (tm.external) return; // RabbitMQ 3.10 ignores this name
    const name = cleanup.vhost(uniqueName('http-vh-dqt'));
    await api.mustPut(vhostPath(name), { default_queue_type: 'quorum' });
    expect((await api.get(vhostPath(name))).body.default_queue_type).toBe('quorum');
    const bad = await api.put(vhostPath(uniqueName('http-vh-bad')), { default_queue_type: 'bogus' });
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({ error: 'bad_request', reason: 'invalid_queue_type' });
  });

  it('gives the creating user full permissions on a new vhost', async () => {
    const name = cleanup.vhost(uniqueName('http-vh-perm'));
    await api.mustPut(vhostPath(name), {});
    const r = await api.get(`/api/permissions/${seg(name)}/guest`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ user: 'guest', vhost: name, configure: '.*', write: '.*', read: '.*' });
  });

  it('deletes a vhost (204) with its connections; a missing one is 404', async () => {
    const name = uniqueName('http-vh-del');
    await api.mustPut(vhostPath(name), {});
    const conn = await amqp.connect(tm.amqpUrl(api.user, api.password, name));
    const closed = new Promise<void>((done) => conn.on('close', () => done()));
    conn.on('error', () => {});
    expect((await api.delete(vhostPath(name))).status).toBe(204);
    await closed;
    expect((await api.get(vhostPath(name))).status).toBe(404);
    expect((await api.delete(vhostPath(name))).status).toBe(404);
  });

  it('lists only the vhosts a management user may open; monitors see all', async () => {
    const vhost = cleanup.vhost(uniqueName('http-vh-vis'));
    await api.mustPut(vhostPath(vhost), {});
    const user = cleanup.user(uniqueName('http-vis'));
    await api.mustPut(userPath(user), { password: 'pw', tags: 'management' });
    const names = async (): Promise<string[]> => (await api.as(user, 'pw').get('/api/vhosts')).body.map((v: { name: string }) => v.name);
    expect(await names()).not.toContain(vhost);
    await api.mustPut(`/api/permissions/${seg(vhost)}/${seg(user)}`, { configure: '', write: '', read: '' });
    expect(await names()).toEqual([vhost]);
    await api.mustPut(userPath(user), { password: 'pw', tags: 'monitoring' });
    expect(await names()).toEqual(expect.arrayContaining(['/', vhost]));
  });
});
