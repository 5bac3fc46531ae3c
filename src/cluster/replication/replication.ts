/**
 * A node's replication (CLUSTER.md 6.3, 6.4), in both roles:
 * - follower: the store is a Replica (src/store/replica.ts) written only from the leader's log,
 *   through a LeaderLink to the leader of the epoch the control loop follows;
 * - leader: the broker's store is opened with this object as its ChangeLog, so every committed
 *   transaction becomes a record, kept in the ring and streamed to every follower link.
 *
 * The confirm gate: a record is durable once every follower in the gate has acked it. The gate is
 * the in-sync set as last written to etcd, plus followers about to join it (added the moment they
 * are found caught up, before the write), minus nobody until a write that drops them has
 * committed. So a confirm never depends on a follower the ISR no longer lists, and every follower
 * the ISR lists has every confirmed record.
 */
import { recordFrame } from './frames.js';
import { LeaderServer, type FollowerLink, type LeaderLog } from './leader-links.js';
import { LeaderLink, type FollowerSide } from './follower-link.js';
import { LogRing } from './log-ring.js';
import { NO_POSITION, Replica, StoreError, StoreErrorCode } from '../../store/index.js';
import type { ChangeLog, LogPosition, LogRecord, StoreSnapshot } from '../../store/index.js';
import type { ResolvedCluster, ResolvedPeer } from '../cluster-config.js';
import { Deque } from '../../util/deque.js';
import { logger } from '../../util/logger.js';

const log = logger('cluster.repl');

const RING_BYTES = 64 * 1024 * 1024;
const RECONNECT_MS = 250;

type Waiter = { seq: number; done: (err: Error | null) => void };

export class Replication implements ChangeLog, LeaderLog, FollowerSide {
  readonly ring = new LogRing(RING_BYTES);
  epoch = 0;
  definitionSeq = 0;
  /** set when the cluster secret is known (keyspace.ts) */
  secret = '';
  /** poke the control loop: the in-sync set should change */
  onIsrChange: () => void = () => undefined;
  /** the store failed to commit a record it had already shipped: this node must stop leading */
  onStoreFailed: (why: string) => void = () => undefined;

  private replica: Replica | null = null;
  private link: LeaderLink | null = null;
  private following: { peer: ResolvedPeer; epoch: number } | null = null;
  private reconnect: NodeJS.Timeout | null = null;
  private forceSnapshot = false;
  /** link failures in a row (only the first of an outage is logged) */
  private failures = 0;

  private server: LeaderServer | null = null;
  private snapshotOf: (() => StoreSnapshot) | null = null;
  private gate = new Set<string>();
  /** confirms waiting for durability, in seq order */
  private readonly waiters = new Deque<Waiter>();

  constructor(
    private readonly config: ResolvedCluster,
    private readonly dataDir: string,
  ) {}

  get node(): string {
    return this.config.nodeId;
  }

  get cluster(): string {
    return this.config.name;
  }

  /** Open the local copy (at start, and after leading): the log continues from its position. */
  open(): void {
    if (this.replica !== null) return;
    this.replica = Replica.open(this.dataDir);
    this.ring.continueFrom(this.replica.at);
  }

  lastApplied(): LogPosition {
    return this.ring.last;
  }

  // ---- follower ------------------------------------------------------------------------------

  /** Follow the leader of `epoch` (null: none); a link of another epoch is dropped first. */
  follow(peer: ResolvedPeer | null, epoch: number): void {
    if (peer !== null && this.following?.peer.id === peer.id && this.following.epoch === epoch) return;
    this.unfollow();
    if (peer === null) return;
    this.open();
    this.following = { peer, epoch };
    this.connect();
  }

  /** Stop following: no more acks to anyone (a candidate's first step). */
  unfollow(): void {
    this.following = null;
    if (this.reconnect !== null) clearTimeout(this.reconnect);
    this.reconnect = null;
    const link = this.link;
    this.link = null;
    link?.close('stopped following');
  }

  private connect(): void {
    const f = this.following;
    if (f === null || this.link !== null || this.secret === '') return;
    this.link = new LeaderLink(f.peer.host, f.peer.replPort, f.epoch, this);
  }

  position(): LogPosition {
    return this.forceSnapshot ? NO_POSITION : this.ring.last;
  }

  install(image: Buffer, at: LogPosition): void {
    this.replica?.close();
    this.replica = null;
    Replica.install(this.dataDir, image);
    this.replica = Replica.open(this.dataDir);
    this.ring.reset(at);
    this.forceSnapshot = false;
    log.info(`installed a snapshot of the leader's store at record ${at.seq} (epoch ${at.epoch}, ${image.length} bytes)`);
  }

  apply(records: LogRecord[], frames: Buffer[]): LogPosition {
    const replica = this.replica;
    if (replica === null) throw new Error('no local copy open');
    try {
      replica.apply(records);
    } catch (err) {
      if (err instanceof StoreError && err.code === StoreErrorCode.Diverged) this.forceSnapshot = true;
      throw err;
    }
    for (let i = 0; i < records.length; i++) {
      const r = records[i] as LogRecord;
      if (r.seq === this.ring.last.seq + 1) this.ring.append(r.epoch, r.seq, frames[i] as Buffer);
    }
    return replica.at;
  }

