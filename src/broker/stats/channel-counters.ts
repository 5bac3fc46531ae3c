/**
 * Message counters of one channel (RabbitMQ's channel message_stats), bumped in place by the
 * protocol's channel where it already handles each event: plain integer fields, nothing allocated
 * and nothing looked up per message. The management API reads them through ChannelInfo, and the
 * stats sampler (message-stats.ts) keeps their history keyed by this object.
 */
export class ChannelCounters {
  /** publishes routed (or dropped), at publish or at tx.commit */
  published = 0;
  /** publisher confirms sent (basic.ack, counted per message) */
  confirmed = 0;
  /** unroutable mandatory publishes sent back (basic.return) */
  returned = 0;
  /** unroutable publishes dropped (not mandatory) */
  dropped = 0;
  /** deliveries to consumers that ack */
  delivered = 0;
  /** deliveries to no-ack consumers */
  deliveredNoAck = 0;
  /** basic.get-ok with ack */
  got = 0;
  /** basic.get-ok without ack */
  gotNoAck = 0;
  /** basic.get-empty */
  gotEmpty = 0;
  /** deliveries and gets of redelivered messages */
  redelivered = 0;
  /** deliveries acknowledged */
  acked = 0;
}

/** A channel's counts in RabbitMQ's key order (alphabetical by their snake_case names). */
export const CHANNEL_COUNTS = [
  'ack', 'confirm', 'deliver', 'deliverGet', 'deliverNoAck', 'dropUnroutable',
  'get', 'getEmpty', 'getNoAck', 'publish', 'redeliver', 'returnUnroutable',
] as const;
export type ChannelCount = (typeof CHANNEL_COUNTS)[number];

const at = (k: ChannelCount): number => CHANNEL_COUNTS.indexOf(k);

/** The publishing side: RabbitMQ shows these four once the channel has published. */
export const PUBLISH_SIDE: ReadonlySet<ChannelCount> = new Set(['confirm', 'dropUnroutable', 'publish', 'returnUnroutable']);

/** A channel's counts, into `out` (CHANNEL_COUNTS order). */
export function channelCounts(c: ChannelCounters, out: Float64Array = new Float64Array(CHANNEL_COUNTS.length)): Float64Array {
  out[at('ack')] = c.acked;
  out[at('confirm')] = c.confirmed;
  out[at('deliver')] = c.delivered;
  out[at('deliverGet')] = c.delivered + c.deliveredNoAck + c.got + c.gotNoAck;
  out[at('deliverNoAck')] = c.deliveredNoAck;
  out[at('dropUnroutable')] = c.dropped;
  out[at('get')] = c.got;
  out[at('getEmpty')] = c.gotEmpty;
  out[at('getNoAck')] = c.gotNoAck;
  out[at('publish')] = c.published;
  out[at('redeliver')] = c.redelivered;
  out[at('returnUnroutable')] = c.returned;
  return out;
}

/** Has the channel published (RabbitMQ then shows its publishing side)? */
export const hasPublished = (c: ChannelCounters): boolean => c.published > 0;

/** Has the channel delivered, got or found a queue empty (RabbitMQ then shows its consuming side)? */
export const hasConsumed = (c: ChannelCounters): boolean => c.delivered + c.deliveredNoAck + c.got + c.gotNoAck + c.gotEmpty > 0;
