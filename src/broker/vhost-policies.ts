import { fieldString } from '../amqp/field-types.js';
import type { Exchange } from './exchange/exchange.js';
import { effectiveQueueSettings, type PolicyRegistry } from './policy.js';
import type { QueueArguments } from './queue-arguments.js';
import type { QueueSettings } from './queue/settings.js';

/** A queue's effective settings: its arguments with the matching policy and operator policy. */
export function queueSettings(policies: PolicyRegistry, vhost: string, name: string, parsed: QueueArguments): QueueSettings {
  const { policy, operatorPolicy } = policies.match(vhost, name, 'queue', parsed.queueType);
  return { ...effectiveQueueSettings(parsed, policy, operatorPolicy), queueType: parsed.queueType };
}

/** An exchange's alternate-exchange: its argument wins over a policy's (RabbitMQ's precedence). */
export function applyExchangePolicy(policies: PolicyRegistry, x: Exchange): void {
  if (x.name === '') return;
  const fromArgs = fieldString(x.arguments['alternate-exchange']);
  const { policy } = policies.match(x.vhost, x.name, 'exchange', 'classic');
  const fromPolicy = policy?.definition['alternate-exchange'];
  x.alternateExchange = fromArgs ?? (typeof fromPolicy === 'string' ? fromPolicy : undefined);
}
