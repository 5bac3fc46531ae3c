import { GLOBAL_COMPONENT } from './global-parameters.js';
import type { FieldTable } from '../amqp/field-types.js';
import type { Definitions } from '../store/storage.js';
import { Binding } from './binding.js';
import type { Broker } from './broker.js';
import { storedQueueArguments } from './declare-rules.js';
import { DELAY_STORE_PREFIX, PAGING_STORE_PREFIX, QUEUE_DELAY_STORE_PREFIX } from './delayed-messages.js';
import type { Persistence } from './persistence.js';
import type { Message } from './message.js';
import type { Policy } from './policy.js';
import type { UserLimits, VhostLimits } from './auth/limits.js';
import { DEFAULT_HASHING_ALGORITHM, isHashingAlgorithm } from './auth/password-hash.js';
import { User } from './auth/users.js';
import type { VhostMetadata } from './vhost.js';

/**
 * Rebuild the broker from its store at start. Recovery rules, as RabbitMQ's:
 * - durable exchanges, durable queues and bindings between durable ends come back; nothing else;
 * - a queue's stored messages come back in seq order (per-queue order is kept); the first page
 *   is read now, the rest as the queue drains (QueueStore);
 * - transient messages found in the store were only paged out: the store drops them at open;
 * - a message delivered before the stop (acked or not) and not acked comes back redelivered;
 * - the first start of an empty store creates vhost '/' and user guest.
 */
export function recoverBroker(broker: Broker): void {
  const persistence = broker.persistence;
  if (persistence === null) return;
  const defs = persistence.definitions.loadDefinitions();
  const codec = broker.codec;
  const table = (raw: Buffer): FieldTable => (raw.length === 0 ? {} : codec.decodeTable(raw));

  restoreAccess(broker, defs);

  for (const p of defs.parameters) if (p.component === GLOBAL_COMPONENT && p.vhost === '') broker.globalParameters.restore(p.name, p.value);
  for (const p of defs.policies) {
    try {
      broker.policies.set({ ...p, applyTo: p.applyTo as Policy['applyTo'], definition: { ...p.definition } });
    } catch {
      // A policy this version no longer accepts is left out, not fatal.
    }
  }
  for (const x of defs.exchanges) {
    broker.addVhost(x.vhost).restoreExchange(x.name, x.type, {
      durable: x.durable,
      autoDelete: x.autoDelete,
      internal: x.internal,
      arguments: table(x.arguments),
    });
  }
  for (const r of defs.queues) {
    // Recovery rule: what a queue that is not stored paged out is gone with it.
    if (r.name.startsWith(PAGING_STORE_PREFIX)) {
      persistence.definitions.deleteQueue(r.vhost, r.name);
      continue;
    }
    // Hidden store queues of held delayed messages: restored with their exchange or queue, below.
    if (r.name.startsWith(DELAY_STORE_PREFIX) || r.name.startsWith(QUEUE_DELAY_STORE_PREFIX)) continue;
    const vhost = broker.addVhost(r.vhost);
    const args = table(r.arguments);
    const parsed = storedQueueArguments(args, r.name, r.vhost, r.durable, r.autoDelete);
    const q = vhost.createQueue(r.name, { durable: r.durable, exclusiveOwner: null, autoDelete: r.autoDelete, arguments: args }, parsed);
    const stats = persistence.messages.queueStats(r.id);
    const store = persistence.queueStore(r.id);
    // After a crash a delivery may have gone out before its redelivered mark was committed.
    store.restoreTail(0, stats.count, stats.bytes, persistence.uncleanShutdown ? stats.maxSeq : 0);
    q.attachStore(store);
    q.recovered(stats.maxSeq);
  }
  restoreDelayed(broker);
  // Recovery rule: a queue under the delayed-message policy gets back the persistent messages it
  // held, due at the same time, whether or not the policy still applies.
  for (const r of defs.queues) {
    if (!r.name.startsWith(QUEUE_DELAY_STORE_PREFIX)) continue;
    const q = broker.vhost(r.vhost)?.queues.get(r.name.slice(QUEUE_DELAY_STORE_PREFIX.length));
    if (q === undefined) persistence.definitions.deleteQueue(r.vhost, r.name);
    else forEachHeld(persistence, r.id, (m, dueAt, id) => q.restoreDelayed(m, dueAt, id));
  }
  for (const b of defs.bindings) {
    const vhost = broker.vhost(b.vhost);
    const source = vhost?.exchanges.get(b.source);
    const destination = b.destinationKind === 'queue' ? vhost?.queues.get(b.destination) : vhost?.exchanges.get(b.destination);
    if (source === undefined || destination === undefined) continue;
    source.addBinding(new Binding(source, destination, b.routingKey, table(b.arguments)));
  }
}

