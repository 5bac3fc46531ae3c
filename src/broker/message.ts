import type { FieldTable } from '../amqp/field-types.js';
import type { TraceTag } from './tracing/message-tracer.js';

/**
 * A published message, shared by every queue it is routed to. Properties stay as the raw bytes
 * the publisher sent (written back out unchanged on delivery); only what routing and queueing
 * decide on is decoded.
 */
export class Message {
  /** the message's id in the store while this object holds references there (0 = none); see StoredMessages */
  storeId = 0;
  /** store references (queue entries, held delays) made through this object; see StoredMessages */
  storeRefs = 0;
  /** CC and BCC routing keys of a publish (routed as well as the routing key) */
  ccRoutingKeys: readonly string[] | undefined = undefined;
  /** set at publish while tracing is active: who follows this message (null: nobody, the usual case) */
  trace: TraceTag | null = null;

  constructor(
    /** exchange it was published to */
    public exchange: string,
    public routingKey: string,
    /** raw content-header property bytes: flags + property list */
    public properties: Buffer,
    public body: Buffer,
    /** decoded headers table, when the properties carry one */
    public headers: FieldTable | undefined,
    /** delivery-mode 2 */
    public persistent: boolean,
    /** priority property, or -1 when unset */
    public priority: number,
    /** the per-message expiration property, as sent (validated), or undefined */
    public expiration: string | undefined,
  ) {}

  get size(): number {
    return this.body.length;
  }
}

export const EntryState = { Ready: 0, Unacked: 1, Gone: 2, Delayed: 3 } as const;
export type EntryState = (typeof EntryState)[keyof typeof EntryState];

/** A message's place in one queue. */
export class QueuedMessage {
  state: EntryState = EntryState.Ready;
  /** times it went back to the queue after a delivery (x-delivery-count) */
  deliveryCount = 0;
  /** this entry is in the store (durable queue, persisted message) */
  persisted = false;

  constructor(
    /** position in the queue: increases with every enqueue; requeued messages keep theirs */
    readonly seq: number,
    /** replaced by a copy when the queue adds x-delivery-count */
    public message: Message,
    /** delivered before (redelivered flag) */
    public redelivered: boolean,
    /** absolute expiry time in ms, or 0 for none */
    public expiresAt: number,
    /** priority level inside the queue (0 when the queue has no x-max-priority) */
    readonly priority: number,
  ) {}
}
