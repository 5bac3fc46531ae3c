/**
 * The rows of each metric group, read from the broker at scrape time: one per object (queue,
 * channel, connection) with RabbitMQ's labels, values in the group's metric order (families.ts).
 * Nothing here is kept between scrapes and nothing runs on the message path: every figure is a
 * counter or a size the broker already keeps (QueueCounters, ExchangeCounters, VhostCounters,
 * Churn, the session registry, the resource alarms).
 */
import type { Broker } from '../../broker/broker.js';
import type { Queue } from '../../broker/queue/queue.js';
import type { ChannelInfo } from '../../broker/session-info.js';
import { queueCounts, VHOST_COUNTS, vhostCounts } from '../../broker/stats/message-stats.js';
import { fdTotal, fdUsed, socketsTotal } from '../controllers/nodes.js';
import { channelName } from '../session-json.js';
import type { CoreGroup } from './families.js';
import { qi, QUEUE_SIZE } from './retired.js';

export type Labels = Record<string, string>;

export interface Row {
  readonly labels: Labels;
  /** in the group's metric order; undefined: no sample for that metric (RabbitMQ's emit_if_defined) */
  readonly values: readonly (number | undefined)[];
}

/** Vhosts whose queues are shown (/metrics/detailed?vhost=); null: all. */
export type VhostFilter = ReadonlySet<string> | null;

const NO_LABELS: Labels = {};

function queuesOf(broker: Broker, vhosts: VhostFilter): Queue[] {
  const out: Queue[] = [];
  for (const v of broker.vhosts.values()) {
    if (vhosts !== null && !vhosts.has(v.name)) continue;
    for (const q of v.queues.values()) out.push(q);
  }
  return out;
}

const queueLabels = (q: Queue): Labels => ({ vhost: q.vhost, queue: q.name });

function channelRows(broker: Broker, values: (ch: ChannelInfo) => number[]): Row[] {
  const out: Row[] = [];
  for (const s of broker.sessions.list()) {
    for (const ch of s.channels()) out.push({ labels: { channel: channelName(s, ch.number) }, values: values(ch) });
  }
  return out;
}

/** A vhost's counts (message-stats VHOST_COUNTS order), summed over all vhosts. */
export function vhostTotals(broker: Broker): Float64Array {
  const sum = new Float64Array(VHOST_COUNTS.length + 3);
  const one = new Float64Array(sum.length);
  for (const v of broker.vhosts.values()) {
    vhostCounts(v, one);
    for (let i = 0; i < sum.length; i++) sum[i] = (sum[i] as number) + (one[i] as number);
  }
  return sum;
}

const vi = (k: (typeof VHOST_COUNTS)[number]): number => VHOST_COUNTS.indexOf(k);

/** channel_queue_metrics values from queue (or vhost) counts. */
const CHANNEL_QUEUE = [qi('get'), qi('getNoAck'), qi('deliver'), qi('deliverNoAck'), qi('redeliver'), qi('ack'), qi('getEmpty')];
const CHANNEL_QUEUE_V = [vi('get'), vi('getNoAck'), vi('deliver'), vi('deliverNoAck'), vi('redeliver'), vi('ack'), vi('getEmpty')];
const CHANNEL_EXCHANGE_V = [vi('publish'), vi('confirm'), vi('returnUnroutable'), vi('dropUnroutable')];

const pick = (counts: Float64Array, at: readonly number[]): number[] => at.map((i) => counts[i] as number);

function memoryUsed(broker: Broker): number {
  const used = broker.alarms.memoryUsed;
  return used >= 0 ? used : process.memoryUsage.rss();
}

