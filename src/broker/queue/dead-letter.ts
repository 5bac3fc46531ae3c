import { FieldTyped, fieldString, isFieldTable, type FieldTable, type FieldValue } from '../../amqp/field-types.js';

export type DeathReason = 'rejected' | 'expired' | 'maxlen' | 'delivery_limit';

export interface Death {
  queue: string;
  reason: DeathReason;
  /** exchange the message was published to before this death */
  exchange: string;
  /** its routing keys (routing key, then CC) */
  routingKeys: string[];
  /** the expiration property it had, moved here and removed from the message */
  originalExpiration: string | undefined;
  /** seconds since the epoch */
  time: number;
}

/**
 * The headers of a dead-lettered message, RabbitMQ's format: x-death is an array of tables
 * {count, reason, queue, time, exchange, routing-keys[, original-expiration]}, newest first; a
 * repeat of the same queue and reason increments count and moves to the front (time stays the
 * first one). x-first-death-* are set once; x-last-death-* (RabbitMQ 3.13) follow every death.
 */
export function addDeath(headers: FieldTable | undefined, d: Death): FieldTable {
  const out: FieldTable = { ...(headers ?? {}) };
  const previous = Array.isArray(out['x-death']) ? (out['x-death'] as FieldValue[]) : [];
  let count = 1;
  let time: FieldValue = new FieldTyped('T', d.time);
  const rest: FieldValue[] = [];
  for (const entry of previous) {
    if (isFieldTable(entry) && fieldString(entry['queue']) === d.queue && fieldString(entry['reason']) === d.reason) {
      const n = entry['count'];
      count = (typeof n === 'bigint' ? Number(n) : n instanceof FieldTyped ? Number(n.value) : Number(n ?? 0)) + 1;
      time = entry['time'] ?? time;
    } else {
      rest.push(entry);
    }
  }
  const death: FieldTable = {
    count: BigInt(count),
    reason: d.reason,
    queue: d.queue,
    time,
    exchange: d.exchange,
    'routing-keys': d.routingKeys,
  };
  if (d.originalExpiration !== undefined) death['original-expiration'] = d.originalExpiration;
  out['x-death'] = [death, ...rest];
  if (out['x-first-death-queue'] === undefined) {
    out['x-first-death-queue'] = d.queue;
    out['x-first-death-reason'] = d.reason;
    out['x-first-death-exchange'] = d.exchange;
  }
  out['x-last-death-queue'] = d.queue;
  out['x-last-death-reason'] = d.reason;
  out['x-last-death-exchange'] = d.exchange;
  return out;
}

/**
 * Would dead-lettering into `queue` make a cycle with no rejection in it? RabbitMQ drops the
 * message for such a queue: it appears in x-death already and no death since then was a rejection.
 */
export function isDeadLetterCycle(headers: FieldTable | undefined, queue: string): boolean {
  const deaths = headers?.['x-death'];
  if (!Array.isArray(deaths)) return false;
  for (const entry of deaths) {
    if (!isFieldTable(entry)) continue;
    if (fieldString(entry['reason']) === 'rejected') return false;
    if (fieldString(entry['queue']) === queue) return true;
  }
  return false;
}
