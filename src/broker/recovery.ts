import type { FieldTable } from '../amqp/field-types.js';
import type { Definitions, MessageStorage } from '../store/storage.js';
import { Binding } from './binding.js';
import type { Broker } from './broker.js';
import { Message } from './message.js';
import type { Queue } from './queue/queue.js';
import { Vhost } from './vhost.js';
import type { Policy } from './policy.js';

/** Entries read per page when a queue is recovered. */
const PAGE = 65536;

/**
 * Rebuild the broker from its store at start. Recovery rules, as RabbitMQ's:
 * - durable exchanges, durable queues and bindings between durable ends come back; nothing else;
 * - a queue's stored messages come back in seq order (per-queue order is kept);
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
  const messages = new Map<number, Message>();
  for (const r of defs.queues) {
    const vhost = broker.addVhost(r.vhost);
    const args = table(r.arguments);
    const parsed = Vhost.storedArguments(args, r.name, r.vhost, r.durable, r.autoDelete);
    const q = vhost.createQueue(r.name, { durable: r.durable, exclusiveOwner: null, autoDelete: r.autoDelete, arguments: args }, parsed);
    q.attachStore(persistence.messages, r.id);
    restoreEntries(broker, q, r.id, persistence.messages, messages);
  }
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

function restoreEntries(broker: Broker, q: Queue, queueId: number, store: MessageStorage, cache: Map<number, Message>): void {
  let after = 0;
  for (;;) {
    const page = store.loadQueueEntries(queueId, after, PAGE);
    if (page.length === 0) return;
    const missing: number[] = [];
    for (let i = 0; i < page.length; i++) {
      const id = page.messageId[i] as number;
      if (!cache.has(id)) missing.push(id);
    }
    const loaded = store.loadMessages(missing);
    for (const m of loaded) if (m !== undefined) cache.set(m.id, toMessage(broker, m.id, m.exchange, m.routingKey, m.properties, m.body));
    for (let i = 0; i < page.length; i++) {
      const message = cache.get(page.messageId[i] as number);
      if (message === undefined) continue;
      q.restore(message, page.seq[i] as number, page.redelivered[i] === 1, page.expiresAt[i] as number, page.priority[i] as number);
    }
    after = page.seq[page.length - 1] as number;
    if (page.length < PAGE) return;
  }
}

function toMessage(broker: Broker, id: number, exchange: string, routingKey: string, properties: Buffer, body: Buffer): Message {
  const props = broker.codec.decode(properties);
  const m = new Message(
    exchange,
    routingKey,
    properties,
    body,
    props.headers,
    props.deliveryMode === 2,
    props.priority ?? -1,
    props.expiration,
  );
  m.storeId = id;
  return m;
}
