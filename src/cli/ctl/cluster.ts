/**
 * The cluster (CLUSTER.md 6.9): cluster_status, in rabbitmqctl's sections (Basics, Disk Nodes,
 * Running Nodes) from GET /api/warren/cluster, plus Warren's (the leader and its epoch, each
 * node's role and in-sync state, etcd); a single node, Warren's or RabbitMQ's, gets the basic
 * sections from /api/overview and /api/nodes, as rabbitmqctl prints a cluster of one. And
 * transfer_leadership: POST /api/warren/cluster/transfer-leadership (through any node: a
 * follower forwards it to the leader), then wait (-t) for the next leader and name it. A single
 * node or a refusal exits 70, as rabbitmqctl's cluster verbs refuse; no leader elected in time, 69.
 */
import type { Command } from 'commander';
import { CtlError, EXIT, reasonOf } from './client.js';
import { run, type Ctl } from './context.js';

const CLUSTER = '/api/warren/cluster';
const POLL_MS = 250;

type Json = Record<string, unknown>;

interface NodeView {
  id: string;
  name: string;
  host: string;
  role: string;
  running: boolean;
  in_sync: boolean;
}

const str = (v: unknown): string => (v === null || v === undefined ? '-' : String(v));

/** The status in rabbitmqctl's JSON keys, with Warren's extras when the node is clustered. */
async function clusterStatus(c: Ctl): Promise<Json> {
  const answer = await c.api.request('GET', CLUSTER);
  if (answer.status === 404) {
    // Not clustered (or RabbitMQ): a cluster of one, as rabbitmqctl shows it.
    const overview = (await c.api.get('/api/overview')).body as Json;
    const nodes = (await c.api.get('/api/nodes')).body as Json[];
    return {
      node: overview['node'],
      cluster_name: overview['cluster_name'],
      disk_nodes: nodes.map((n) => n['name']),
      running_nodes: nodes.filter((n) => n['running'] !== false).map((n) => n['name']),
      clustered: false,
    };
  }
  if (answer.status < 200 || answer.status >= 300) throw c.api.failure(answer);
  const s = answer.body as Json;
  const nodes = (s['nodes'] ?? []) as NodeView[];
  return {
    node: `warren@${str(s['node'])}`,
    cluster_name: s['name'],
    disk_nodes: nodes.map((n) => n.name),
    running_nodes: nodes.filter((n) => n.running).map((n) => n.name),
    clustered: true,
    role: s['role'],
    epoch: s['epoch'],
    leader: s['leader'] === null ? null : `warren@${str(s['leader'])}`,
    leader_epoch: s['leader_epoch'],
    nodes: nodes.map((n) => ({ name: n.name, host: n.host, role: n.role, running: n.running, in_sync: n.in_sync })),
    etcd: s['etcd'],
  };
}

function printClusterStatus(c: Ctl, s: Json): void {
  const list = (v: unknown): string[] => {
    const names = (v as unknown[]).map(str);
    return names.length === 0 ? ['(none)'] : names;
  };
  const lines = ['Basics', '', `Cluster name: ${str(s['cluster_name'])}`, '', 'Disk Nodes', '', ...list(s['disk_nodes'])];
  lines.push('', 'Running Nodes', '', ...list(s['running_nodes']));
  if (s['clustered'] === true) {
    const etcd = (s['etcd'] ?? {}) as Json;
    lines.push('', 'Leader', '');
    lines.push(s['leader'] === null ? '(none: an election is under way)' : `Node: ${str(s['leader'])}, epoch: ${str(s['leader_epoch'])}`);
    lines.push('', 'Nodes', '');
    for (const n of s['nodes'] as NodeView[]) {
      lines.push(`Node: ${n.name}, host: ${n.host}, role: ${n.role}, running: ${String(n.running)}, in sync: ${String(n.in_sync)}`);
    }
    lines.push('', 'etcd', '');
    lines.push(`Healthy (as ${str(s['node'])} sees it): ${str(etcd['healthy'])}${etcd['error'] == null ? '' : `, last error: ${str(etcd['error'])}`}`);
    lines.push(`Endpoints: ${(Array.isArray(etcd['endpoints']) ? etcd['endpoints'] : []).map(str).join(', ')}`);
  }
  c.out.result(lines.join('\n'));
}

/** Poll this node's view until a leader of an epoch above `epoch` is known; undefined at the deadline. */
async function nextLeader(c: Ctl, epoch: number): Promise<{ leader: string; epoch: number } | undefined> {
  const deadline = Date.now() + c.timeout * 1000;
  while (Date.now() < deadline) {
    const api = c.api.withTimeout(Math.max(100, Math.min(2000, deadline - Date.now())));
    // While the old leader's port turns into a follower's, the API cannot be reached or answers 503.
    const answer = await api.request('GET', CLUSTER).catch(() => null);
    const s = answer !== null && answer.status === 200 ? (answer.body as Json) : null;
    if (s !== null && typeof s['leader'] === 'string' && typeof s['leader_epoch'] === 'number' && s['leader_epoch'] > epoch) {
      return { leader: `warren@${s['leader']}`, epoch: s['leader_epoch'] };
    }
    await new Promise((done) => setTimeout(done, POLL_MS));
  }
  return undefined;
}

async function transferLeadership(c: Ctl): Promise<void> {
  c.out.info('Transferring the cluster leadership to another in-sync node ...');
  const answer = await c.api.request('POST', `${CLUSTER}/transfer-leadership`);
  if (answer.status === 404 || answer.status === 405) {
    throw new CtlError(EXIT.software, `cannot transfer leadership: the node at ${c.api.base} has no cluster API (not a clustered Warren node)`);
  }
  // 400: a single node; 409: the node refused (it no longer leads).
  if (answer.status === 400 || answer.status === 409) throw new CtlError(EXIT.software, `cannot transfer leadership: ${reasonOf(answer)}`);
  if (answer.status < 200 || answer.status >= 300) throw c.api.failure(answer);
  const body = answer.body as { node?: unknown; epoch?: unknown };
  const gaveUp = `warren@${str(body.node)}`;
  const epoch = typeof body.epoch === 'number' ? body.epoch : 0;
  c.out.result(`Node ${gaveUp} gave up the leadership of epoch ${epoch}`);
  const next = await nextLeader(c, epoch);
  if (c.out.json) c.out.value({ node: gaveUp, epoch, new_leader: next?.leader ?? null, new_epoch: next?.epoch ?? null });
  if (next === undefined) throw new CtlError(EXIT.unavailable, `no new leader was elected within ${c.timeout} seconds`);
  c.out.result(`New leader: ${next.leader} (epoch ${next.epoch})`);
}

export function registerCluster(ctl: Command): void {
  ctl
    .command('cluster_status')
    .description("shows the cluster's name, its nodes (running, role, in sync), the leader and its epoch, and etcd's health")
    .action(
      run(async (c) => {
        const status = await clusterStatus(c);
        c.out.info(`Cluster status of node ${str(status['node'])} ...`);
        if (c.out.json) c.out.value(status);
        else printClusterStatus(c, status);
      }),
    );

  ctl
    .command('transfer_leadership')
    .description('makes the leader step down so another in-sync node leads; waits (-t seconds) for the new leader and names it')
    .action(run((c) => transferLeadership(c)));
}
