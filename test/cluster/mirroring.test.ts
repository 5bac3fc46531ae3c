/**
 * RabbitMQ's mirroring surface on a three-node cluster (CLUSTER.md 6.5, 6.6): queue listings name
 * the leader as `node`, the other live nodes as `slave_nodes` and the in-sync followers as
 * `synchronised_slave_nodes` for a durable queue an ha-mode policy applies to; a quorum queue lists
 * leader / members / online; x-quorum-initial-group-size is bounded by the cluster's size; and on
 * a planned leadership change (transfer-leadership) each x-cancel-on-ha-failover consumer gets
 * basic.cancel before its connection is closed with 320, while other consumers get no cancel;
 * SIGTERM of the leader does the same. A crash (kill -9) sends nothing: the connection just drops.
 *
 * Needs /usr/bin/etcd and a built dist/ (`npm run build`); single-node behaviour is in
 * test/integration/mirroring-surface.test.ts.
 */
import amqp, { type ChannelModel } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { agreedLeader, AUTH, poll, type ClusterNodeProcess } from './cluster-harness.js';
import { useCluster } from './use-cluster.js';

const LEASE_TTL_MS = 3000;

const cluster = useCluster(LEASE_TTL_MS);

type Json = Record<string, unknown>;

const byId = (id: string): ClusterNodeProcess => cluster.byId(id);
const nameOf = (id: string): string => `warren@${id}`;
const sorted = (v: unknown): string[] => [...(v as string[])].sort();

async function putPolicy(node: ClusterNodeProcess): Promise<void> {
  const body = JSON.stringify({ pattern: '^mirrored\\.', definition: { 'ha-mode': 'all' }, 'apply-to': 'queues' });
  const res = await fetch(`${node.api}/api/policies/%2F/ha-all`, {
    method: 'PUT',
    headers: { authorization: AUTH, 'content-type': 'application/json' },
    body,
    signal: AbortSignal.timeout(5000),
  });
  expect([201, 204]).toContain(res.status);
}

