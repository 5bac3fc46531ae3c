import type { FieldTable } from '../amqp/field-types.js';
import type { Definitions } from '../store/storage.js';
import { Binding } from './binding.js';
import type { Broker } from './broker.js';
import { Vhost } from './vhost.js';
import { DELAY_STORE_PREFIX } from './delayed-messages.js';
import type { Policy } from './policy.js';

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

  if (defs.vhosts.length === 0) persistence.definitions.putVhost({ name: '/', metadata: {} });
  for (const v of defs.vhosts) broker.addVhost(v.name);
  restoreUsers(broker, defs);

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
    if (r.name.startsWith(DELAY_STORE_PREFIX)) continue; // a delayed-message exchange's store, below
    const vhost = broker.addVhost(r.vhost);
    const args = table(r.arguments);
    const parsed = Vhost.storedArguments(args, r.name, r.vhost, r.durable, r.autoDelete);
    const q = vhost.createQueue(r.name, { durable: r.durable, exclusiveOwner: null, autoDelete: r.autoDelete, arguments: args }, parsed);
    const stats = persistence.messages.queueStats(r.id);
    const store = persistence.queueStore(r.id);
    // After a crash a delivery may have gone out before its redelivered mark was committed.
    store.restoreTail(0, stats.count, stats.bytes, persistence.uncleanShutdown ? stats.maxSeq : 0);
    q.attachStore(store);
    q.recovered(stats.maxSeq);
  }
  restoreDelayed(broker);
  for (const b of defs.bindings) {
    const vhost = broker.vhost(b.vhost);
    const source = vhost?.exchanges.get(b.source);
    const destination = b.destinationKind === 'queue' ? vhost?.queues.get(b.destination) : vhost?.exchanges.get(b.destination);
    if (source === undefined || destination === undefined) continue;
    source.addBinding(new Binding(source, destination, b.routingKey, table(b.arguments)));
  }
}

function restoreUsers(broker: Broker, defs: Definitions): void {
  const definitions = (broker.persistence as NonNullable<Broker['persistence']>).definitions;
  if (defs.users.length === 0) {
    for (const u of broker.users.list()) definitions.putUser({ name: u.name, passwordHash: u.passwordHash, tags: u.tags });
    return;
  }
  for (const u of broker.users.list()) broker.users.delete(u.name);
  for (const u of defs.users) broker.users.restore({ name: u.name, passwordHash: u.passwordHash, tags: u.tags });
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
      if (id === 0 || x.delayed === null) continue;
      for (let after = 0; ; ) {
        const page = persistence.messages.loadQueueEntries(id, after, 16384);
        if (page.length === 0) break;
        const stored = persistence.messages.loadMessages(page.messageId);
        for (let i = 0; i < page.length; i++) {
          const s = stored[i];
          after = page.seq[i] as number;
          if (s !== undefined) x.delayed.holdUntil(persistence.revive(s), undefined, page.expiresAt[i] as number, after);
        }
      }
    }
  }
}
