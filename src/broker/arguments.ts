import { Decimal, FieldTyped, type FieldTable, type FieldTag, type FieldValue } from '../amqp/field-types.js';
import { argumentsKey } from './binding.js';

/** Queue arguments RabbitMQ compares when a queue is redeclared (others are ignored). */
export const QUEUE_EQUIVALENCE_ARGS = [
  'x-expires',
  'x-message-ttl',
  'x-dead-letter-exchange',
  'x-dead-letter-routing-key',
  'x-max-length',
  'x-max-length-bytes',
  'x-max-priority',
  'x-overflow',
  'x-queue-mode',
  'x-queue-type',
  'x-single-active-consumer',
  'x-delivery-limit',
  'x-queue-master-locator',
  'x-queue-leader-locator',
] as const;

/** Exchange arguments RabbitMQ compares on redeclare. */
export const EXCHANGE_EQUIVALENCE_ARGS = ['alternate-exchange'] as const;

/** RabbitMQ's name for a field value's AMQP type, as it appears in "inequivalent arg" texts. */
export function typeName(v: FieldValue): string {
  if (v === null) return 'void';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) return 'double';
    return v >= -0x80000000 && v <= 0x7fffffff ? 'signedint' : 'long';
  }
  if (typeof v === 'bigint') return 'long';
  if (typeof v === 'string') return 'longstr';
  if (Buffer.isBuffer(v)) return 'binary';
  if (v instanceof Date) return 'timestamp';
  if (v instanceof Decimal) return 'decimal';
  if (v instanceof FieldTyped) return FIELD_TYPE_NAMES[v.type] ?? v.type;
  if (Array.isArray(v)) return 'array';
  return 'table';
}

/** RabbitMQ's type atoms for AMQP field tags (rabbit_binary_parser). */
export const FIELD_TYPE_NAMES: Record<FieldTag, string> = {
  t: 'bool',
  b: 'byte',
  B: 'unsignedbyte',
  s: 'short',
  u: 'unsignedshort',
  I: 'signedint',
  i: 'unsignedint',
  l: 'long',
  f: 'float',
  d: 'double',
  D: 'decimal',
  S: 'longstr',
  A: 'array',
  T: 'timestamp',
  F: 'table',
  V: 'void',
  x: 'binary',
};

/** How RabbitMQ prints a value inside "inequivalent arg" texts. */
export function displayValue(v: FieldValue): string {
  if (v instanceof FieldTyped) return displayValue(v.value as FieldValue);
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  // RabbitMQ prints a decimal as its Erlang tuple {Scale,Value}: '{2,314}' for 3.14.
  if (v instanceof Decimal) return `{${v.scale},${v.value}}`;
  if (typeof v === 'object' && v !== null && !(v instanceof Date)) return JSON.stringify(v);
  return String(v);
}

/**
 * Compare the equivalence-relevant arguments of a redeclare with the existing ones. Returns the
 * text after "PRECONDITION_FAILED - " for the first difference, or undefined when equivalent.
 */
export function inequivalentArgument(
  names: readonly string[],
  received: FieldTable,
  current: FieldTable,
  what: string,
): string | undefined {
  for (const name of names) {
    const r = received[name];
    const c = current[name];
    if (r === undefined && c === undefined) continue;
    if (r !== undefined && c !== undefined && argumentsKey({ v: r }) === argumentsKey({ v: c })) continue;
    // Both present: the values alone; one absent: the other with its type (RabbitMQ 3.10's texts).
    if (r !== undefined && c !== undefined) {
      return `inequivalent arg '${name}' for ${what}: received '${displayValue(r)}' but current is '${displayValue(c)}'`;
    }
    const recv = r === undefined ? 'none' : `the value '${displayValue(r)}' of type '${typeName(r)}'`;
    const cur = c === undefined ? 'none' : `the value '${displayValue(c)}' of type '${typeName(c)}'`;
    return `inequivalent arg '${name}' for ${what}: received ${recv} but current is ${cur}`;
  }
  return undefined;
}