/** Declare (idempotent) the test's queues through `url`. */
async function declareQueues(url: string): Promise<void> {
  const conn = await amqp.connect(url);
  try {
    const ch = await conn.createChannel();
    await ch.assertQueue('mirrored.q', { durable: true });
    await ch.assertQueue('plain', { durable: true });
    await ch.assertQueue('qq', { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  } finally {
    await conn.close().catch(() => undefined);
  }
}

/** GET of a queue on `node` once both followers are listed as in sync (the ISR is written by the leader's loop). */
const mirroredQueue = (node: ClusterNodeProcess, name: string): Promise<Json> =>
  poll(`${name} with two in-sync mirrors`, 20_000, async () => {
    const q = (await node.get(`/api/queues/%2F/${name}`)) as Json | null;
    return q !== null && (q['synchronised_slave_nodes'] as unknown[] | undefined)?.length === 2 ? q : undefined;
  }, 200);

/** A connection straight to `node` with an x-cancel-on-ha-failover consumer on mirrored.q; its cancel and close go to `events`. */
async function consumeFlagged(node: ClusterNodeProcess, events: string[]): Promise<void> {
  const conn = await amqp.connect(node.url);
  conn.on('error', () => undefined);
  conn.on('close', (err?: { code?: number }) => events.push(`closed ${err?.code ?? 'without a code'}`));
  const ch = await conn.createChannel();
  await ch.assertQueue('mirrored.q', { durable: true });
  await ch.consume('mirrored.q', (m) => (m === null ? events.push('cancelled') : undefined), { arguments: { 'x-cancel-on-ha-failover': true } });
}

describe('the mirroring surface of a three-node cluster', () => {
  let leader: { leader: string; epoch: number };
  let others: string[];

  it('a durable queue an ha-mode policy applies to lists the leader as node and the followers as mirrors', async () => {
    leader = await poll('one agreed leader', 25_000, () => agreedLeader(cluster.nodes), 200);
    others = cluster.nodes.map((n) => n.spec.id).filter((id) => id !== leader.leader);
    const lead = byId(leader.leader);
    await putPolicy(lead);
    await declareQueues(byId(others[0] as string).url); // through a follower's proxy
    const q = await mirroredQueue(lead, 'mirrored.q');
    const followers = others.map(nameOf);
    expect({
      node: q['node'],
      slave_nodes: sorted(q['slave_nodes']),
      synchronised_slave_nodes: sorted(q['synchronised_slave_nodes']),
      recoverable_slaves: sorted(q['recoverable_slaves']),
      effective_policy_definition: q['effective_policy_definition'],
      policy: q['policy'],
    }).toEqual({
      node: nameOf(leader.leader),
      slave_nodes: followers,
      synchronised_slave_nodes: followers,
      recoverable_slaves: followers,
      effective_policy_definition: { 'ha-mode': 'all' },
      policy: 'ha-all',
    });
    // The same through a follower (proxied to the leader), and in the list.
    const viaFollower = (await byId(others[1] as string).get('/api/queues/%2F/mirrored.q')) as Json;
    expect(viaFollower['node']).toBe(nameOf(leader.leader));
    const list = (await lead.get('/api/queues/%2F')) as Json[];
    const listed = list.find((x) => x['name'] === 'mirrored.q') as Json;
    expect(sorted(listed['slave_nodes'])).toEqual(followers);
    const plain = list.find((x) => x['name'] === 'plain') as Json;
    expect(plain['node']).toBe(nameOf(leader.leader));
    expect('slave_nodes' in plain).toBe(false);
  }, 60_000);

  it('a quorum queue lists the leader, the in-sync members (leader first) and the online ones', async () => {
    const q = (await byId(leader.leader).get('/api/queues/%2F/qq')) as Json;
    const all = [leader.leader, ...others].map(nameOf).sort();
    expect(q['type']).toBe('quorum');
    expect(q['leader']).toBe(nameOf(leader.leader));
    expect((q['members'] as string[])[0]).toBe(nameOf(leader.leader));
    expect(sorted(q['members'])).toEqual(all);
    expect(sorted(q['online'])).toEqual(all);
  }, 20_000);

  it('x-quorum-initial-group-size above the number of nodes is accepted, as RabbitMQ does', async () => {
    const conn = await amqp.connect(byId(leader.leader).url);
    try {
      const ch = await conn.createChannel();
      const args = { durable: true, arguments: { 'x-queue-type': 'quorum', 'x-quorum-initial-group-size': 5 } };
      expect(await ch.assertQueue('qq.five', args)).toMatchObject({ queue: 'qq.five' });
      const q = (await byId(leader.leader).get('/api/queues/%2F/qq.five')) as Json;
      expect(q['type']).toBe('quorum');
    } finally {
      await conn.close().catch(() => undefined);
    }
  }, 20_000);

  it('transfer-leadership: x-cancel-on-ha-failover consumers get basic.cancel, then every connection 320', async () => {
    const events: string[] = [];
    /** A connection through `via` with consumers on mirrored.q: [tag, x-cancel-on-ha-failover][]. */
    const open = async (label: string, via: ClusterNodeProcess, consumers: [string, boolean][]): Promise<ChannelModel> => {
      const conn = await amqp.connect(via.url);
      conn.on('error', () => undefined);
      conn.on('close', (err?: { code?: number }) => events.push(`${label} closed ${err?.code ?? 'without a code'}`));
      const ch = await conn.createChannel();
      for (const [tag, cancel] of consumers) {
        const args = cancel ? { 'x-cancel-on-ha-failover': true } : {};
        await ch.consume('mirrored.q', (m) => (m === null ? events.push(`${tag} cancelled`) : undefined), { consumerTag: tag, arguments: args });
      }
      return conn;
    };
    const lead = byId(leader.leader);
    await open('direct', lead, [['flagged', true], ['unflagged', false]]);
    await open('proxied', byId(others[0] as string), [['flagged-proxied', true]]);
    const res = await byId(others[1] as string).post('/api/warren/cluster/transfer-leadership');
    expect(res.status).toBe(202);
    await poll('both connections closed', 15_000, () => Promise.resolve(events.filter((e) => e.includes('closed')).length === 2 ? true : undefined), 50);
    const of = (label: string, tags: string[]): string[] => events.filter((e) => e.startsWith(`${label} `) || tags.some((t) => e === `${t} cancelled`));
    expect(of('direct', ['flagged', 'unflagged'])).toEqual(['flagged cancelled', 'direct closed 320']);
    expect(of('proxied', ['flagged-proxied'])).toEqual(['flagged-proxied cancelled', 'proxied closed 320']);
    const next = await poll('the role moved', 15_000, () => agreedLeader(cluster.nodes, leader.epoch), 200);
    expect(next.leader).not.toBe(leader.leader);
    expect(lead.output).toMatch(/role leader -> follower \(epoch \d+\): leadership transferred on request/);
    leader = next;
    others = cluster.nodes.map((n) => n.spec.id).filter((id) => id !== leader.leader);
  }, 45_000);

  it('after the transfer the new leader is the node, the old one a mirror', async () => {
    const lead = byId(leader.leader);
    // Definitions written idempotently: this holds with or without the replication stream.
    await putPolicy(lead);
    await declareQueues(lead.url);
    const q = await mirroredQueue(lead, 'mirrored.q');
    expect(q['node']).toBe(nameOf(leader.leader));
    expect(sorted(q['slave_nodes'])).toEqual(others.map(nameOf));
  }, 45_000);

  it('SIGTERM of the leader is a planned change too: basic.cancel, then 320', async () => {
    const lead = byId(leader.leader);
    const events: string[] = [];
    await consumeFlagged(lead, events);
    await lead.stop();
    await poll('the connection closed', 10_000, () => Promise.resolve(events.some((e) => e.startsWith('closed')) ? true : undefined), 50);
    expect(events).toEqual(['cancelled', 'closed 320']);
    const survivors = cluster.nodes.filter((n) => n !== lead);
    leader = await poll('a new leader', LEASE_TTL_MS + 15_000, () => agreedLeader(survivors, leader.epoch), 200);
  }, 45_000);

  it('a crash (kill -9) of the leader sends no basic.cancel: the connection just drops', async () => {
    const lead = byId(leader.leader);
    const events: string[] = [];
    await consumeFlagged(lead, events);
    lead.kill9();
    await poll('the connection dropped', 10_000, () => Promise.resolve(events.some((e) => e.startsWith('closed')) ? true : undefined), 50);
    expect(events).toEqual([expect.stringMatching(/^closed/)]);
    expect(events[0]).not.toBe('closed 320');
    // Its etcd member dies with it (parent-death signal); should it not, stop it by pid.
    await poll('the killed leader etcd member gone', 5000, () => Promise.resolve(lead.etcdAlive() ? undefined : true)).catch(() => lead.killEtcd());
  }, 30_000);
});
