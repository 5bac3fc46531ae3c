/**
 * With managed etcd, the broker leader's own etcd member should not also be etcd's raft leader:
 * a crash of that machine (or kill -9 of the broker, whose member dies with it) would then cost
 * an etcd election on top of the lease expiry, and etcd renews every lease when its leader
 * changes, so the dead broker's leader key would outlive it by another TTL. After winning, the
 * node asks its own member to hand raft leadership to another started member (etcd's MoveLeader,
 * which only the raft leader accepts); the leader checks again every few seconds, as raft
 * leadership can come back. Best effort: a failure changes timing, never safety.
 */
import { logger } from '../util/logger.js';
import { etcdClient } from './keyspace.js';

const log = logger('cluster.etcd');

/**
 * If the member at `ownClientUrl` is etcd's raft leader, move leadership to another member, one of
 * `alive` (member names are node ids: the nodes registered in etcd, so a dead member is not chosen).
 * True when the raft leader is elsewhere now.
 */
export async function moveRaftLeaderAway(ownClientUrl: string, alive: readonly string[], timeoutMs: number): Promise<boolean> {
  const own = etcdClient([ownClientUrl], timeoutMs);
  try {
    const status = await own.maintenance.status();
    const me = status.header.member_id;
    if (status.leader !== me) return true;
    const { members } = await own.cluster.memberList({ linearizable: false });
    const target = members.find((m) => m.ID !== me && alive.includes(m.name) && !m.isLearner);
    if (target === undefined) return false;
    await own.maintenance.moveLeader({ targetID: target.ID });
    log.info(`moved etcd raft leadership from this node's member to ${target.name}, away from the broker leader`);
    return true;
  } catch (err) {
    log.debug(`could not move etcd raft leadership: ${err instanceof Error ? err.message : String(err)}`);
    return false;
  } finally {
    own.close();
  }
}
