/**
 * RabbitMQ's message_stats and queue length fields, with their `*_details: {rate}` (basic rates
 * mode), for the JSON of queues, exchanges, vhosts and the overview. Counts are read now; rates
 * are per second over the last sample interval (broker/stats/message-stats.ts). Asked for with
 * `?lengths_age=` / `?msg_rates_age=`, the details carry sample histories (stats-range.ts).
 *
 * Deviation: the overview has no disk_reads / disk_writes (Warren does not count them).
 */
import { CHANNEL_COUNTS, channelCounts, hasConsumed, hasPublished, PUBLISH_SIDE, type ChannelCounters } from '../broker/stats/channel-counters.js';
import type { Exchange } from '../broker/exchange/exchange.js';
import type { Queue } from '../broker/queue/queue.js';
import {
  channelRates,
  EXCHANGE_COUNTS,
  exchangeCounts,
  exchangeRates,
  historyOf,
  LENGTHS,
  QUEUE_COUNTS,
  queueCounts,
  queueRates,
  SESSION_COUNTS,
  sessionRates,
  VHOST_COUNTS,
  vhostCounts,
  vhostRates,
} from '../broker/stats/message-stats.js';
import type { SamplePoint } from '../broker/stats/sample-history.js';
import type { SessionInfo } from '../broker/session-info.js';
import type { Vhost } from '../broker/vhost.js';
import type { Json } from './format.js';
import { detailsJson, NO_RANGES, pointsOf, sumPoints, type Range, type Ranges } from './stats-range.js';

type Obj = Record<string, Json>;
/** The samples of the value at an index of the counts, or undefined (no history asked for). */
type Points = (index: number) => SamplePoint[] | undefined;

const NONE: Points = () => undefined;

const SNAKE = new Map<string, string>();
/** RabbitMQ's name of a count (`deliverGet` -> `deliver_get`), computed once per name. */
function snake(k: string): string {
  let s = SNAKE.get(k);
  if (s === undefined) SNAKE.set(k, (s = k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)));
  return s;
}

/** A rate as RabbitMQ shows it: one decimal. */
const rate = (r: number): number => Math.round(r * 10) / 10;

/** `name: count, name_details: {rate, ...}` for each key, from `offset` in the counts and rates. */
function withDetails(out: Obj, keys: readonly string[], counts: Float64Array, rates: Float64Array, offset = 0, points = NONE, sorted = false): Obj {
  keys.forEach((k, i) => {
    const name = snake(k);
    out[name] = counts[offset + i] as number;
    out[`${name}_details`] = detailsJson(rate(rates[offset + i] as number), points(offset + i), sorted);
  });
  return out;
}

/** Queue lengths in RabbitMQ's order for vhosts and the overview (ready, unacknowledged, total). */
const VHOST_LENGTHS = ['messagesReady', 'messagesUnacknowledged', 'messages'] as const;

function lengths(keys: readonly (typeof LENGTHS)[number][], counts: Float64Array, rates: Float64Array, base: number, points = NONE, sorted = false): Obj {
  const out: Obj = {};
  for (const k of keys) withDetails(out, [k], counts, rates, base + LENGTHS.indexOf(k), points, sorted);
  return out;
}

/** Series of an object's history over a range, or none when the range was not asked for. */
const seriesOf = (key: Queue | Exchange | Vhost | SessionInfo | ChannelCounters, r: Range | undefined): Points =>
  r === undefined ? NONE : (i) => pointsOf(historyOf(key), i, r);

/** A queue's messages, messages_ready, messages_unacknowledged (with rates) and message_stats. */
export function queueStats(q: Queue, ranges: Ranges = NO_RANGES): Obj {
  const counts = queueCounts(q);
  const rates = queueRates(q);
  return {
    ...lengths(LENGTHS, counts, rates, QUEUE_COUNTS.length, seriesOf(q, ranges.lengths), true),
    message_stats: withDetails({}, QUEUE_COUNTS, counts, rates, 0, seriesOf(q, ranges.msgRates), true),
  };
}

