import type { FieldTable } from '../../amqp/field-types.js';
import type { Binding } from '../binding.js';
import type { QueueArguments } from '../queue-arguments.js';
import { QueueCounters } from './queue-counters.js';
import type { QueueHooks, QueueOptions } from './queue.js';
import { DEFAULT_QUEUE_ARGUMENTS, DEFAULT_QUEUE_SETTINGS, type QueueSettings } from './settings.js';

/** What every queue type has: identity, declared properties, bindings, settings, counters, hooks. */
export abstract class QueueBase {
  readonly kind = 'queue' as const;
  readonly counters = new QueueCounters();
  readonly durable: boolean;
  readonly exclusiveOwner: object | null;
  readonly autoDelete: boolean;
  readonly arguments: FieldTable;
  /** bindings that point at this queue (removed with it) */
  readonly bindings = new Set<Binding>();
  settings: QueueSettings = DEFAULT_QUEUE_SETTINGS;
  /** the x-arguments as declared, parsed (policies are applied on top) */
  declaredArguments: QueueArguments = DEFAULT_QUEUE_ARGUMENTS;
  hooks: QueueHooks | null = null;
  deleted = false;

  constructor(
    readonly name: string,
    readonly vhost: string,
    options: QueueOptions,
  ) {
    this.durable = options.durable;
    this.exclusiveOwner = options.exclusiveOwner;
    this.autoDelete = options.autoDelete;
    this.arguments = options.arguments;
  }
}
