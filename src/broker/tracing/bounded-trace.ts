import { preconditionFailed } from '../../amqp/errors.js';
import type { Clock } from '../../util/clock.js';
import type { Exchange } from '../exchange/exchange.js';
import { TopicRoutingTable } from '../exchange/topic.js';
import type { Message } from '../message.js';
import type { MessageTracer, TraceEvent, TraceFollower } from './message-tracer.js';

/** Caps that keep a trace's memory bounded: messages per trace, events per message, seconds. */
export const TRACE_LIMITS = { maxMessages: 10_000, maxEventsPerMessage: 64, maxDuration: 24 * 3600 } as const;

export interface TraceSpec {
  /** topic pattern on the routing key (`#`, `orders.*`) */
  readonly pattern: string;
  /** only publishes to this exchange ('' = the default exchange); undefined = any */
  readonly exchange?: string | undefined;
  /** seconds from now until the trace stops */
  readonly duration: number;
  /** it stops capturing once it holds this many messages */
  readonly maxMessages: number;
}

/** Check a trace's parameters (400 in the API). */
export function checkTraceSpec(spec: TraceSpec): void {
  const { duration, maxMessages } = spec;
  if (typeof spec.pattern !== 'string') throw preconditionFailed('pattern must be a string');
  if (!(typeof duration === 'number' && duration > 0 && duration <= TRACE_LIMITS.maxDuration)) {
    throw preconditionFailed(`duration must be a number of seconds in (0, ${TRACE_LIMITS.maxDuration}]`);
  }
  if (!(Number.isInteger(maxMessages) && maxMessages >= 1 && maxMessages <= TRACE_LIMITS.maxMessages)) {
    throw preconditionFailed(`max_messages must be an integer in [1, ${TRACE_LIMITS.maxMessages}]`);
  }
}

/** One captured message and the path it took (its publish first). */
export class TracedMessage implements TraceFollower {
  readonly events: TraceEvent[] = [];
  /** events beyond TRACE_LIMITS.maxEventsPerMessage, not kept */
  dropped = 0;

  constructor(
    private readonly trace: BoundedTrace,
    readonly id: number,
    readonly at: number,
    readonly exchange: string,
    readonly routingKey: string,
    /** raw basic properties, as published */
    readonly properties: Buffer,
    readonly payloadBytes: number,
  ) {}

  event(e: TraceEvent): void {
    if (!this.trace.following) return;
    if (this.events.length < TRACE_LIMITS.maxEventsPerMessage) this.events.push(e);
    else this.dropped++;
  }
}

/**
 * A bounded trace (/api/warren/traces): captures publishes whose routing key matches a topic
 * pattern (and exchange, if given), up to maxMessages, and records each one's path until its end
 * time. It is "finished" once it has maxMessages or its time is up; the messages it holds keep
 * recording their events (deliver, ack, dead-letter...) until the end time. Kept until deleted.
 */
export class BoundedTrace implements MessageTracer {
  readonly started: number;
  readonly endsAt: number;
  /** captures new messages */
  state: 'running' | 'finished' = 'running';
  /** records events of its messages (until endsAt, or deleted) */
  following = true;
  readonly messages: TracedMessage[] = [];
  private readonly matcher = new TopicRoutingTable<true>();
  private readonly matched = new Set<true>();
  private timer: unknown;

  constructor(
    readonly name: string,
    readonly vhost: string,
    readonly spec: TraceSpec,
    private readonly clock: Clock,
    /** told when the trace stops following (its time is up) */
    private readonly ended: () => void,
  ) {
    checkTraceSpec(spec);
    this.matcher.add(spec.pattern, {}, true);
    this.started = clock.now();
    this.endsAt = this.started + Math.round(spec.duration * 1000);
    this.timer = clock.setTimeout(() => this.timeUp(), this.endsAt - this.started);
  }

  publish(m: Message, x: Exchange): TraceFollower | null {
    if (this.state !== 'running') return null;
    if (this.spec.exchange !== undefined && x.name !== this.spec.exchange) return null;
    this.matched.clear();
    this.matcher.route(m.routingKey, undefined, this.matched);
    if (this.matched.size === 0) return null;
    const now = this.clock.now();
    const record = new TracedMessage(this, this.messages.length + 1, now, x.name, m.routingKey, m.properties, m.body.length);
    record.event({ at: now, type: 'publish', exchange: x.name });
    this.messages.push(record);
    if (this.messages.length >= this.spec.maxMessages) this.state = 'finished';
    return record;
  }

  routed(): void {}

  delivered(): void {}

  private timeUp(): void {
    // Woken early (long timers are capped): wait for the rest.
    const left = this.endsAt - this.clock.now();
    if (left > 0) {
      this.timer = this.clock.setTimeout(() => this.timeUp(), left);
      return;
    }
    this.timer = null;
    this.stop();
    this.ended();
  }

  /** No more capturing or recording; the messages stay readable. */
  stop(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.state = 'finished';
    this.following = false;
  }
}
