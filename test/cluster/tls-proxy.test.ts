/**
 * TLS on followers (issue 12) and the cluster verbs of `warren ctl`, over real processes: three
 * brokers, each with its own certificate (SAN = its own address, one test CA, made by openssl at
 * test time). A follower ends TLS itself, with its own certificate, and pipes plaintext to the
 * leader: amqplib over amqps:// to a follower declares, publishes with confirms and consumes;
 * HTTPS to a follower's management port answers /api/overview from the leader; SIGHUP renews a
 * follower's certificate. Then
 * `warren ctl cluster_status` (table and --json, over HTTPS through a follower) and
 * `warren ctl transfer_leadership`, after which the old leader serves AMQPS as a follower.
 *
 * Needs /usr/bin/etcd and a built dist/ (`npm run build`); run with `npm run test:cluster`.
 */
import { copyFileSync, readFileSync } from 'node:fs';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drainBodies } from '../helpers/broker.js';
import { httpsGet, TestCerts, type HttpsAnswer, type Issued } from '../helpers/certs.js';
import { runCtl } from '../helpers/ctl.js';
import { agreedLeader, poll, type ClusterNodeProcess, type ClusterStatus } from './cluster-harness.js';
import { useCluster } from './use-cluster.js';

const LEASE_TTL_MS = 3000;
const SLOW = { timeout: 60_000 };

let certs: TestCerts;
const own = new Map<string, Issued>();

beforeAll(() => {
  certs = new TestCerts();
  for (const i of [1, 2, 3]) own.set(`n${i}`, certs.issue(`node-n${i}`, `/CN=n${i}`, 'server', { san: `IP:127.0.0.1${i}` }));
});
afterAll(() => certs?.remove());
// After the certificates' hooks: they are made before the nodes start, removed after they stop.
const cluster = useCluster(LEASE_TTL_MS, (spec) => {
  const issued = own.get(spec.id) as Issued;
  return { tls: { cert: issued.cert, key: issued.key, ca: certs.ca.cert, port: spec.amqpsPort, managementPort: spec.httpsPort } };
});
const byId = (id: string): ClusterNodeProcess => cluster.byId(id);
const ca = (): Buffer => readFileSync(certs.ca.cert);
const amqpsUrl = (n: ClusterNodeProcess): string => `amqps://guest:guest@${n.spec.host}:${n.spec.amqpsPort}`;
const httpsUrl = (n: ClusterNodeProcess): string => `https://${n.spec.host}:${n.spec.httpsPort}`;

/** The certificate a node's TLS port presents, verified against the test CA and the node's address. */
function presented(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket: TLSSocket = tlsConnect({ host, port, ca: ca() }, () => {
      resolve(socket.getPeerCertificate().fingerprint256);
      socket.destroy();
    });
    socket.once('error', reject);
  });
}

/** GET over HTTPS as guest, the server verified against the test CA. */
const httpsGetJson = (url: string): Promise<HttpsAnswer> => httpsGet(url, ca());

/** Over AMQPS through `node`: declare, publish `count` persistent messages with confirms, take them back. */
async function roundTrip(node: ClusterNodeProcess, queue: string, count: number): Promise<string[]> {
  const conn = await amqp.connect(amqpsUrl(node), { ca: [ca()] });
  try {
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue(queue, { durable: true });
    for (let i = 0; i < count; i++) ch.sendToQueue(queue, Buffer.from(`m${i}`), { persistent: true });
    await ch.waitForConfirms();
    return await drainBodies(ch, queue);
  } finally {
    await conn.close().catch(() => undefined);
  }
}

