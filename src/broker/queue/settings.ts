import type { EffectiveQueueSettings } from '../policy.js';
import type { QueueArguments, QueueType } from '../queue-arguments.js';

/** The effective settings of a queue (x-arguments merged with policies), as the queue uses them. */
export type QueueSettings = EffectiveQueueSettings & { readonly queueType: QueueType };

/** A queue with no arguments and no policy. */
export const DEFAULT_QUEUE_ARGUMENTS: QueueArguments = {
  messageTtl: undefined,
  expires: undefined,
  deadLetterExchange: undefined,
  deadLetterRoutingKey: undefined,
  maxLength: undefined,
  maxLengthBytes: undefined,
  overflow: 'drop-head',
  overflowSet: false,
  maxPriority: undefined,
  singleActiveConsumer: false,
  deliveryLimit: undefined,
  consumerTimeout: undefined,
  queueType: 'classic',
  queueMode: undefined,
};

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