/**
 * Recovery rule: vhosts, users, permissions and limits come back as stored. A store with no vhost
 * and no user is a first start: the broker's defaults (default vhost, default user with full
 * permissions on it) are written; otherwise the defaults give way to what was stored.
 */
function restoreAccess(broker: Broker, defs: Definitions): void {
  if (defs.vhosts.length === 0 && defs.users.length === 0) {
    for (const v of broker.vhosts.values()) broker.putVhost(v.name);
    broker.attachStore();
    for (const u of broker.users.list()) broker.users.put(u);
    for (const { user, vhost, permissions } of broker.permissions.list()) broker.permissions.set(user, vhost, permissions);
    return;
  }
  for (const v of [...broker.vhosts.keys()]) if (!defs.vhosts.some((r) => r.name === v)) broker.vhosts.delete(v);
  for (const u of broker.users.list()) broker.users.delete(u.name);
  broker.permissions.forget({});
  for (const r of defs.vhosts) {
    const v = broker.addVhost(r.name);
    v.metadata = { ...(r.metadata as VhostMetadata) };
    v.limits = { ...(r.limits as VhostLimits) };
  }
  for (const u of defs.users) {
    const algorithm = isHashingAlgorithm(u.hashingAlgorithm) ? u.hashingAlgorithm : DEFAULT_HASHING_ALGORITHM;
    broker.users.restore(new User(u.name, u.passwordHash, algorithm, u.tags, { ...(u.limits as UserLimits) }));
  }
  for (const p of defs.permissions) broker.permissions.restore(p.user, p.vhost, p);
  for (const t of defs.topicPermissions) broker.permissions.restoreTopic(t.user, t.vhost, t);
  broker.attachStore();
}

/**
 * Recovery rule: a durable delayed-message exchange gets back the persistent messages it held,
 * due at the same time (already due: released at once), routed by their routing key.
 */
function restoreDelayed(broker: Broker): void {
  const persistence = broker.persistence;
  if (persistence === null) return;
  for (const vhost of broker.vhosts.values()) {
    for (const x of vhost.exchanges.values()) {
      const id = persistence.attachDelayStore(x);
      const delayed = x.delayed;
      if (id === 0 || delayed === null) continue;
      forEachHeld(persistence, id, (m, dueAt, heldId) => delayed.holdUntil(m, dueAt, heldId));
    }
  }
}

/** Every held message of a hidden delay store queue: its message, due time and id (the entry's seq). */
function forEachHeld(persistence: Persistence, storeQueueId: number, fn: (m: Message, dueAt: number, id: number) => void): void {
  for (let after = 0; ; ) {
    const page = persistence.messages.loadQueueEntries(storeQueueId, after, 16384);
    if (page.length === 0) break;
    const stored = persistence.messages.loadMessages(page.messageId);
    for (let i = 0; i < page.length; i++) {
      const s = stored[i];
      after = page.seq[i] as number;
      if (s !== undefined) fn(persistence.revive(s), page.expiresAt[i] as number, after);
    }
  }
}
