import type { FieldTable } from '../amqp/field-types.js';
import type { Destination } from './binding.js';
import type { DirectReplies } from './direct-reply.js';
import type { Exchange } from './exchange/exchange.js';
import type { Message } from './message.js';
import type { PublishOutcome } from './publish-outcome.js';
import type { Queue } from './queue/queue.js';
import { delayOf } from './delayed-messages.js';
import type { TraceTag } from './tracing/message-tracer.js';
import type { VhostTracing } from './tracing/vhost-tracing.js';

/** The exchanges and queues of a vhost by name, as routing needs them. */
export interface RoutingScope {
  readonly exchanges: ReadonlyMap<string, Exchange>;
  readonly queues: ReadonlyMap<string, Queue>;
  readonly directReplies: DirectReplies;
  readonly tracing: VhostTracing;
}

/**
 * Routes a message from an exchange to the queues it reaches and enqueues it there: follows
 * exchange-to-exchange bindings (each exchange visited once), falls back to alternate exchanges,
 * treats the default exchange as an implicit binding of every queue by name, holds messages of
 * delayed-message exchanges. What happened goes into the caller's PublishOutcome, never into a
 * field here, so a publish nested inside another (dead-lettering) cannot overwrite it.
 * Scratch sets are reused; a nested publish gets its own router.
 */
export class Router {
  private readonly queues = new Set<Queue>();
  private readonly visited = new Set<Exchange>();
  private readonly scratch: Set<Destination>[] = [];
  private busy = false;
  private nested: Router | null = null;
  /** the trace tag of the message being routed (null: not traced, the usual case) */
  private tag: TraceTag | null = null;

  constructor(private readonly scope: RoutingScope) {}

  /**
   * Route and enqueue, by the routing key and the message's CC/BCC keys; fills `out` (reset first)
   * and returns it. `accept` filters target queues (dead-letter cycles); `released`: a delayed
   * message whose time has come, not held again.
   */
  route(exchange: Exchange, message: Message, out: PublishOutcome, accept?: (q: Queue) => boolean, released = false): PublishOutcome {
    if (this.busy) return (this.nested ??= new Router(this.scope)).route(exchange, message, out, accept, released);
    out.reset();
    out.message = message;
    this.busy = true;
    this.tag = message.trace;
    try {
      this.routeNow(exchange, message, out, accept, released);
    } finally {
      this.busy = false;
      this.tag = null;
      this.queues.clear();
    }
    return out;
  }

  private routeNow(
    exchange: Exchange,
    message: Message,
    out: PublishOutcome,
    accept: ((q: Queue) => boolean) | undefined,
    released: boolean,
  ): void {
    const queues = this.queues;
    const extraRoutingKeys = message.ccRoutingKeys;
    queues.clear();
    if (exchange.name === '') {
      if (this.tag !== null) this.scope.tracing.route(this.tag, exchange);
      if (this.routeDefault(message.routingKey, message)) {
        out.routed = 1;
        return;
      }
      if (extraRoutingKeys !== undefined) for (const k of extraRoutingKeys) this.routeDefault(k, message);
    } else {
      if (exchange.delayed !== null && !released) {
        const delay = delayOf(message.headers);
        if (delay > 0) {
          // Held, not lost: counted as routed so a mandatory publish is not returned.
          exchange.delayed.hold(message, delay);
          out.routed = 1;
          out.stored = message.storeRefs > 0;
          return;
        }
      }
      this.visited.clear();
      this.walk(exchange, message.routingKey, message.headers, 0);
      if (extraRoutingKeys !== undefined) {
        for (const k of extraRoutingKeys) {
          this.visited.clear();
          this.walk(exchange, k, message.headers, 0);
        }
      }
    }
    const refsBefore = message.storeRefs;
    const tag = this.tag;
    for (const q of queues) {
      if (accept !== undefined && !accept(q)) continue;
      out.routed++;
      const accepted = q.enqueue(message);
      if (!accepted) out.rejected++;
      if (tag !== null) this.scope.tracing.enqueue(tag, q, accepted);
      if (q.congested) out.congested ??= q;
    }
    // Stored by this publish (a queue wrote an entry that is still there): a confirm waits for the commit.
    out.stored = message.storeRefs > refsBefore;
  }

  /** Default exchange: the queue named by the key. Returns true when it was a direct reply. */
  private routeDefault(routingKey: string, message: Message): boolean {
    const q = this.scope.queues.get(routingKey);
    if (q !== undefined) {
      this.queues.add(q);
      return false;
    }
    const sink = this.scope.directReplies.sinkFor(routingKey);
    if (sink === undefined) return false;
    sink.deliverReply(message);
    return true;
  }

  private walk(exchange: Exchange, routingKey: string, headers: FieldTable | undefined, depth: number): void {
    if (this.visited.has(exchange)) return;
    this.visited.add(exchange);
    if (this.tag !== null) this.scope.tracing.route(this.tag, exchange);
    const out = this.scratch[depth] ?? (this.scratch[depth] = new Set<Destination>());
    out.clear();
    exchange.table.route(routingKey, headers, out);
    const before = this.queues.size;
    let viaExchange = false;
    for (const d of out) {
      if (d.kind === 'queue') this.queues.add(d);
      else viaExchange = true;
    }
    if (viaExchange) {
      // Copy: deeper levels reuse their own scratch sets.
      for (const d of [...out]) if (d.kind === 'exchange') this.walk(d, routingKey, headers, depth + 1);
    }
    out.clear();
    if (this.queues.size === before && exchange.alternateExchange !== undefined) {
      const ae = this.scope.exchanges.get(exchange.alternateExchange);
      if (ae !== undefined) this.walk(ae, routingKey, headers, depth + 1);
    }
  }
}
