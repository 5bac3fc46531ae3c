/**
 * /api/warren/traces/{vhost}[/{name}]: Warren's bounded message traces (no RabbitMQ equivalent;
 * the rabbitmq_tracing plugin writes firehose copies to files instead). PUT starts one
 * ({pattern, exchange?, duration, max_messages}; 201, or 204 when it restarts one of that name),
 * GET lists a vhost's traces or shows one with the path of each captured message, DELETE removes
 * it. Administrators only: a trace shows message properties.
 */
import { notFound } from '../../amqp/errors.js';
import type { TraceEvent } from '../../broker/tracing/message-tracer.js';
import type { BoundedTrace, TracedMessage } from '../../broker/tracing/bounded-trace.js';
import type { Vhost } from '../../broker/vhost.js';
import type { Json } from '../format.js';
import { basicPropertiesJson } from '../message-json.js';
import { param, type ApiContext, type ApiRequest, type Resource } from '../router.js';

interface TraceBody {
  pattern?: string;
  exchange?: string;
  duration: number;
  max_messages: number;
}

const TRACE_SCHEMA = {
  type: 'object',
  required: ['duration', 'max_messages'],
  properties: {
    pattern: { type: 'string' },
    exchange: { type: 'string' },
    duration: { type: 'number' },
    max_messages: { type: 'integer' },
  },
};

function vhostOf(req: ApiRequest, ctx: ApiContext): Vhost {
  const name = param(req, 'vhost');
  const v = ctx.broker.vhosts.get(name);
  if (v === undefined) throw notFound(`no vhost '${name}'`);
  return v;
}

function traceJson(t: BoundedTrace): Record<string, Json> {
  return {
    name: t.name,
    vhost: t.vhost,
    pattern: t.spec.pattern,
    exchange: t.spec.exchange ?? null,
    state: t.state,
    started: t.started,
    ends_at: t.endsAt,
    max_messages: t.spec.maxMessages,
    message_count: t.messages.length,
  };
}

function eventJson(e: TraceEvent): Record<string, Json> {
  const out: Record<string, Json> = { at: e.at, type: e.type };
  if (e.exchange !== undefined) out['exchange'] = e.exchange;
  if (e.queue !== undefined) out['queue'] = e.queue;
  if (e.consumerTag !== undefined) out['consumer_tag'] = e.consumerTag;
  if (e.reason !== undefined) out['reason'] = e.reason;
  return out;
}

function messageJson(v: Vhost, m: TracedMessage): Record<string, Json> {
  return {
    id: m.id,
    at: m.at,
    exchange: m.exchange,
    routing_key: m.routingKey,
    properties: basicPropertiesJson(v.codec.decode(m.properties)),
    payload_bytes: m.payloadBytes,
    events: m.events.map(eventJson),
    ...(m.dropped > 0 ? { events_dropped: m.dropped } : {}),
  };
}

function traceOf(req: ApiRequest, ctx: ApiContext): { v: Vhost; t: BoundedTrace | undefined } {
  const v = vhostOf(req, ctx);
  return { v, t: v.tracing.traces.get(param(req, 'name')) };
}

export const tracesResources: readonly Resource[] = [
  {
    path: '/api/warren/traces/:vhost',
    auth: 'admin',
    exists: (req, ctx) => ctx.broker.vhosts.has(param(req, 'vhost')),
    get: (req, ctx) => [...vhostOf(req, ctx).tracing.traces.values()].map(traceJson),
    list: { sort: ['name'], paginate: 'sorted' },
  },
  {
    path: '/api/warren/traces/:vhost/:name',
    auth: 'admin',
    exists: (req, ctx) => traceOf(req, ctx).t !== undefined,
    get: (req, ctx) => {
      const { v, t } = traceOf(req, ctx);
      const trace = t as BoundedTrace;
      return { ...traceJson(trace), messages: trace.messages.map((m) => messageJson(v, m)) };
    },
    put: {
      schema: TRACE_SCHEMA,
      handle: (req, ctx) => {
        const body = req.body as TraceBody;
        vhostOf(req, ctx).tracing.startTrace(param(req, 'name'), {
          pattern: body.pattern ?? '#',
          exchange: body.exchange,
          duration: body.duration,
          maxMessages: body.max_messages,
        });
      },
    },
    delete: (req, ctx) => {
      vhostOf(req, ctx).tracing.deleteTrace(param(req, 'name'));
    },
  },
];
