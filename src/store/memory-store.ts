import { EntryColumnsBuilder, clampPriority } from './entry-columns.js';
import { MemoryDefinitions, MemoryDefinitionTables } from './memory-definitions.js';
import type { CommitCallback, MessageStorage, QueueEntryColumns, QueueStats, Storage, StoredMessage } from './storage.js';

interface MemoryEntry {
  readonly messageId: number;
  redelivered: boolean;
  deliveryCount: number;
  readonly expiresAt: number;
  readonly priority: number;
  readonly size: number;
}

/** Everything a MemoryStore holds; pass the same one to a new MemoryStore to "reopen" it. */
export class MemoryData {
  readonly definitions = new MemoryDefinitionTables();
  readonly messages = new Map<number, { message: StoredMessage; refs: number }>();
  /** queue id -> seq -> entry */
  readonly entries = new Map<number, Map<number, MemoryEntry>>();
  lastMessageId = 0;
}

/**
 * MessageStorage in memory, for tests and for embedding with persistence off. Writes apply at
 * once (buffers are kept, not copied: do not mutate them); `commitSoon` callbacks still run at
 * the end of the turn, in order, like the SQLite store's.
 */
export class MemoryMessages implements MessageStorage {
  private waiting: CommitCallback[] = [];
  private scheduled = false;
  private readonly tickBound = (): void => this.flushSync();
  readonly pendingBytes = 0;

  constructor(private readonly d: MemoryData) {}

  nextMessageId(): number {
    return ++this.d.lastMessageId;
  }
  maxIds(): { messageId: number; queueId: number } {
    return { messageId: this.d.lastMessageId, queueId: this.d.definitions.lastQueueId };
  }

  insertMessage(id: number, exchange: string, routingKey: string, properties: Buffer, body: Buffer, refs: number): void {
    if (id > this.d.lastMessageId) this.d.lastMessageId = id;
    this.d.messages.set(id, { message: { id, exchange, routingKey, properties, body }, refs });
  }

  addReference(messageId: number): void {
    const m = this.d.messages.get(messageId);
    if (m !== undefined) m.refs++;
  }

  enqueue(queueId: number, seq: number, messageId: number, expiresAt: number, priority: number, _transient = false): void {
    const m = this.d.messages.get(messageId);
    if (m === undefined) throw new Error(`enqueue of unknown message ${messageId} (queue ${queueId})`);
    let q = this.d.entries.get(queueId);
    if (q === undefined) this.d.entries.set(queueId, (q = new Map<number, MemoryEntry>()));
    const size = m.message.body.length;
    q.set(seq, { messageId, redelivered: false, deliveryCount: 0, expiresAt, priority: clampPriority(priority), size });
  }

  remove(queueId: number, seq: number, _messageId: number): void {
    const q = this.d.entries.get(queueId);
    const e = q?.get(seq);
    if (e === undefined) return; // idempotent, like the SQLite store
    q?.delete(seq);
    this.deref(e.messageId, 1);
  }

  setDeliveryCount(queueId: number, seq: number, count: number): void {
    const e = this.d.entries.get(queueId)?.get(seq);
    if (e !== undefined) e.deliveryCount = count;
  }

  setRedelivered(queueId: number, seq: number): void {
    const e = this.d.entries.get(queueId)?.get(seq);
    if (e !== undefined) e.redelivered = true;
  }

  forgetRange(queueId: number, fromSeq: number, toSeq: number): void {
    const q = this.d.entries.get(queueId);
    if (q === undefined) return;
    for (const [seq, e] of q) {
      if (seq < fromSeq || seq > toSeq) continue;
      q.delete(seq);
      this.deref(e.messageId, 1);
    }
  }

  purge(queueId: number, keepSeqs: readonly number[] = []): void {
    const q = this.d.entries.get(queueId);
    if (q === undefined) return;
    const keep = new Set(keepSeqs);
    for (const [seq, e] of q) {
      if (keep.has(seq)) continue;
      q.delete(seq);
      this.deref(e.messageId, 1);
    }
    if (q.size === 0) this.d.entries.delete(queueId);
  }

  deleteQueue(queueId: number): void {
    this.purge(queueId);
  }

  commitSoon(callback: CommitCallback): void {
    this.waiting.push(callback);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.tickBound);
    }
  }

  flushSync(): void {
    this.scheduled = false;
    while (this.waiting.length > 0) {
      const callbacks = this.waiting;
      this.waiting = [];
      for (const cb of callbacks) cb(null);
    }
  }

  loadQueueEntries(queueId: number, afterSeq: number, limit: number): QueueEntryColumns {
    const q = this.d.entries.get(queueId);
    const seqs = q === undefined ? [] : [...q.keys()].filter((s) => s > afterSeq).sort((a, b) => a - b);
    const n = Math.min(limit, seqs.length);
    const out = new EntryColumnsBuilder(n);
    for (let i = 0; i < n; i++) {
      const seq = seqs[i] as number;
      const e = q?.get(seq) as MemoryEntry;
      out.push(seq, e.messageId, e.size, e.expiresAt, e.priority, e.redelivered ? 1 : 0, Math.min(e.deliveryCount, 1023));
    }
    return out.build();
  }

  loadMessage(id: number): StoredMessage | undefined {
    return this.d.messages.get(id)?.message;
  }

  loadMessages(ids: ArrayLike<number>): (StoredMessage | undefined)[] {
    return Array.from(ids, (id) => this.loadMessage(id));
  }

  queueStats(queueId: number): QueueStats {
    let count = 0;
    let bytes = 0;
    let maxSeq = 0;
    for (const [seq, e] of this.d.entries.get(queueId) ?? []) {
      count++;
      bytes += e.size;
      if (seq > maxSeq) maxSeq = seq;
    }
    return { count, bytes, maxSeq };
  }

  private deref(messageId: number, n: number): void {
    const m = this.d.messages.get(messageId);
    if (m !== undefined && (m.refs -= n) <= 0) this.d.messages.delete(messageId);
  }
}

/** Storage with nothing on disk. `new MemoryStore(data)` with an earlier store's data "reopens" it. */
export class MemoryStore implements Storage {
  readonly messages: MemoryMessages;
  readonly definitions: MemoryDefinitions;
  readonly uncleanShutdown = false;

  constructor(readonly data: MemoryData = new MemoryData()) {
    this.messages = new MemoryMessages(data);
    this.definitions = new MemoryDefinitions(data.definitions, (id) => this.messages.deleteQueue(id));
  }

  close(): void {
    this.messages.flushSync();
  }
}
