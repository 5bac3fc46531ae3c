/**
 * Message statistics as RabbitMQ's management plugin keeps them in its default "basic" rates
 * mode: cumulative counts per queue, exchange and vhost, and their rates per second over the last
 * sample interval (collect_statistics_interval, 5 s by default).
 *
 * Connections' byte counts are sampled too, for their recv_oct / send_oct rates.
 *
 * Counting stays where the messages go (QueueCounters, ExchangeCounters, VhostCounters: plain
 * fields bumped in place, nothing allocated, nothing scheduled per message). This module only
 * reads them: one timer per broker takes a sample of every queue, exchange and vhost into a
 * bounded history per object (sample-history.ts), in a side table keyed by the object (so a
 * deleted one is simply forgotten). Counts are read live; rates come from the last two samplings,
 * histories (`?msg_rates_age=`) from the stored samples.
 *
 * A vhost's counts are the sums over its queues and exchanges, plus what deleted ones had counted
 * (retired when they go), plus its own confirms and returns, so they never go down.
 *
 * Names are camelCase here; the management API gives them RabbitMQ's snake_case (http/stats.ts).
 */
import type { Broker } from '../broker.js';
import type { Exchange } from '../exchange/exchange.js';
import type { Queue } from '../queue/queue.js';
import type { SessionInfo } from '../session-info.js';
import type { Vhost } from '../vhost.js';
import { CHANNEL_COUNTS, channelCounts, type ChannelCounters } from './channel-counters.js';
import { RETENTION_MS, SampleHistory } from './sample-history.js';

/** RabbitMQ's default collect_statistics_interval, ms. */
export const DEFAULT_STATS_INTERVAL = 5000;
/** At most this many samples per object, whatever the interval (short ones are for tests). */
const MAX_SLOTS = 1201;

/** A queue's counts (RabbitMQ's queue message_stats, in its key order), then LENGTHS. */
export const QUEUE_COUNTS = ['ack', 'deliver', 'deliverGet', 'deliverNoAck', 'get', 'getEmpty', 'getNoAck', 'publish', 'redeliver'] as const;
/** An exchange's counts. */
export const EXCHANGE_COUNTS = ['publishIn', 'publishOut'] as const;
/** A vhost's counts (RabbitMQ's vhost message_stats, in its key order), then LENGTHS. */
export const VHOST_COUNTS = [
  'publish', 'confirm', 'returnUnroutable', 'dropUnroutable', 'get', 'getNoAck',
  'deliver', 'deliverNoAck', 'redeliver', 'ack', 'deliverGet', 'getEmpty',
] as const;
/** Queue lengths (messages = ready + unacknowledged), after the counts of queues and vhosts. */
export const LENGTHS = ['messages', 'messagesReady', 'messagesUnacknowledged'] as const;

const Q_SIZE = QUEUE_COUNTS.length + LENGTHS.length;
const X_SIZE = EXCHANGE_COUNTS.length;
const V_SIZE = VHOST_COUNTS.length + LENGTHS.length;

const qi = (k: (typeof QUEUE_COUNTS)[number]): number => QUEUE_COUNTS.indexOf(k);
const vi = (k: (typeof VHOST_COUNTS)[number]): number => VHOST_COUNTS.indexOf(k);
/** Where each queue count goes in a vhost's counts (-1: not summed there; a vhost's publish is its exchanges'). */
const QUEUE_TO_VHOST = QUEUE_COUNTS.map((k) => (k === 'publish' ? -1 : vi(k)));
const V_PUBLISH = vi('publish');
const V_CONFIRM = vi('confirm');
const V_RETURN = vi('returnUnroutable');
/** While summing, holds all unroutable publishes; returned ones are taken out at the end. */
const V_DROP = vi('dropUnroutable');

