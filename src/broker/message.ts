import type { FieldTable } from '../amqp/field-types.js';

/**
 * A published message, shared by every queue it is routed to. Properties stay as the raw bytes
 * the publisher sent (written back out unchanged on delivery); only what routing and queueing
 * decide on is decoded.
 */
export class Message {
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

/** A message's place in one queue. */
export class QueuedMessage {
  constructor(
    /** position in the queue: increases with every enqueue; requeued messages keep theirs */
    readonly seq: number,
    readonly message: Message,
    /** delivered before (redelivered flag) */
    public redelivered: boolean,
    /** absolute expiry time in ms (Date.now() clock), or 0 for none */
    public expiresAt: number,
  ) {}
}
