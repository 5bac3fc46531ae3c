/**
 * The seam for the replication stream (CLUSTER.md 6.3), which a later phase builds. Nothing here
 * streams yet; the control plane (cluster-node.ts) already calls these hooks at the right moments.
 *
 * The plan:
 * - Leader: `ReplicationSource.start(broker, epoch)` attaches to the broker's change events
 *   (src/broker/events.ts: `broker.observe(DefinitionObserver)` for declares, deletes, bindings;
 *   the store's op batches, src/store/op-batch.ts, for messages, acks and purges, one record per
 *   group commit) and ships `{epoch, seq, ops[]}` records on the `repl` port. Confirms and
 *   declare-oks wait on `whenAcked(seq)`, i.e. every in-sync follower has the record on disk.
 * - Follower: `ReplicationSink.follow(leader, epoch)` connects to the leader, applies records
 *   through the same broker calls (Broker/Vhost methods, so rules stay in the broker) in one
 *   SQLite transaction per batch, and acks; a diverged or new follower takes a snapshot.
 * - In-sync set: the leader writes `isr` through Keyspace.writeIsr only (the fenced helper).
 *   `caughtUp()` is what it writes: itself plus the followers that are fully caught up.
 *   `SINGLE_COPY` below is this phase's source: nothing to copy, so every live follower counts
 *   as caught up and the ISR is every registered node.
 */
import type { Broker } from '../broker/broker.js';
import type { ResolvedPeer } from './cluster-config.js';

/** A replication position: the epoch the record was written in, and its sequence number. */
export interface LogPosition {
  readonly epoch: number;
  readonly seq: number;
}

/** Leader side. */
export interface ReplicationSource {
  /** This node became leader of `epoch` and serves `broker`: start streaming its changes. */
  start(broker: Broker, epoch: number): void;
  /** Followers (by node id) that have everything up to now, among `live` (registered in etcd). */
  caughtUp(live: readonly string[]): readonly string[];
  /** Run `done` once every in-sync follower has acked `seq` (the confirm gate). */
  whenAcked(seq: number, done: (err: Error | null) => void): void;
  /** Leadership ended (resigned, fenced, shutdown): drop every follower link. */
  stop(): void;
}

/** Follower side. */
export interface ReplicationSink {
  /** Follow the leader of `epoch`; frames of any other epoch are refused. */
  follow(leader: ResolvedPeer, epoch: number): void;
  /** Stop following (the leader changed, or this node is promoted). */
  stop(): void;
  /** Last applied record, published in `<prefix>/progress/<id>` to rank candidates. */
  lastApplied(): LogPosition;
}

/** This phase: no stream. Every live follower is trivially caught up; confirms are not held. */
export const SINGLE_COPY: ReplicationSource & ReplicationSink = {
  start: () => undefined,
  caughtUp: (live) => live,
  whenAcked: (_seq, done) => done(null),
  stop: () => undefined,
  follow: () => undefined,
  lastApplied: () => ({ epoch: 0, seq: 0 }),
};
