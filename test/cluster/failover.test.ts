/**
 * The cluster control plane (issue 12, first phase), over real processes: three brokers with
 * managed etcd elect exactly one leader with an epoch; an amqplib client on a follower is proxied
 * to the leader; kill -9 of the leader's broker gives a new leader with a higher epoch within the
 * lease TTL plus a few seconds, and clients reconnecting through any node work again (the time
 * from kill to the first confirm is printed); transfer-leadership moves the role.
 *
 * Durable definitions and persistent messages are replicated: what was confirmed before the kill
 * is consumed from the new leader, marked redelivered (CLUSTER.md 6.5).
 *
 * Needs /usr/bin/etcd and a built dist/ (`npm run build`); run with `npm run test:cluster`.
 */
import { describe, expect, it } from 'vitest';
import amqp, { type ChannelModel } from 'amqplib';
import { drainMarked, withChannel } from '../helpers/broker.js';
import { tx } from '../helpers/durable.js';
import { agreedLeader, poll, type ClusterNodeProcess, type ClusterStatus } from './cluster-harness.js';
import { useCluster } from './use-cluster.js';

const LEASE_TTL_MS = 3000;

const cluster = useCluster(LEASE_TTL_MS);
const byId = (id: string): ClusterNodeProcess => cluster.byId(id);

/** Publish one persistent message with a confirm through `url`; resolves when it is confirmed. */
async function publishConfirmed(url: string, queue: string, body: string): Promise<void> {
  const conn = await amqp.connect(url);
  try {
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue(queue, { durable: true });
    await new Promise<void>((resolve, reject) => ch.sendToQueue(queue, Buffer.from(body), { persistent: true }, (err) => (err == null ? resolve() : reject(err as Error))));
  } finally {
    await conn.close().catch(() => undefined);
  }
}

/** Wait until `leader`'s in-sync set passes `ok` (a follower rejoins once it has caught up). */
async function isrWhere(leader: ClusterNodeProcess, what: string, ok: (members: string[]) => boolean, timeoutMs = 15_000): Promise<void> {
  await poll(what, timeoutMs, async () => {
    const members = ((await leader.get('/api/warren/cluster')) as ClusterStatus | null)?.isr?.members;
    return members !== undefined && ok(members) ? true : undefined;
  }, 200);
}
const inSync = (leader: ClusterNodeProcess, id: string, timeoutMs?: number): Promise<void> =>
  isrWhere(leader, `${id} in sync`, (m) => m.includes(id), timeoutMs);
const allInSync = (leader: ClusterNodeProcess): Promise<void> => isrWhere(leader, 'all three in sync', (m) => m.length === 3);

/** Publish `n` persistent messages with confirms; resolves with their bodies once all are confirmed. */
async function publishMany(url: string, queue: string, n: number): Promise<string[]> {
  const conn = await amqp.connect(url);
  try {
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue(queue, { durable: true });
    const bodies = Array.from({ length: n }, (_, i) => `m${i}`);
    for (const b of bodies) ch.sendToQueue(queue, Buffer.from(b), { persistent: true });
    await ch.waitForConfirms();
    return bodies;
  } finally {
    await conn.close().catch(() => undefined);
  }
}

