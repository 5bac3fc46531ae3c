/**
 * `warren server` with `cluster.enabled` (CLUSTER.md 6.8): check the data dir's identity, start
 * the managed etcd member if any, and run the node's control loop (cluster-node.ts). Resolves
 * as soon as the node listens as a follower; it takes the leader role when it wins an election.
 */
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { BrokerOptions } from '../main.js';
import { setLogLevel } from '../util/logger.js';
import { resolveCluster, type ResolvedCluster } from './cluster-config.js';
import { ClusterNode } from './cluster-node.js';
import { etcdClient, Keyspace } from './keyspace.js';
import { ManagedEtcd } from './managed-etcd.js';
import { checkNodeIdentity } from './node-identity.js';
import { Replication } from './replication/replication.js';

/** A bad cluster section, in the words of the other config errors. */
export class ClusterConfigError extends Error {
  readonly code = 'WARREN_BAD_CONFIG';
}

/** etcd calls fail after this long, so a dead member never stalls the control loop. */
const ETCD_CALL_TIMEOUT_MS = 1500;

export interface RunningClusterNode {
  readonly node: ClusterNode;
  reloadTls(): Promise<boolean>;
  close(): Promise<void>;
}

export async function startClusterNode(options: BrokerOptions): Promise<RunningClusterNode> {
  if (options.logLevel !== undefined) setLogLevel(options.logLevel);
  const dataDir = resolve(options.dataDir ?? 'data');
  let cluster: ResolvedCluster;
  try {
    cluster = resolveCluster(options.cluster ?? {}, dataDir, options);
  } catch (err) {
    throw new ClusterConfigError(`'cluster' ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  await mkdir(dataDir, { recursive: true });
  await checkNodeIdentity(dataDir, cluster.name, cluster.nodeId);
  const { host, amqpPort, httpPort } = cluster.self;
  const brokerOptions: BrokerOptions = { ...options, dataDir, host, port: amqpPort, managementPort: httpPort };
  if (options.tls !== undefined) brokerOptions.tls = { ...options.tls, port: cluster.self.amqpsPort, managementPort: cluster.self.httpsPort };
  delete brokerOptions.cluster;
  const etcd = cluster.etcd.managed ? new ManagedEtcd(cluster, dataDir) : null;
  etcd?.start();
  const ks = new Keyspace(etcdClient(cluster.etcd.endpoints, ETCD_CALL_TIMEOUT_MS), cluster.etcd.prefix);
  // Keepalives: one client per member, this node's own first (it is the nearest).
  const own = `http://${host}:${cluster.self.etcdClientPort}`;
  const endpoints = cluster.etcd.managed ? [own, ...cluster.etcd.endpoints.filter((e) => e !== own)] : cluster.etcd.endpoints;
  const members = endpoints.map((e) => etcdClient([e], ETCD_CALL_TIMEOUT_MS));
  const node = new ClusterNode(cluster, brokerOptions, ks, members, etcd, new Replication(cluster, dataDir));
  try {
    await node.start();
  } catch (err) {
    await node.close();
    throw err;
  }
  let closed: Promise<void> | null = null;
  return {
    node,
    reloadTls: () => node.reloadTls(),
    close: () => (closed ??= node.close()),
  };
}
