import { hostname } from 'node:os';
import { preconditionFailed } from '../../amqp/errors.js';
import type { Exchange } from '../exchange/exchange.js';
import type { Message } from '../message.js';
import type { PropertiesCodec } from '../properties-codec.js';
import type { PublishOutcome } from '../publish-outcome.js';
import type { Queue } from '../queue/queue.js';
import type { Router } from '../router.js';
import type { Clock } from '../../util/clock.js';
import { BoundedTrace, type TraceSpec } from './bounded-trace.js';
import { Firehose, TRACE_EXCHANGE } from './firehose.js';
import { TraceTag, type MessageTracer, type TraceEventType, type TraceOrigin } from './message-tracer.js';

export { TRACE_EXCHANGE };

/** Bounded traces a vhost keeps, running and finished together; a new one beyond this is refused. */
export const MAX_TRACES_PER_VHOST = 16;

/** What tracing needs of its vhost. */
export interface TracingScope {
  readonly name: string;
  readonly exchanges: ReadonlyMap<string, Exchange>;
  readonly router: Router;
  readonly codec: PropertiesCodec;
}

/** The node name the firehose puts in its `node` header, as the management API names the node. */
const NODE_NAME = `warren@${hostname().split('.')[0] ?? 'localhost'}`;

/**
 * A vhost's message tracing: the firehose (RabbitMQ's amq.rabbitmq.trace copies) and bounded
 * traces (/api/warren/traces), both MessageTracers observing the same broker events.
 *
 * Cost when nothing traces: the publish path (Publishing) and the delivery path (the server's
 * Deliveries) read `active` once per message; routing, queues and settlement read
 * `message.trace`, which stays null. Nothing is allocated.
 */
export class VhostTracing {
  /** the firehose is on, or a bounded trace follows messages: the one check per publish and delivery */
  active = false;
  private firehose: Firehose | null = null;
  private observers: MessageTracer[] = [];
  readonly traces = new Map<string, BoundedTrace>();

  constructor(
    private readonly scope: TracingScope,
    private readonly clock: Clock,
  ) {}

  get firehoseOn(): boolean {
    return this.firehose !== null;
  }

  /** Turn the firehose on or off (RabbitMQ's rabbit_trace:start/stop; not kept across restarts, as there). */
  setFirehose(on: boolean): void {
    if (on === (this.firehose !== null)) return;
    this.firehose = on ? new Firehose(this.scope, NODE_NAME) : null;
    this.refresh();
  }

  /** Start (or restart) a bounded trace. Returns true when it replaced one of the same name. */
  startTrace(name: string, spec: TraceSpec): boolean {
    const old = this.traces.get(name);
    if (old === undefined && this.traces.size >= MAX_TRACES_PER_VHOST) {
      throw preconditionFailed(`vhost '${this.scope.name}' already has ${MAX_TRACES_PER_VHOST} traces; delete one first`);
    }
    old?.stop();
    const trace = new BoundedTrace(name, this.scope.name, spec, this.clock, () => this.refresh());
    this.traces.set(name, trace);
    this.refresh();
    return old !== undefined;
  }

  deleteTrace(name: string): boolean {
    const t = this.traces.get(name);
    if (t === undefined) return false;
    t.stop();
    // Messages still queued keep their own record (their tag) until they go; the rest is freed now.
    t.messages.length = 0;
    this.traces.delete(name);
    this.refresh();
    return true;
  }

  /** Vhost deleted or broker stopping: every timer stops. */
  stop(): void {
    for (const t of this.traces.values()) t.stop();
    this.firehose = null;
    this.refresh();
  }

  private refresh(): void {
    const list: MessageTracer[] = [];
    if (this.firehose !== null) list.push(this.firehose);
    for (const t of this.traces.values()) if (t.following) list.push(t);
    this.observers = list;
    this.active = list.length > 0;
  }

  // ---- broker events (called only when `active`, or for a message whose trace tag is set) ----

  /** A publish about to be routed: tag the message if the firehose or a trace wants it. */
  publish(m: Message, x: Exchange, origin: TraceOrigin): void {
    let tag: TraceTag | null = this.firehose === null ? null : new TraceTag();
    for (const o of this.observers) {
      const f = o.publish(m, x, origin);
      if (f !== null) (tag ??= new TraceTag()).followers.push(f);
    }
    m.trace = tag;
  }

  /** The publish was routed (PublishOutcome filled): firehose copy, unroutable event. */
  routed(m: Message, x: Exchange, out: PublishOutcome, origin: TraceOrigin): void {
    const tag = m.trace;
    if (tag === null) return;
    const queues = tag.routedQueues ?? [];
    tag.routedQueues = null;
    for (const o of this.observers) o.routed(m, x, queues, origin);
    if (out.routed === 0) this.event(tag, 'unroutable', undefined, x.name);
  }

  /** A traced message crosses an exchange (routing, exchange-to-exchange, alternate). */
  route(tag: TraceTag, x: Exchange): void {
    this.event(tag, 'route', undefined, x.name);
  }

  /** A traced message lands in a queue (accepted false: refused by reject-publish overflow). */
  enqueue(tag: TraceTag, q: Queue, accepted: boolean): void {
    if (tag.routedQueues !== null) tag.routedQueues.push(q.name);
    this.event(tag, 'enqueue', q.name, undefined, accepted ? undefined : 'overflow');
  }

  /** A delivery (consumerTag) or basic.get (null). */
  delivered(m: Message, q: Queue, redelivered: boolean, consumerTag: string | null, origin: TraceOrigin): void {
    for (const o of this.observers) o.delivered(m, q, redelivered, consumerTag, origin);
    const tag = m.trace;
    if (tag !== null) this.event(tag, consumerTag === null ? 'get' : 'deliver', q.name, undefined, undefined, consumerTag ?? undefined);
  }

  /** Any other event of a traced message, told to the traces that follow it. */
  event(tag: TraceTag, type: TraceEventType, queue?: string, exchange?: string, reason?: string, consumerTag?: string): void {
    const followers = tag.followers;
    if (followers.length === 0) return;
    const e = {
      at: this.clock.now(),
      type,
      ...(exchange === undefined ? {} : { exchange }),
      ...(queue === undefined ? {} : { queue }),
      ...(consumerTag === undefined ? {} : { consumerTag }),
      ...(reason === undefined ? {} : { reason }),
    };
    for (const f of followers) f.event(e);
  }
}