describe('a three-node cluster with managed etcd', () => {
  let leader: { leader: string; epoch: number };

  it('elects exactly one leader, with an epoch every node agrees on', async () => {
    leader = await poll('one agreed leader', 25_000, () => agreedLeader(cluster.nodes), 200);
    const view = (await byId(leader.leader).get('/api/warren/cluster')) as ClusterStatus;
    expect(view.name).toBe('ctest');
    expect(view.nodes.map((n) => [n.id, n.role])).toEqual(['n1', 'n2', 'n3'].map((id) => [id, id === leader.leader ? 'leader' : 'follower']));
    expect(view.etcd.healthy).toBe(true);
    expect(view.etcd.member?.running).toBe(true);
    // RabbitMQ's surface: /api/nodes lists every node, /api/cluster-name the cluster's name.
    const follower = cluster.nodes.find((n) => n.spec.id !== leader.leader) as ClusterNodeProcess;
    const nodes = (await follower.get('/api/nodes')) as { name: string; running: boolean }[];
    expect(nodes.map((n) => n.name).sort()).toEqual(['warren@n1', 'warren@n2', 'warren@n3']);
    expect(await follower.get('/api/cluster-name')).toEqual({ name: 'ctest' });
  }, 30_000);

  it('proxies a client of a follower to the leader: declare, publish with confirms, consume', async () => {
    const [f1, f2] = cluster.nodes.filter((n) => n.spec.id !== leader.leader) as [ClusterNodeProcess, ClusterNodeProcess];
    const conn: ChannelModel = await amqp.connect(f1.url);
    try {
      const ch = await conn.createConfirmChannel();
      await ch.assertQueue('via-follower', { durable: true });
      for (let i = 0; i < 10; i++) ch.sendToQueue('via-follower', Buffer.from(`m${i}`), { persistent: true });
      await ch.waitForConfirms();
      // The leader's own API (not proxied) holds the queue, its messages and the client's connection.
      const lead = byId(leader.leader);
      const q = await poll('queue on the leader', 10_000, async () => {
        const got = (await lead.get('/api/queues/%2F/via-follower')) as { messages: number } | null;
        return got !== null && got.messages === 10 ? got : undefined;
      });
      expect(q.messages).toBe(10);
      const connections = (await lead.get('/api/connections')) as unknown[];
      expect(connections.length).toBeGreaterThanOrEqual(1);
    } finally {
      await conn.close();
    }
    // Consume through the other follower.
    const consumer = await amqp.connect(f2.url);
    try {
      const ch = await consumer.createChannel();
      const bodies: string[] = [];
      await ch.consume('via-follower', (m) => {
        if (m !== null) {
          bodies.push(m.content.toString());
          ch.ack(m);
        }
      });
      await poll('ten deliveries', 10_000, () => Promise.resolve(bodies.length === 10 ? true : undefined), 50);
      expect(bodies).toEqual(Array.from({ length: 10 }, (_, i) => `m${i}`));
    } finally {
      await consumer.close();
    }
  }, 30_000);

  it('confirms, tx.commit-ok and declare-ok wait for every in-sync follower: a paused one holds them until the leader drops it from the set', async () => {
    const lead = byId(leader.leader);
    await allInSync(lead);
    const paused = cluster.nodes.find((n) => n !== lead) as ClusterNodeProcess;
    // Set up first: a channel for a transaction, and the queue.
    const conn = await amqp.connect(lead.url);
    const txCh = await conn.createChannel();
    await txCh.assertQueue('gated', { durable: true });
    process.kill(paused.pid as number, 'SIGSTOP');
    let took: number[];
    try {
      const timed = async (run: () => Promise<unknown>): Promise<number> => {
        const started = Date.now();
        await run();
        return Date.now() - started;
      };
      took = await Promise.all([
        timed(() => publishMany(lead.url, 'gated', 1)), // a publisher confirm
        timed(async () => {
          // tx.commit-ok
          await tx(txCh, 'select');
          txCh.sendToQueue('gated', Buffer.from('in a transaction'), { persistent: true });
          await tx(txCh, 'commit');
        }),
        timed(async () => (await conn.createChannel()).assertQueue('gated-declare', { durable: true })), // declare-ok
      ]);
      const v = (await lead.get('/api/warren/cluster')) as ClusterStatus;
      expect(v.isr?.members).not.toContain(paused.spec.id);
    } finally {
      process.kill(paused.pid as number, 'SIGCONT');
      await conn.close().catch(() => undefined);
    }
    // Each held until the paused follower was dropped (its ack deadline or its lease, ~3 s), not sent at once.
    expect(took.map((ms) => ms > 1000)).toEqual([true, true, true]);
    // Resumed, it catches up and is in sync again; with all three in sync a confirm is quick.
    await inSync(lead, paused.spec.id, 20_000);
    const started = Date.now();
    await publishMany(lead.url, 'gated', 1);
    expect(Date.now() - started).toBeLessThan(1000);
  }, 60_000);

  it('kill -9 of the leader: a new leader with a higher epoch, clients through any node work again', async () => {
    const old = byId(leader.leader);
    const survivors = cluster.nodes.filter((n) => n !== old);
    // Every node in the in-sync set first, then 200 confirmed messages through a follower.
    await allInSync(old);
    const sent = await publishMany((survivors[0] as ClusterNodeProcess).url, 'replicated', 200);
    const killedAt = Date.now();
    old.kill9();
    // Its etcd member dies with it (parent-death signal); should it not, stop it by pid: no orphans.
    const orphan = await poll('the dead leader etcd member gone', 5000, () => Promise.resolve(old.etcdAlive() ? undefined : false)).catch(() => true);
    if (orphan) old.killEtcd();
    expect(orphan).toBe(false);
    // The first publish confirmed through the new leader, reconnecting through the survivors in turn.
    let attempt = 0;
    await poll('a confirmed publish after failover', LEASE_TTL_MS + 12_000, async () => {
      const via = survivors[attempt++ % survivors.length] as ClusterNodeProcess;
      await publishConfirmed(via.url, 'after-failover', 'x');
      return true;
    }, 100);
    const failoverMs = Date.now() - killedAt;
    console.log(`failover: kill -9 of the leader to the first confirm through the new leader: ${failoverMs} ms (lease TTL ${LEASE_TTL_MS} ms)`);
    const next = await poll('a new agreed leader', 10_000, () => agreedLeader(survivors, leader.epoch), 200);
    expect(next.leader).not.toBe(leader.leader);
    expect(next.epoch).toBeGreaterThan(leader.epoch);
    expect(failoverMs).toBeLessThan(LEASE_TTL_MS + 12_000);
    // Every survivor's view: the dead node is no longer registered nor in the in-sync set.
    const view = (await poll('the dead node dropped', 10_000, async () => {
      const v = (await byId(next.leader).get('/api/warren/cluster')) as ClusterStatus;
      const dead = v.nodes.find((n) => n.id === old.spec.id);
      return dead !== undefined && !dead.running && !dead.in_sync ? v : undefined;
    })) as ClusterStatus;
    expect(view.isr?.members).not.toContain(old.spec.id);
    // Both survivors take clients again.
    for (const node of survivors) await publishConfirmed(node.url, 'after-failover', `via ${node.spec.id}`);
    // Everything confirmed before the kill is there, in order, redelivered ("*": it existed before the new epoch).
    const got = await withChannel((survivors[1] as ClusterNodeProcess).url, (ch) => drainMarked(ch, 'replicated'));
    expect(got).toEqual(sent.map((body) => `${body}*`));
    leader = next;
  }, 60_000);

  it('transfer-leadership moves the role to the other in-sync node', async () => {
    const survivors = cluster.nodes.filter((n) => n.etcdAlive());
    const follower = survivors.find((n) => n.spec.id !== leader.leader) as ClusterNodeProcess;
    await inSync(byId(leader.leader), follower.spec.id); // only an in-sync node may take over
    // Asked of a follower, the request is proxied to the leader, which resigns.
    const res = await follower.post('/api/warren/cluster/transfer-leadership');
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ status: 'resigning', node: leader.leader, epoch: leader.epoch });
    const next = await poll('the role moved', 15_000, () => agreedLeader(survivors, leader.epoch), 200);
    expect(next.leader).toBe(follower.spec.id);
    const old = (await byId(leader.leader).get('/api/warren/cluster')) as ClusterStatus;
    expect(old.role).toBe('follower');
    // The old leader now proxies its clients to the new one.
    await publishConfirmed(byId(leader.leader).url, 'after-transfer', 'y');
    const q = (await byId(next.leader).get('/api/queues/%2F/after-transfer')) as { messages: number };
    expect(q.messages).toBe(1);
    leader = next;
  }, 30_000);

  it('a leader paused past its lease (SIGSTOP) confirms nothing when it resumes, and steps down', async () => {
    const zombie = byId(leader.leader);
    const other = cluster.nodes.find((n) => n !== zombie && n.etcdAlive()) as ClusterNodeProcess;
    await inSync(zombie, other.spec.id);
    // A client of the leader itself, not proxied.
    const conn = await amqp.connect(zombie.url);
    // amqplib treats 320 CONNECTION_FORCED as not fatal: no 'error', a 'close' carrying the code.
    const closed = new Promise<number | undefined>((resolve) => conn.on('close', (err?: { code?: number }) => resolve(err?.code)));
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue('zombie', { durable: true });
    process.kill(zombie.pid as number, 'SIGSTOP');
    let outcome: Promise<string>;
    try {
      // Sent while it sleeps; the kernel holds it until the process runs again.
      outcome = new Promise<string>((resolve) => ch.sendToQueue('zombie', Buffer.from('late'), { persistent: true }, (err) => resolve(err == null ? 'ack' : 'not confirmed')));
      await poll('the other node leads', LEASE_TTL_MS + 10_000, async () => {
        const v = (await other.get('/api/warren/cluster')) as ClusterStatus | null;
        return v?.role === 'leader' && (v.epoch ?? 0) > leader.epoch ? v : undefined;
      }, 200);
    } finally {
      process.kill(zombie.pid as number, 'SIGCONT');
    }
    expect(await outcome).toBe('not confirmed');
    expect(await closed).toBe(320);
    const next = await poll('both agree again', 15_000, () => agreedLeader([zombie, other], leader.epoch), 200);
    expect(next.leader).toBe(other.spec.id);
    expect(zombie.output).toMatch(/role leader -> follower \(epoch \d+\): etcd session lost/);
  }, 40_000);
});