/** One row per object of each group (per-object and detailed endpoints). */
export const ROWS: { readonly [G in CoreGroup]: (broker: Broker, vhosts: VhostFilter) => Row[] } = {
  connection_churn_metrics: (broker) => {
    const c = broker.churn;
    const values = [c.connectionsOpened, c.connectionsClosed, c.channelsOpened, c.channelsClosed, c.queuesDeclared, c.queuesCreated, c.queuesDeleted];
    return [{ labels: NO_LABELS, values }];
  },
  node_coarse_metrics: (broker) => [
    { labels: NO_LABELS, values: [fdUsed(), broker.sessions.connections, memoryUsed(broker), Math.max(0, broker.alarms.diskFree)] },
  ],
  node_metrics: (broker) => {
    const a = broker.alarms;
    const total = fdTotal();
    return [{ labels: NO_LABELS, values: [total, socketsTotal(total), a.memoryLimit, a.diskFreeLimit] }];
  },
  auth_attempt_metrics: (broker) =>
    broker.authAttempts.entries().map(([protocol, c]) => ({ labels: { protocol }, values: [c.succeeded + c.failed, c.succeeded, c.failed] })),
  queue_coarse_metrics: (broker, vhosts) =>
    queuesOf(broker, vhosts).map((q) => ({
      labels: queueLabels(q),
      values: [q.messageCount, q.unackedCount, q.messageCount + q.unackedCount],
    })),
  queue_consumer_count: (broker, vhosts) => queuesOf(broker, vhosts).map((q) => ({ labels: queueLabels(q), values: [q.consumerCount] })),
  queue_metrics: (broker, vhosts) =>
    queuesOf(broker, vhosts).map((q) => {
      const readyRam = q.messageCount - q.pagedCount;
      return {
        labels: queueLabels(q),
        values: [q.consumerCount, readyRam + q.unackedCount, readyRam, q.unackedCount, q.messageBytes, q.pagedCount],
      };
    }),
  channel_metrics: (broker) =>
    channelRows(broker, (ch) => [
      ch.consumerCount,
      ch.messagesUnacknowledged,
      ch.messagesUnconfirmed,
      ch.messagesUncommitted,
      ch.acksUncommitted,
      ch.prefetchCount,
      ch.globalPrefetchCount,
    ]),
  // Warren counts publishes per exchange and confirms and returns per vhost, not per channel:
  // rows are per exchange ({vhost, exchange}, publishes) and per vhost ({vhost}, the rest).
  channel_exchange_metrics: (broker) => {
    const out: Row[] = [];
    for (const v of broker.vhosts.values()) {
      for (const x of v.exchanges.values()) {
        if (x.counters.published > 0) out.push({ labels: { vhost: v.name, exchange: x.name }, values: [x.counters.published] });
      }
      const counts = vhostCounts(v);
      out.push({ labels: { vhost: v.name }, values: [undefined, ...pick(counts, CHANNEL_EXCHANGE_V.slice(1))] });
    }
    return out;
  },
  // Per queue ({vhost, queue}) rather than per channel and queue.
  channel_queue_metrics: (broker) => {
    const scratch = new Float64Array(QUEUE_SIZE);
    return queuesOf(broker, null).map((q) => ({ labels: queueLabels(q), values: pick(queueCounts(q, scratch), CHANNEL_QUEUE) }));
  },
  connection_coarse_metrics: (broker) =>
    broker.sessions.list().map((s) => {
      const info = s.info();
      return { labels: { channel: s.name }, values: [info.recvOct, info.sendOct] };
    }),
  connection_metrics: (broker) => broker.sessions.list().map((s) => ({ labels: { channel: s.name }, values: [s.channels().length] })),
  // Per queue ({queue_vhost, queue}) rather than per channel, queue and exchange.
  channel_queue_exchange_metrics: (broker) =>
    queuesOf(broker, null)
      .filter((q) => q.counters.published > 0)
      .map((q) => ({ labels: { queue_vhost: q.vhost, queue: q.name }, values: [q.counters.published] })),
};

/**
 * The aggregated row of groups whose rows do not sum to RabbitMQ's total: message counters come
 * from the vhosts' counts (vhostTotals), which keep what deleted queues and exchanges had counted.
 */
export const TOTAL_OVERRIDES: { readonly [G in CoreGroup]?: (vhostTotals: Float64Array) => number[] } = {
  channel_exchange_metrics: (totals) => pick(totals, CHANNEL_EXCHANGE_V),
  channel_queue_metrics: (totals) => pick(totals, CHANNEL_QUEUE_V),
};

/** Sum rows, dropping labels (RabbitMQ's aggregation: undefined counts as nothing, totals start at 0). */
export function sumRows(rows: readonly Row[], size: number): number[] {
  const out = new Array<number>(size).fill(0);
  for (const r of rows) for (let i = 0; i < size; i++) out[i] = (out[i] as number) + (r.values[i] ?? 0);
  return out;
}
