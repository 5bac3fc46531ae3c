/**
 * /api/policies, /api/operator-policies, /api/parameters, /api/global-parameters and
 * /api/cluster-name: RabbitMQ's status codes, shapes, rules and validation texts, and a policy
 * set over HTTP taking effect on a queue used over AMQP. Checked against RabbitMQ 3.10 with
 * WARREN_TEST_MGMT_URL (no federation or shovel plugin enabled there).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqp from 'amqplib';
import { beforeEach, describe, expect, it } from 'vitest';
import { uniqueName } from '../helpers/broker.js';
import { Api as Client, managementSuite, seg } from '../helpers/management.js';
import { startBroker } from '../../src/index.js';

const tm = managementSuite();
const { api, cleanup } = tm;
let vhost: string;

beforeEach(async () => {
  vhost = await tm.vhost('http-pol');
});

const policyPath = (name: string, kind = 'policies'): string => `/api/${kind}/${seg(vhost)}/${seg(name)}`;

describe('policies', () => {
  it('creates (201), updates (204), shows, lists by priority and deletes a policy', async () => {
    expect((await api.put(policyPath('b'), { pattern: '^b', definition: { 'max-length': 5 } })).status).toBe(201);
    expect((await api.put(policyPath('a'), { pattern: '^a', definition: { 'message-ttl': 1000 }, priority: 3, 'apply-to': 'queues' })).status).toBe(201);
    expect((await api.put(policyPath('b'), { pattern: '^bb', definition: { 'max-length': 7 }, priority: 1 })).status).toBe(204);
    const b = await api.get(policyPath('b'));
    expect(b.body).toEqual({ vhost, name: 'b', pattern: '^bb', 'apply-to': 'all', definition: { 'max-length': 7 }, priority: 1 });
    expect(Object.keys(b.body)).toEqual(['vhost', 'name', 'pattern', 'apply-to', 'definition', 'priority']);
    const listed = (await api.get(`/api/policies/${seg(vhost)}`)).body as { name: string }[];
    expect(listed.map((p) => p.name)).toEqual(['b', 'a']);
    expect(((await api.get('/api/policies')).body as { vhost: string }[]).filter((p) => p.vhost === vhost)).toHaveLength(2);
    expect((await api.delete(policyPath('b'))).status).toBe(204);
    expect((await api.get(policyPath('b'))).status).toBe(404);
    expect((await api.delete(policyPath('b'))).status).toBe(404);
    expect((await api.get(`/api/policies/${seg(uniqueName('nov'))}`)).status).toBe(404);
  });

  it("refuses invalid policies with RabbitMQ's texts", async () => {
    const bad = await api.put(policyPath('p'), { pattern: '.*', definition: { 'max-length': 'x' } });
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({ error: 'bad_request', reason: 'Validation failed\n\n<<"x">> is not a valid maximum length\n'.replaceAll('<', '&lt;').replaceAll('>', '&gt;') });
    const unknown = await api.put(policyPath('p'), { pattern: '.*', definition: { foo: 1 }, 'apply-to': 'bar' });
    // Warren lists 3.13's apply-to values (3.10: "should be 'queues', 'exchanges' or 'all'").
    expect(unknown.body.reason).toMatch(
      /^Validation failed\n\n\[\{&lt;&lt;"foo"&gt;&gt;,1\}\] are not recognised policy settings\napply-to 'bar' unrecognised; should be .*'exchanges',? or 'all'\n$/,
    );
    expect((await api.put(policyPath('p'), { pattern: '.*' })).body).toEqual({ error: 'bad_request', reason: '[{key_missing,definition}]' });
    const noVhost = await api.put(`/api/policies/${seg(uniqueName('nov'))}/p`, { pattern: '.*', definition: { 'max-length': 1 } });
    expect(noVhost.status).toBe(404);
    expect(noVhost.body).toEqual({ error: 'not_found', reason: 'vhost_not_found' });
    expect((await api.get(policyPath('p'))).status).toBe(404);
  });

  it('applies a policy set over HTTP to a queue used over AMQP (max-length)', async () => {
    const conn = await amqp.connect(tm.amqpUrl('guest', 'guest', vhost));
    try {
      const ch = await conn.createConfirmChannel();
      await ch.assertQueue('limited');
      await api.mustPut(policyPath('limit'), { pattern: '^limited$', definition: { 'max-length': 2 }, 'apply-to': 'queues' });
      for (let i = 0; i < 5; i++) ch.sendToQueue('limited', Buffer.from(`m${i}`));
      await ch.waitForConfirms();
      expect((await ch.checkQueue('limited')).messageCount).toBe(2);
      const first = await ch.get('limited', { noAck: true });
      expect(first && first.content.toString()).toBe('m3');
      await api.mustPut(policyPath('limit'), { pattern: '^limited$', definition: { 'max-length': 1 }, 'apply-to': 'queues' });
      expect((await ch.checkQueue('limited')).messageCount).toBe(1);
      expect((await api.delete(policyPath('limit'))).status).toBe(204);
      for (let i = 0; i < 3; i++) ch.sendToQueue('limited', Buffer.from('again'));
      await ch.waitForConfirms();
      expect((await ch.checkQueue('limited')).messageCount).toBe(4);
    } finally {
      await conn.close();
    }
  });

  it('lets policymakers who may open the vhost manage policies, not operator policies', async () => {
    const pm = cleanup.user(uniqueName('http-pm'));
    await api.mustPut(`/api/users/${seg(pm)}`, { password: 'pw', tags: 'policymaker' });
    const as = api.as(pm, 'pw');
    const body = { pattern: '.*', definition: { 'max-length': 3 } };
    expect((await as.put(policyPath('pm'), body)).body).toEqual({ error: 'not_authorised', reason: 'User not authorised to access object' });
    await api.mustPut(`/api/permissions/${seg(vhost)}/${seg(pm)}`, { configure: '', write: '', read: '' });
    expect((await as.put(policyPath('pm'), body)).status).toBe(201);
    expect(((await as.get('/api/policies')).body as { vhost: string }[]).every((p) => p.vhost === vhost)).toBe(true);
    const op = await as.put(policyPath('op', 'operator-policies'), body);
    expect(op.status).toBe(401);
    expect(op.body).toEqual({ error: 'not_authorised', reason: 'Not administrator user' });
  });
});

describe('policies and monitoring users', () => {
  it('lists only the vhosts a monitoring user may open, and refuses it one policy', async () => {
    await api.mustPut(policyPath('seen'), { pattern: '.*', definition: { 'max-length': 3 } });
    const mon = cleanup.user(uniqueName('http-mon'));
    await api.mustPut(`/api/users/${seg(mon)}`, { password: 'pw', tags: 'monitoring' });
    const as = api.as(mon, 'pw');
    expect(((await as.get('/api/policies')).body as { vhost: string }[]).some((p) => p.vhost === vhost)).toBe(false);
    expect((await as.get(`/api/policies/${seg(vhost)}`)).status).toBe(401);
    expect((await as.get(policyPath('seen'))).body).toEqual({ error: 'not_authorised', reason: 'User not authorised to access object' });
    await api.mustPut(`/api/permissions/${seg(vhost)}/${seg(mon)}`, { configure: '', write: '', read: '' });
    expect(((await as.get(`/api/policies/${seg(vhost)}`)).body as { name: string }[]).map((p) => p.name)).toEqual(['seen']);
    expect((await as.get(policyPath('seen'))).status).toBe(401);
  });
});

describe('operator policies', () => {
  it('are a namespace of their own, with operator keys only', async () => {
    const path = policyPath('op', 'operator-policies');
    expect((await api.put(path, { pattern: '^q', definition: { 'max-length': 10 }, priority: 2, 'apply-to': 'queues' })).status).toBe(201);
    expect((await api.get(path)).body).toEqual({ vhost, name: 'op', pattern: '^q', 'apply-to': 'queues', definition: { 'max-length': 10 }, priority: 2 });
    expect((await api.get(policyPath('op'))).status).toBe(404);
    expect(((await api.get(`/api/operator-policies/${seg(vhost)}`)).body as { name: string }[]).map((p) => p.name)).toEqual(['op']);
    const bad = await api.put(path, { pattern: '^q', definition: { 'dead-letter-exchange': 'x' } });
    expect(bad.status).toBe(400);
    expect(bad.body.reason).toBe('Validation failed\n\n[{<<"dead-letter-exchange">>,<<"x">>}] are not recognised policy settings\n');
    expect((await api.delete(path)).status).toBe(204);
    expect((await api.get(path)).status).toBe(404);
  });
});

describe('parameters', () => {
  const paramPath = (component: string, name: string): string => `/api/parameters/${component}/${seg(vhost)}/${seg(name)}`;

  it('keeps vhost limits and operator policies as the runtime parameters RabbitMQ has', async () => {
    expect((await api.put(paramPath('vhost-limits', 'limits'), { value: { 'max-queues': 4 } })).status).toBe(201);
    const limits = { vhost, component: 'vhost-limits', name: 'limits', value: { 'max-queues': 4 } };
    expect((await api.get(paramPath('vhost-limits', 'limits'))).body).toEqual(limits);
    expect((await api.get(`/api/vhost-limits/${seg(vhost)}`)).body).toEqual([{ vhost, value: { 'max-queues': 4 } }]);
    expect((await api.get(`/api/parameters/vhost-limits/${seg(vhost)}`)).body).toEqual([limits]);
    expect((await api.get('/api/parameters')).body).toContainEqual(limits);
    const op = { pattern: '^x', definition: { 'max-length': 1 }, priority: 0, 'apply-to': 'queues' };
    expect((await api.put(paramPath('operator_policy', 'opp'), { value: op })).status).toBe(201);
    expect((await api.get(paramPath('operator_policy', 'opp'))).body).toEqual({ vhost, component: 'operator_policy', name: 'opp', value: op });
    expect((await api.get(policyPath('opp', 'operator-policies'))).body).toEqual({ vhost, name: 'opp', ...op });
    expect((await api.delete(paramPath('operator_policy', 'opp'))).status).toBe(204);
    expect((await api.get(policyPath('opp', 'operator-policies'))).status).toBe(404);
    expect((await api.delete(paramPath('vhost-limits', 'limits'))).status).toBe(204);
    expect((await api.get(`/api/parameters/vhost-limits/${seg(vhost)}`)).body).toEqual([]);
  });

  it('lists policies under the policy component only, and refuses to set them there', async () => {
    await api.mustPut(policyPath('listed'), { pattern: '.*', definition: { 'max-length': 9 } });
    const value = { pattern: '.*', definition: { 'max-length': 9 }, priority: 0, 'apply-to': 'all' };
    expect((await api.get(`/api/parameters/policy/${seg(vhost)}`)).body).toEqual([{ vhost, component: 'policy', name: 'listed', value }]);
    expect(((await api.get('/api/parameters')).body as { vhost: string }[]).filter((p) => p.vhost === vhost)).toEqual([]);
    const put = await api.put(paramPath('policy', 'other'), { value });
    expect(put.body).toEqual({ error: 'bad_request', reason: 'policies may not be set using this method' });
  });

  it('refuses components Warren has no plugin for, as RabbitMQ without the plugin', async () => {
    for (const component of ['federation-upstream', 'shovel', 'no-such-component']) {
      const r = await api.put(paramPath(component, 'x'), { value: { uri: 'amqp://localhost' } });
      expect(r.status).toBe(400);
      expect(r.body).toEqual({ error: 'bad_request', reason: `Validation failed\n\ncomponent ${component} not found\n` });
      expect((await api.get(`/api/parameters/${component}`)).body).toEqual([]);
      expect((await api.get(`/api/parameters/${component}/${seg(vhost)}`)).body).toEqual([]);
      expect((await api.get(paramPath(component, 'x'))).status).toBe(404);
    }
    expect((await api.put(paramPath('vhost-limits', 'limits'), {})).body).toEqual({ error: 'bad_request', reason: '[{key_missing,value}]' });
    expect((await api.put(`/api/parameters/vhost-limits/${seg(uniqueName('nov'))}/limits`, { value: {} })).status).toBe(404);
  });

  it('is for policymakers and administrators', async () => {
    const mgmt = cleanup.user(uniqueName('http-mg'));
    await api.mustPut(`/api/users/${seg(mgmt)}`, { password: 'pw', tags: 'management' });
    expect((await api.as(mgmt, 'pw').get('/api/parameters')).body).toEqual({ error: 'not_authorised', reason: 'User not authorised to access object' });
    expect((await api.as(mgmt, 'pw').get('/api/global-parameters')).status).toBe(401);
  });
});

describe('global parameters and the cluster name', () => {
  it('sets, shows, lists and clears a global parameter', async () => {
    const name = uniqueName('http-gp');
    try {
      expect((await api.put(`/api/global-parameters/${name}`, { value: { a: 1 } })).status).toBe(201);
      expect((await api.put(`/api/global-parameters/${name}`, { value: 'b' })).status).toBe(204);
      expect((await api.get(`/api/global-parameters/${name}`)).body).toEqual({ name, value: 'b' });
      expect((await api.get('/api/global-parameters')).body).toContainEqual({ name, value: 'b' });
    } finally {
      expect((await api.delete(`/api/global-parameters/${name}`)).status).toBe(204);
    }
    expect((await api.get(`/api/global-parameters/${name}`)).status).toBe(404);
  });

  it('renames the cluster (Warren only: the RabbitMQ node is shared)', async () => {
    if (tm.external) return;
    const before = (await api.get('/api/cluster-name')).body.name as string;
    expect((await api.put('/api/cluster-name', {})).body).toEqual({ error: 'bad_request', reason: '[{key_missing,name}]' });
    expect((await api.put('/api/cluster-name', { name: 'renamed' })).status).toBe(204);
    expect((await api.get('/api/cluster-name')).body).toEqual({ name: 'renamed' });
    expect((await api.get('/api/overview')).body.cluster_name).toBe('renamed');
    expect((await api.get('/api/global-parameters/cluster_name')).body).toEqual({ name: 'cluster_name', value: 'renamed' });
    const conn = await amqp.connect(tm.amqpUrl('guest', 'guest'));
    expect(conn.connection.serverProperties['cluster_name']).toBe('renamed');
    await conn.close();
    expect((await api.delete('/api/global-parameters/cluster_name')).status).toBe(204);
    expect((await api.get('/api/cluster-name')).body).toEqual({ name: before });
  });

  it.skipIf(Boolean(process.env['WARREN_TEST_MGMT_URL']))('keeps global parameters, policies and operator policies across a restart', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'warren-params-'));
    const start = async (): Promise<{ api: Client; close: () => Promise<void> }> => {
      const b = await startBroker({ port: 0, managementPort: 0, dataDir, logLevel: 'warn' });
      return { api: new Client(b.managementUrl as string, 'guest', 'guest'), close: () => b.close() };
    };
    try {
      const first = await start();
      await first.api.mustPut('/api/cluster-name', { name: 'kept' });
      await first.api.mustPut('/api/policies/%2F/kept', { pattern: '^k', definition: { 'max-length': 3 } });
      await first.api.mustPut('/api/operator-policies/%2F/kept-op', { pattern: '^k', definition: { 'max-length': 2 } });
      await first.close();
      const second = await start();
      try {
        expect((await second.api.get('/api/cluster-name')).body).toEqual({ name: 'kept' });
        expect((await second.api.get('/api/policies/%2F/kept')).status).toBe(200);
        expect((await second.api.get('/api/operator-policies/%2F/kept-op')).status).toBe(200);
      } finally {
        await second.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
