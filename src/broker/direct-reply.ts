import { randomBytes } from 'node:crypto';
import type { Message } from './message.js';

/** The pseudo-queue a client consumes from, and names as reply_to, for direct reply-to. */
export const DIRECT_REPLY_QUEUE = 'amq.rabbitmq.reply-to';
/** Routing keys with this prefix on the default exchange go to a direct reply-to consumer. */
export const DIRECT_REPLY_PREFIX = 'amq.rabbitmq.reply-to.';

/** A direct reply-to consumer (the server layer's channel); gets replies without a queue. */
export interface DirectReplySink {
  deliverReply(message: Message): void;
}

/**
 * A vhost's direct reply-to consumers by token. A consumer of amq.rabbitmq.reply-to registers a
 * fresh token; its requests carry reply_to = amq.rabbitmq.reply-to.<token>; replies published
 * to that routing key on the default exchange reach the sink without a queue.
 */
export class DirectReplies {
  private readonly sinks = new Map<string, DirectReplySink>();

  /** Register a consumer; returns its token. */
  register(sink: DirectReplySink): string {
    const token = randomBytes(18).toString('base64url');
    this.sinks.set(token, sink);
    return token;
  }

  unregister(token: string): void {
    this.sinks.delete(token);
  }

  /** The sink a default-exchange routing key names, if it is a live reply address. */
  sinkFor(routingKey: string): DirectReplySink | undefined {
    if (!routingKey.startsWith(DIRECT_REPLY_PREFIX)) return undefined;
    return this.sinks.get(routingKey.slice(DIRECT_REPLY_PREFIX.length));
  }
}
