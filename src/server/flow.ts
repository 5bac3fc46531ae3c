/**
 * The server's reaction to resource alarms (broker/alarms.ts), as RabbitMQ's reader throttle:
 *
 * - While any alarm is raised, a connection that publishes (a content frame arrives) is blocked:
 *   its socket is paused once the current input chunk is done, so nothing more is read from it,
 *   and a client that advertised the `connection.blocked` capability is sent connection.blocked
 *   once. Connections that do not publish keep running: deliveries and acks go on.
 * - While blocked, missed heartbeats are not counted: we are not reading them.
 * - When every alarm has cleared, blocked connections are resumed and those told they were
 *   blocked get connection.unblocked.
 *
 * A paused socket holds at most its stream buffer (the kernel window does the rest), so nothing
 * grows while the alarm lasts; bytes already read are processed, nothing is dropped.
 */
import { encodeConnectionBlocked, encodeConnectionUnblocked } from '../amqp/generated/methods.js';
import type { AlarmState, ResourceAlarms } from '../broker/alarms.js';
import { logger } from '../util/logger.js';
import type { Connection } from './connection.js';
import { ReadPause } from './read-gate.js';

const log = logger('amqp.flow');

/** connection.blocked's reason, as RabbitMQ words it: "low on memory", "low on disk", "low on disk & memory". */
export function blockedReason(state: AlarmState): string {
  const on: string[] = [];
  if (state.disk) on.push('disk');
  if (state.memory) on.push('memory');
  return `low on ${on.join(' & ')}`;
}

export class Flow {
  /** connections paused during the current alarm */
  private readonly blocked = new Set<Connection>();
  /** those of them that were sent connection.blocked */
  private readonly notified = new Set<Connection>();
  private readonly unsubscribe: () => void;

  constructor(readonly alarms: ResourceAlarms) {
    this.unsubscribe = alarms.onChange((state) => {
      if (!state.memory && !state.disk) this.unblockAll();
    });
  }

  /** Is any alarm raised? The check made on the publish path before calling published(). */
  get alarmed(): boolean {
    return this.alarms.raised;
  }

  isBlocked(conn: Connection): boolean {
    return this.blocked.has(conn);
  }

  get blockedCount(): number {
    return this.blocked.size;
  }

  /** A content frame of a publish arrived on `conn` while an alarm is raised: block it. */
  published(conn: Connection): void {
    if (!this.alarms.raised || conn.state === 'closed' || this.blocked.has(conn)) return;
    this.blocked.add(conn);
    // Paused inside the data handler: the rest of this chunk is still framed and handled (ReadGate).
    conn.readGate.pause(ReadPause.Alarm);
    const reason = blockedReason(this.alarms.state);
    if (conn.blockedNotify) {
      encodeConnectionBlocked(conn.writer, 0, { reason });
      this.notified.add(conn);
      conn.scheduleFlush();
    }
    log.info(`blocked publishing connection ${conn.name}: ${reason}`);
  }

  /** The connection went away: forget it. */
  forget(conn: Connection): void {
    this.blocked.delete(conn);
    this.notified.delete(conn);
  }

  private unblockAll(): void {
    if (this.blocked.size === 0) return;
    const blocked = [...this.blocked];
    this.blocked.clear();
    for (const conn of blocked) {
      const notified = this.notified.delete(conn);
      if (conn.state === 'closed') continue;
      if (notified) {
        encodeConnectionUnblocked(conn.writer, 0, {});
        conn.scheduleFlush();
      }
      conn.readGate.resume(ReadPause.Alarm);
      log.info(`unblocked connection ${conn.name}`);
    }
    this.notified.clear();
  }

  /** Listener shutdown: stop listening to the alarms; connections are being closed anyway. */
  stop(): void {
    this.unsubscribe();
    this.blocked.clear();
    this.notified.clear();
  }
}
