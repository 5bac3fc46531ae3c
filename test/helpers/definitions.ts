/**
 * Definitions round trips between RabbitMQ and Warren: the objects to create (through RabbitMQ's
 * own HTTP endpoints), how to cut an export down to them, and what must survive an
 * export -> import -> export trip, with what does not and why.
 *
 * test/fixtures/definitions-rabbitmq-3.10.8.json was made this way from RabbitMQ 3.10.8 (vhost
 * warren-fixture-vh; users warren-fixture-user / fixture-pw (sha256), warren-fixture-md5 /
 * md5-pw, warren-fixture-sha512 / sha512-pw), then deleted from it; its global parameter's
 * cluster id was replaced by a placeholder.
 */
import { createHash, randomBytes } from 'node:crypto';
import { seg } from './management.js';

export type Definitions = Record<string, unknown>;
type Entry = Record<string, unknown>;

/** A RabbitMQ password hash (base64 of a 4-byte salt + digest(salt + password)). */
export function passwordHash(algorithm: 'md5' | 'sha256' | 'sha512', password: string): string {
  const salt = randomBytes(4);
  return Buffer.concat([salt, createHash(algorithm).update(salt).update(password).digest()]).toString('base64');
}

export interface SampleNames {
  vhost: string;
  /** password "fixture-pw", sha256 */
  user: string;
  /** password "md5-pw", an imported MD5 hash */
  md5User: string;
  /** password "sha512-pw", an imported SHA-512 hash */
  sha512User: string;
}

/**
 * HTTP calls that build the sample on RabbitMQ: users with limits and imported hashes, a vhost
 * with a default queue type, permissions, topic permissions, exchanges of each type with an
 * alternate exchange and an internal one, classic and quorum queues with arguments, queue and
 * exchange bindings with arguments, policies, an operator policy and vhost limits.
 */
export function sampleCalls(n: SampleNames): [method: string, path: string, body: unknown][] {
  const v = seg(n.vhost);
  return [
    ['PUT', `/api/vhosts/${v}`, { description: 'fixture vhost', tags: 'fixture,warren', defaultqueuetype: 'quorum' }],
    ['PUT', `/api/users/${seg(n.user)}`, { password: 'fixture-pw', tags: 'management,monitoring', limits: { 'max-connections': 10, 'max-channels': 20 } }],
    ['PUT', `/api/users/${seg(n.md5User)}`, { password_hash: passwordHash('md5', 'md5-pw'), hashing_algorithm: 'rabbit_password_hashing_md5', tags: '' }],
    ['PUT', `/api/users/${seg(n.sha512User)}`, { password_hash: passwordHash('sha512', 'sha512-pw'), hashing_algorithm: 'rabbit_password_hashing_sha512', tags: 'policymaker' }],
    ['PUT', `/api/permissions/${v}/${seg(n.user)}`, { configure: '^fx-', write: '.*', read: '.*' }],
    ['PUT', `/api/permissions/${v}/${seg(n.md5User)}`, { configure: '', write: '^amq\\.topic$', read: '' }],
    ['PUT', `/api/topic-permissions/${v}/${seg(n.user)}`, { exchange: 'amq.topic', write: '^fx\\.', read: '.*' }],
    ['PUT', `/api/topic-permissions/${v}/${seg(n.user)}`, { exchange: 'fx-topic', write: '^{username}\\.', read: '' }],
    ['PUT', `/api/exchanges/${v}/fx-ae`, { type: 'fanout', durable: true }],
    ['PUT', `/api/exchanges/${v}/fx-topic`, { type: 'topic', durable: true, arguments: { 'alternate-exchange': 'fx-ae' } }],
    ['PUT', `/api/exchanges/${v}/fx-headers`, { type: 'headers', durable: true, internal: true }],
    ['PUT', `/api/exchanges/${v}/fx-transient`, { type: 'direct', durable: false, auto_delete: true }],
    [
      'PUT',
      `/api/queues/${v}/fx-classic`,
      {
        durable: true,
        arguments: {
          'x-max-length': 10,
          'x-message-ttl': 60000,
          'x-dead-letter-exchange': 'fx-ae',
          'x-dead-letter-routing-key': 'dead',
          'x-queue-mode': 'lazy',
          'x-max-priority': 5,
          'x-queue-type': 'classic',
        },
      },
    ],
    ['PUT', `/api/queues/${v}/fx-quorum`, { durable: true, arguments: { 'x-queue-type': 'quorum', 'x-delivery-limit': 3 } }],
    ['PUT', `/api/queues/${v}/fx-dead`, { durable: true, arguments: { 'x-queue-type': 'classic' } }],
    ['PUT', `/api/queues/${v}/fx-transient`, { durable: false, auto_delete: true, arguments: { 'x-queue-type': 'classic' } }],
    ['POST', `/api/bindings/${v}/e/fx-topic/q/fx-classic`, { routing_key: 'fx.#' }],
    ['POST', `/api/bindings/${v}/e/fx-headers/q/fx-quorum`, { routing_key: '', arguments: { 'x-match': 'any', kind: 'a', level: 2 } }],
    ['POST', `/api/bindings/${v}/e/fx-topic/e/fx-headers`, { routing_key: 'h.*' }],
    ['POST', `/api/bindings/${v}/e/fx-ae/q/fx-dead`, { routing_key: '' }],
    ['PUT', `/api/policies/${v}/fx-policy`, { pattern: '^fx-classic$', definition: { 'max-length': 100, overflow: 'reject-publish' }, priority: 3, 'apply-to': 'queues' }],
    ['PUT', `/api/policies/${v}/fx-ex-policy`, { pattern: '^fx-topic', definition: { 'alternate-exchange': 'fx-ae' }, priority: 0, 'apply-to': 'exchanges' }],
    ['PUT', `/api/operator-policies/${v}/fx-op`, { pattern: '^fx-', definition: { 'message-ttl': 3600000 }, priority: 1, 'apply-to': 'queues' }],
    ['PUT', `/api/vhost-limits/${v}/max-queues`, { value: 50 }],
    ['PUT', `/api/vhost-limits/${v}/max-connections`, { value: 40 }],
  ];
}

