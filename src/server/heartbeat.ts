import { logger } from '../util/logger.js';
import type { Connection } from './connection.js';

const log = logger('amqp.heartbeat');

/**
 * Heartbeats: one timer per connection ticking every half interval. Sends a heartbeat frame each
 * tick; closes the socket when nothing arrived for two intervals (four ticks). Also enforces the
 * handshake deadline.
 */
export class Heartbeat {
  /** the negotiated interval, seconds (0: none) */
  seconds = 0;
  private timer: NodeJS.Timeout | null = null;
  private handshakeTimer: NodeJS.Timeout | null = null;
  private silentTicks = 0;
  private seen = false;
  /** resource alarms (flow.ts): a blocked connection is not read, so its silence is not counted */
  private monitorPaused = false;

  constructor(private readonly conn: Connection) {}

  received(): void {
    this.seen = true;
  }

  pauseMonitor(): void {
    this.monitorPaused = true;
  }

  resumeMonitor(): void {
    this.monitorPaused = false;
    this.seen = true;
  }

  startHandshakeTimer(ms: number): void {
    this.handshakeTimer = setTimeout(() => {
      if (this.conn.state === 'header' || this.conn.state === 'handshake') {
        log.warn(`closing ${this.conn.name}: handshake timeout after ${ms} ms`);
        this.conn.terminate();
      }
    }, ms);
    this.handshakeTimer.unref();
  }

  stopHandshakeTimer(): void {
    if (this.handshakeTimer !== null) clearTimeout(this.handshakeTimer);
    this.handshakeTimer = null;
  }

  /** Start with the negotiated interval in seconds (0 disables). */
  start(seconds: number): void {
    this.stop();
    this.seconds = seconds;
    if (seconds <= 0) return;
    this.timer = setInterval(() => this.tick(seconds), (seconds * 1000) / 2);
    this.timer.unref();
  }

  private tick(seconds: number): void {
    if (this.seen || this.monitorPaused) {
      this.seen = false;
      this.silentTicks = 0;
    } else if (++this.silentTicks >= 4) {
      log.warn(`closing ${this.conn.name}: missed heartbeats from client, timeout: ${seconds}s`);
      this.stop();
      this.conn.socket.destroy();
      return;
    }
    this.conn.writer.writeHeartbeat();
    this.conn.scheduleFlush();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.stopHandshakeTimer();
  }
}
