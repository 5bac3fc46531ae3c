/**
 * A log of body stamps (the publisher's send time, worker.mjs) and when a process saw each one,
 * for test/bench/latency-breakdown.mjs. Written to $BENCH_LATENCY_DUMP/<role>-<pid>.<kind> as
 * little-endian float64 pairs (stamp ms, seen ms) when the process exits.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const CAPACITY = 1 << 21;
/** Sixteen bytes of the body filler (0x78, frames.mjs) that follows a stamp. */
const FILLER = Buffer.alloc(16, 0x78);

export class StampLog {
  constructor(role, kind) {
    this.file = join(process.env.BENCH_LATENCY_DUMP, `${role}-${process.pid}.${kind}`);
    this.pairs = new Float64Array(CAPACITY * 2);
    this.n = 0;
  }

  add(stampMs, seenMs) {
    if (this.n === CAPACITY) return;
    this.pairs[2 * this.n] = stampMs;
    this.pairs[2 * this.n + 1] = seenMs;
    this.n++;
  }

  /** Every stamped body in `chunk`: a stamp is the eight bytes before a run of filler. */
  scan(chunk, seenMs) {
    let i = chunk.indexOf(FILLER, 8);
    while (i >= 8) {
      const stampMs = Number(chunk.readBigUInt64LE(i - 8)) / 1e6;
      // an unstamped body is filler throughout: the eight bytes before it are a frame header
      if (Math.abs(seenMs - stampMs) < 60_000) this.add(stampMs, seenMs);
      while (i < chunk.length && chunk[i] === 0x78) i++;
      i = chunk.indexOf(FILLER, i + 8);
    }
  }

  save() {
    writeFileSync(this.file, Buffer.from(this.pairs.buffer, 0, this.n * 16));
  }
}
