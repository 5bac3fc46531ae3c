/**
 * The `cluster` config section (CLUSTER.md 6.8): every wrong value names its field, the checked
 * section resolves with defaults, the top-level host/port must agree with the node's peer entry,
 * and the data dir's `.cluster_id` refuses a dir that belongs to another node. Campaign ranking.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkConfig } from '../../../src/cli/config.js';
import { checkCluster, resolveCluster, type ClusterOptions } from '../../../src/cluster/cluster-config.js';
import { campaignRefusal, rankDelay, RANK_STEP_MS } from '../../../src/cluster/election.js';
import type { ClusterSnapshot, NodeRecord } from '../../../src/cluster/keyspace.js';
import { checkNodeIdentity, NodeIdentityError } from '../../../src/cluster/node-identity.js';

const peers = [1, 2, 3].map((i) => ({ id: `n${i}`, host: `127.0.0.1${i}`, amqpPort: 5672, etcdClientPort: 2379, etcdPeerPort: 2380 }));
const good: ClusterOptions = { enabled: true, name: 'c1', nodeId: 'n2', peers, leaseTtlMs: 3000 };

describe('checkCluster', () => {
  it('accepts the documented shape and a disabled stub', () => {
    expect(checkCluster(good)).toBeUndefined();
    expect(checkCluster({ enabled: false })).toBeUndefined();
    expect(checkCluster({ ...good, etcd: { managed: false, endpoints: ['http://10.0.0.1:2379'], prefix: '/amqp/c1' } })).toBeUndefined();
  });

  it.each([
    [{ ...good, colour: 1 }, "has unknown key 'colour'"],
    [{ ...good, name: undefined }, 'field name is required when enabled'],
    [{ ...good, nodeId: 'n9' }, "field peers must list this node's nodeId 'n9'"],
    [{ ...good, peers: [] }, 'field peers must be a non-empty array'],
    [{ ...good, peers: [...peers, peers[0]] }, "field peers lists 'n1' twice"],
    [{ ...good, peers: [{ id: 'n2', host: 'h', amqpPort: 70000 }] }, 'field peers[0].amqpPort must be a port number (1-65535)'],
    [{ ...good, peers: [{ id: 'n2' }] }, 'field peers[0].host must be a non-empty string'],
    [{ ...good, leaseTtlMs: 1500 }, 'field leaseTtlMs must be whole seconds in ms, at least 2000'],
    [{ ...good, etcd: { managed: false } }, 'field etcd.endpoints must list the external etcd when etcd.managed is false'],
    [{ ...good, etcd: { prefix: 'x/' } }, "field etcd.prefix must start with '/'"],
    [{ ...good, confirmLog: 7 }, 'field confirmLog must be a file path (a non-empty string) or null'],
  ])('refuses %j', (value, reason) => {
    expect(checkCluster(value)).toContain(reason);
  });

  it('is checked with the other keys of a config file, naming the file and the key', () => {
    expect(() => checkConfig({ port: 5672, cluster: { ...good, leaseTtlMs: 10 } }, 'config file x.json')).toThrow(
      "config file x.json: 'cluster' field leaseTtlMs must be whole seconds in ms, at least 2000",
    );
  });
});

describe('resolveCluster', () => {
  it('fills defaults from the data dir and the peer list', () => {
    const c = resolveCluster(good, '/var/lib/warren', {});
    expect(c.self).toEqual({
      id: 'n2',
      host: '127.0.0.12',
      amqpPort: 5672,
      httpPort: 15672,
      amqpsPort: 5671,
      httpsPort: 15671,
      replPort: 25672,
      etcdClientPort: 2379,
      etcdPeerPort: 2380,
    });
    expect(c.etcd).toEqual({
      managed: true,
      endpoints: ['http://127.0.0.11:2379', 'http://127.0.0.12:2379', 'http://127.0.0.13:2379'],
      prefix: '/warren/c1',
      dataDir: '/var/lib/warren/etcd',
      binary: '/usr/bin/etcd',
    });
    expect(c.leaseTtlMs).toBe(3000);
    expect(c.confirmLog).toBeNull();
    const log = join(tmpdir(), 'confirms.log');
    expect(resolveCluster({ ...good, confirmLog: log }, '/var/lib/warren', {}).confirmLog).toBe(log);
  });

  it('requires the top-level host and port to be the node’s own address', () => {
    expect(() => resolveCluster(good, '/d', { host: '127.0.0.11' })).toThrow("peer entry of n2 has host 127.0.0.12 but the top-level 'host' is 127.0.0.11");
    expect(() => resolveCluster(good, '/d', { port: 5673 })).toThrow("has amqpPort 5672 but the top-level 'port' is 5673");
    expect(resolveCluster(good, '/d', { host: '127.0.0.12', port: 5672, managementPort: 15672 }).nodeId).toBe('n2');
  });

  it('takes the TLS ports from the peer entry, and requires tls.port and tls.managementPort to agree', () => {
    const tlsPeers = peers.map((p) => (p.id === 'n2' ? { ...p, amqpsPort: 5681, httpsPort: 15681 } : p));
    const c = { ...good, peers: tlsPeers };
    expect(checkCluster(c)).toBeUndefined();
    expect(resolveCluster(c, '/d', { tls: { port: 5681, managementPort: 15681 } }).self).toMatchObject({ amqpsPort: 5681, httpsPort: 15681 });
    expect(() => resolveCluster(c, '/d', { tls: { port: 5671 } })).toThrow("has amqpsPort 5681 but the top-level 'tls.port' is 5671");
    expect(() => resolveCluster(c, '/d', { tls: { managementPort: 15671 } })).toThrow("has httpsPort 15681 but the top-level 'tls.managementPort' is 15671");
    expect(checkCluster({ ...good, peers: [{ id: 'n2', host: 'h', amqpsPort: 0 }] })).toBe('field peers[0].amqpsPort must be a port number (1-65535)');
  });
});

describe('.cluster_id', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('is written on the first start and refuses the data dir of another node', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'warren-identity-'));
    dirs.push(dir);
    await checkNodeIdentity(dir, 'c1', 'n1');
    expect(JSON.parse(await readFile(join(dir, '.cluster_id'), 'utf8'))).toEqual({ cluster: 'c1', nodeId: 'n1' });
    await checkNodeIdentity(dir, 'c1', 'n1');
    await expect(checkNodeIdentity(dir, 'c1', 'n2')).rejects.toThrow(NodeIdentityError);
    await expect(checkNodeIdentity(dir, 'c2', 'n1')).rejects.toThrow("belongs to node 'n1' of cluster 'c1'");
  });
});

describe('campaign rules', () => {
  const record: NodeRecord = { amqp: '', http: '', repl: '', version: '' };
  const snap = (nodes: string[], isr: string[] | null, progress: Record<string, number> = {}): ClusterSnapshot => ({
    leader: null,
    isr: isr === null ? null : { epoch: 5, members: isr },
    nodes: new Map(nodes.map((id) => [id, record])),
    progress: new Map(Object.entries(progress).map(([id, seq]) => [id, { epoch: 5, seq }])),
  });

  it('lets only registered in-sync nodes campaign (any registered node at bootstrap)', () => {
    expect(campaignRefusal(snap(['n1', 'n2'], null), 'n2')).toBeUndefined();
    expect(campaignRefusal(snap(['n1'], null), 'n2')).toContain('not registered');
    expect(campaignRefusal(snap(['n1', 'n2'], ['n1']), 'n2')).toContain('not in the in-sync set of epoch 5');
  });

  it('ranks by progress, then id, leaving out the leader just gone', () => {
    expect(rankDelay(snap(['n1', 'n2', 'n3'], null), 'n1', null)).toBe(0);
    expect(rankDelay(snap(['n1', 'n2', 'n3'], null), 'n3', null)).toBe(2 * RANK_STEP_MS);
    expect(rankDelay(snap(['n1', 'n2', 'n3'], null, { n3: 10, n1: 4 }), 'n3', null)).toBe(0);
    expect(rankDelay(snap(['n1', 'n2', 'n3'], null), 'n2', 'n1')).toBe(0);
    expect(rankDelay(snap(['n1', 'n2', 'n3'], ['n1', 'n3']), 'n3', null)).toBe(RANK_STEP_MS);
  });
});
