/**
 * One node of a cluster (CLUSTER.md 6.1–6.2, 6.5): the control loop that keeps an etcd session,
 * campaigns, and switches the node between its two faces.
 *
 * - Follower: no broker runs; the node's AMQP and management ports proxy to the leader.
 * - Leader: a normal broker (startBroker) on those ports, with the cluster's API resources.
 *
 * Every transition is logged with its epoch. The loop runs every keepalive interval and whenever
 * the etcd watch on the leader key fires; one step at a time (a step that comes due while one
 * runs is run again right after). A leader steps down, fencing its broker first (no confirm leaves
 * it any more, its clients get 320 CONNECTION_FORCED), when its session is lost, when the leader
 * key is no longer its own of its epoch, when a fenced ISR write fails, or on purpose.
 */
import type { Etcd3, Watcher } from 'etcd3';
import { WARREN_VERSION } from '../server/handshake.js';
import { startBroker, type BrokerOptions, type RunningBroker } from '../main.js';
import type { ClusterInfo, ClusterNodeInfo } from '../http/controllers/cluster.js';
import { logger } from '../util/logger.js';
import type { ResolvedCluster } from './cluster-config.js';
import { clusterStatus } from './cluster-status.js';
import { ConfirmLog } from './confirm-log.js';
import { campaignRefusal, rankDelay } from './election.js';
import type { ClusterSnapshot, Keyspace, LeaderRecord } from './keyspace.js';
import type { ManagedEtcd } from './managed-etcd.js';
import { FollowerProxies } from './follower-proxies.js';
import type { Replication } from './replication/replication.js';
import { loadSecret } from './replication/secret.js';
import { moveRaftLeaderAway } from './raft-leader.js';
import { Session } from './session.js';

const log = logger('cluster.node');

export type Role = 'starting' | 'follower' | 'candidate' | 'leader' | 'stopped';

