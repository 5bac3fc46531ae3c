/**
 * Message counters of one queue, bumped in place on paths that already touch the queue: the
 * management API samples them for totals and rates, and costs nothing when nobody reads them.
 */
export class QueueCounters {
  /** messages that entered (routed here and accepted) */
  published = 0;
  /** handed to a consumer or basic.get (first time or again) */
  delivered = 0;
  /** of those, redeliveries */
  redelivered = 0;
  /** basic.get deliveries (counted in delivered too) */
  got = 0;
  /** deliveries without acknowledgement, to consumers or basic.get (counted in delivered too) */
  noAck = 0;
  /** of those, basic.get */
  gotNoAck = 0;
  /** basic.get on an empty queue (get-empty) */
  gotEmpty = 0;
  acked = 0;
  /** rejected or nacked without requeue */
  discarded = 0;
  expired = 0;
  /** left dead (any reason) while the queue has a dead-letter exchange */
  deadLettered = 0;
  /** refused by a reject-publish overflow */
  refused = 0;
}

/** A basic.get: a message (with or without ack), or get-empty. */
export function countGet(c: QueueCounters, found: boolean, noAck: boolean): void {
  if (!found) c.gotEmpty++;
  else {
    c.got++;
    if (noAck) c.gotNoAck++;
  }
}

/** A delivery to a consumer or basic.get (a small function V8 inlines into the delivery path). */
export function countDelivery(c: QueueCounters, redelivered: boolean, noAck: boolean): void {
  c.delivered++;
  if (redelivered) c.redelivered++;
  if (noAck) c.noAck++;
}