/** An exchange's message_stats: publish_in and publish_out. */
export function exchangeStats(x: Exchange, ranges: Ranges = NO_RANGES): Obj {
  return { message_stats: withDetails({}, EXCHANGE_COUNTS, exchangeCounts(x), exchangeRates(x), 0, seriesOf(x, ranges.msgRates), true) };
}

/** A vhost's messages_ready, messages_unacknowledged, messages (with rates) and message_stats. */
export function vhostStats(v: Vhost, ranges: Ranges = NO_RANGES): Obj {
  const counts = vhostCounts(v);
  const rates = vhostRates(v);
  return {
    ...lengths(VHOST_LENGTHS, counts, rates, VHOST_COUNTS.length, seriesOf(v, ranges.lengths)),
    message_stats: withDetails({}, VHOST_COUNTS, counts, rates, 0, seriesOf(v, ranges.msgRates)),
  };
}

/** Overview keys in RabbitMQ's order: alphabetical. */
const OVERVIEW_ORDER = [...VHOST_COUNTS].sort((a, b) => (snake(a) < snake(b) ? -1 : 1));

/** Sums of the vhosts' series over a range. */
const summed = (vhosts: readonly Vhost[], r: Range | undefined): Points =>
  r === undefined ? NONE : (i) => sumPoints(vhosts.map((v) => pointsOf(historyOf(v), i, r)), r);

/** The overview's message_stats and queue_totals: sums over `vhosts` (the ones the user sees). */
export function overviewStats(vhosts: readonly Vhost[], ranges: Ranges = NO_RANGES): { message_stats: Obj; queue_totals: Obj } {
  const size = VHOST_COUNTS.length + LENGTHS.length;
  const counts = new Float64Array(size);
  const rates = new Float64Array(size);
  for (const v of vhosts) {
    const c = vhostCounts(v);
    const r = vhostRates(v);
    for (let i = 0; i < size; i++) {
      counts[i] = (counts[i] as number) + (c[i] as number);
      rates[i] = (rates[i] as number) + (r[i] as number);
    }
  }
  const message_stats: Obj = {};
  const msgPoints = summed(vhosts, ranges.msgRates);
  for (const k of OVERVIEW_ORDER) withDetails(message_stats, [k], counts, rates, VHOST_COUNTS.indexOf(k), msgPoints);
  return { message_stats, queue_totals: lengths(LENGTHS, counts, rates, VHOST_COUNTS.length, summed(vhosts, ranges.lengths)) };
}

/** A connection's recv_oct_details and send_oct_details (`?data_rates_age=` adds samples); counts as `recvOct`, `sendOct`. */
export function connectionRates(s: SessionInfo, recvOct: number, sendOct: number, ranges: Ranges = NO_RANGES): Obj {
  const out = withDetails({}, SESSION_COUNTS, Float64Array.of(recvOct, sendOct), sessionRates(s), 0, seriesOf(s, ranges.dataRates), true);
  return { recv_oct_details: out['recv_oct_details'] as Obj, send_oct_details: out['send_oct_details'] as Obj };
}

/**
 * A channel's message_stats, as RabbitMQ shows them: the publishing side (publish, confirm,
 * return_unroutable, drop_unroutable) once it has published, the consuming side (deliver, get,
 * ack...) once it has delivered, got or found a queue empty; no message_stats before either.
 * Deviation: RabbitMQ drops a deleted queue's deliveries, gets and acks from its channels' counts
 * (they are kept per channel and queue); Warren's channel counts never go down.
 */
export function channelStats(c: ChannelCounters, ranges: Ranges = NO_RANGES): Obj {
  const published = hasPublished(c);
  const consumed = hasConsumed(c);
  if (!published && !consumed) return {};
  const counts = channelCounts(c);
  const rates = channelRates(c);
  const points = seriesOf(c, ranges.msgRates);
  const out: Obj = {};
  CHANNEL_COUNTS.forEach((k, i) => {
    if (PUBLISH_SIDE.has(k) ? published : consumed) withDetails(out, [k], counts, rates, i, points, true);
  });
  return { message_stats: out };
}
