import { accessRefused, preconditionFailed } from '../amqp/errors.js';
import { fieldString, type FieldTable } from '../amqp/field-types.js';
import { EXCHANGE_EQUIVALENCE_ARGS, inequivalentArgument, QUEUE_EQUIVALENCE_ARGS } from './arguments.js';
import type { Exchange, ExchangeOptions } from './exchange/exchange.js';
import { parseQueueArguments, type QueueArguments } from './queue-arguments.js';
import type { Queue, QueueOptions } from './queue/queue.js';
import { DEFAULT_QUEUE_ARGUMENTS } from './queue/settings.js';

/**
 * RabbitMQ's rules for declaring what exists already, with its reply texts: names with the
 * reserved amq. prefix, and redeclaring with different properties or arguments.
 */

/** "amq." names may be redeclared as they are, not created. */
export function checkReservedName(kind: 'exchange' | 'queue', name: string): void {
  if (name.startsWith('amq.')) throw accessRefused(`${kind} name '${name}' contains reserved prefix 'amq.*'`);
}

/** An exchange redeclared with other properties or compared arguments: 406 inequivalent arg. */
export function checkExchangeEquivalent(existing: Exchange, type: string, options: ExchangeOptions, what: string): void {
  const mismatch = (arg: string, received: unknown, current: unknown): never => {
    throw preconditionFailed(`inequivalent arg '${arg}' for ${what}: received '${String(received)}' but current is '${String(current)}'`);
  };
  if (existing.type !== type) mismatch('type', type, existing.type);
  if (existing.durable !== options.durable) mismatch('durable', options.durable, existing.durable);
  if (existing.autoDelete !== options.autoDelete) mismatch('auto_delete', options.autoDelete, existing.autoDelete);
  if (existing.internal !== options.internal) mismatch('internal', options.internal, existing.internal);
  const diff = inequivalentArgument(EXCHANGE_EQUIVALENCE_ARGS, options.arguments, existing.arguments, what);
  if (diff !== undefined) throw preconditionFailed(diff);
}

/** A queue redeclared with other properties or compared arguments: 406 inequivalent arg. */
export function checkQueueEquivalent(q: Queue, options: QueueOptions, what: string): void {
  const check = (arg: string, received: boolean, current: boolean): void => {
    if (received !== current) {
      throw preconditionFailed(`inequivalent arg '${arg}' for ${what}: received '${received}' but current is '${current}'`);
    }
  };
  check('durable', options.durable, q.durable);
  check('exclusive', options.exclusiveOwner !== null, q.exclusiveOwner !== null);
  check('auto_delete', options.autoDelete, q.autoDelete);
  const diff = inequivalentArgument(QUEUE_EQUIVALENCE_ARGS, classicAsDefault(options.arguments, q.arguments), q.arguments, what);
  if (diff !== undefined) throw preconditionFailed(diff);
}

/** An x-queue-type of 'classic' is equivalent to none (the default), in either direction. */
function classicAsDefault(received: FieldTable, current: FieldTable): FieldTable {
  const r = fieldString(received['x-queue-type']);
  const c = fieldString(current['x-queue-type']);
  if (r === 'classic' && c === undefined) {
    const { 'x-queue-type': _drop, ...rest } = received;
    return rest;
  }
  if (r === undefined && c === 'classic') return { ...received, 'x-queue-type': 'classic' };
  return received;
}

/** Recovery: parse stored arguments leniently (they were valid when declared). */
export function storedQueueArguments(args: FieldTable, name: string, vhost: string, durable: boolean, autoDelete: boolean): QueueArguments {
  try {
    return parseQueueArguments(args, { queue: name, vhost, durable, exclusive: false, autoDelete });
  } catch {
    return DEFAULT_QUEUE_ARGUMENTS;
  }
}
