import { Decimal, FieldTyped, type FieldTable, type FieldValue } from '../amqp/field-types.js';
import type { Exchange } from './exchange/exchange.js';
import type { Queue } from './queue/queue.js';

export type Destination = Queue | Exchange;

/**
 * A binding from an exchange to a queue or exchange. Identity, as in RabbitMQ, is
 * (source, destination, routing key, arguments); `key` encodes it for map lookups.
 */
export class Binding {
  readonly key: string;

  constructor(
    readonly source: Exchange,
    readonly destination: Destination,
    readonly routingKey: string,
    readonly args: FieldTable,
  ) {
    this.key = bindingKey(destination, routingKey, args);
  }
}

export function bindingKey(destination: Destination, routingKey: string, args: FieldTable): string {
  return `${destination.kind}\u0000${destination.name}\u0000${routingKey}\u0000${argumentsKey(args)}`;
}

/** A canonical, order-insensitive string for a field table (used for identity, not display). */
export function argumentsKey(args: FieldTable): string {
  const keys = Object.keys(args);
  if (keys.length === 0) return '';
  keys.sort();
  let out = '{';
  for (const k of keys) out += `${JSON.stringify(k)}:${valueKey(args[k] as FieldValue)},`;
  return out + '}';
}

const INT_TAGS = 'bBsuIil';

function valueKey(v: FieldValue): string {
  if (v === null || v === undefined) return 'V';
  if (typeof v === 'boolean') return v ? 't1' : 't0';
  if (typeof v === 'number') return Number.isInteger(v) ? `i${v}` : `d${v}`;
  if (typeof v === 'bigint') return `i${v}`;
  if (typeof v === 'string') return `S${JSON.stringify(v)}`;
  if (Buffer.isBuffer(v)) return `x${v.toString('hex')}`;
  if (v instanceof Date) return `T${v.getTime()}`;
  if (v instanceof Decimal) return `D${v.scale}:${v.value}`;
  if (v instanceof FieldTyped) {
    const inner = v.value;
    // Integer tags form one type class, as in RabbitMQ's comparisons.
    if (typeof inner === 'number' || typeof inner === 'bigint') return `${INT_TAGS.includes(v.type) ? 'i' : v.type}${inner}`;
    return `${v.type}${Buffer.isBuffer(inner) ? inner.toString('hex') : JSON.stringify(inner)}`;
  }
  if (Array.isArray(v)) return `A[${v.map(valueKey).join(',')}]`;
  return `F${argumentsKey(v)}`;
}
