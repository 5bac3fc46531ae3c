/**
 * /api/connections, /api/channels, /api/consumers and their per-vhost, per-connection and
 * per-user forms: RabbitMQ 3.10's fields for real amqplib clients, closing a connection (320
 * CONNECTION_FORCED with the X-Reason text), pagination and columns, what non-monitors see.
 * Checked against RabbitMQ 3.10 with WARREN_TEST_MGMT_URL; RabbitMQ shows connections and
 * channels only after its next statistics emission, so every read polls.
 */
import amqp, { type ChannelModel } from 'amqplib';
import { afterAll, describe, expect, it } from 'vitest';
import { uniqueName, waitFor } from '../helpers/broker.js';
import { type Api, managementSuite, seg } from '../helpers/management.js';

const tm = managementSuite();
const { api, cleanup } = tm;
const open: ChannelModel[] = [];

afterAll(async () => {
  for (const c of open) await c.close().catch(() => {});
});

const STATS_MS = 15_000;
const amqpPort = (): number => Number(new URL(tm.amqpBase).port);

/** An amqplib connection named `label` (client property connection_name). */
async function connect(label: string, user = 'guest', password = 'guest'): Promise<ChannelModel> {
  const conn = await amqp.connect(tm.amqpUrl(user, password), { clientProperties: { connection_name: label } });
  conn.on('error', () => {});
  open.push(conn);
  return conn;
}

/** The connection labelled `label`, once the API lists it with its state and byte counts (RabbitMQ adds them with its statistics). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function listed(label: string, as: Api = api): Promise<any> {
  type Listed = { client_properties?: { connection_name?: string }; state?: string; recv_oct?: number };
  return waitFor(async () => {
    const r = await as.get('/api/connections');
    if (r.status !== 200) return undefined;
    return r.body.find((c: Listed) => c.client_properties?.connection_name === label && c.state !== undefined && c.recv_oct !== undefined);
  }, STATS_MS);
}

/** A user with these tags and full permissions on `/`. */
async function user(tags: string): Promise<string> {
  const name = cleanup.user(uniqueName('conn-user'));
  await api.mustPut(`/api/users/${seg(name)}`, { password: 'pw', tags });
  await api.mustPut(`/api/permissions/%2F/${seg(name)}`, { configure: '.*', write: '.*', read: '.*' });
  return name;
}

/** Resolves with the error an amqplib connection closes with. */
const closed = (conn: ChannelModel): Promise<Error & { code?: number }> => new Promise((resolve) => conn.once('close', (err: Error) => resolve(err)));

