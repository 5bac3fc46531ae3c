import { fieldNumber, fieldString, type FieldTable } from '../../amqp/field-types.js';

/** The effective settings of a queue (x-arguments merged with policies), as the queue uses them. */
export interface QueueSettings {
  messageTtl: number | undefined;
  expires: number | undefined;
  maxLength: number | undefined;
  maxLengthBytes: number | undefined;
  overflow: 'drop-head' | 'reject-publish' | 'reject-publish-dlx';
  deadLetterExchange: string | undefined;
  deadLetterRoutingKey: string | undefined;
  maxPriority: number | undefined;
  singleActiveConsumer: boolean;
  deliveryLimit: number | undefined;
  consumerTimeout: number | undefined;
  queueType: 'classic' | 'quorum';
}

export const DEFAULT_QUEUE_SETTINGS: QueueSettings = {
  messageTtl: undefined,
  expires: undefined,
  maxLength: undefined,
  maxLengthBytes: undefined,
  overflow: 'drop-head',
  deadLetterExchange: undefined,
  deadLetterRoutingKey: undefined,
  maxPriority: undefined,
  singleActiveConsumer: false,
  deliveryLimit: undefined,
  consumerTimeout: undefined,
  queueType: 'classic',
};

/** Settings from already-validated x-arguments (no policy). */
export function settingsFromArguments(args: FieldTable): QueueSettings {
  const overflow = fieldString(args['x-overflow']);
  const type = fieldString(args['x-queue-type']);
  return {
    messageTtl: fieldNumber(args['x-message-ttl']),
    expires: fieldNumber(args['x-expires']),
    maxLength: fieldNumber(args['x-max-length']),
    maxLengthBytes: fieldNumber(args['x-max-length-bytes']),
    overflow: overflow === 'reject-publish' || overflow === 'reject-publish-dlx' ? overflow : 'drop-head',
    deadLetterExchange: fieldString(args['x-dead-letter-exchange']),
    deadLetterRoutingKey: fieldString(args['x-dead-letter-routing-key']),
    maxPriority: fieldNumber(args['x-max-priority']),
    singleActiveConsumer: args['x-single-active-consumer'] === true,
    deliveryLimit: fieldNumber(args['x-delivery-limit']),
    consumerTimeout: fieldNumber(args['x-consumer-timeout']),
    queueType: type === 'quorum' ? 'quorum' : 'classic',
  };
}
