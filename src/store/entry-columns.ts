import type { QueueEntryColumns } from './storage.js';

/** Builds a QueueEntryColumns page, growing its typed arrays by doubling. */
export class EntryColumnsBuilder {
  length = 0;
  private seq: Float64Array;
  private messageId: Float64Array;
  private size: Float64Array;
  private expiresAt: Float64Array;
  private priority: Int16Array;
  private redelivered: Uint8Array;
  private deliveryCount: Uint16Array;

  constructor(capacity: number) {
    const cap = Math.max(16, capacity);
    this.seq = new Float64Array(cap);
    this.messageId = new Float64Array(cap);
    this.size = new Float64Array(cap);
    this.expiresAt = new Float64Array(cap);
    this.priority = new Int16Array(cap);
    this.redelivered = new Uint8Array(cap);
    this.deliveryCount = new Uint16Array(cap);
  }

  push(
    seq: number,
    messageId: number,
    size: number,
    expiresAt: number,
    priority: number,
    redelivered: number,
    deliveryCount = 0,
  ): void {
    const i = this.length;
    if (i === this.seq.length) this.grow();
    this.seq[i] = seq;
    this.messageId[i] = messageId;
    this.size[i] = size;
    this.expiresAt[i] = expiresAt;
    this.priority[i] = priority;
    this.redelivered[i] = redelivered;
    this.deliveryCount[i] = deliveryCount;
    this.length = i + 1;
  }

  /** The filled part, as views (no copy). */
  build(): QueueEntryColumns {
    const n = this.length;
    return {
      length: n,
      seq: this.seq.subarray(0, n),
      messageId: this.messageId.subarray(0, n),
      size: this.size.subarray(0, n),
      expiresAt: this.expiresAt.subarray(0, n),
      priority: this.priority.subarray(0, n),
      redelivered: this.redelivered.subarray(0, n),
      deliveryCount: this.deliveryCount.subarray(0, n),
    };
  }

  private grow(): void {
    const cap = this.seq.length * 2;
    this.seq = copyInto(new Float64Array(cap), this.seq);
    this.messageId = copyInto(new Float64Array(cap), this.messageId);
    this.size = copyInto(new Float64Array(cap), this.size);
    this.expiresAt = copyInto(new Float64Array(cap), this.expiresAt);
    this.priority = copyInto(new Int16Array(cap), this.priority);
    this.redelivered = copyInto(new Uint8Array(cap), this.redelivered);
    this.deliveryCount = copyInto(new Uint16Array(cap), this.deliveryCount);
  }
}

function copyInto<T extends Float64Array | Int16Array | Uint16Array | Uint8Array>(dst: T, src: T): T {
  dst.set(src);
  return dst;
}

/** Priorities are an AMQP octet, -1 when unset; anything else is clamped into that range. */
export function clampPriority(priority: number): number {
  return priority < -1 ? -1 : priority > 255 ? 255 : Math.trunc(priority);
}
