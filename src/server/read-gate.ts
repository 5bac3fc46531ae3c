import type { Socket } from 'node:net';
import type { Heartbeat } from './heartbeat.js';

/** Why a connection's socket is not being read; several may hold at once. */
export const ReadPause = {
  /** a resource alarm is raised and the connection publishes (flow.ts) */
  Alarm: 1,
  /** a queue it publishes to is congested: deliveries lag behind intake (credit flow) */
  Credit: 2,
} as const;
export type ReadPause = (typeof ReadPause)[keyof typeof ReadPause];

/**
 * The one owner of socket.pause()/resume() for a connection. Pausing inside the data handler lets
 * the rest of the current chunk be framed and handled; then no more 'data' until every reason has
 * cleared. A paused connection is not read, so its silence is not counted by the heartbeat monitor.
 * Nothing is dropped: unread bytes wait in the socket (and the kernel window pushes back on the
 * client: TCP back-pressure).
 */
export class ReadGate {
  private reasons = 0;

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
