import type { MessageStorage } from '../store/storage.js';
import type { Message } from './message.js';

/**
 * The one owner of a message's life in the store. A message body is written once, with the first
 * store entry that references it (a queue entry, or a delayed message held in a hidden store
 * queue); each further entry is one more reference; releasing an entry drops one, and the store
 * deletes the body with its last reference. Nothing is counted ahead of time, so a queue that
 * holds a message back (a delay), refuses it (reject-publish) or hands it out at once (auto-ack)
 * can never leave a body behind or lose one it confirmed.
 *
 * In memory, `message.storeRefs` counts the references made through that Message object; when it
 * falls to 0 the object forgets its store id, so a later reference writes the body again rather
 * than pointing at one that may be gone. The store's own count (refs column) is authoritative.
 */
export class StoredMessages {
  constructor(readonly storage: MessageStorage) {}

  /** An entry (queueId, seq) now holds `message`; the body is written with its first reference. */
  reference(queueId: number, seq: number, message: Message, expiresAt: number, priority: number, transient = false): void {
    const storage = this.storage;
    if (message.storeRefs === 0) {
      message.storeId = storage.nextMessageId();
      storage.insertMessage(message.storeId, message.exchange, message.routingKey, message.properties, message.body, 1);
    } else {
      storage.addReference(message.storeId);
    }
    message.storeRefs++;
    storage.enqueue(queueId, seq, message.storeId, expiresAt, priority, transient);
  }

  /** The entry (queueId, seq) lets go of `message`; the store deletes the body with its last reference. */
  release(queueId: number, seq: number, message: Message): void {
    if (message.storeId === 0) return;
    this.storage.remove(queueId, seq, message.storeId);
    if (--message.storeRefs <= 0) {
      message.storeRefs = 0;
      message.storeId = 0;
    }
  }

  /**
   * The entries [fromSeq, toSeq] of a queue let go of their messages at once (a queue that only
   * pages out has read them back into memory for good); `messages` are those entries' messages.
   */
  releaseRange(queueId: number, fromSeq: number, toSeq: number, messages: Iterable<Message>): void {
    this.storage.forgetRange(queueId, fromSeq, toSeq);
    for (const m of messages) {
      m.storeId = 0;
      m.storeRefs = 0;
    }
  }

  /** `copy` replaces `original` in one entry (x-delivery-count): the entry's reference moves with it. */
  transfer(original: Message, copy: Message): void {
    if (original.storeId === 0) return;
    copy.storeId = original.storeId;
    copy.storeRefs++;
    if (--original.storeRefs <= 0) {
      original.storeRefs = 0;
      original.storeId = 0;
    }
  }

  /** A message read back from the store for one entry: it holds that entry's reference. */
  static revived(message: Message, storeId: number): Message {
    message.storeId = storeId;
    message.storeRefs = 1;
    return message;
  }
}