/** A queue's counts and lengths, into `out`. */
export function queueCounts(q: Queue, out: Float64Array = new Float64Array(Q_SIZE)): Float64Array {
  const c = q.counters;
  const deliverNoAck = c.noAck - c.gotNoAck;
  out[qi('ack')] = c.acked;
  out[qi('deliver')] = c.delivered - c.got - deliverNoAck;
  out[qi('deliverGet')] = c.delivered;
  out[qi('deliverNoAck')] = deliverNoAck;
  out[qi('get')] = c.got - c.gotNoAck;
  out[qi('getEmpty')] = c.gotEmpty;
  out[qi('getNoAck')] = c.gotNoAck;
  out[qi('publish')] = c.published;
  out[qi('redeliver')] = c.redelivered;
  const base = QUEUE_COUNTS.length;
  out[base] = q.messageCount + q.unackedCount;
  out[base + 1] = q.messageCount;
  out[base + 2] = q.unackedCount;
  return out;
}

export function exchangeCounts(x: Exchange, out: Float64Array = new Float64Array(X_SIZE)): Float64Array {
  out[0] = x.counters.published;
  out[1] = x.counters.publishedOut;
  return out;
}

const scratch = new Float64Array(Q_SIZE);

/** Add a queue's counts (and, if `lengths`, its lengths) to a vhost's. */
function addQueue(out: Float64Array, q: Queue, lengths: boolean): void {
  const counts = queueCounts(q, scratch);
  for (let i = 0; i < QUEUE_COUNTS.length; i++) {
    const to = QUEUE_TO_VHOST[i] as number;
    if (to >= 0) out[to] = (out[to] as number) + (counts[i] as number);
  }
  if (!lengths) return;
  for (let i = 0; i < LENGTHS.length; i++) {
    const to = VHOST_COUNTS.length + i;
    out[to] = (out[to] as number) + (counts[QUEUE_COUNTS.length + i] as number);
  }
}

function addExchange(out: Float64Array, x: Exchange): void {
  out[V_PUBLISH] = (out[V_PUBLISH] as number) + x.counters.published;
  out[V_DROP] = (out[V_DROP] as number) + x.counters.unroutable;
}

/** What deleted queues and exchanges of a vhost had counted (lengths unused). */
const RETIRED = new WeakMap<Vhost, Float64Array>();

function retired(v: Vhost): Float64Array {
  let r = RETIRED.get(v);
  if (r === undefined) RETIRED.set(v, (r = new Float64Array(V_SIZE)));
  return r;
}

/** A vhost's counts and lengths, read now, into `out`. */
export function vhostCounts(v: Vhost, out: Float64Array = new Float64Array(V_SIZE)): Float64Array {
  out.set(RETIRED.get(v) ?? EMPTY_V);
  for (const q of v.queues.values()) addQueue(out, q, true);
  for (const x of v.exchanges.values()) addExchange(out, x);
  out[V_CONFIRM] = v.counters.confirmed;
  out[V_RETURN] = v.counters.returned;
  out[V_DROP] = Math.max(0, (out[V_DROP] as number) - v.counters.returned);
  return out;
}

const EMPTY_V = new Float64Array(V_SIZE);

/** The sample history of each queue, exchange and vhost, keyed by the object (a deleted one is simply forgotten). */
const HISTORIES = new WeakMap<object, SampleHistory>();
const SCRATCH = new Float64Array(Math.max(Q_SIZE, X_SIZE, V_SIZE, CHANNEL_COUNTS.length));

/** Sample capacity per object: RabbitMQ's 600 s retention at the sampling interval (bounded for short test intervals). */
let capacity = RETENTION_MS / DEFAULT_STATS_INTERVAL + 1;

function record(key: object, at: number, size: number, fill: (out: Float64Array) => void): void {
  let h = HISTORIES.get(key);
  if (h === undefined) HISTORIES.set(key, (h = new SampleHistory(size, capacity)));
  const sample = SCRATCH.subarray(0, size);
  fill(sample);
  h.record(at, sample);
}

