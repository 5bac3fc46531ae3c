/**
 * RabbitMQ's JSON shapes (snake_case, as its management API and definitions files spell them)
 * for Warren's objects, and back. The only place besides the controllers where those names live.
 */
import { Decimal, FieldTyped, type FieldTable, type FieldValue } from '../amqp/field-types.js';
import type { VhostPermissions, TopicPermissions } from '../broker/auth/permissions.js';
import type { User } from '../broker/auth/users.js';
import type { Policy } from '../broker/policy.js';
import type { Vhost } from '../broker/vhost.js';

/**
 * The RabbitMQ version Warren reports (rabbitmq_version, management_version, rabbit_version in
 * definitions): the release whose HTTP API Warren follows and against which its tests are checked.
 * Tools parse it to decide which endpoints and fields exist; a 3.10 number keeps them off the
 * 3.11+/4.x-only ones. Warren's own version is product_version.
 */
export const RABBITMQ_VERSION = '3.10.8';

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** A comparator of JSON objects by string fields, in order (RabbitMQ sorts lists by vhost, then name or user). */
export function byFields(...keys: string[]): (a: Record<string, Json>, b: Record<string, Json>) => number {
  return (a, b) => {
    for (const k of keys) {
      const x = a[k];
      const y = b[k];
      const xs = typeof x === 'string' ? x : '';
      const ys = typeof y === 'string' ? y : '';
      if (xs !== ys) return xs < ys ? -1 : 1;
    }
    return 0;
  };
}

/** A user as GET /api/users shows it (RabbitMQ 3.10: tags as an array). */
export function userJson(u: User): Record<string, Json> {
  return {
    name: u.name,
    password_hash: u.passwordHash.toString('base64'),
    hashing_algorithm: u.hashingAlgorithm,
    tags: [...u.tags],
    limits: sortedKeys(u.limits),
  };
}

/** Limits with their keys in order, as RabbitMQ prints maps. */
export function sortedKeys(limits: Readonly<Record<string, number | undefined>>): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const k of Object.keys(limits).sort()) {
    const v = limits[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/** A vhost's own fields, as GET /api/vhosts shows them ("undefined" is RabbitMQ's text for no default queue type). */
export function vhostJson(v: Vhost, node: string): Record<string, Json> {
  const m = v.metadata;
  const metadata: Record<string, Json> = { description: m.description ?? '', tags: [...(m.tags ?? [])] };
  if (m.defaultQueueType !== undefined) metadata['default_queue_type'] = m.defaultQueueType;
  return {
    name: v.name,
    description: m.description ?? '',
    tags: [...(m.tags ?? [])],
    default_queue_type: m.defaultQueueType ?? 'undefined',
    metadata,
    tracing: v.tracing.firehoseOn,
    cluster_state: { [node]: 'running' },
  };
}

export const permissionJson = (user: string, vhost: string, p: VhostPermissions): Record<string, Json> => ({
  user,
  vhost,
  configure: p.configure,
  write: p.write,
  read: p.read,
});

export const topicPermissionJson = (user: string, vhost: string, t: TopicPermissions): Record<string, Json> => ({
  user,
  vhost,
  exchange: t.exchange,
  write: t.write,
  read: t.read,
});

/** A policy as /api/policies and definitions files show it. */
export const policyJson = (p: Policy): Record<string, Json> => ({
  vhost: p.vhost,
  name: p.name,
  pattern: p.pattern,
  'apply-to': p.applyTo,
  definition: p.definition as Record<string, Json>,
  priority: p.priority,
});

// Moved to the broker with the definitions import; re-exported for the controllers.
export { jsonToTable, parseTags } from '../broker/definitions/json-values.js';

/** A field table as JSON (RabbitMQ's amqp_table format): bytes as text, timestamps as seconds. */
export function tableToJson(t: FieldTable): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const [k, v] of Object.entries(t)) out[k] = fieldToJson(v);
  return out;
}

function fieldToJson(v: FieldValue): Json {
  if (v === null || typeof v === 'boolean' || typeof v === 'number' || typeof v === 'string') return v;
  if (typeof v === 'bigint') return Number(v);
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (v instanceof Date) return Math.floor(v.getTime() / 1000);
  if (v instanceof Decimal) return v.value / 10 ** v.scale;
  if (v instanceof FieldTyped) {
    const inner = v.value;
    if (Buffer.isBuffer(inner)) return inner.toString('utf8');
    return typeof inner === 'bigint' ? Number(inner) : inner;
  }
  if (Array.isArray(v)) return v.map(fieldToJson);
  return tableToJson(v);
}