/** The entries of one category of an export (none when absent). */
export const list = (defs: Definitions, key: string): Entry[] => (Array.isArray(defs[key]) ? (defs[key] as Entry[]) : []);

/** An export cut down to one vhost's objects and some users (the node is shared). */
export function only(defs: Definitions, vhost: string, users: readonly string[]): Definitions {
  const out: Definitions = {};
  for (const [key, value] of Object.entries(defs)) {
    if (!Array.isArray(value)) out[key] = value;
    else if (key === 'users') out[key] = list(defs, key).filter((u) => users.includes(u['name'] as string));
    else if (key === 'vhosts') out[key] = list(defs, key).filter((v) => v['name'] === vhost);
    else if (key === 'global_parameters') out[key] = value;
    else out[key] = list(defs, key).filter((e) => e['vhost'] === vhost);
  }
  return out;
}

/** The categories that must come back identical, each sorted, with the fields RabbitMQ 3.10 exports. */
export const SURVIVING: Record<string, readonly string[]> = {
  users: ['name', 'password_hash', 'hashing_algorithm', 'tags', 'limits'],
  vhosts: ['name'],
  permissions: ['user', 'vhost', 'configure', 'write', 'read'],
  topic_permissions: ['user', 'vhost', 'exchange', 'write', 'read'],
  parameters: ['vhost', 'component', 'name', 'value'],
  policies: ['vhost', 'name', 'pattern', 'apply-to', 'definition', 'priority'],
  queues: ['name', 'vhost', 'durable', 'auto_delete', 'arguments'],
  exchanges: ['name', 'vhost', 'type', 'durable', 'auto_delete', 'internal', 'arguments'],
  bindings: ['source', 'vhost', 'destination', 'destination_type', 'routing_key', 'arguments'],
};

/**
 * What does not survive a RabbitMQ 3.10 -> Warren -> export trip, and why (asserted by the tests).
 */
export const NOT_SURVIVING = {
  global_parameters: "internal_cluster_id is the exporting RabbitMQ cluster's identity, which Warren does not take over (other global parameters are kept)",
  product_name: 'the exporting product: RabbitMQ there, Warren here',
  product_version: "the exporting product's version",
};

/** Sorted JSON of each surviving category, restricted to its fields (key order normalised). */
export function surviving(defs: Definitions): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [key, fields] of Object.entries(SURVIVING)) {
    out[key] = list(defs, key)
      .map((e) => JSON.stringify(fields.map((f) => [f, normalise(e[f])])))
      .sort();
  }
  return out;
}

/** Objects with sorted keys, so two JSON texts compare by content. */
export function normalise(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(normalise);
  if (typeof v === 'object' && v !== null) {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, normalise((v as Entry)[k])]),
    );
  }
  return v;
}
