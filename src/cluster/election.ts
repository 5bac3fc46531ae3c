/**
 * Campaign rules (CLUSTER.md 6.2), as pure functions of one keyspace snapshot: who may campaign,
 * and how long to wait first. A node may campaign only when `isr` is absent (bootstrap) or lists
 * it. Candidates are ranked by their `progress` (epoch, then seq, highest first; the replication
 * phase publishes it, absent counts as 0/0) and then by id, so ties break the same way on every
 * node; rank r waits r × RANK_STEP_MS before its create transaction, so the most up-to-date
 * member usually wins without a contest.
 */
import type { ClusterSnapshot, Progress } from './keyspace.js';

export const RANK_STEP_MS = 300;

const ZERO: Progress = { epoch: 0, seq: 0 };

/** May `me` campaign? A reason when it may not. */
export function campaignRefusal(snap: ClusterSnapshot, me: string): string | undefined {
  if (!snap.nodes.has(me)) return 'not registered in etcd yet';
  if (snap.isr !== null && !snap.isr.members.includes(me)) {
    return `not in the in-sync set of epoch ${snap.isr.epoch} (${snap.isr.members.join(', ')}); waiting for one of those`;
  }
  return undefined;
}

/**
 * The rank delay for `me`: the eligible live candidates sorted best first. `exclude` is the
 * leader just gone (a node that resigned is still registered but should not win again).
 */
export function rankDelay(snap: ClusterSnapshot, me: string, exclude: string | null): number {
  const eligible = [...snap.nodes.keys()].filter((id) => (snap.isr === null || snap.isr.members.includes(id)) && (id === me || id !== exclude));
  const progress = (id: string): Progress => snap.progress.get(id) ?? ZERO;
  eligible.sort((a, b) => {
    const pa = progress(a);
    const pb = progress(b);
    return pb.epoch - pa.epoch || pb.seq - pa.seq || (a < b ? -1 : a > b ? 1 : 0);
  });
  const rank = eligible.indexOf(me);
  return (rank < 0 ? eligible.length : rank) * RANK_STEP_MS;
}
