import type { QueuedMessage } from '../message.js';
import type { QueueStore } from './queue-store.js';
import type { ReadyMessages } from './ready-messages.js';

const live = (now: number) => (e: QueuedMessage): boolean => e.expiresAt === 0 || e.expiresAt >= now;

/**
 * A queue's ready messages from position `offset`, at most `count`, in the order consumers would
 * get them (priority, then place in the queue, requeued ones back in theirs), without taking
 * them: those in memory first, then the paged-out tail read from the store, whose entries all
 * come later. Messages whose TTL has passed are left out (the next delivery expires them).
 */
export function browseReady(ready: ReadyMessages, store: QueueStore | null, offset: number, count: number, now: number): QueuedMessage[] {
  const inMemory = [...ready.entries()].filter(live(now)).sort((a, b) => b.priority - a.priority || a.seq - b.seq);
  const out = inMemory.slice(offset, offset + count);
  if (out.length < count && store !== null) {
    out.push(...store.peekTail(Math.max(0, offset - inMemory.length), count - out.length).filter(live(now)));
  }
  return out;
}
