/**
 * Warren's cluster endpoints (CLUSTER.md 6.9), present when the node runs clustered:
 * GET /api/warren/cluster (name, this node's role and epoch, the leader, every node with its role
 * and in-sync state, etcd health) and POST /api/warren/cluster/transfer-leadership (the leader
 * steps down so another in-sync node wins). A follower answers the GET itself and proxies the
 * rest to the leader (src/cluster/http-proxy.ts), so the leader is the one that transfers.
 * /api/nodes lists every node of the cluster (nodes.ts asks `ctx.cluster`).
 */
import { HttpError } from '../errors.js';
import { Reply, type Resource } from '../router.js';

/** One node as /api/nodes lists it beside the serving node's full record. */
export interface ClusterNodeInfo {
  /** `warren@<nodeId>`, the name /api/nodes and /api/overview give */
  readonly name: string;
  readonly self: boolean;
  /** registered in etcd (its session lease is alive) */
  readonly running: boolean;
  readonly role: 'leader' | 'follower';
  readonly inSync: boolean;
}

/** What the management API needs of a cluster node (implemented by src/cluster/cluster-node.ts). */
export interface ClusterInfo {
  /** the body of GET /api/warren/cluster */
  status(): Record<string, unknown>;
  nodes(): readonly ClusterNodeInfo[];
  /** Step down on purpose (the hand-over runs after the reply); a reason when this node cannot. */
  transferLeadership(): { node: string; epoch: number } | { refused: string };
}

export const clusterResources: readonly Resource[] = [
  {
    path: '/api/warren/cluster',
    auth: 'monitor',
    exists: (_req, ctx) => ctx.cluster !== undefined,
    get: (_req, ctx) => ctx.cluster?.status(),
  },
  {
    path: '/api/warren/cluster/transfer-leadership',
    auth: 'admin',
    post: {
      handle: (_req, ctx) => {
        const cluster = ctx.cluster;
        if (cluster === undefined) throw new HttpError(400, 'bad_request', 'this node is not clustered');
        const out = cluster.transferLeadership();
        if ('refused' in out) throw new HttpError(409, 'conflict', out.refused);
        return new Reply(202, { status: 'resigning', ...out });
      },
    },
  },
];
