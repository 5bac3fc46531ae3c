import { Deque } from '../../util/deque.js';
import { MinHeap } from '../../util/min-heap.js';
import { EntryState, type QueuedMessage } from '../message.js';

/** seq is below 2^40 for any realistic queue; the level sorts above it in requeue keys. */
const LEVEL_SPAN = 2 ** 40;

/**
 * The ready messages of a queue: one FIFO deque per priority level (one level without
 * x-max-priority), plus a heap of requeued messages ordered by (priority desc, seq) so a requeued
 * message goes back to its original place. Entries that expire in the middle are left as
 * tombstones (state Gone) and skipped; the deques are compacted when tombstones pile up.
 */
export class ReadyMessages {
  private readonly levels: Deque<QueuedMessage>[];
  private readonly requeued: MinHeap<QueuedMessage>;
  private live = 0;
  private tombstones = 0;
  bytes = 0;
  /** of the ready ones, persistent messages and their bytes (management API) */
  persistent = 0;
  persistentBytes = 0;

  constructor(readonly maxPriority: number) {
    this.levels = [];
    for (let i = 0; i <= maxPriority; i++) this.levels.push(new Deque<QueuedMessage>());
    this.requeued = new MinHeap<QueuedMessage>((e) => (maxPriority - e.priority) * LEVEL_SPAN + e.seq);
  }

  get length(): number {
    return this.live;
  }

  push(entry: QueuedMessage): void {
    (this.levels[entry.priority] as Deque<QueuedMessage>).push(entry);
    this.added(entry);
  }

  /** Back to its original place (a requeue). */
  requeue(entry: QueuedMessage): void {
    this.requeued.push(entry);
    this.added(entry);
  }

  private added(entry: QueuedMessage): void {
    const m = entry.message;
    this.live++;
    this.bytes += m.body.length;
    if (m.persistent) this.countPersistent(m.body.length, 1);
  }

  private taken(entry: QueuedMessage): void {
    const m = entry.message;
    this.live--;
    this.bytes -= m.body.length;
    if (m.persistent) this.countPersistent(-m.body.length, -1);
  }

  private countPersistent(bytes: number, n: number): void {
    this.persistent += n;
    this.persistentBytes += bytes;
  }

  /** The next message to deliver (highest priority, lowest seq), removed; undefined when empty. */
  shift(): QueuedMessage | undefined {
    const e = this.peekInternal(true);
    if (e !== undefined) this.taken(e);
    return e;
  }

  peek(): QueuedMessage | undefined {
    return this.peekInternal(false);
  }

  /** An entry left the queue from the middle (expiry): it becomes a tombstone. */
  removed(entry: QueuedMessage): void {
    this.taken(entry);
    this.tombstones++;
    if (this.tombstones > 1024 && this.tombstones > this.live) this.compact();
  }

  clear(): QueuedMessage[] {
    const out: QueuedMessage[] = [];
    for (const e of this.entries()) out.push(e);
    for (const d of this.levels) d.clear();
    this.requeued.clear();
    this.live = 0;
    this.tombstones = 0;
    this.bytes = 0;
    this.persistent = 0;
    this.persistentBytes = 0;
    return out;
  }

  /** Ready entries in no particular order. */
  *entries(): IterableIterator<QueuedMessage> {
    for (const e of this.requeued.values()) if (e.state === EntryState.Ready) yield e;
    for (const d of this.levels) for (const e of d) if (e.state === EntryState.Ready) yield e;
  }

  private peekInternal(take: boolean): QueuedMessage | undefined {
    if (this.live === 0) return undefined;
    const levels = this.levels;
    for (let p = levels.length - 1; p >= 0; p--) {
      const d = levels[p] as Deque<QueuedMessage>;
      let head = d.peek();
      while (head !== undefined && head.state !== EntryState.Ready) {
        d.shift();
        this.tombstones--;
        head = d.peek();
      }
      let r = this.requeued.peek();
      while (r !== undefined && r.state !== EntryState.Ready) {
        this.requeued.pop();
        this.tombstones--;
        r = this.requeued.peek();
      }
      if (r !== undefined && r.priority >= p) return take ? this.requeued.pop() : r;
      if (head !== undefined) return take ? d.shift() : head;
    }
    return undefined;
  }

  private compact(): void {
    for (let i = 0; i < this.levels.length; i++) {
      const old = this.levels[i] as Deque<QueuedMessage>;
      const fresh = new Deque<QueuedMessage>(old.length);
      for (const e of old) if (e.state === EntryState.Ready) fresh.push(e);
      this.levels[i] = fresh;
    }
    const kept = [...this.requeued.values()].filter((e) => e.state === EntryState.Ready);
    this.requeued.clear();
    for (const e of kept) this.requeued.push(e);
    this.tombstones = 0;
  }
}
