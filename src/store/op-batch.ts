/** Kinds of logical store operation. `Nop` marks an op cancelled inside its batch. */
export const OpKind = {
  Nop: 0,
  Insert: 1,
  Enqueue: 2,
  Remove: 3,
  Redeliver: 4,
  Purge: 5,
  Deref: 6,
  DeliveryCount: 7,
  Ref: 8,
  RemoveRange: 9,
} as const;
export type OpKind = (typeof OpKind)[keyof typeof OpKind];

/**
 * One logical operation. A single fixed shape for every kind (unused fields hold 0/''/null) so
 * the commit loop stays monomorphic. These are also the records a replication log would ship.
 */
export class StoreOp {
  constructor(
    public kind: OpKind,
    readonly queueId: number,
    readonly seq: number,
    readonly messageId: number,
    readonly expiresAt: number,
    readonly priority: number,
    public redelivered: boolean,
    /** Insert: entries still to reference the message; DeliveryCount: the count */
    public refs: number,
    readonly exchange: string,
    readonly routingKey: string,
    readonly properties: Buffer | null,
    readonly body: Buffer | null,
    /** Purge: seqs to keep, or null for none */
    readonly keep: readonly number[] | null,
    /** Enqueue: a transient message paged out (dropped when the store opens) */
    readonly transient = false,
    /** RemoveRange: the last seq (`seq` is the first) */
    readonly toSeq = 0,
  ) {}
}

/**
 * The operations of one group commit, in call order, with in-batch cancellation: an entry
 * enqueued and removed before the commit (a fast consumer acked within the turn) never reaches
 * SQLite, and neither does its message once no entry of the batch still needs it.
 */
export class OpBatch {
  readonly ops: StoreOp[] = [];
  /** message bytes (body + properties) of live inserts */
  bytes = 0;
  /** ops not cancelled */
  live = 0;
  /** live Insert ops by message id */
  private readonly inserts = new Map<number, StoreOp>();
  /** live Enqueue ops by queue id, then seq */
  private readonly entries = new Map<number, Map<number, StoreOp>>();

  insert(id: number, exchange: string, routingKey: string, properties: Buffer, body: Buffer, refs: number): void {
    const op = new StoreOp(OpKind.Insert, 0, 0, id, 0, 0, false, refs, exchange, routingKey, properties, body, null);
    this.push(op);
    this.inserts.set(id, op);
    this.bytes += body.length + properties.length;
  }

  enqueue(queueId: number, seq: number, messageId: number, expiresAt: number, priority: number, transient = false): void {
    const op = new StoreOp(OpKind.Enqueue, queueId, seq, messageId, expiresAt, priority, false, 0, '', '', null, null, null, transient);
    this.push(op);
    let bySeq = this.entries.get(queueId);
    if (bySeq === undefined) this.entries.set(queueId, (bySeq = new Map<number, StoreOp>()));
    bySeq.set(seq, op);
  }

  /** One more entry will reference a stored message: a pending insert counts it, else +1 at commit. */
  addReference(messageId: number): void {
    const insert = this.inserts.get(messageId);
    if (insert !== undefined) insert.refs++;
    else this.push(new StoreOp(OpKind.Ref, 0, 0, messageId, 0, 0, false, 0, '', '', null, null, null));
  }

  remove(queueId: number, seq: number, messageId: number): void {
    const bySeq = this.entries.get(queueId);
    const pending = bySeq?.get(seq);
    if (pending !== undefined && pending.messageId === messageId) {
      bySeq?.delete(seq);
      this.cancel(pending);
      this.deref(messageId);
      return;
    }
    this.push(new StoreOp(OpKind.Remove, queueId, seq, messageId, 0, 0, false, 0, '', '', null, null, null));
  }

  setRedelivered(queueId: number, seq: number): void {
    const pending = this.entries.get(queueId)?.get(seq);
    if (pending !== undefined) pending.redelivered = true;
    else this.push(new StoreOp(OpKind.Redeliver, queueId, seq, 0, 0, 0, true, 0, '', '', null, null, null));
  }

  setDeliveryCount(queueId: number, seq: number, count: number): void {
    this.push(new StoreOp(OpKind.DeliveryCount, queueId, seq, 0, 0, 0, false, count, '', '', null, null, null));
  }

  /** Cancel this batch's entries of the queue in [from, to], then drop the committed ones at commit. */
  removeRange(queueId: number, from: number, to: number): void {
    const bySeq = this.entries.get(queueId);
    if (bySeq !== undefined) {
      for (const [seq, op] of bySeq) {
        if (seq < from || seq > to) continue;
        bySeq.delete(seq);
        this.cancel(op);
        this.deref(op.messageId);
      }
    }
    this.push(new StoreOp(OpKind.RemoveRange, queueId, from, 0, 0, 0, false, 0, '', '', null, null, null, false, to));
  }

  /** Cancel this batch's entries of the queue (except kept seqs), then purge what is committed. */
  purge(queueId: number, keep: readonly number[] | null): void {
    const bySeq = this.entries.get(queueId);
    if (bySeq !== undefined) {
      const kept = keep === null || keep.length === 0 ? null : new Set(keep);
      for (const [seq, op] of bySeq) {
        if (kept?.has(seq) === true) continue;
        bySeq.delete(seq);
        this.cancel(op);
        this.deref(op.messageId);
      }
    }
    const keepList = keep === null || keep.length === 0 ? null : keep.slice();
    this.push(new StoreOp(OpKind.Purge, queueId, 0, 0, 0, 0, false, 0, '', '', null, null, keepList));
  }

  /** The message of a live insert in this batch (reads must see it before it is committed). */
  pendingMessage(id: number): StoreOp | undefined {
    return this.inserts.get(id);
  }

  clear(): void {
    this.ops.length = 0;
    this.bytes = 0;
    this.live = 0;
    this.inserts.clear();
    this.entries.clear();
  }

  private push(op: StoreOp): void {
    this.ops.push(op);
    this.live++;
  }

  private cancel(op: StoreOp): void {
    op.kind = OpKind.Nop;
    this.live--;
  }

  /** One entry fewer references the message: adjust a pending insert, or decrement at commit. */
  private deref(messageId: number): void {
    const insert = this.inserts.get(messageId);
    if (insert === undefined) {
      this.push(new StoreOp(OpKind.Deref, 0, 0, messageId, 0, 0, false, 0, '', '', null, null, null));
      return;
    }
    if (--insert.refs > 0) return;
    this.inserts.delete(messageId);
    this.cancel(insert);
    this.bytes -= (insert.body?.length ?? 0) + (insert.properties?.length ?? 0);
  }
}
