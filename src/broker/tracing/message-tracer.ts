import type { Exchange } from '../exchange/exchange.js';
import type { Message } from '../message.js';
import type { Queue } from '../queue/queue.js';

/** What can happen to a traced message, in the order it usually happens. */
export type TraceEventType =
  | 'publish'
  | 'route'
  | 'enqueue'
  | 'unroutable'
  | 'return'
  | 'dead-letter'
  | 'expire'
  | 'deliver'
  | 'get'
  | 'ack'
  | 'nack'
  | 'reject'
  | 'requeue';

/** One step of a message's path. Built only while a trace follows the message. */
export interface TraceEvent {
  /** epoch ms */
  readonly at: number;
  readonly type: TraceEventType;
  /** the exchange crossed (route), published to (publish), or dead-lettered to */
  readonly exchange?: string;
  readonly queue?: string;
  readonly consumerTag?: string;
  /** dead-letter reason (rejected, expired, maxlen, delivery_limit), or the return's reply text */
  readonly reason?: string;
}

/** Who did it: RabbitMQ's firehose headers `connection`, `channel` and `user`. */
export interface TraceOrigin {
  readonly connection: string;
  readonly channel: number;
  readonly user: string;
}

/** Receives the later events of one message it chose to follow at publish. */
export interface TraceFollower {
  event(e: TraceEvent): void;
}

/**
 * An observer of a vhost's message traffic: the firehose (amq.rabbitmq.trace) and each running
 * bounded trace. The broker calls these only while the vhost's tracing is active (VhostTracing).
 */
export interface MessageTracer {
  /** A publish, before routing. Returns a follower for the message's later events, or null. */
  publish(message: Message, exchange: Exchange, origin: TraceOrigin): TraceFollower | null;
  /** The publish was routed: the names of the queues it reached (none: unroutable). */
  routed(message: Message, exchange: Exchange, queues: readonly string[], origin: TraceOrigin): void;
  /** A delivery to a consumer (consumerTag) or a basic.get (consumerTag null) of any message. */
  delivered(message: Message, queue: Queue, redelivered: boolean, consumerTag: string | null, origin: TraceOrigin): void;
}

/**
 * Set on a Message (message.trace) when it is published while tracing is active: who follows it,
 * and, during its own publish, the queues it was routed to. Later events (enqueue, dead-letter,
 * expire, ack...) check `message.trace !== null` and nothing else; dead-lettered and
 * x-delivery-count copies carry the same tag.
 */
export class TraceTag {
  readonly followers: TraceFollower[] = [];
  /** queue names collected while the publish routes (null once it has been reported) */
  routedQueues: string[] | null = [];
}
