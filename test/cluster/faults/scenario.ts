/**
 * One fault scenario on a fresh cluster (CLUSTER.md 7.2-7.4): start the topology, load it, inject
 * the fault and heal it, check liveness (a confirm within TTL + 10 s of the heal) and wait until
 * every node is in the in-sync set, stop the publishers, drain every queue from the final leader,
 * add the brokers' confirm logs and etcd's leader history to the recorded history, and check it.
 */
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { agreedLeader, AUTH, poll, sleep, type ClusterNodeProcess, type ClusterStatus } from '../cluster-harness.js';
import { checkHistory, LIVENESS_SLACK_MS, type CheckSummary } from '../checker.js';
import { History, type HistoryData } from '../history.js';
import { leaderHistory } from './etcd-history.js';
import type { FaultOutcome, Leader, Nemesis } from './nemeses.js';
import { PREFIX, Topology, type TopologyOptions } from './topology.js';
import { Consumer, drain, Publisher, type QueueSpec } from './workload.js';

export const QUEUES: readonly QueueSpec[] = [
  { name: 'faults.ha', arguments: {} },
  { name: 'faults.qq', arguments: { 'x-queue-type': 'quorum' } },
];
const POLICY = { pattern: '^faults\\.ha$', definition: { 'ha-mode': 'all' }, priority: 0, 'apply-to': 'queues' };

export interface ScenarioOptions extends TopologyOptions {
  /** total publish rate over both queues */
  ratePerSec: number;
  warmupMs: number;
  /** consumers ack this share of the publish rate: the rest stays queued for the faults and the final drain */
  consumeShare: number;
  /** load after the cluster is whole again, before the drain */
  afterMs: number;
}

export interface ScenarioResult {
  nemesis: Nemesis;
  summary: CheckSummary | null;
  outcome: FaultOutcome | null;
  firstLeader: Leader | null;
  /** fault start to the first confirm of a publish attempted after it */
  firstConfirmAfterFaultMs: number | null;
  /** the longest time without any confirm from the fault's start to its heal + liveness limit */
  longestConfirmGapMs: number | null;
  notes: string[];
  error: string | null;
  durationMs: number;
  history: HistoryData | null;
  logs: Record<string, string>;
}

/** Every node answers, they agree on one leader, and all of them are in its in-sync set. */
export async function allInSync(nodes: readonly ClusterNodeProcess[]): Promise<Leader | undefined> {
  const agreed = await agreedLeader(nodes);
  if (agreed === undefined) return undefined;
  const views = (await Promise.all(nodes.map((n) => n.get('/api/warren/cluster')))) as (ClusterStatus | null)[];
  const whole = views.every((v) => v !== null && v.isr !== null && v.isr.members.length === nodes.length && v.nodes.every((x) => x.in_sync));
  return whole ? agreed : undefined;
}

/** Add the brokers' confirm log lines to the history; the count of lines and of messages they confirm. */
async function readConfirmLogs(topology: Topology, history: History): Promise<{ lines: number; messages: number }> {
  let lines = 0;
  let messages = 0;
  for (const node of topology.nodes) {
    const file = topology.confirmLogFile(node.spec.id);
    if (!existsSync(file)) continue;
    for (const line of (await readFile(file, 'utf8')).split('\n')) {
      if (line === '') continue;
      const { epoch, ns, n } = JSON.parse(line) as { epoch: number; ns: string; n: number };
      history.confirmLine(epoch, BigInt(ns), node.spec.id);
      lines++;
      messages += n;
    }
  }
  return { lines, messages };
}

function confirmTimes(data: HistoryData): { attemptedAt: number; at: number }[] {
  return data.publishes
    .filter((p) => p.outcome === 'confirmed' && p.outcomeAt !== undefined)
    .map((p) => ({ attemptedAt: p.attemptedAt, at: p.outcomeAt as number }))
    .sort((a, b) => a.at - b.at);
}

