/**
 * The faults of the run (CLUSTER.md 7.3, items 1, 3, 4 and 5), each aimed at the current leader
 * and healed before it returns. Each records its window in the history (start, heal) and measures
 * how long until the other nodes agree on a new leader (the failover), where one is expected.
 */
import { agreedLeader, poll, sleep, type ClusterNodeProcess, type ClusterStatus } from '../cluster-harness.js';
import type { History } from '../history.js';
import type { Topology } from './topology.js';

export interface Leader {
  leader: string;
  epoch: number;
}

export interface FaultOutcome {
  /** fault start to the other nodes agreeing on a new leader (null: none was expected or seen) */
  electedMs: number | null;
  newLeader: Leader | null;
  /** what the fault showed besides, for the report */
  notes: string[];
}

export interface Nemesis {
  name: string;
  description: string;
  inject(topology: Topology, history: History, leader: Leader): Promise<FaultOutcome>;
}

/** Poll the other nodes until they agree on a leader of a later epoch. */
async function awaitNewLeader(others: readonly ClusterNodeProcess[], old: Leader, startedAt: number, ms: number): Promise<{ leader: Leader; ms: number }> {
  const leader = await poll(`a new leader after epoch ${old.epoch}`, ms, () => agreedLeader(others, old.epoch), 100);
  return { leader, ms: Date.now() - startedAt };
}

/**
 * Wait (up to 5 s) for `node` to log its step-down from leader after `offset` in its output, and
 * say when it came, counted from `startedAt` (the log's ISO times are the same wall clock).
 */
async function stepDownNote(node: ClusterNodeProcess, offset: number, startedAt: number): Promise<string> {
  const pattern = /^(\S+) \[info\] cluster\.node: role leader -> follower \(epoch (\d+)\): (.*)$/m;
  const found = await poll('the old leader stepping down', 5000, () => Promise.resolve(pattern.exec(node.output.slice(offset)) ?? undefined), 100).catch(() => null);
  if (found === null) return `${node.spec.id} logged no step-down within 5 s`;
  return `${node.spec.id} stepped down from epoch ${found[2]} ${Date.parse(found[1] ?? '') - startedAt} ms after the fault: ${found[3]}`;
}

const holdUntil = async (at: number): Promise<void> => {
  if (Date.now() < at) await sleep(at - Date.now());
};

export const killLeader: Nemesis = {
  name: 'kill-leader',
  description: 'kill -9 the leader, restart it after 5 s',
  async inject(topology, history, old) {
    const node = topology.node(old.leader);
    const others = topology.nodes.filter((n) => n !== node);
    const heal = history.fault(this.name);
    const startedAt = Date.now();
    node.kill9();
    const elected = await awaitNewLeader(others, old, startedAt, topology.options.leaseTtlMs + 15_000);
    await holdUntil(startedAt + 5000);
    node.start(topology.dir);
    heal();
    return { electedMs: elected.ms, newLeader: elected.leader, notes: [`${old.leader} restarted ${Date.now() - startedAt} ms after the kill`] };
  },
};

export const pauseLeader: Nemesis = {
  name: 'pause-leader',
  description: 'SIGSTOP the leader past its lease TTL, then SIGCONT (zombie leader)',
  async inject(topology, history, old) {
    const node = topology.node(old.leader);
    const others = topology.nodes.filter((n) => n !== node);
    const pid = node.pid as number;
    const offset = node.output.length;
    const heal = history.fault(this.name);
    const startedAt = Date.now();
    process.kill(pid, 'SIGSTOP');
    let elected: { leader: Leader; ms: number };
    try {
      elected = await awaitNewLeader(others, old, startedAt, topology.options.leaseTtlMs + 15_000);
      await holdUntil(startedAt + topology.options.leaseTtlMs + 2000);
    } finally {
      process.kill(pid, 'SIGCONT');
      heal();
    }
    const notes = [`${old.leader} resumed ${Date.now() - startedAt} ms after SIGSTOP`, await stepDownNote(node, offset, startedAt)];
    return { electedMs: elected.ms, newLeader: elected.leader, notes };
  },
};

