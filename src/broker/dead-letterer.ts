import { fieldString, type FieldTable, type FieldValue } from '../amqp/field-types.js';
import { Message } from './message.js';
import { addDeath, isDeadLetterCycle, type DeathReason } from './queue/dead-letter.js';
import type { PropertiesCodec } from './properties-codec.js';
import type { MemoryBudget, Queue, QueueHooks } from './queue/queue.js';
import type { DelayStore } from './delayed-messages.js';
import type { QueueStore } from './queue/queue-store.js';
import { PublishOutcome } from './publish-outcome.js';
import type { Vhost } from './vhost.js';
import type { TraceEventType } from './tracing/message-tracer.js';

/**
 * The vhost side of a queue's life: dead-lettering (RabbitMQ's x-death format, cycle rule),
 * removal (auto-delete, x-expires) and the x-delivery-count copy of a redelivered message.
 */
export class DeadLetterer implements QueueHooks {
  constructor(
    private readonly vhost: Vhost,
    private readonly codec: PropertiesCodec,
    readonly memoryBudget: MemoryBudget,
  ) {}

  deadLetter(queue: Queue, message: Message, reason: DeathReason): void {
    const dlxName = queue.settings.deadLetterExchange;
    if (dlxName === undefined) return;
    const tag = message.trace;
    if (tag !== null) this.vhost.tracing.event(tag, 'dead-letter', queue.name, dlxName, reason);
    const dlx = this.vhost.exchanges.get(dlxName);
    if (dlx === undefined) return; // RabbitMQ drops it when the DLX does not exist
    const props = this.codec.decode(message.properties);
    if (props.headers !== undefined && props.headers['x-delivery-count'] !== undefined) {
      // The delivery count belongs to the queue it leaves.
      const { 'x-delivery-count': _count, ...rest } = props.headers;
      props.headers = rest;
    }
    const cc = routingKeyList(props.headers?.['CC']);
    const headers = addDeath(props.headers, {
      queue: queue.name,
      reason,
      exchange: message.exchange,
      routingKeys: [message.routingKey, ...cc],
      originalExpiration: props.expiration,
      time: Math.floor(Date.now() / 1000),
    });
    delete props.expiration;
    props.headers = headers;
    const dlrk = queue.settings.deadLetterRoutingKey;
    const routingKey = dlrk ?? message.routingKey;
    const dead = new Message(
      dlxName,
      routingKey,
      this.codec.encode(props),
      message.body,
      headers,
      message.persistent,
      message.priority,
      undefined,
    );
    dead.trace = tag; // its path goes on in the same traces
    // Without a dead-letter routing key the message keeps its CC routing keys.
    if (dlrk === undefined && cc.length > 0) dead.ccRoutingKeys = cc;
    // Its own outcome: dead-lettering happens inside another publish, whose outcome it must not touch.
    this.vhost.router.route(dlx, dead, new PublishOutcome(), (q) => !isDeadLetterCycle(headers, q.name));
  }

  delayStore(queue: Queue): DelayStore | null {
    return this.vhost.persistence?.queueDelayStore(queue) ?? null;
  }

  pagingStore(queue: Queue): QueueStore | null {
    return this.vhost.persistence?.pagingStore(queue) ?? null;
  }

  traced(queue: Queue, message: Message, type: TraceEventType): void {
    if (message.trace !== null) this.vhost.tracing.event(message.trace, type, queue.name);
  }

  remove(queue: Queue): void {
    this.vhost.removeQueue(queue);
  }

  withDeliveryCount(message: Message, n: number): Message {
    const props = this.codec.decode(message.properties);
    const headers: FieldTable = { ...(props.headers ?? {}), 'x-delivery-count': BigInt(n) };
    props.headers = headers;
    const copy = new Message(
      message.exchange,
      message.routingKey,
      this.codec.encode(props),
      message.body,
      headers,
      message.persistent,
      message.priority,
      message.expiration,
    );
    copy.trace = message.trace;
    // Same message in the store: the entry's reference moves to the copy.
    this.vhost.persistence?.stored.transfer(message, copy);
    return copy;
  }
}

function routingKeyList(v: FieldValue | undefined): string[] {
  if (v === undefined) return [];
  const out: string[] = [];
  for (const item of Array.isArray(v) ? v : [v]) {
    const s = fieldString(item);
    if (s !== undefined) out.push(s);
  }
  return out;
}