describe('TLS on followers of a three-node cluster', () => {
  let leader: { leader: string; epoch: number };
  const followers = (): ClusterNodeProcess[] => cluster.nodes.filter((n) => n.spec.id !== leader.leader);

  it('a follower serves AMQPS with its own certificate and pipes the session to the leader', SLOW, async () => {
    leader = await poll('one agreed leader', 25_000, () => agreedLeader(cluster.nodes), 200);
    const follower = followers()[0] as ClusterNodeProcess;
    // The follower's own certificate, not the leader's (each is valid only for its own address).
    expect(await presented(follower.spec.host, follower.spec.amqpsPort)).toBe(own.get(follower.spec.id)?.fingerprint256);
    expect(await roundTrip(follower, 'tls-via-follower', 5)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    // The queue lives on the leader (its own API, not proxied).
    const q = (await byId(leader.leader).get('/api/queues/%2F/tls-via-follower')) as { name: string } | null;
    expect(q?.name).toBe('tls-via-follower');
  });

  it('a follower serves the management API over HTTPS with its own certificate, answered by the leader', SLOW, async () => {
    const follower = followers()[1] as ClusterNodeProcess;
    const overview = await httpsGetJson(`${httpsUrl(follower)}/api/overview`);
    expect(overview.status).toBe(200);
    expect(overview.fingerprint).toBe(own.get(follower.spec.id)?.fingerprint256);
    expect((overview.body as { node: string; cluster_name: string }).node).toBe(`warren@${leader.leader}`);
    expect((overview.body as { cluster_name: string }).cluster_name).toBe('ctest');
  });

  it('SIGHUP makes a follower serve a renewed certificate on its AMQPS and HTTPS ports', SLOW, async () => {
    const follower = followers()[1] as ClusterNodeProcess;
    const id = follower.spec.id;
    const current = own.get(id) as Issued;
    const renewed = certs.issue(`node-${id}-renewed`, `/CN=${id}`, 'server', { san: `IP:${follower.spec.host}` });
    copyFileSync(renewed.cert, current.cert);
    copyFileSync(renewed.key, current.key);
    process.kill(follower.pid as number, 'SIGHUP');
    await poll('the renewed certificate on AMQPS', 10_000, async () =>
      (await presented(follower.spec.host, follower.spec.amqpsPort)) === renewed.fingerprint256 ? true : undefined,
    );
    expect((await httpsGetJson(`${httpsUrl(follower)}/api/overview`)).fingerprint).toBe(renewed.fingerprint256);
    own.set(id, { ...current, fingerprint256: renewed.fingerprint256 });
  });

  it('warren ctl cluster_status, over HTTPS through a follower, prints the nodes, roles and leader', SLOW, async () => {
    const follower = followers()[0] as ClusterNodeProcess;
    const env = { NODE_EXTRA_CA_CERTS: certs.ca.cert };
    const text = await runCtl(['--url', httpsUrl(follower), 'cluster_status'], { env });
    expect(text.stderr).toBe('');
    expect(text.code).toBe(0);
    const lines = text.stdout.split('\n');
    expect(lines[0]).toBe(`Cluster status of node warren@${follower.spec.id} ...`);
    expect(lines).toContain('Cluster name: ctest');
    expect(lines).toContain(`Node: warren@${leader.leader}, epoch: ${leader.epoch}`);
    for (const n of cluster.nodes) {
      // The leader is always in its in-sync set; a follower is once replication has caught up.
      const role = n.spec.id === leader.leader ? 'leader' : 'follower';
      const line = `Node: warren@${n.spec.id}, host: ${n.spec.host}, role: ${role}, running: true, in sync: `;
      expect(lines.filter((l) => l === `${line}true` || (role === 'follower' && l === `${line}false`))).toHaveLength(1);
    }
    const json = await runCtl(['--url', httpsUrl(follower), 'cluster_status', '--json'], { env });
    expect(json.code).toBe(0);
    const status = JSON.parse(json.stdout) as { cluster_name: string; leader: string; leader_epoch: number; running_nodes: string[]; nodes: { role: string }[] };
    expect(status).toMatchObject({ cluster_name: 'ctest', leader: `warren@${leader.leader}`, leader_epoch: leader.epoch, clustered: true });
    expect([...status.running_nodes].sort()).toEqual(['warren@n1', 'warren@n2', 'warren@n3']);
    expect(status.nodes.filter((n) => n.role === 'leader')).toHaveLength(1);
  });

  it('warren ctl transfer_leadership through a follower moves the role; the old leader then serves AMQPS as a follower', SLOW, async () => {
    const follower = followers()[1] as ClusterNodeProcess;
    const out = await runCtl(['--url', follower.api, 'transfer_leadership', '-t', '30']);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    const lines = out.stdout.split('\n');
    expect(lines).toContain(`Node warren@${leader.leader} gave up the leadership of epoch ${leader.epoch}`);
    const named = /^New leader: warren@(n\d) \(epoch (\d+)\)$/.exec(lines.find((l) => l.startsWith('New leader: ')) ?? '');
    expect(named).not.toBeNull();
    const next = await poll('all agree on the new leader', 15_000, () => agreedLeader(cluster.nodes, leader.epoch), 200);
    expect([next.leader, next.epoch]).toEqual([named?.[1], Number(named?.[2])]);
    const old = byId(leader.leader);
    expect(((await old.get('/api/warren/cluster')) as ClusterStatus).role).toBe('follower');
    // The old leader's AMQPS port is now a follower's: its own certificate, the session on the new leader.
    expect(await presented(old.spec.host, old.spec.amqpsPort)).toBe(own.get(old.spec.id)?.fingerprint256);
    expect(await roundTrip(old, 'tls-after-transfer', 3)).toEqual(['m0', 'm1', 'm2']);
    const q = (await byId(next.leader).get('/api/queues/%2F/tls-after-transfer')) as { name: string } | null;
    expect(q?.name).toBe('tls-after-transfer');
    leader = next;
  });
});