describe('connections', { timeout: 40_000 }, () => {
  it('lists a connection with RabbitMQ fields, and shows it by name and per vhost', async () => {
    const label = uniqueName('conn');
    const before = Date.now();
    await connect(label);
    const c = await listed(label);
    expect(c.name).toMatch(/^127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+$/);
    expect(c.name).toBe(`127.0.0.1:${c.peer_port} -> 127.0.0.1:${amqpPort()}`);
    expect(c).toMatchObject({
      user: 'guest',
      vhost: '/',
      peer_host: '127.0.0.1',
      host: '127.0.0.1',
      port: amqpPort(),
      state: 'running',
      protocol: 'AMQP 0-9-1',
      auth_mechanism: 'PLAIN',
      ssl: false,
      type: 'network',
      user_provided_name: label,
      client_properties: { product: 'amqplib', connection_name: label, capabilities: { publisher_confirms: true } },
    });
    for (const k of ['frame_max', 'channel_max', 'timeout', 'recv_oct', 'send_oct', 'channels']) expect(typeof c[k]).toBe('number');
    expect(c.connected_at).toBeGreaterThanOrEqual(before - 1000);
    expect(c.connected_at).toBeLessThanOrEqual(Date.now());
    const one = await api.get(`/api/connections/${seg(c.name)}`);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ name: c.name, user_provided_name: label, peer_port: c.peer_port });
    const inVhost = await api.get('/api/vhosts/%2F/connections');
    expect(inVhost.body.map((x: { name: string }) => x.name)).toContain(c.name);
  });

  it('pages connections (RabbitMQ key order) and keeps the columns asked for', async () => {
    const label = uniqueName('conn-page');
    await connect(label);
    const c = await listed(label);
    const r = await api.get(`/api/connections?page=1&page_size=5&name=${encodeURIComponent(`:${c.peer_port} ->`)}&columns=name,user,client_properties.connection_name`);
    expect(r.status).toBe(200);
    expect(Object.keys(r.body)).toEqual(['total_count', 'item_count', 'filtered_count', 'page', 'page_size', 'page_count', 'items']);
    expect(r.body).toMatchObject({ item_count: 1, filtered_count: 1, page: 1, page_size: 5, page_count: 1 });
    expect(r.body.items).toHaveLength(1);
    // RabbitMQ 3.10 keeps a map-valued field whole when a dotted column names part of it; Warren keeps the part.
    expect(Object.keys(r.body.items[0]).sort()).toEqual(['client_properties', 'name', 'user']);
    expect(r.body.items[0]).toMatchObject({ name: c.name, user: 'guest', client_properties: { connection_name: label } });
  });

  it('DELETE closes it with 320 CONNECTION_FORCED and the X-Reason text', async () => {
    const label = uniqueName('conn-del');
    const conn = await connect(label);
    const c = await listed(label);
    const error = closed(conn);
    const r = await api.delete(`/api/connections/${seg(c.name)}`, { headers: { 'X-Reason': `bye ${label}` } });
    expect(r.status).toBe(204);
    const err = await error;
    expect(err.code).toBe(320);
    expect(err.message).toContain(`"CONNECTION_FORCED - bye ${label}"`);
    await waitFor(async () => (await api.get(`/api/connections/${seg(c.name)}`)).status === 404, STATS_MS);
  });

  it('DELETE without X-Reason says "Closed via management plugin"', async () => {
    const label = uniqueName('conn-del2');
    const conn = await connect(label);
    const c = await listed(label);
    const error = closed(conn);
    expect((await api.delete(`/api/connections/${seg(c.name)}`)).status).toBe(204);
    expect((await error).message).toContain('"CONNECTION_FORCED - Closed via management plugin"');
  });

  it("lists and closes a user's connections (/api/connections/username/{user})", async () => {
    const name = await user('management');
    const label = uniqueName('conn-user');
    const conn = await connect(label, name, 'pw');
    const path = `/api/connections/username/${seg(name)}`;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const list: any[] = await waitFor(async () => {
      const r = await api.get(path);
      return r.body.length === 1 ? r.body : undefined;
    }, STATS_MS);
    expect(Object.keys(list[0]).sort()).toEqual(['name', 'node', 'user', 'vhost']);
    expect(list[0]).toMatchObject({ user: name, vhost: '/' });
    const error = closed(conn);
    expect((await api.delete(path, { headers: { 'X-Reason': 'user sweep' } })).status).toBe(204);
    expect((await error).message).toContain('"CONNECTION_FORCED - user sweep"');
    expect((await api.delete(`/api/connections/username/${seg(uniqueName('nobody'))}`)).status).toBe(204);
  });

  it("shows users who are not monitors only their own connections; others' are 401", async () => {
    const name = await user('management');
    const mine = uniqueName('conn-mine');
    const theirs = uniqueName('conn-theirs');
    await connect(mine, name, 'pw');
    await connect(theirs);
    const other = await listed(theirs);
    const as = api.as(name, 'pw');
    const own = await listed(mine, as);
    expect(own.user).toBe(name);
    expect((await as.get('/api/connections')).body.every((c: { user: string }) => c.user === name)).toBe(true);
    expect((await as.get(`/api/connections/${seg(own.name)}`)).status).toBe(200);
    const refused = await as.get(`/api/connections/${seg(other.name)}`);
    expect(refused.status).toBe(401);
    expect(refused.body).toEqual({ error: 'not_authorised', reason: 'User not authorised to access object' });
    expect((await as.delete(`/api/connections/${seg(own.name)}`)).status).toBe(204);
  });

  it('answers 404 for what does not exist', async () => {
    for (const p of ['/api/connections/nope', '/api/channels/nope', '/api/consumers/nope', '/api/vhosts/nope/connections', '/api/vhosts/nope/channels']) {
      const r = await api.get(p);
      expect([p, r.status, r.body]).toEqual([p, 404, { error: 'Object Not Found', reason: 'Not Found' }]);
    }
    expect((await api.delete('/api/connections/nope')).status).toBe(404);
  });
});

