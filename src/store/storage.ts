/**
 * The contract between the broker and its storage: plain records for definitions, integer ids
 * and raw bytes for messages. Implemented by the SQLite Store and by MemoryStore.
 */

import type { Durability } from './change-log.js';

// ---- definitions -------------------------------------------------------------------------

export type JsonObject = { readonly [key: string]: unknown };

export interface VhostRecord {
  readonly name: string;
  /** description, tags, default queue type... stored as JSON */
  readonly metadata: JsonObject;
  /** max-connections, max-queues (RabbitMQ's vhost limits), as JSON */
  readonly limits: JsonObject;
}

export interface UserRecord {
  readonly name: string;
  /** salt + hash, as produced by broker/auth/password-hash.ts; empty for a passwordless user */
  readonly passwordHash: Buffer;
  /** RabbitMQ's hashing module name, e.g. rabbit_password_hashing_sha256 */
  readonly hashingAlgorithm: string;
  readonly tags: readonly string[];
  /** max-connections, max-channels (RabbitMQ's user limits), as JSON */
  readonly limits: JsonObject;
}

export interface PermissionRecord {
  readonly user: string;
  readonly vhost: string;
  readonly configure: string;
  readonly write: string;
  readonly read: string;
}

export interface TopicPermissionRecord {
  readonly user: string;
  readonly vhost: string;
  readonly exchange: string;
  readonly write: string;
  readonly read: string;
}

export interface ExchangeRecord {
  readonly vhost: string;
  readonly name: string;
  readonly type: string;
  readonly durable: boolean;
  readonly autoDelete: boolean;
  readonly internal: boolean;
  /** encoded field table (amqp/field-table.ts encodeTable) */
  readonly arguments: Buffer;
}

export interface QueueDefinition {
  readonly vhost: string;
  readonly name: string;
  readonly durable: boolean;
  readonly autoDelete: boolean;
  /** encoded field table */
  readonly arguments: Buffer;
}

export interface QueueRecord extends QueueDefinition {
  /** stable id, never reused; queue entries refer to it */
  readonly id: number;
}

export type DestinationKind = 'queue' | 'exchange';

/** What identifies a binding (RabbitMQ: source, destination, routing key, arguments). */
export interface BindingKey {
  readonly vhost: string;
  readonly source: string;
  readonly destinationKind: DestinationKind;
  readonly destination: string;
  readonly routingKey: string;
  /** canonical, order-insensitive form of the arguments (broker/binding.ts argumentsKey) */
  readonly argumentsKey: string;
}

export interface BindingRecord extends BindingKey {
  /** encoded field table */
  readonly arguments: Buffer;
}

export interface PolicyRecord {
  readonly vhost: string;
  readonly name: string;
  readonly pattern: string;
  readonly applyTo: string;
  readonly priority: number;
  readonly definition: JsonObject;
  /** an operator policy (separate namespace from ordinary policies, as in RabbitMQ) */
  readonly operator: boolean;
}

export interface ParameterRecord {
  readonly component: string;
  /** '' for global parameters */
  readonly vhost: string;
  readonly name: string;
  readonly value: unknown;
}

export interface Definitions {
  vhosts: VhostRecord[];
  users: UserRecord[];
  permissions: PermissionRecord[];
  topicPermissions: TopicPermissionRecord[];
  exchanges: ExchangeRecord[];
  queues: QueueRecord[];
  bindings: BindingRecord[];
  policies: PolicyRecord[];
  parameters: ParameterRecord[];
}

/**
 * Durable definitions. Every call is its own committed (fsynced) transaction when it returns,
 * so the broker may reply declare-ok right after. Deletes cascade as in RabbitMQ: a queue takes
 * its bindings and (in the next group commit) its entries; an exchange takes the bindings from
 * and to it; a vhost takes everything in it; a user takes its permissions. Deleting something
 * absent is a no-op.
 */
export interface DefinitionStorage {
  putVhost(vhost: VhostRecord): void;
  deleteVhost(name: string): void;
  putUser(user: UserRecord): void;
  deleteUser(name: string): void;
  putPermission(permission: PermissionRecord): void;
  deletePermission(user: string, vhost: string): void;
  putTopicPermission(permission: TopicPermissionRecord): void;
  deleteTopicPermission(user: string, vhost: string, exchange: string): void;
  putExchange(exchange: ExchangeRecord): void;
  deleteExchange(vhost: string, name: string): void;
  /** Insert or update by (vhost, name); returns the queue's id (the existing one on update). */
  putQueue(queue: QueueDefinition): number;
  deleteQueue(vhost: string, name: string): void;
  putBinding(binding: BindingRecord): void;
  deleteBinding(binding: BindingKey): void;
  putPolicy(policy: PolicyRecord): void;
  deletePolicy(vhost: string, name: string, operator: boolean): void;
  putParameter(parameter: ParameterRecord): void;
  deleteParameter(component: string, vhost: string, name: string): void;
  loadDefinitions(): Definitions;
}

