/**
 * basic.consume arguments, validated as RabbitMQ 3.10's rabbit_amqqueue:check_consume_arguments:
 * first the value checks of the arguments the queue's type knows, in consume_args() order
 * (x-priority, x-cancel-on-ha-failover), then arguments another queue type owns are refused.
 * Texts verified against RabbitMQ 3.10.8 (amqplib), all 406 PRECONDITION_FAILED - ...:
 *   x-priority 'high'                invalid arg 'x-priority' for queue 'q' in vhost '/': "expected integer, got longstr"
 *   x-cancel-on-ha-failover 'yes'/1  invalid arg 'x-cancel-on-ha-failover' for queue 'q' in vhost '/': {unacceptable_type,longstr} / {unacceptable_type,byte}
 *   x-cancel-on-ha-failover, quorum  invalid arg 'x-cancel-on-ha-failover' for queue 'q' in vhost '/' of queue type rabbit_quorum_queue
 *   x-stream-offset, classic         invalid arg 'x-stream-offset' for queue 'q' in vhost '/' of queue type rabbit_classic_queue
 *
 * x-cancel-on-ha-failover=true asks for basic.cancel when the queue's leader moves; in Warren that
 * is a planned leadership change of the cluster (Broker.handOver).
 */
import { preconditionFailed } from '../amqp/errors.js';
import { fieldNumber, type FieldTable } from '../amqp/field-types.js';
import { typeName } from './arguments.js';
import { atom, charlist, formatErlang, tuple, type ErlTerm } from './erlang-term.js';
import type { QueueType } from './queue-arguments.js';

export interface ConsumeArguments {
  /** x-priority; 0 when absent */
  priority: number;
  /** x-cancel-on-ha-failover (classic queues only) */
  cancelOnHaFailover: boolean;
}

const INTEGER_TYPES = new Set(['byte', 'short', 'signedint', 'long', 'unsignedbyte', 'unsignedshort', 'unsignedint']);

/** Each queue type's consumer_arguments (its capabilities in RabbitMQ 3.10). */
const TYPE_ARGS: Record<QueueType, readonly string[]> = {
  classic: ['x-cancel-on-ha-failover', 'x-priority', 'x-credit'],
  quorum: ['x-priority', 'x-credit'],
};
/** Every type's consumer arguments (streams own x-stream-offset). */
const ALL_ARGS = ['x-cancel-on-ha-failover', 'x-priority', 'x-credit', 'x-stream-offset'];
const TYPE_MODULE: Record<QueueType, string> = { classic: 'rabbit_classic_queue', quorum: 'rabbit_quorum_queue' };

const VALIDATORS: readonly (readonly [string, (type: string) => ErlTerm | undefined])[] = [
  ['x-priority', (t) => (INTEGER_TYPES.has(t) ? undefined : charlist(`expected integer, got ${t}`))],
  ['x-cancel-on-ha-failover', (t) => (t === 'bool' ? undefined : tuple(atom('unacceptable_type'), atom(t)))],
];

/** Validate the arguments of a basic.consume on queue `queue` of `queueType`, throwing RabbitMQ's channel error. */
export function parseConsumeArguments(args: FieldTable, queue: string, vhost: string, queueType: QueueType): ConsumeArguments {
  const what = `queue '${queue}' in vhost '${vhost}'`;
  const known = TYPE_ARGS[queueType];
  for (const [key, check] of VALIDATORS) {
    const v = args[key];
    const error = v === undefined || !known.includes(key) ? undefined : check(typeName(v));
    if (error !== undefined) throw preconditionFailed(formatErlang(`invalid arg '${key}' for ${what}: `, error, { lineLength: 255 }));
  }
  for (const key of Object.keys(args)) {
    if (ALL_ARGS.includes(key) && !known.includes(key)) {
      throw preconditionFailed(`invalid arg '${key}' for ${what} of queue type ${TYPE_MODULE[queueType]}`);
    }
  }
  const priority = args['x-priority'] === undefined ? 0 : (fieldNumber(args['x-priority']) ?? 0);
  return { priority, cancelOnHaFailover: args['x-cancel-on-ha-failover'] === true };
}
