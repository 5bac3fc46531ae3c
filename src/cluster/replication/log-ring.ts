/**
 * The recent part of the replication log in memory (CLUSTER.md 6.3 "catch-up"): record frames by
 * seq, up to a byte cap, and the position just before the oldest one. A follower whose last
 * position lies on this history continues from the next record; any other follower needs a
 * snapshot. Both roles keep it, so a follower promoted to leader can still serve its peers the
 * records of the previous epoch.
 */
import { NO_POSITION, type LogPosition } from '../../store/index.js';
import { Deque } from '../../util/deque.js';

export class LogRing {
  /** frames and their epochs, oldest first: record base.seq + 1 + i at index i */
  private frames = new Deque<Buffer>();
  private epochs = new Deque<number>();
  private bytes = 0;
  /** the record just before the oldest one held (or the position the ring was reset to) */
  private base: LogPosition = NO_POSITION;
  /** the newest record */
  last: LogPosition = NO_POSITION;

  constructor(private readonly capBytes: number) {}

  /** Forget everything: the log continues after `position`. */
  reset(position: LogPosition): void {
    this.frames.clear();
    this.epochs.clear();
    this.bytes = 0;
    this.base = position;
    this.last = position;
  }

  /** The log continues after `position`: kept as it is when it ends there, else reset. */
  continueFrom(position: LogPosition): void {
    if (position.seq !== this.last.seq || position.epoch !== this.last.epoch) this.reset(position);
  }

  append(epoch: number, seq: number, frame: Buffer): void {
    if (seq !== this.last.seq + 1) throw new Error(`log record ${seq} appended after ${this.last.seq}`);
    this.frames.push(frame);
    this.epochs.push(epoch);
    this.bytes += frame.length;
    this.last = { epoch, seq };
    while (this.bytes > this.capBytes && this.frames.length > 1) this.evict();
  }

  /** Is `p` a record of this history (or the position just before it)? */
  holds(p: LogPosition): boolean {
    if (p.seq === this.base.seq) return p.epoch === this.base.epoch;
    if (p.seq < this.base.seq || p.seq > this.last.seq) return false;
    return this.epochs.at(p.seq - this.base.seq - 1) === p.epoch;
  }

  /** The frame of record `seq`, or undefined when it is no longer (or not yet) held. */
  frame(seq: number): Buffer | undefined {
    if (seq <= this.base.seq) return undefined;
    return this.frames.at(seq - this.base.seq - 1);
  }

  private evict(): void {
    const frame = this.frames.shift() as Buffer;
    const epoch = this.epochs.shift() as number;
    this.bytes -= frame.length;
    this.base = { epoch, seq: this.base.seq + 1 };
  }
}