  closed(link: LeaderLink, why: string): void {
    if (link !== this.link) return;
    this.link = null;
    if (this.following === null) return;
    this.failures = link.mode === 'connecting' ? this.failures + 1 : 1;
    if (this.failures === 1) log.info(`replication link to ${this.following.peer.id} (epoch ${this.following.epoch}) closed: ${why}; reconnecting`);
    this.reconnect = setTimeout(() => {
      this.reconnect = null;
      this.connect();
    }, RECONNECT_MS);
  }

  /** The secret became known: a follower waiting for it connects now. */
  secretKnown(secret: string): void {
    this.secret = secret;
    this.connect();
  }

  // ---- leader --------------------------------------------------------------------------------

  /** About to lead `epoch`: close the local copy (the broker opens the store with this log). */
  lead(epoch: number): ChangeLog {
    this.unfollow();
    this.open(); // the position, if the copy was never opened
    this.replica?.close();
    this.replica = null;
    this.epoch = epoch;
    this.gate.clear();
    return this;
  }

  /** The broker runs: accept followers on the repl port. */
  async serve(): Promise<void> {
    const server = new LeaderServer(this);
    this.server = server;
    await server.listen(this.config.self.host, this.config.self.replPort);
  }

  /** Leading ended: drop the followers and every waiting confirm (the broker is fenced). */
  async stopLeading(): Promise<void> {
    const server = this.server;
    this.server = null;
    this.snapshotOf = null;
    this.gate.clear();
    this.waiters.clear();
    await server?.close();
  }

  isPeer(node: string): boolean {
    return node !== this.node && this.config.peers.some((p) => p.id === node);
  }

  snapshot(): StoreSnapshot | null {
    return this.snapshotOf?.() ?? null;
  }

  attach(position: LogPosition, snapshot: () => StoreSnapshot): void {
    this.ring.continueFrom(position);
    this.snapshotOf = snapshot;
  }

  next(): LogPosition {
    return { epoch: this.epoch, seq: this.ring.last.seq + 1 };
  }

  committed(payload: Buffer, definition: boolean): void {
    const seq = this.ring.last.seq + 1;
    this.ring.append(this.epoch, seq, recordFrame(this.epoch, seq, payload));
    if (definition) this.definitionSeq = seq;
    this.server?.pump();
  }

  failed(err: unknown): void {
    this.onStoreFailed(`the store failed to commit record ${this.ring.last.seq}, already sent to followers: ${err instanceof Error ? err.message : String(err)}`);
  }

  whenDurable(done: (err: Error | null) => void): void {
    const seq = this.ring.last.seq;
    if (this.waiters.length === 0 && this.durableUpTo() >= seq) return done(null);
    this.waiters.push({ seq, done });
  }

  /** Every gate member has acked up to here. */
  private durableUpTo(): number {
    let upTo = this.ring.last.seq;
    for (const id of this.gate) {
      const link = this.server?.links.get(id);
      const acked = link === undefined || link.closed ? 0 : link.acked;
      if (acked < upTo) upTo = acked;
    }
    return upTo;
  }

  private release(): void {
    if (this.waiters.length === 0) return;
    const upTo = this.durableUpTo();
    for (let w = this.waiters.peek(); w !== undefined && w.seq <= upTo; w = this.waiters.peek()) {
      this.waiters.shift();
      w.done(null);
    }
  }

  linkChanged(link: FollowerLink, closed: boolean): void {
    if (closed && this.server?.links.get(link.node) === link) this.server.links.delete(link.node);
    if (closed && this.gate.has(link.node)) this.onIsrChange();
    else if (!this.gate.has(link.node) && link.acked === this.ring.last.seq) this.onIsrChange();
    this.release();
  }

  /**
   * The followers among `live` that belong in the in-sync set now: gate members whose link is up
   * and acking in time, and followers that have just caught up (they join the gate at once).
   */
  desiredIsr(live: readonly string[]): string[] {
    const now = Date.now();
    const out: string[] = [];
    for (const id of live) {
      const link = this.server?.links.get(id);
      if (link === undefined || link.closed || !link.streaming) continue;
      if (this.gate.has(id)) {
        if (link.unackedSince === 0 || now - link.unackedSince < this.config.followerAckTimeoutMs) out.push(id);
      } else if (link.acked === this.ring.last.seq) {
        this.gate.add(id); // from now on confirms wait for it too
        out.push(id);
      }
    }
    return out;
  }

  /** The in-sync set `members` is written in etcd: the gate becomes exactly its followers. */
  isrCommitted(members: readonly string[]): void {
    this.gate = new Set(members.filter((id) => id !== this.node));
    this.release();
  }

  /** Per follower: acked seq, and whether it is in the gate (for the cluster status). */
  followers(): { node: string; acked: number; lag: number; inGate: boolean }[] {
    const last = this.ring.last.seq;
    return [...(this.server?.links.values() ?? [])].map((l) => ({ node: l.node, acked: l.acked, lag: last - l.acked, inGate: this.gate.has(l.node) }));
  }

  /** Shut down: close the local copy. */
  close(): void {
    this.unfollow();
    this.replica?.close();
    this.replica = null;
  }
}