describe('channels and consumers', { timeout: 40_000 }, () => {
  it('lists channels with prefetch, confirm and consumer counts, and their consumers', async () => {
    const label = uniqueName('chan');
    const conn = await connect(label);
    const ch = await conn.createChannel();
    await ch.prefetch(7);
    const q = await ch.assertQueue('', { exclusive: true });
    const tag = uniqueName('tag');
    await ch.consume(q.queue, () => {}, { consumerTag: tag, arguments: { 'x-priority': 3 } });
    const ch2 = await conn.createConfirmChannel();
    await ch2.prefetch(5, true);
    const c = await listed(label);
    const path = `/api/connections/${seg(c.name)}/channels`;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const chans: any[] = await waitFor(async () => {
      const r = await api.get(path);
      return r.body.length === 2 && r.body[0].consumer_count === 1 ? r.body : undefined;
    }, STATS_MS);
    const details = { name: c.name, peer_host: '127.0.0.1', peer_port: c.peer_port };
    expect(chans[0]).toMatchObject({
      name: `${c.name} (1)`,
      number: 1,
      connection_details: details,
      consumer_count: 1,
      prefetch_count: 7,
      global_prefetch_count: 0,
      messages_unacknowledged: 0,
      confirm: false,
      transactional: false,
      user: 'guest',
      vhost: '/',
      state: 'running',
    });
    expect(chans[1]).toMatchObject({ name: `${c.name} (2)`, number: 2, confirm: true, global_prefetch_count: 5, prefetch_count: 0, consumer_count: 0 });
    const all = await api.get('/api/channels');
    expect(all.body.map((x: { name: string }) => x.name)).toEqual(expect.arrayContaining([`${c.name} (1)`, `${c.name} (2)`]));
    const inVhost = await api.get('/api/vhosts/%2F/channels');
    expect(inVhost.body.map((x: { name: string }) => x.name)).toContain(`${c.name} (1)`);

    const consumer = {
      consumer_tag: tag,
      queue: { name: q.queue, vhost: '/' },
      ack_required: true,
      exclusive: false,
      prefetch_count: 7,
      arguments: { 'x-priority': 3 },
      active: true,
      channel_details: { name: `${c.name} (1)`, connection_name: c.name, number: 1, peer_host: '127.0.0.1', peer_port: c.peer_port, user: 'guest' },
    };
    const one = await api.get(`/api/channels/${seg(`${c.name} (1)`)}`);
    expect(one.status).toBe(200);
    expect(one.body.consumer_details).toHaveLength(1);
    expect(one.body.consumer_details[0]).toMatchObject(consumer);
    for (const p of ['/api/consumers', '/api/consumers/%2F']) {
      const found = (await api.get(p)).body.find((x: { consumer_tag: string }) => x.consumer_tag === tag);
      expect(found).toMatchObject(consumer);
    }
    expect((await api.get(`/api/channels/${seg(`${c.name} (9)`)}`)).status).toBe(404);
  });

  it('shows a transactional channel and its uncommitted publishes', async () => {
    const label = uniqueName('chan-tx');
    const conn = await connect(label);
    const ch = await conn.createChannel();
    await ch.assertQueue(label, { exclusive: true });
    // amqplib has no tx API: tx.select (class 90, method 10) through its channel rpc.
    const raw = ch as unknown as { rpc(method: number, fields: object, expect: number): Promise<unknown> };
    await raw.rpc((90 << 16) | 10, {}, (90 << 16) | 11);
    ch.sendToQueue(label, Buffer.from('a'));
    ch.sendToQueue(label, Buffer.from('b'));
    const c = await listed(label);
    const name = seg(`${c.name} (1)`);
    const one = await waitFor(async () => {
      const r = await api.get(`/api/channels/${name}`);
      return r.status === 200 && r.body.messages_uncommitted === 2 ? r.body : undefined;
    }, STATS_MS);
    expect(one).toMatchObject({ transactional: true, confirm: false, messages_uncommitted: 2, messages_unacknowledged: 0 });
  });
});