const RAFT_CHECK_MS = 5000;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export class ClusterNode implements ClusterInfo {
  role: Role = 'starting';
  /** the epoch of the term this node leads or follows; null when no leader is known */
  epoch: number | null = null;
  snapshot: ClusterSnapshot | null = null;
  /** the last etcd call's failure, null after a success */
  etcdError: string | null = null;
  session: Session | null = null;
  private running: RunningBroker | null = null;
  private readonly proxies: FollowerProxies;
  /** a step-down is closing the broker: the proxies wait for its ports */
  private switching = false;
  private timer: NodeJS.Timeout | null = null;
  private busy = false;
  private again = false;
  private closing = false;
  /** bumped by every promotion and step-down, so a slow promotion notices it was overtaken */
  private term = 0;
  /** after resigning on purpose, leave the field to the others for a while */
  private holdOffUntil = 0;
  private lastLeader: string | null = null;
  private watcher: Watcher | null | 'pending' = null;
  private lastRefusal: string | undefined;
  /** when the leader next checks where etcd's raft leader is */
  private raftCheckDue = 0;
  /** `cluster.confirmLog`: one line per confirm this node sends while it leads (fault run) */
  private readonly confirmLog: ConfirmLog | null;

  constructor(
    readonly cluster: ResolvedCluster,
    /** what startBroker gets when this node leads */
    private readonly brokerOptions: BrokerOptions,
    private readonly ks: Keyspace,
    /** one client per etcd endpoint, this node's own member first: where keepalives go (session.ts) */
    private readonly members: readonly Etcd3[],
    readonly etcd: ManagedEtcd | null,
    private readonly replication: Replication,
  ) {
    replication.onIsrChange = () => this.tick();
    replication.onStoreFailed = (why) => void this.stepDown(why);
    const local = brokerOptions.management === false ? null : (): Record<string, unknown> => this.status();
    this.proxies = new FollowerProxies(cluster.self, cluster.leaseTtlMs + 5000, local, brokerOptions.tls);
    this.confirmLog = cluster.confirmLog === null ? null : new ConfirmLog(cluster.confirmLog);
  }

  get me(): string {
    return this.cluster.nodeId;
  }

  /** The broker while this node leads. */
  get broker(): RunningBroker | null {
    return this.running;
  }

  /** Re-read the TLS files (SIGHUP): the broker's while leading, else the follower's TLS ports'. */
  reloadTls(): Promise<boolean> {
    return this.running?.reloadTls() ?? this.proxies.reloadTls();
  }

  /** Open the proxies (a node starts as a follower) and start the control loop. */
  async start(): Promise<void> {
    this.replication.open();
    await this.proxies.open();
    this.timer = setInterval(() => this.tick(), Math.min(1000, Math.floor(this.cluster.leaseTtlMs / 5)));
    this.tick();
  }

  private tick(): void {
    if (this.closing) return;
    if (this.busy) {
      this.again = true;
      return;
    }
    this.busy = true;
    this.step()
      .catch((err: unknown) => {
        if (this.etcdError === null) log.warn(`control loop: ${message(err)}`);
        this.etcdError = message(err);
      })
      .finally(() => {
        this.busy = false;
        if (this.again) {
          this.again = false;
          this.tick();
        }
      });
  }

  private async step(): Promise<void> {
    if (this.role !== 'leader' && !this.proxies.listening && !this.switching) await this.proxies.open();
    let session = this.session;
    if (session === null || !session.alive) {
      session = await Session.open(this.ks.client, this.members, this.cluster.leaseTtlMs, (reason) => this.sessionLost(reason));
      this.session = session;
      log.info(`etcd session lease ${session.leaseId} granted (TTL ${this.cluster.leaseTtlMs} ms, keepalive every ${session.intervalMs} ms)`);
    }
    if (this.watcher === null) {
      this.watcher = 'pending';
      const failed = (err: Error): void => {
        log.warn(`leader watch ended: ${err.message}; watching again`);
        this.watcher = null;
      };
      this.ks.watchLeader(() => this.tick(), failed).then(
        (w) => (this.closing ? void w.cancel() : (this.watcher = w)),
        () => (this.watcher = null),
      );
    }
    let snap = await this.ks.read();
    if (!snap.nodes.has(this.me)) {
      const { host, amqpPort, httpPort, replPort } = this.cluster.self;
      const record = { amqp: `${host}:${amqpPort}`, http: `${host}:${httpPort}`, repl: `${host}:${replPort}`, version: WARREN_VERSION };
      await this.ks.register(this.me, session.leaseId, record);
      snap = await this.ks.read();
    }
    this.snapshot = snap;
    this.etcdError = null;
    if (this.replication.secret === '') this.replication.secretKnown(await loadSecret(this.cluster.secretFile, this.ks));
    await this.publishProgress(snap, session.leaseId);
    if (snap.leader !== null) this.lastLeader = snap.leader.id;
    if (this.role === 'leader') return this.lead(snap);
    if (snap.leader === null) return this.campaign(snap);
    if (snap.leader.id === this.me) {
      // Ours from an earlier term (a step-down whose resign did not reach etcd): clear it.
      log.info(`removing stale leader key of epoch ${snap.leader.epoch}`);
      await this.ks.resign(snap.leader.epoch, this.me);
      this.again = true;
      return;
    }
    this.follow(snap.leader);
  }

  private async lead(snap: ClusterSnapshot): Promise<void> {
    const leader = snap.leader;
    if (leader === null || leader.id !== this.me || leader.epoch !== this.epoch) {
      const now = leader === null ? 'gone' : `${leader.id}'s of epoch ${leader.epoch}`;
      return this.stepDown(`the leader key is ${now}`);
    }
    await this.updateIsr(snap);
    if (this.etcd !== null && this.running !== null && Date.now() >= this.raftCheckDue) {
      // Keep etcd's raft leader off this node's member (raft-leader.ts); checked every few seconds.
      this.raftCheckDue = Date.now() + RAFT_CHECK_MS;
      const { host, etcdClientPort } = this.cluster.self;
      const alive = [...snap.nodes.keys()].filter((id) => id !== this.me);
      if (!(await moveRaftLeaderAway(`http://${host}:${etcdClientPort}`, alive, 1500))) this.raftCheckDue = Date.now() + 1000;
    }
  }

  /** Publish the last applied record when it moved (at most once per control-loop step). */
  private async publishProgress(snap: ClusterSnapshot, leaseId: string): Promise<void> {
    const at = this.replication.lastApplied();
    const known = snap.progress.get(this.me);
    if (known !== undefined && known.epoch === at.epoch && known.seq === at.seq) return;
    await this.ks.putProgress(this.me, leaseId, at);
  }

  /** Write the in-sync set if it changed: this node plus the followers the replication reports caught up. */
  private async updateIsr(snap: ClusterSnapshot): Promise<void> {
    const epoch = this.epoch;
    if (epoch === null) return;
    const followers = [...snap.nodes.keys()].filter((id) => id !== this.me);
    const members = [this.me, ...this.replication.desiredIsr(followers)].sort();
    const current = snap.isr;
    if (current !== null && current.epoch === epoch && current.members.join() === members.join()) {
      this.replication.isrCommitted(members);
      return;
    }
    if (await this.ks.writeIsr(epoch, this.me, members)) {
      // Only now may confirms stop waiting for a follower that left the set.
      this.replication.isrCommitted(members);
      if (this.snapshot !== null) this.snapshot = { ...this.snapshot, isr: { epoch, members } };
      log.info(`in-sync set of epoch ${epoch}: ${members.join(', ')}`);
    } else {
      await this.stepDown(`fenced: the ISR write of epoch ${epoch} was refused`);
    }
  }

  private async campaign(snap: ClusterSnapshot): Promise<void> {
    this.follow(null);
    const refusal = campaignRefusal(snap, this.me);
    if (refusal !== undefined) {
      if (refusal !== this.lastRefusal) log.info(`not campaigning: ${refusal}`);
      this.lastRefusal = refusal;
      return;
    }
    this.lastRefusal = undefined;
    if (Date.now() < this.holdOffUntil) return;
    const session = this.session;
    if (session === null) return;
    const delay = rankDelay(snap, this.me, this.lastLeader);
    this.setRole('candidate', null, `no leader; campaigning after a rank delay of ${delay} ms`);
    if (delay > 0) await sleep(delay);
    const epoch = this.closing || !session.alive ? null : await this.ks.campaign(this.me, session.leaseId);
    if (epoch === null) {
      this.setRole('follower', null, 'another node won the election');
      this.again = true;
      return;
    }
    // LavinMQ's ensure_in_isr!: the set may have changed since the snapshot.
    const after = await this.ks.read();
    if (after.isr !== null && !after.isr.members.includes(this.me)) {
      await this.ks.resign(epoch, this.me);
      this.setRole('follower', null, `won epoch ${epoch} but is not in the in-sync set; resigned`);
      return;
    }
    await this.promote(epoch, after);
  }

  private async promote(epoch: number, snap: ClusterSnapshot): Promise<void> {
    const term = ++this.term;
    this.epoch = epoch;
    this.setRole('leader', epoch, 'won the election');
    await this.updateIsr(snap);
    await this.proxies.close();
    // Starting the broker blocks the event loop for a while (store, API routes): start it with
    // a fresh keepalive, so the fencing deadline does not run out on the way.
    if (this.session === null || !(await this.session.refresh())) return this.stepDown('no etcd keepalive before serving');
    if (term !== this.term) return;
    try {
      const changeLog = this.replication.lead(epoch);
      const running = await startBroker(this.brokerOptions, { cluster: this, nodeName: `warren@${this.me}`, clusterName: this.cluster.name, changeLog });
      if (term !== this.term) {
        await running.close(); // stepped down while starting
        return;
      }
      this.running = running;
      // Confirms stop by themselves at the session's fencing deadline unless keepalives move it.
      const session = this.session;
      if (session === null || !session.alive) return this.stepDown('etcd session lost while starting the broker');
      running.broker.confirmsUntil = session.deadline;
      if (this.confirmLog !== null) running.broker.onConfirmed = this.confirmLog.hook(epoch);
      session.onRenewed = (deadline) => {
        if (this.running === running) running.broker.confirmsUntil = deadline;
      };
      await this.replication.serve();
      log.info(`leader of epoch ${epoch} serving AMQP on ${this.cluster.self.host}:${running.port}`);
      this.raftCheckDue = 0;
      this.again = true; // the next step checks etcd's raft leader at once
    } catch (err) {
      log.error(`cannot start the broker as leader of epoch ${epoch}`, err);
      this.holdOffUntil = Date.now() + this.cluster.leaseTtlMs;
      await this.stepDown('the broker failed to start');
    }
  }

  /**
   * Leave the leader role: fence the broker, give the key back, close the broker, proxy again.
   * `planned` (a transfer, a shutdown): the broker hands over first (x-cancel-on-ha-failover).
   */
  async stepDown(reason: string, planned = false): Promise<void> {
    if (this.role !== 'leader') return;
    const epoch = this.epoch ?? 0;
    this.term++;
    this.setRole('follower', epoch, reason);
    const running = this.running;
    this.running = null;
    this.switching = true;
    const why = `leadership of node ${this.me} ended: ${reason}`;
    if (planned) running?.broker.handOver(why);
    else running?.broker.fence(why);
    await this.replication.stopLeading();
    if (this.session?.alive === true) await this.ks.resign(epoch, this.me).catch(() => false);
    this.epoch = null;
    await running?.close().finally(() => (this.switching = false));
    this.switching = false;
    if (!this.closing) {
      await this.proxies.open().catch((err: unknown) => log.warn(`proxies: ${message(err)}`));
      this.tick();
    }
  }

  private sessionLost(reason: string): void {
    this.session = null;
    if (this.role === 'leader') void this.stepDown(`etcd session lost (${reason})`);
    this.tick();
  }

  /** Route clients to `leader` (null: none known). */
  private follow(leader: LeaderRecord | null): void {
    if (leader !== null) this.setRole('follower', leader.epoch, `following ${leader.id}`);
    else if (this.role !== 'follower') this.setRole('follower', null, 'no leader');
    this.epoch = leader?.epoch ?? null;
    const peer = this.cluster.peers.find((p) => p.id === leader?.id) ?? null;
    if (this.proxies.follow(peer) && leader !== null) log.info(`following ${leader.id} (epoch ${leader.epoch})`);
    if (!this.switching) this.replication.follow(peer, leader?.epoch ?? 0);
  }

  private setRole(role: Role, epoch: number | null, why: string): void {
    if (role === this.role) return;
    log.info(`role ${this.role} -> ${role} (epoch ${epoch ?? '-'}): ${why}`);
    this.role = role;
  }

  // ---- ClusterInfo (the management API) ----------------------------------------------------

  status(): Record<string, unknown> {
    return clusterStatus(this);
  }

  replicationStatus(): Record<string, unknown> {
    const r = this.replication;
    const links = this.role === 'leader' ? r.followers().map((f) => ({ node: f.node, acked: f.acked, lag_records: f.lag, in_gate: f.inGate })) : [];
    return { applied: r.lastApplied(), followers: links };
  }

  nodes(): readonly ClusterNodeInfo[] {
    const snap = this.snapshot;
    return this.cluster.peers.map((p) => ({
      name: `warren@${p.id}`,
      self: p.id === this.me,
      running: snap?.nodes.has(p.id) ?? p.id === this.me,
      role: snap?.leader?.id === p.id ? ('leader' as const) : ('follower' as const),
      inSync: snap?.isr?.members.includes(p.id) ?? false,
    }));
  }

  transferLeadership(): { node: string; epoch: number } | { refused: string } {
    const epoch = this.epoch;
    if (this.role !== 'leader' || epoch === null) {
      return { refused: `node ${this.me} is not the leader (leader: ${this.snapshot?.leader?.id ?? 'none'})` };
    }
    this.holdOffUntil = Date.now() + this.cluster.leaseTtlMs + 2000;
    // After the reply is written: stepping down closes this very API server.
    setTimeout(() => void this.stepDown('leadership transferred on request', true), 20);
    return { node: this.me, epoch };
  }

  /** Shut down: a leader resigns (a fast, clean failover), then the session, the client and our etcd member go. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    await this.stepDown('node shutting down', true);
    if (this.timer !== null) clearInterval(this.timer);
    await this.proxies.close();
    if (this.watcher !== null && this.watcher !== 'pending') await this.watcher.cancel().catch(() => undefined);
    await this.session?.close();
    this.ks.client.close();
    for (const member of this.members) member.close();
    this.replication.close();
    await this.etcd?.stop();
    this.confirmLog?.close();
    this.setRole('stopped', null, 'shut down');
  }
}
