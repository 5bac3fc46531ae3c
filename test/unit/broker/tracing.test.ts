/**
 * Vhost tracing without sockets: nothing is tagged or allocated while tracing is off, a message
 * is tagged only when the firehose is on or a trace captures it, and a bounded trace keeps to
 * its caps and its clock.
 */
import { describe, expect, it } from 'vitest';
import { encodeProperties } from '../../../src/amqp/basic-properties.js';
import { PolicyRegistry } from '../../../src/broker/policy.js';
import { PublishContext, PublishOutcome } from '../../../src/broker/publish.js';
import { TRACE_LIMITS } from '../../../src/broker/tracing/bounded-trace.js';
import type { TraceTag } from '../../../src/broker/tracing/message-tracer.js';
import { DEFAULT_MEMORY_BUDGET, Vhost } from '../../../src/broker/vhost.js';
import { PROPERTIES_CODEC } from '../../../src/main.js';
import { ManualClock } from '../../helpers/manual-clock.js';

function vhost(): { v: Vhost; clock: ManualClock; publish: (key: string) => PublishOutcome } {
  const clock = new ManualClock();
  const v = new Vhost('/', PROPERTIES_CODEC, null, new PolicyRegistry(), DEFAULT_MEMORY_BUDGET, clock);
  v.declareQueue('q', false, { durable: false, autoDelete: false, exclusiveOwner: null, arguments: {} }, {});
  v.declareExchange('t', 'topic', false, { durable: false, autoDelete: false, internal: false, arguments: {} });
  v.bindQueue('q', 't', '#', {}, null);
  const ctx = new PublishContext();
  const props = encodeProperties({});
  const publish = (key: string): PublishOutcome => v.publish(ctx, 't', key, props, Buffer.from('x'), new PublishOutcome());
  return { v, clock, publish };
}

describe('vhost tracing', () => {
  it('is off by default: no message is tagged', () => {
    const { v, publish } = vhost();
    expect(v.tracing.active).toBe(false);
    expect(publish('a.b').message?.trace).toBeNull();
  });

  it('tags only what a running trace captures; the firehose tags every publish', () => {
    const { v, publish } = vhost();
    v.tracing.startTrace('t', { pattern: 'a.*', duration: 60, maxMessages: 10 });
    expect(v.tracing.active).toBe(true);
    expect(publish('b.c').message?.trace).toBeNull();
    expect(publish('a.c').message?.trace?.followers).toHaveLength(1);
    v.tracing.setFirehose(true);
    expect(publish('b.c').message?.trace?.followers).toHaveLength(0);
    v.tracing.setFirehose(false);
    v.tracing.deleteTrace('t');
    expect(v.tracing.active).toBe(false);
    expect(publish('a.c').message?.trace).toBeNull();
  });

  it('a trace finishes at max_messages, follows what it holds until its end time, then stops', () => {
    const { v, clock, publish } = vhost();
    v.tracing.startTrace('t', { pattern: '#', duration: 10, maxMessages: 2 });
    const first = publish('k').message;
    publish('k');
    const t = v.tracing.traces.get('t');
    expect(t?.state).toBe('finished');
    expect(publish('k').message?.trace).toBeNull();
    const queue = v.queues.get('q');
    const entry = queue?.get(false);
    expect(entry?.message).toBe(first);
    v.tracing.event(entry?.message.trace as TraceTag, 'ack', 'q');
    expect(t?.messages[0]?.events.map((e) => e.type)).toEqual(['publish', 'route', 'enqueue', 'ack']);
    clock.advance(10_000);
    expect(v.tracing.active).toBe(false);
    expect(t?.following).toBe(false);
    v.tracing.event(first?.trace as TraceTag, 'ack', 'q');
    expect(t?.messages[0]?.events).toHaveLength(4);
    expect(v.tracing.traces.has('t')).toBe(true); // kept until deleted
  });

  it('keeps at most TRACE_LIMITS.maxEventsPerMessage events per message and counts the rest', () => {
    const { v, publish } = vhost();
    v.tracing.startTrace('t', { pattern: '#', duration: 60, maxMessages: 1 });
    const tag = publish('k').message?.trace;
    for (let i = 0; i < 100; i++) if (tag) v.tracing.event(tag, 'requeue', 'q');
    const record = v.tracing.traces.get('t')?.messages[0];
    expect(record?.events).toHaveLength(TRACE_LIMITS.maxEventsPerMessage);
    expect(record?.dropped).toBe(3 + 100 - TRACE_LIMITS.maxEventsPerMessage);
  });
});
