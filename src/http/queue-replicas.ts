/**
 * Where a queue's copies are, as RabbitMQ 3.10's listings show them (CLUSTER.md 6.6): the
 * mirroring fields of a classic queue an `ha-mode` policy applies to (rabbit_amqqueue_process
 * format/1 and its recoverable_slaves item), and a quorum queue's leader, members and online
 * nodes (rabbit_quorum_queue). Warren has one leader that serves every queue, and every durable
 * queue is in the replicated store, so:
 *
 * - `node` (queue-json.ts) is the leader, `warren@<id>`.
 * - Mirrored classic queue, durable: `slave_nodes` = the other live nodes, `synchronised_slave_nodes`
 *   = the in-sync followers, `recoverable_slaves` = those same in-sync followers (they hold its
 *   state and may be promoted). Non-durable: nothing is replicated, so `[]`, `[]` and null.
 *   A single node shows `[]`, `[]` and `[]` (durable) or null, as a lone RabbitMQ node does.
 * - Quorum queue: `leader` = the leader, `members` = the in-sync nodes, leader first, `online` =
 *   the members that are live. A single node: all three are that node, as in RabbitMQ.
 *
 * The facts come from the ClusterInfo seam (`nodes()`), never from src/cluster.
 */
import type { Queue } from '../broker/queue/queue.js';
import type { Json } from './format.js';
import type { ApiContext } from './router.js';

/** The cluster as the queue listings need it, computed once per request. */
export interface QueueReplicas {
  /** the node that serves every queue (this one) */
  readonly leader: string;
  /** the other nodes whose session is alive */
  readonly liveFollowers: readonly string[];
  /** the other nodes in the in-sync set */
  readonly inSyncFollowers: readonly string[];
}

/** The replica view of the node answering: its cluster's when clustered, else itself alone. */
export function queueReplicas(ctx: ApiContext): QueueReplicas {
  const leader = ctx.node.name;
  const others = (ctx.cluster?.nodes() ?? []).filter((n) => n.name !== leader);
  return {
    leader,
    liveFollowers: others.filter((n) => n.running).map((n) => n.name),
    inSyncFollowers: others.filter((n) => n.inSync).map((n) => n.name),
  };
}

/** The fields a queue adds for its replicas (none for a classic queue that is not mirrored). */
export function replicaFields(q: Queue, r: QueueReplicas): Record<string, Json> {
  if (q.type === 'quorum') {
    const members = [r.leader, ...r.inSyncFollowers];
    const live = new Set([r.leader, ...r.liveFollowers]);
    return { leader: r.leader, members, online: members.filter((n) => live.has(n)) };
  }
  // rabbit_mirror_queue_misc:is_mirrored/1: an exclusive queue is never mirrored.
  if (q.settings.definition['ha-mode'] === undefined || q.exclusiveOwner !== null) return {};
  if (!q.durable) return { slave_nodes: [], synchronised_slave_nodes: [], recoverable_slaves: null };
  const synced = [...r.inSyncFollowers];
  return { slave_nodes: [...r.liveFollowers], synchronised_slave_nodes: synced, recoverable_slaves: [...synced] };
}
