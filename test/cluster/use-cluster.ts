/**
 * One cluster per test file (cluster-harness.ts): started before the file's tests, stopped after
 * them; with WARREN_CLUSTER_LOGS=1 each node's log is printed first, to see its role transitions.
 * Register it after any hook that `nodeConfig` depends on (hooks run in registration order).
 */
import { afterAll, beforeAll } from 'vitest';
import { startCluster, type Cluster, type ClusterNodeProcess, type NodeSpec } from './cluster-harness.js';

export interface ClusterHandle {
  readonly nodes: readonly ClusterNodeProcess[];
  byId(id: string): ClusterNodeProcess;
}

export function useCluster(leaseTtlMs: number, nodeConfig?: (spec: NodeSpec) => Record<string, unknown>): ClusterHandle {
  let cluster: Cluster | undefined;
  beforeAll(async () => {
    cluster = await startCluster(leaseTtlMs, nodeConfig);
  }, 30_000);
  afterAll(async () => {
    if (process.env['WARREN_CLUSTER_LOGS'] === '1') for (const n of cluster?.nodes ?? []) console.log(`---- ${n.spec.id}\n${n.output}`);
    await cluster?.stop();
  }, 30_000);
  const nodes = (): readonly ClusterNodeProcess[] => {
    if (cluster === undefined) throw new Error('the cluster has not started');
    return cluster.nodes;
  };
  return {
    get nodes() {
      return nodes();
    },
    byId(id) {
      const node = nodes().find((n) => n.spec.id === id);
      if (node === undefined) throw new Error(`no node ${id}`);
      return node;
    },
  };
}
