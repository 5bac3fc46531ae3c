import type { Socket } from 'node:net';
import type { Heartbeat } from './heartbeat.js';

/** Why a connection's socket is not being read; several may hold at once. */
export const ReadPause = {
  /** a resource alarm is raised and the connection publishes (flow.ts) */
  Alarm: 1,
  /** a queue it publishes to is congested: deliveries lag behind intake (credit flow) */
  Credit: 2,
  /** it used its share of this event-loop turn; read again in the next one (fairness) */
  Turn: 4,
  /** its replies wait for a definition change to be replicated (durable-hold.ts) */
  Durable: 8,
} as const;
export type ReadPause = (typeof ReadPause)[keyof typeof ReadPause];

/**
 * The one owner of socket.pause()/resume() for a connection. Pausing inside the data handler lets
 * the rest of the current chunk be framed and handled; then no more 'data' until every reason has
 * cleared. A paused connection is not read, so its silence is not counted by the heartbeat monitor.
 * Nothing is dropped: unread bytes wait in the socket (and the kernel window pushes back on the
 * client: TCP back-pressure).
 */
/** Input bytes one connection may have handled in one event-loop turn before others get theirs. */
export const TURN_BUDGET = 256 * 1024;

export class ReadGate {
  private reasons = 0;
  private turnBytes = 0;
  private turnEndScheduled = false;
  private readonly turnEndBound = (): void => this.turnEnd();

  constructor(
    private readonly socket: Socket,
    private readonly heartbeat: Heartbeat,
  ) {}

  get paused(): boolean {
    return this.reasons !== 0;
  }

  has(reason: ReadPause): boolean {
    return (this.reasons & reason) !== 0;
  }

  /**
   * `bytes` of input were handled. libuv reads a busy socket up to 32 times per turn, so one
   * flooding connection could hold the loop for megabytes; past TURN_BUDGET it waits for the next
   * turn, and a control connection's queue.declare or a consumer's acks get in between.
   */
  consumed(bytes: number): void {
    this.turnBytes += bytes;
    if (!this.turnEndScheduled) {
      this.turnEndScheduled = true;
      setImmediate(this.turnEndBound);
    }
    if (this.turnBytes > TURN_BUDGET) this.pause(ReadPause.Turn);
  }

  private turnEnd(): void {
    this.turnEndScheduled = false;
    this.turnBytes = 0;
    this.resume(ReadPause.Turn);
  }

  pause(reason: ReadPause): void {
    if (this.reasons === 0) {
      this.socket.pause();
      this.heartbeat.pauseMonitor();
    }
    this.reasons |= reason;
  }

  resume(reason: ReadPause): void {
    if ((this.reasons & reason) === 0) return;
    this.reasons &= ~reason;
    if (this.reasons !== 0) return;
    this.heartbeat.resumeMonitor();
    this.socket.resume();
  }
}
