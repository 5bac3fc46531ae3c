/**
 * RabbitMQ's mirroring surface on a single node (CLUSTER.md 6.5, 6.6; the cluster side is in
 * test/cluster/mirroring.test.ts): the replica fields of queue listings, consume and declare
 * argument checks, and ha-promote-on-* policies. Passes against RabbitMQ 3.10 too
 * (WARREN_TEST_MGMT_URL; its queue stats come every 5 s: polled, never slept), except the parts
 * marked Warren-only (the log line, `warren ctl`).
 */
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/broker.js';
import { ctlFor } from '../helpers/ctl.js';
import { managementSuite, seg } from '../helpers/management.js';
import { setLogSink } from '../../src/util/logger.js';

const suite = managementSuite({ statsInterval: 100 });
const { api } = suite;
const STATS_TIMEOUT = 25_000;

const logLines: string[] = [];
setLogSink((line) => logLines.push(line));
afterAll(() => setLogSink((line) => process.stderr.write(line + '\n')));

type Json = Record<string, unknown>;
let vhost: string;

beforeAll(async () => {
  vhost = await suite.vhost('mirror-surface');
  const put = await api.put(`/api/policies/${seg(vhost)}/ha-all`, { pattern: '^mirrored\\.', definition: { 'ha-mode': 'all' }, 'apply-to': 'queues' });
  expect(put.status).toBe(201);
  const ch = await suite.channel(vhost);
  await ch.assertQueue('mirrored.durable', { durable: true });
  await ch.assertQueue('mirrored.transient', { durable: false });
  await ch.assertQueue('plain', { durable: true });
  await ch.assertQueue('mirrored.exclusive', { exclusive: true });
  await ch.assertQueue('qq', { durable: true, arguments: { 'x-queue-type': 'quorum' } });
});

/** GET of a queue once `ready` holds for it (RabbitMQ fills a queue's fields in with its first stats). */
const queueWhen = (name: string, ready: (q: Json) => boolean): Promise<Json> =>
  waitFor(async () => {
    const r = await api.get(`/api/queues/${seg(vhost)}/${seg(name)}`);
    return r.status === 200 && ready(r.body as Json) ? (r.body as Json) : undefined;
  }, STATS_TIMEOUT, 100);

/** Every mirroring key is filled in (RabbitMQ adds slave_nodes at creation, the rest with the first stats). */
const mirrorReady = (j: Json): boolean => ['slave_nodes', 'recoverable_slaves', 'policy', 'node'].every((k) => k in j);
const pick = (q: Json, keys: string[]): Json => Object.fromEntries(keys.map((k) => [k, k in q ? q[k] : '<absent>']));
const MIRROR_KEYS = ['slave_nodes', 'synchronised_slave_nodes', 'recoverable_slaves', 'effective_policy_definition', 'policy'];

describe('queue listings on a single node', () => {
  it('a durable queue an ha-mode policy applies to has no mirrors, as a lone RabbitMQ node shows it', async () => {
    const q = await queueWhen('mirrored.durable', mirrorReady);
    expect(pick(q, MIRROR_KEYS)).toEqual({
      slave_nodes: [],
      synchronised_slave_nodes: [],
      recoverable_slaves: [],
      effective_policy_definition: { 'ha-mode': 'all' },
      policy: 'ha-all',
    });
    const t = await queueWhen('mirrored.transient', mirrorReady);
    expect(pick(t, MIRROR_KEYS)).toEqual({
      slave_nodes: [],
      synchronised_slave_nodes: [],
      recoverable_slaves: null,
      effective_policy_definition: { 'ha-mode': 'all' },
      policy: 'ha-all',
    });
  });

  it('an exclusive queue is never mirrored, whatever its policy', async () => {
    const q = await queueWhen('mirrored.exclusive', (j) => ['recoverable_slaves', 'policy', 'node'].every((k) => k in j));
    expect(pick(q, MIRROR_KEYS)).toEqual({
      slave_nodes: '<absent>',
      synchronised_slave_nodes: '<absent>',
      recoverable_slaves: null,
      effective_policy_definition: { 'ha-mode': 'all' },
      policy: 'ha-all',
    });
  });

  it('a queue no ha-mode policy applies to has no mirror fields', async () => {
    const q = await queueWhen('plain', (j) => typeof j['node'] === 'string' && 'recoverable_slaves' in j);
    expect(pick(q, ['slave_nodes', 'synchronised_slave_nodes', 'recoverable_slaves', 'leader', 'members'])).toEqual({
      slave_nodes: '<absent>',
      synchronised_slave_nodes: '<absent>',
      recoverable_slaves: null,
      leader: '<absent>',
      members: '<absent>',
    });
  });

  it('a quorum queue: leader, members and online are the node itself', async () => {
    const q = await queueWhen('qq', (j) => typeof j['node'] === 'string' && 'leader' in j);
    const node = q['node'];
    expect(pick(q, ['type', 'leader', 'members', 'online', 'slave_nodes'])).toEqual({
      type: 'quorum',
      leader: node,
      members: [node],
      online: [node],
      slave_nodes: '<absent>',
    });
    const list = (await api.get(`/api/queues/${seg(vhost)}`)).body as Json[];
    expect(pick(list.find((x) => x['name'] === 'qq') as Json, ['leader', 'members', 'online'])).toEqual({ leader: node, members: [node], online: [node] });
  });

  it.skipIf(suite.external)('warren ctl list_queues: leader/members/online for quorum queues only, mirrors by node', async () => {
    const ctl = ctlFor(suite);
    const out = await ctl(['list_queues', '-q', '--no-table-headers', '-p', vhost, 'name', 'type', 'leader', 'members', 'online', 'slave_pids', 'synchronised_slave_pids']);
    expect(out.code).toBe(0);
    const node = String(((await api.get(`/api/queues/${seg(vhost)}/qq`)).body as Json)['node']);
    const names = ['mirrored.durable', 'mirrored.transient', 'plain', 'qq'];
    const rows = out.stdout.split('\n').map((l) => l.split('\t')).filter((r) => names.includes(r[0] ?? '')).sort();
    expect(rows).toEqual([
      ['mirrored.durable', 'classic', '', '', '', '[]', '[]'],
      ['mirrored.transient', 'classic', '', '', '', '[]', '[]'],
      ['plain', 'classic', '', '', '', '', ''],
      ['qq', 'quorum', node, `[${node}]`, `[${node}]`, '', ''],
    ]);
  });
});