export const cutLeaderFromEtcd: Nemesis = {
  name: 'leader-etcd-partition',
  description: 'blackhole the leader\'s links to all three etcd members (it still sees its followers)',
  async inject(topology, history, old) {
    const node = topology.node(old.leader);
    const others = topology.nodes.filter((n) => n !== node);
    const offset = node.output.length;
    const heal = history.fault(this.name);
    const startedAt = Date.now();
    topology.setEtcdLinks(old.leader, 'blackhole');
    let elected: { leader: Leader; ms: number };
    const notes: string[] = [];
    try {
      elected = await awaitNewLeader(others, old, startedAt, topology.options.leaseTtlMs + 15_000);
      // The cut-off leader fences itself: it cannot reach etcd to learn of its successor.
      notes.push(await stepDownNote(node, offset, startedAt));
      await holdUntil(startedAt + topology.options.leaseTtlMs + 4000);
    } finally {
      topology.setEtcdLinks(old.leader, 'pass');
      heal();
    }
    return { electedMs: elected.ms, newLeader: elected.leader, notes };
  },
};

export const cutLeaderFromFollowers: Nemesis = {
  name: 'leader-followers-partition',
  description: 'blackhole the followers\' replication links into the leader (it still sees etcd)',
  async inject(topology, history, old) {
    const node = topology.node(old.leader);
    const heal = history.fault(this.name);
    const startedAt = Date.now();
    topology.setReplLinksInto(old.leader, 'blackhole');
    const notes: string[] = [];
    const holdMs = topology.options.followerAckTimeoutMs + 5000;
    try {
      // Followers must leave the in-sync set (a fenced write) before the leader confirms alone.
      let shrunkAt: number | null = null;
      while (Date.now() < startedAt + holdMs) {
        const view = (await node.get('/api/warren/cluster').catch(() => null)) as ClusterStatus | null;
        if (shrunkAt === null && view?.isr !== null && view?.isr !== undefined && view.isr.members.length < topology.nodes.length) {
          shrunkAt = Date.now();
          notes.push(`in-sync set shrank to [${view.isr.members.join(', ')}] ${shrunkAt - startedAt} ms after the cut (epoch ${view.isr.epoch})`);
        }
        await sleep(200);
      }
      if (shrunkAt === null) notes.push(`in-sync set did not shrink within ${holdMs} ms`);
    } finally {
      topology.setReplLinksInto(old.leader, 'pass');
      heal();
    }
    const now = await agreedLeader(topology.nodes).catch(() => undefined);
    const changed = now !== undefined && now.epoch !== old.epoch ? now : null;
    notes.push(changed === null ? 'leadership unchanged' : `leadership moved to ${changed.leader} (epoch ${changed.epoch})`);
    return { electedMs: null, newLeader: changed, notes };
  },
};

/**
 * CLUSTER.md 7.3 item 5 made to bite: once the followers are cut off past followerAckTimeoutMs the
 * leader alone holds its latest confirms, so they must have left the in-sync set before those
 * confirms went out. Kill the leader then, while the cut holds: no follower may take over (it is
 * not in the set, and would lose what the leader confirmed alone); the restarted leader must lead
 * again. Then the cut heals and the followers catch up.
 */
export const cutFollowersThenKill: Nemesis = {
  name: 'leader-followers-partition-kill',
  description: "cut the followers' replication links into the leader, kill -9 it past followerAckTimeoutMs, restart it after 5 s, heal the cut",
  async inject(topology, history, old) {
    const node = topology.node(old.leader);
    const others = topology.nodes.filter((n) => n !== node);
    const heal = history.fault(this.name);
    topology.setReplLinksInto(old.leader, 'blackhole');
    const notes: string[] = [];
    let next: Leader;
    try {
      await sleep(topology.options.followerAckTimeoutMs + 3000);
      const view = (await node.get('/api/warren/cluster').catch(() => null)) as ClusterStatus | null;
      notes.push(`in-sync set when the leader was killed: [${view?.isr?.members.join(', ') ?? '?'}]`);
      node.kill9();
      const killedAt = Date.now();
      await sleep(5000);
      const usurper = await agreedLeader(others).catch(() => undefined);
      notes.push(usurper === undefined ? 'no follower took over while the leader was down' : `${usurper.leader} took over (epoch ${usurper.epoch}) while the leader was down`);
      node.start(topology.dir);
      next = await poll('a leader after the restart', topology.options.leaseTtlMs + 20_000, () => agreedLeader(topology.nodes, old.epoch), 200);
      notes.push(`leader after the restart: ${next.leader} (epoch ${next.epoch}), agreed ${Date.now() - killedAt} ms after the kill`);
    } finally {
      topology.setReplLinksInto(old.leader, 'pass');
      heal();
    }
    return { electedMs: null, newLeader: next, notes };
  },
};

export const NEMESES: readonly Nemesis[] = [killLeader, pauseLeader, cutLeaderFromEtcd, cutLeaderFromFollowers, cutFollowersThenKill];
