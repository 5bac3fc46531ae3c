import type { MessageStorage, StoredMessage } from '../../store/storage.js';
import { QueuedMessage, type Message } from '../message.js';
import type { StoredMessages } from '../stored-messages.js';

/** Entries read back per page when a paged queue runs low in memory. */
export const PAGE_SIZE = 16384;

/**
 * A queue's link to the message store: its entries in SQLite, and its paged tail. When a queue
 * grows past its memory budget, new entries live only in the store (the tail) — the queue keeps
 * their count and bytes, not objects — and are read back a page at a time, in seq order, ahead
 * of consumers. Recovery starts the same way: a page in memory, the rest as tail.
 */
export class QueueStore {
  /** seqs of stored entries delivered and not yet settled (kept by purge) */
  private readonly unacked = new Set<number>();
  /** entries with seq > afterSeq are in the tail (store only) */
  private afterSeq = 0;
  tailCount = 0;
  tailBytes = 0;
  /** entries appended to the tail since the last commit we made sure of */
  private dirty = false;

  readonly messages: MessageStorage;

  constructor(
    private readonly stored: StoredMessages,
    readonly id: number,
    /** turns a stored message back into a Message */
    private readonly revive: (stored: StoredMessage) => Message,
    /** a queue that is not stored pages out here: its entries are transient, deliveries are not recorded */
    readonly pagingOnly = false,
  ) {
    this.messages = stored.storage;
  }

  /** A new entry kept in memory, stored too. */
  add(entry: QueuedMessage): void {
    entry.persisted = true;
    this.stored.reference(this.id, entry.seq, entry.message, entry.expiresAt, entry.priority);
  }

  /** A new entry that lives only in the store (the queue is over its memory budget). */
  addToTail(seq: number, message: Message, expiresAt: number, priority: number, transient: boolean): void {
    if (this.tailCount === 0) this.afterSeq = seq - 1;
    // A transient message is stored only to page it out; the store drops it at the next start.
    this.stored.reference(this.id, seq, message, expiresAt, priority, transient);
    this.tailCount++;
    this.tailBytes += message.body.length;
    this.dirty = true;
  }

  /** The entry left the queue for good. */
  remove(entry: QueuedMessage): void {
    if (!entry.persisted) return;
    this.unacked.delete(entry.seq);
    this.stored.release(this.id, entry.seq, entry.message);
  }

  /** Delivered and awaiting ack; the first delivery is recorded so a crash brings it back redelivered. */
  delivered(entry: QueuedMessage): void {
    if (!entry.persisted) return;
    this.unacked.add(entry.seq);
    if (!entry.redelivered && !this.pagingOnly) this.messages.setRedelivered(this.id, entry.seq);
  }

  /** Back in the queue; a changed delivery count (x-delivery-count) is stored too. */
  requeued(entry: QueuedMessage): void {
    this.unacked.delete(entry.seq);
    if (entry.persisted && entry.deliveryCount > 0 && !this.pagingOnly) this.messages.setDeliveryCount(this.id, entry.seq, entry.deliveryCount);
  }

  /** Read the next page of the tail into entries (seq order). */
  loadPage(limit: number = PAGE_SIZE): QueuedMessage[] {
    if (this.tailCount === 0) return [];
    // What we appended may still sit in the group-commit batch: make it readable first.
    if (this.dirty) {
      this.messages.flushSync();
      this.dirty = false;
    }
    const page = this.messages.loadQueueEntries(this.id, this.afterSeq, Math.min(limit, this.tailCount));
    const stored = this.messages.loadMessages(page.messageId);
    const out: QueuedMessage[] = [];
    for (let i = 0; i < page.length; i++) {
      const s = stored[i];
      const seq = page.seq[i] as number;
      this.afterSeq = seq;
      if (s === undefined) continue;
      this.tailBytes -= s.body.length;
      const redelivered = page.redelivered[i] === 1 || seq <= this.redeliveredUpTo;
      const e = new QueuedMessage(seq, this.revive(s), redelivered, page.expiresAt[i] as number, Math.max(0, page.priority[i] as number));
      e.persisted = true;
      e.deliveryCount = page.deliveryCount[i] as number;
      out.push(e);
    }
    this.tailCount = page.length === 0 ? 0 : Math.max(0, this.tailCount - page.length);
    if (this.tailCount === 0) this.tailBytes = 0;
    // A queue that only pages out needs no stored copy once a page is back in memory: one range
    // delete instead of one per message as they are acked (nothing of it survives a restart).
    if (this.pagingOnly && page.length > 0) {
      for (const e of out) e.persisted = false;
      this.stored.releaseRange(this.id, page.seq[0] as number, page.seq[page.length - 1] as number, out.map((e) => e.message));
    }
    return out;
  }

  /**
   * Up to `count` tail entries after the first `skip`, in seq order, read without taking them
   * (browsing): the tail's place in the store is unchanged.
   */
  peekTail(skip: number, count: number): QueuedMessage[] {
    if (this.tailCount === 0 || skip >= this.tailCount || count <= 0) return [];
    if (this.dirty) {
      this.messages.flushSync();
      this.dirty = false;
    }
    const page = this.messages.loadQueueEntries(this.id, this.afterSeq, Math.min(skip + count, this.tailCount));
    const ids = Array.from(page.messageId).slice(skip);
    const stored = this.messages.loadMessages(ids);
    const out: QueuedMessage[] = [];
    for (let i = 0; i < ids.length; i++) {
      const s = stored[i];
      const seq = page.seq[skip + i] as number;
      if (s === undefined) continue;
      const redelivered = page.redelivered[skip + i] === 1 || seq <= this.redeliveredUpTo;
      out.push(new QueuedMessage(seq, this.revive(s), redelivered, page.expiresAt[skip + i] as number, 0));
    }
    return out;
  }

  /** entries up to this seq come back redelivered (recovery after an unclean shutdown) */
  private redeliveredUpTo = 0;

  /** Recovery: everything stored after `afterSeq` is tail; entries up to `redeliveredUpTo` count as delivered. */
  restoreTail(afterSeq: number, count: number, bytes: number, redeliveredUpTo = 0): void {
    this.redeliveredUpTo = redeliveredUpTo;
    this.afterSeq = afterSeq;
    this.tailCount = count;
    this.tailBytes = bytes;
  }

  /** purge: drop every stored entry except those delivered and unacked. */
  purge(): number {
    const n = this.tailCount;
    this.messages.purge(this.id, [...this.unacked]);
    this.tailCount = 0;
    this.tailBytes = 0;
    return n;
  }
}