/** The error a basic.consume with `args` on `queue` gets (or 'ok'). */
async function consumeWith(queue: string, args: Json): Promise<string> {
  const conn = await amqp.connect(suite.amqpUrl('guest', 'guest', vhost));
  try {
    const ch = await conn.createChannel();
    ch.on('error', () => {});
    await ch.consume(queue, () => {}, { arguments: args });
    return 'ok';
  } catch (err) {
    return (err as Error).message.replace(/^.*PRECONDITION_FAILED - (.*)"$/, '$1');
  } finally {
    await conn.close().catch(() => {});
  }
}

describe('basic.consume arguments', () => {
  it('x-cancel-on-ha-failover must be a boolean, and only classic queues take it', async () => {
    const where = (q: string): string => `for queue '${q}' in vhost '${vhost}'`;
    expect(await consumeWith('plain', { 'x-cancel-on-ha-failover': true })).toBe('ok');
    expect(await consumeWith('plain', { 'x-cancel-on-ha-failover': false })).toBe('ok');
    expect(await consumeWith('plain', { 'x-cancel-on-ha-failover': 'yes' })).toBe(`invalid arg 'x-cancel-on-ha-failover' ${where('plain')}: {unacceptable_type,longstr}`);
    expect(await consumeWith('plain', { 'x-cancel-on-ha-failover': 1 })).toBe(`invalid arg 'x-cancel-on-ha-failover' ${where('plain')}: {unacceptable_type,byte}`);
    expect(await consumeWith('qq', { 'x-cancel-on-ha-failover': true })).toBe(
      `invalid arg 'x-cancel-on-ha-failover' ${where('qq')} of queue type rabbit_quorum_queue`,
    );
  });

  it('x-priority must be an integer; x-stream-offset belongs to streams', async () => {
    const where = `for queue 'plain' in vhost '${vhost}'`;
    expect(await consumeWith('plain', { 'x-priority': 5 })).toBe('ok');
    expect(await consumeWith('plain', { 'x-priority': 'high' })).toBe(`invalid arg 'x-priority' ${where}: "expected integer, got longstr"`);
    expect(await consumeWith('plain', { 'x-stream-offset': 1 })).toBe(`invalid arg 'x-stream-offset' ${where} of queue type rabbit_classic_queue`);
  });
});

describe('x-quorum-initial-group-size', () => {
  it.each([
    [0, '{value_zero,0}'],
    [-1, '{value_negative,-1}'],
    [1.5, '"expected integer, got double"'],
    ['3', '"expected integer, got longstr"'],
    [true, '"expected integer, got bool"'],
  ])('%j is refused', async (size, error) => {
    const ch = await suite.channel(vhost);
    const err = await ch.assertQueue('qq.bad', { durable: true, arguments: { 'x-queue-type': 'quorum', 'x-quorum-initial-group-size': size } }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toContain(`PRECONDITION_FAILED - invalid arg 'x-quorum-initial-group-size' for queue 'qq.bad' in vhost '${vhost}': ${error}`);
  });

  it('any positive size is accepted on a single node (RabbitMQ places min(size, nodes) members) and kept in the arguments', async () => {
    const ch = await suite.channel(vhost);
    await ch.assertQueue('qq.five', { durable: true, arguments: { 'x-queue-type': 'quorum', 'x-quorum-initial-group-size': 5 } });
    const q = await queueWhen('qq.five', () => true);
    expect(q['arguments']).toEqual({ 'x-queue-type': 'quorum', 'x-quorum-initial-group-size': 5 });
  });
});

describe('ha-promote-on-failure / ha-promote-on-shutdown', () => {
  it('"always" is accepted; Warren logs once per write that it behaves as when-synced', async () => {
    const definition = { 'ha-mode': 'exactly', 'ha-params': 2, 'ha-promote-on-failure': 'always', 'ha-promote-on-shutdown': 'always' };
    const before = logLines.length;
    const put = await api.put(`/api/policies/${seg(vhost)}/promote`, { pattern: '^promote\\.', definition, 'apply-to': 'queues' });
    expect(put.status).toBe(201);
    expect((await api.get(`/api/policies/${seg(vhost)}/promote`)).body).toMatchObject({ definition });
    const bad = await api.put(`/api/policies/${seg(vhost)}/promote-bad`, { pattern: '^x', definition: { 'ha-mode': 'all', 'ha-promote-on-failure': 'never' } });
    expect(bad.status).toBe(400);
    expect((bad.body as Json)['reason']).toBe('Validation failed\n\nha-promote-on-failure must be "always" or "when-synced", got &lt;&lt;"never"&gt;&gt;\n');
    if (suite.external) return;
    const warnings = logLines.slice(before).filter((l) => l.includes('behaves as when-synced'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`[warn] broker: policy 'promote' in vhost '${vhost}' sets ha-promote-on-failure=always and ha-promote-on-shutdown=always`);
  });
});
