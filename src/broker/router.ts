import type { FieldTable } from '../amqp/field-types.js';
import type { Destination } from './binding.js';
import type { Exchange } from './exchange/exchange.js';
import type { Message } from './message.js';
import { Queue } from './queue/queue.js';
import { delayOf } from './delayed-messages.js';
import type { Persistence } from './persistence.js';
import type { Vhost } from './vhost.js';

/** Routing keys with this prefix on the default exchange go to a direct reply-to consumer. */
export const DIRECT_REPLY_PREFIX = 'amq.rabbitmq.reply-to.';

/** A direct reply-to consumer (the server layer's channel); gets replies without a queue. */
export interface DirectReplySink {
  deliverReply(message: Message): void;
}

/**
 * Routes a message from an exchange to the set of queues it reaches: follows exchange-to-exchange
 * bindings (each exchange visited once), falls back to alternate exchanges, and treats the default
 * exchange as an implicit binding of every queue by name. Sets are reused: routing is synchronous.
 */
export class Router {
  private readonly queues = new Set<Queue>();
  private readonly visited = new Set<Exchange>();
  private readonly scratch: Set<Destination>[] = [];
  /** a publish runs inside another (dead-lettering): it gets its own scratch sets */
  private busy = false;
  private nested: Router | null = null;
  /** queues that refused the last publish (x-overflow reject-publish) */
  rejected = 0;

  constructor(
    private readonly vhost: Vhost,
    readonly directReplies = new Map<string, DirectReplySink>(),
  ) {}

  /**
   * Route and enqueue. Returns the number of queues (or reply consumers) the message was routed
   * to, including those that refused it (x-overflow reject-publish); `rejected` counts those. `accept` filters target queues (dead-letter cycles).
   */
  publish(
    exchange: Exchange,
    message: Message,
    extraRoutingKeys: readonly string[] | undefined,
    accept?: (q: Queue) => boolean,
    /** a delayed message whose time has come: route it, do not hold it again */
    released = false,
  ): number {
    if (this.busy) {
      const nested = (this.nested ??= new Router(this.vhost, this.directReplies));
      const n = nested.publish(exchange, message, extraRoutingKeys, accept, released);
      this.rejected = nested.rejected;
      return n;
    }
    this.busy = true;
    try {
      return this.publishNow(exchange, message, extraRoutingKeys, accept, released);
    } finally {
      this.busy = false;
    }
  }

  private publishNow(
    exchange: Exchange,
    message: Message,
    extraRoutingKeys: readonly string[] | undefined,
    accept: ((q: Queue) => boolean) | undefined,
    released: boolean,
  ): number {
    const queues = this.queues;
    queues.clear();
    this.rejected = 0;
    if (exchange.name === '') {
      const direct = this.routeDefault(message.routingKey, message);
      if (direct) return 1;
      if (extraRoutingKeys !== undefined) for (const k of extraRoutingKeys) this.routeDefault(k, message);
    } else {
      if (exchange.delayed !== null && !released) {
        const delay = delayOf(message.headers);
        if (delay > 0) {
          // Held, not lost: counted as routed so a mandatory publish is not returned.
          exchange.delayed.hold(message, extraRoutingKeys, delay);
          return 1;
        }
      }
      this.visited.clear();
      this.route(exchange, message.routingKey, message.headers, 0);
      if (extraRoutingKeys !== undefined) {
        for (const k of extraRoutingKeys) {
          this.visited.clear();
          this.route(exchange, k, message.headers, 0);
        }
      }
    }
    const persistence = this.vhost.persistence;
    if (persistence !== null) this.store(message, persistence, accept);
    let n = 0;
    for (const q of queues) {
      if (accept !== undefined && !accept(q)) continue;
      if (q.enqueue(message)) n++;
      else this.rejected++;
    }
    queues.clear();
    return n + this.rejected;
  }

  /**
   * Write the body once, with a reference count of the stored queues that will take it; each
   * of those queues then writes its entry. Queues that will refuse it (reject-publish) don't count.
   */
  private store(message: Message, persistence: Persistence, accept: ((q: Queue) => boolean) | undefined): void {
    let refs = 0;
    for (const q of this.queues) {
      if (q.persists(message) && (accept === undefined || accept(q)) && !q.rejects(message)) refs++;
    }
    if (refs === 0) return;
    const messages = persistence.messages;
    message.storeId = messages.nextMessageId();
    messages.insertMessage(message.storeId, message.exchange, message.routingKey, message.properties, message.body, refs);
  }

  /** Default exchange: the queue named by the key. Returns true when it was a direct reply. */
  private routeDefault(routingKey: string, message: Message): boolean {
    const q = this.vhost.queues.get(routingKey);
    if (q !== undefined) {
      this.queues.add(q);
      return false;
    }
    if (routingKey.startsWith(DIRECT_REPLY_PREFIX)) {
      const sink = this.directReplies.get(routingKey.slice(DIRECT_REPLY_PREFIX.length));
      if (sink !== undefined) {
        sink.deliverReply(message);
        return true;
      }
    }
    return false;
  }

  private route(exchange: Exchange, routingKey: string, headers: FieldTable | undefined, depth: number): void {
    if (this.visited.has(exchange)) return;
    this.visited.add(exchange);
    const out = this.scratch[depth] ?? (this.scratch[depth] = new Set<Destination>());
    out.clear();
    exchange.table.route(routingKey, headers, out);
    const before = this.queues.size;
    let viaExchange = false;
    for (const d of out) {
      if (d instanceof Queue) this.queues.add(d);
      else viaExchange = true;
    }
    if (viaExchange) {
      // Copy: deeper levels reuse their own scratch sets.
      for (const d of [...out]) if (!(d instanceof Queue)) this.route(d, routingKey, headers, depth + 1);
    }
    out.clear();
    if (this.queues.size === before && exchange.alternateExchange !== undefined) {
      const ae = this.vhost.exchanges.get(exchange.alternateExchange);
      if (ae !== undefined) this.route(ae, routingKey, headers, depth + 1);
    }
  }
}
