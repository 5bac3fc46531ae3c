import type { EffectiveQueueSettings } from '../policy.js';
import { parseQueueArguments, type QueueArguments, type QueueType } from '../queue-arguments.js';

/** The effective settings of a queue (x-arguments merged with policies), as the queue uses them. */
export type QueueSettings = EffectiveQueueSettings & { readonly queueType: QueueType };

/** A queue with no arguments and no policy: what the parser makes of an empty table. */
export const DEFAULT_QUEUE_ARGUMENTS: QueueArguments = parseQueueArguments(
  {},
  { queue: '', vhost: '/', durable: false, exclusive: false, autoDelete: false },
);

export const DEFAULT_QUEUE_SETTINGS: QueueSettings = {
  messageTtl: undefined,
  expires: undefined,
  maxLength: undefined,
  maxLengthBytes: undefined,
  overflow: 'drop-head',
  deadLetterExchange: undefined,
  deadLetterRoutingKey: undefined,
  deliveryLimit: undefined,
  consumerTimeout: undefined,
  maxPriority: undefined,
  singleActiveConsumer: false,
  queueMode: undefined,
  delayedMessage: false,
  policy: undefined,
  operatorPolicy: undefined,
  definition: {},
  queueType: 'classic',
};
