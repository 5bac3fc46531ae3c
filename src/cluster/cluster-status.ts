/**
 * The body of GET /api/warren/cluster (CLUSTER.md 6.9), as this node sees the cluster: its name,
 * this node's role and epoch, the leader, every configured node with its role, whether it is
 * registered (its session lease alive) and in the in-sync set, and the etcd health this node
 * sees (its last keepalive, the last error, its managed member), and replication: the last record
 * each node applied (its `progress` key), this node's own, and on the leader each follower link's
 * acked record, lag in records and whether confirms wait for it. Snake case, as the rest of the API.
 */
import type { ClusterNode } from './cluster-node.js';

export function clusterStatus(node: ClusterNode): Record<string, unknown> {
  const { cluster, snapshot: snap, session, etcd } = node;
  const leader = snap?.leader ?? null;
  return {
    name: cluster.name,
    node: cluster.nodeId,
    role: node.role,
    epoch: node.epoch,
    leader: leader?.id ?? null,
    leader_epoch: leader?.epoch ?? null,
    isr: snap?.isr ?? null,
    nodes: cluster.peers.map((p) => ({
      id: p.id,
      name: `warren@${p.id}`,
      host: p.host,
      amqp_port: p.amqpPort,
      http_port: p.httpPort,
      role: leader?.id === p.id ? 'leader' : 'follower',
      running: snap?.nodes.has(p.id) ?? false,
      in_sync: snap?.isr?.members.includes(p.id) ?? false,
      applied: snap?.progress.get(p.id) ?? null,
    })),
    replication: node.replicationStatus(),
    etcd: {
      managed: cluster.etcd.managed,
      endpoints: cluster.etcd.endpoints,
      prefix: cluster.etcd.prefix,
      healthy: node.etcdError === null && session?.alive === true,
      error: node.etcdError ?? session?.lastError ?? null,
      lease_ttl_ms: cluster.leaseTtlMs,
      last_keepalive_ms_ago: session === null ? null : Date.now() - session.lastOkSentAt,
      ...(etcd === null ? {} : { member: { pid: etcd.pid ?? null, running: etcd.running, starts: etcd.starts } }),
    },
  };
}