// ---- messages ----------------------------------------------------------------------------

/** Called once the batch holding everything appended before `commitSoon` is durable, or failed. */
export type CommitCallback = (err: Error | null) => void;

export interface StoredMessage {
  readonly id: number;
  readonly exchange: string;
  readonly routingKey: string;
  /** raw content-header property bytes, as published */
  readonly properties: Buffer;
  readonly body: Buffer;
}

/**
 * A page of queue entries in seq order, as columns: index i of every array is one entry.
 * Columns instead of objects: recovering 1M entries then allocates 6 arrays, not 1M objects,
 * and the broker can build its index straight from them.
 */
export interface QueueEntryColumns {
  readonly length: number;
  readonly seq: Float64Array;
  readonly messageId: Float64Array;
  /** body size in bytes */
  readonly size: Float64Array;
  /** absolute expiry (ms since epoch), 0 for none */
  readonly expiresAt: Float64Array;
  /** priority property, -1 when unset */
  readonly priority: Int16Array;
  /** 1 if delivered before */
  readonly redelivered: Uint8Array;
  /** times it went back to the queue after a delivery (x-delivery-count), capped at 1023 */
  readonly deliveryCount: Uint16Array;
}

export interface QueueStats {
  readonly count: number;
  /** sum of body sizes */
  readonly bytes: number;
  /** highest seq present, 0 if empty: continue the queue's seq after it */
  readonly maxSeq: number;
}

/**
 * The persistent message path. Writes only append to an in-memory batch; the batch is committed
 * in one transaction at the end of the event-loop turn (or at once when it grows past its op or
 * byte limit), and `commitSoon` callbacks run, in registration order, after COMMIT has returned.
 * Ids: messages get theirs from `nextMessageId()`; seqs are the queue's own (ascending).
 */
export interface MessageStorage {
  /** Allocate a message id; ids keep increasing across restarts. */
  nextMessageId(): number;
  /** Highest message id allocated and highest queue id ever assigned. */
  maxIds(): { messageId: number; queueId: number };
  /** Store a message body once; `refs` = how many `enqueue`s of it will follow. */
  insertMessage(id: number, exchange: string, routingKey: string, properties: Buffer, body: Buffer, refs: number): void;
  /** One more `enqueue` of an inserted message will follow (its body is kept for it). */
  addReference(messageId: number): void;
  /** `transient`: a transient message paged out; such entries are dropped when the store opens. */
  enqueue(queueId: number, seq: number, messageId: number, expiresAt: number, priority: number, transient?: boolean): void;
  /** Ack, reject, expiry, dead-lettering: drop the entry; the body goes with its last entry. */
  remove(queueId: number, seq: number, messageId: number): void;
  /**
   * Mark an entry delivered-before (requeue). Recovered entries carry the flag; to have messages
   * that were unacked at a crash come back redelivered, call this on first delivery as well.
   */
  setRedelivered(queueId: number, seq: number): void;
  /** x-delivery-count of an entry that went back to its queue (kept across restarts). */
  setDeliveryCount(queueId: number, seq: number, count: number): void;
  /**
   * Drop the queue's entries with seq in [fromSeq, toSeq] at once (read back into memory for good:
   * a queue that only pages out); each body goes with its last reference.
   */
  forgetRange(queueId: number, fromSeq: number, toSeq: number): void;
  /** Drop every entry of the queue except `keepSeqs` (its unacked deliveries, which purge spares). */
  purge(queueId: number, keepSeqs?: readonly number[]): void;
  /** Drop every entry of the queue (the queue was deleted). */
  deleteQueue(queueId: number): void;
  /** Run `callback` once everything appended so far is committed (err if that commit failed). */
  commitSoon(callback: CommitCallback): void;
  /** Commit now and run due callbacks (shutdown). Throws if the commit failed. */
  flushSync(): void;
  /** Bytes of message data waiting for the next commit (for publisher back-pressure). */
  readonly pendingBytes: number;
  /** Up to `limit` entries with seq > afterSeq, in seq order (no bodies). */
  loadQueueEntries(queueId: number, afterSeq: number, limit: number): QueueEntryColumns;
  loadMessage(id: number): StoredMessage | undefined;
  /** Bodies for several ids, aligned with `ids` (undefined where missing). */
  loadMessages(ids: ArrayLike<number>): (StoredMessage | undefined)[];
  queueStats(queueId: number): QueueStats;
}

/** What the broker holds: both halves, and a way to shut down. */
export interface Storage {
  readonly definitions: DefinitionStorage;
  readonly messages: MessageStorage;
  /** the previous run did not close the store: recovered messages count as delivered */
  readonly uncleanShutdown: boolean;
  /** set when writes are replicated: replies that follow a definition change wait for it */
  readonly durability?: Durability | undefined;
  /** Flush pending writes and release resources (for SQLite: the lock file). */
  close(): void;
}