/** An object's sample history, if it has been sampled. */
export const historyOf = (key: Queue | Exchange | Vhost | SessionInfo | ChannelCounters): SampleHistory | undefined => HISTORIES.get(key);

/** Per-second rates of change over the last sample interval, in the object's count order; zeros before two samples. */
export function ratesOf(key: object, size: number): Float64Array {
  const out = new Float64Array(size);
  return HISTORIES.get(key)?.rates(out) ?? out;
}

export const queueRates = (q: Queue): Float64Array => ratesOf(q, Q_SIZE);
export const exchangeRates = (x: Exchange): Float64Array => ratesOf(x, X_SIZE);
export const vhostRates = (v: Vhost): Float64Array => ratesOf(v, V_SIZE);

/** A connection's byte counts: received, sent (RabbitMQ's recv_oct, send_oct). */
export const SESSION_COUNTS = ['recvOct', 'sendOct'] as const;
const S_SIZE = SESSION_COUNTS.length;

function sessionCounts(s: SessionInfo, out: Float64Array): Float64Array {
  const c = s.info();
  out[0] = c.recvOct;
  out[1] = c.sendOct;
  return out;
}

export const sessionRates = (s: SessionInfo): Float64Array => ratesOf(s, S_SIZE);

const C_SIZE = CHANNEL_COUNTS.length;
/** A channel's rates, in CHANNEL_COUNTS order. */
export const channelRates = (c: ChannelCounters): Float64Array => ratesOf(c, C_SIZE);

/**
 * Since when (epoch ms) a queue has been idle, or undefined while it is active: RabbitMQ shows
 * idle_since once a queue process hibernates after a quiet spell. Here: the time of the sample
 * since which nothing the queue counts (messages in and out, lengths) has changed; read against
 * the live counts, so any activity after that sample makes it active at once. Costs nothing per
 * message. A queue not sampled yet is not known to be idle.
 */
export function idleSince(q: Queue): number | undefined {
  const h = HISTORIES.get(q);
  if (h === undefined || h.newestAt === 0) return undefined;
  return h.equalsNewest(queueCounts(q, SCRATCH.subarray(0, Q_SIZE))) ? h.newestAt : undefined;
}

/** The sampler of one broker: one unref'd timer, stopped with the broker. */
export class MessageStats {
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly broker: Broker) {
    // A deleted queue's or exchange's counts stay in its vhost's.
    broker.observe({
      queueDeleted: (q) => {
        const v = broker.vhosts.get(q.vhost);
        if (v !== undefined) addQueue(retired(v), q, false);
      },
      exchangeDeleted: (x) => {
        const v = broker.vhosts.get(x.vhost);
        if (v !== undefined) addExchange(retired(v), x);
      },
    });
  }

  /** Sample every `intervalMs` from now on (idempotent). */
  start(intervalMs: number = DEFAULT_STATS_INTERVAL): void {
    if (this.timer !== null) return;
    capacity = Math.min(MAX_SLOTS, Math.ceil(RETENTION_MS / intervalMs) + 1);
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** Take one sample of everything at `at` (epoch ms; the timer's work; tests may call it). */
  sample(at: number = Date.now()): void {
    for (const v of this.broker.vhosts.values()) {
      for (const q of v.queues.values()) record(q, at, Q_SIZE, (out) => queueCounts(q, out));
      for (const x of v.exchanges.values()) record(x, at, X_SIZE, (out) => exchangeCounts(x, out));
      record(v, at, V_SIZE, (out) => vhostCounts(v, out));
    }
    for (const s of this.broker.sessions.list()) {
      record(s, at, S_SIZE, (out) => sessionCounts(s, out));
      // Channels through their session, keyed by their counters (a closed channel is forgotten).
      for (const ch of s.channels()) record(ch.counters, at, C_SIZE, (out) => channelCounts(ch.counters, out));
    }
  }
}
