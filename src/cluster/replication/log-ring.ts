/**
 * The recent part of the replication log in memory (CLUSTER.md 6.3 "catch-up"): record frames by
 * seq, up to a byte cap, and the position just before the oldest one. A follower whose last
 * position lies on this history continues from the next record; any other follower needs a
 * snapshot. Both roles keep it, so a follower promoted to leader can still serve its peers the
 * records of the previous epoch.
 */
import { NO_POSITION, type LogPosition } from '../../store/index.js';

export class LogRing {
  private frames: Buffer[] = [];
  private epochs: number[] = [];
  private head = 0;
  private bytes = 0;
  /** the record just before the oldest one held (or the position the ring was reset to) */
  private base: LogPosition = NO_POSITION;
  /** the newest record */
  last: LogPosition = NO_POSITION;

  constructor(private readonly capBytes: number) {}

  /** Forget everything: the log continues after `position`. */
  reset(position: LogPosition): void {
    this.frames = [];
    this.epochs = [];
    this.head = 0;
    this.bytes = 0;
    this.base = position;
    this.last = position;
  }

  append(epoch: number, seq: number, frame: Buffer): void {
    if (seq !== this.last.seq + 1) throw new Error(`log record ${seq} appended after ${this.last.seq}`);
    this.frames.push(frame);
    this.epochs.push(epoch);
    this.bytes += frame.length;
    this.last = { epoch, seq };
    while (this.bytes > this.capBytes && this.frames.length - this.head > 1) this.evict();
    if (this.head > 1024 && this.head * 2 > this.frames.length) {
      this.frames = this.frames.slice(this.head);
      this.epochs = this.epochs.slice(this.head);
      this.head = 0;
    }
  }

  /** Is `p` a record of this history (or the position just before it)? */
  holds(p: LogPosition): boolean {
    if (p.seq === this.base.seq) return p.epoch === this.base.epoch;
    if (p.seq < this.base.seq || p.seq > this.last.seq) return false;
    return this.epochs[this.head + (p.seq - this.base.seq - 1)] === p.epoch;
  }

  /** The frame of record `seq`, or undefined when it is no longer (or not yet) held. */
  frame(seq: number): Buffer | undefined {
    if (seq <= this.base.seq || seq > this.last.seq) return undefined;
    return this.frames[this.head + (seq - this.base.seq - 1)];
  }

  private evict(): void {
    const frame = this.frames[this.head] as Buffer;
    const epoch = this.epochs[this.head] as number;
    this.frames[this.head] = Buffer.alloc(0);
    this.head++;
    this.bytes -= frame.length;
    this.base = { epoch, seq: this.base.seq + 1 };
  }
}