export async function runScenario(nemesis: Nemesis, options: ScenarioOptions, register: (t: Topology | null) => void): Promise<ScenarioResult> {
  const began = Date.now();
  const result: ScenarioResult = {
    nemesis,
    summary: null,
    outcome: null,
    firstLeader: null,
    firstConfirmAfterFaultMs: null,
    longestConfirmGapMs: null,
    notes: [],
    error: null,
    durationMs: 0,
    history: null,
    logs: {},
  };
  const topology = await Topology.start(options);
  register(topology);
  const history = new History();
  const nodes = topology.nodes;
  const rate = options.ratePerSec / QUEUES.length;
  const publishers = QUEUES.map((q, i) => new Publisher(history, q, nodes, rate, `${q.name.split('.')[1] ?? i}`));
  const consumers = QUEUES.map((q) => new Consumer(history, q, nodes, rate * options.consumeShare));
  const confirmed = (): number => publishers.reduce((n, p) => n + p.confirmed, 0);
  try {
    const first = await poll('a leader and a whole in-sync set', 45_000, () => allInSync(nodes), 200);
    result.firstLeader = first;
    const res = await fetch(`${topology.node(first.leader).api}/api/policies/%2F/faults-ha`, {
      method: 'PUT',
      headers: { authorization: AUTH, 'content-type': 'application/json' },
      body: JSON.stringify(POLICY),
    });
    if (res.status !== 201 && res.status !== 204) throw new Error(`PUT policy: ${res.status} ${await res.text()}`);
    for (const c of consumers) c.start();
    for (const p of publishers) p.start();
    await poll('confirms flowing', 20_000, () => Promise.resolve(confirmed() > 0 ? true : undefined), 50);
    await sleep(options.warmupMs);
    // The leader may have moved while warming up (it should not): aim at the current one.
    const leader = await poll('the leader before the fault', 10_000, () => agreedLeader(nodes), 100);
    result.outcome = await nemesis.inject(topology, history, leader);
    const healedAt = Date.now();
    const healedConfirms = confirmed();
    const liveness = options.leaseTtlMs + LIVENESS_SLACK_MS;
    await poll('a confirm after the heal', liveness, () => Promise.resolve(confirmed() > healedConfirms ? true : undefined), 50).catch((err: unknown) =>
      result.notes.push(String(err)),
    );
    const whole = await poll('every node in the in-sync set after the heal', 60_000, () => allInSync(nodes), 200);
    result.notes.push(`after the heal: leader ${whole.leader} (epoch ${whole.epoch}), every node in sync ${Date.now() - healedAt} ms after the heal`);
    await sleep(options.afterMs);
    const phases: number[] = [Date.now()];
    await Promise.all(publishers.map((p) => p.finish(8000)));
    phases.push(Date.now());
    const final = await poll('every node in the in-sync set before the drain', 30_000, () => allInSync(nodes), 200);
    phases.push(Date.now());
    await Promise.all(consumers.map((c) => c.stop()));
    phases.push(Date.now());
    const drained = await drain(history, topology.node(final.leader), QUEUES);
    phases.push(Date.now());
    const took = phases.slice(1).map((t, i) => t - (phases[i] as number));
    result.notes.push(`end phases (ms): publishers settled ${took[0]}, whole in-sync set ${took[1]}, consumers closed ${took[2]}, drained ${took[3]}`);
    const policy = await topology.node(final.leader).get('/api/policies/%2F/faults-ha').catch(() => null);
    result.notes.push(`final drain from ${final.leader}: ${drained} deliveries; ha-mode policy on the final leader: ${policy === null ? 'MISSING' : 'present'}`);
    result.notes.push(`client connections: publishers ${publishers.map((p) => p.connects).join('+')}, consumers ${consumers.map((c) => c.connects).join('+')}`);
  } catch (err) {
    result.error = err instanceof Error ? err.message : String(err);
    await Promise.all([...publishers, ...consumers].map((c) => Promise.race([c.stop(), sleep(5000)])));
  }
  try {
    const log = await readConfirmLogs(topology, history);
    // Every confirm a client got must be in some broker's log, or the single-writer check is blind.
    const clientConfirms = publishers.reduce((n, p) => n + p.confirmed, 0);
    if (log.messages < clientConfirms) result.error ??= `the confirm logs cover ${log.messages} messages, the clients got ${clientConfirms} confirms`;
    const leaders = await leaderHistory(topology.etcdEndpoints, PREFIX);
    for (const l of leaders) history.leaderChange(l.epoch, l.node, l.isr);
    result.notes.push(`etcd: leaders ${leaders.map((l) => `${l.node}@${l.epoch} (isr ${l.isr?.join(',') ?? 'none yet'})`).join(' -> ')}; confirm log: ${log.lines} lines for ${log.messages} messages`);
  } catch (err) {
    result.error ??= `reading the confirm logs or etcd history: ${err instanceof Error ? err.message : String(err)}`;
  }
  const data = history.data();
  result.history = data;
  result.summary = checkHistory(data, { leaseTtlMs: options.leaseTtlMs });
  const fault = data.faults[0];
  if (fault !== undefined) {
    const times = confirmTimes(data);
    const after = times.filter((t) => t.attemptedAt >= fault.startedAt).map((t) => t.at);
    result.firstConfirmAfterFaultMs = after.length === 0 ? null : Math.round(Math.min(...after) - fault.startedAt);
    const end = (fault.healedAt ?? fault.startedAt) + options.leaseTtlMs + LIVENESS_SLACK_MS;
    let previous = fault.startedAt;
    let gap = 0;
    for (const t of times) {
      if (t.at < fault.startedAt) continue;
      if (t.at > end) break;
      gap = Math.max(gap, t.at - previous);
      previous = t.at;
    }
    result.longestConfirmGapMs = Math.round(gap);
  }
  for (const n of nodes) result.logs[n.spec.id] = n.output;
  register(null);
  await topology.stop();
  result.durationMs = Date.now() - began;
  return result;
}
