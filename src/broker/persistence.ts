import type { DefinitionStorage, Durability, MessageStorage, Storage, StoredMessage } from '../store/index.js';
import { Message } from './message.js';
import { QueueStore } from './queue/queue-store.js';
import { DELAY_STORE_PREFIX, PAGING_STORE_PREFIX, QUEUE_DELAY_STORE_PREFIX, type DelayStore } from './delayed-messages.js';
import { StoredMessages } from './stored-messages.js';
import { argumentsKey, type Binding } from './binding.js';
import type { Exchange } from './exchange/exchange.js';
import type { PropertiesCodec } from './properties-codec.js';
import type { Queue } from './queue/queue.js';

/**
 * The broker's side of durability: which definitions are durable, and how they are written.
 * Each definition write is committed (fsynced) when it returns, so declare-ok can follow it.
 * Messages go through MessageStorage's group commit (see Router and Queue).
 */
export class Persistence {
  readonly definitions: DefinitionStorage;
  readonly messages: MessageStorage;
  /** the one owner of stored message bodies and their references */
  readonly stored: StoredMessages;
  /** the store was not closed by the previous run */
  readonly uncleanShutdown: boolean;
  /** replicated writes (a cluster leader): replies after a definition change wait for it */
  readonly durability: Durability | null;

  constructor(
    storage: Storage,
    private readonly codec: PropertiesCodec,
  ) {
    this.definitions = storage.definitions;
    this.messages = storage.messages;
    this.stored = new StoredMessages(storage.messages);
    this.uncleanShutdown = storage.uncleanShutdown;
    this.durability = storage.durability ?? null;
  }

  /** Durable exchanges, except the built-in ones (recreated at every start). */
  static isStored(x: Exchange): boolean {
    return x.durable && x.name !== '' && !x.name.startsWith('amq.');
  }

  /** Durable, non-exclusive queues survive a restart (RabbitMQ deletes exclusive ones anyway). */
  static isStoredQueue(q: Queue): boolean {
    return q.durable && q.exclusiveOwner === null;
  }

  exchangeDeclared(x: Exchange): void {
    if (!Persistence.isStored(x)) return;
    this.attachDelayStore(x);
    this.definitions.putExchange({
      vhost: x.vhost,
      name: x.name,
      type: x.type,
      durable: x.durable,
      autoDelete: x.autoDelete,
      internal: x.internal,
      arguments: this.codec.encodeTable(x.arguments),
    });
  }

  exchangeDeleted(x: Exchange): void {
    if (!Persistence.isStored(x)) return;
    this.definitions.deleteExchange(x.vhost, x.name);
    if (x.delayed?.store != null) this.definitions.deleteQueue(x.vhost, DELAY_STORE_PREFIX + x.name);
  }

  /**
   * A durable delayed-message exchange keeps its held persistent messages in a hidden store
   * queue; returns its id (0 when the exchange is not a durable delayed one).
   */
  attachDelayStore(x: Exchange): number {
    if (x.delayed === null || !Persistence.isStored(x)) return 0;
    const id = this.hiddenQueue(x.vhost, DELAY_STORE_PREFIX + x.name);
    x.delayed.store = { stored: this.stored, id };
    return id;
  }

  /**
   * Where a stored queue under the delayed-message policy keeps its held persistent messages:
   * a hidden store queue, created on first use (null for a queue that is not stored).
   */
  queueDelayStore(q: Queue): DelayStore | null {
    if (q.storeId === 0 || !Persistence.isStoredQueue(q)) return null;
    return { stored: this.stored, id: this.hiddenQueue(q.vhost, QUEUE_DELAY_STORE_PREFIX + q.name) };
  }

  /**
   * Where a queue that is not stored (transient, exclusive) pages out past its memory budget: a
   * hidden store queue whose entries are all transient, so nothing of it survives a restart.
   */
  pagingStore(q: Queue): QueueStore {
    const id = this.hiddenQueue(q.vhost, PAGING_STORE_PREFIX + q.name);
    return new QueueStore(this.stored, id, (stored) => this.revive(stored), true);
  }

  private hiddenQueue(vhost: string, name: string): number {
    return this.definitions.putQueue({ vhost, name, durable: true, autoDelete: false, arguments: this.codec.encodeTable({}) });
  }

  /** A new durable queue: stored, and its messages go to the store from now on. */
  queueDeclared(q: Queue): void {
    if (!Persistence.isStoredQueue(q)) return;
    const id = this.definitions.putQueue({
      vhost: q.vhost,
      name: q.name,
      durable: q.durable,
      autoDelete: q.autoDelete,
      arguments: this.codec.encodeTable(q.arguments),
    });
    q.attachStore(this.queueStore(id));
  }

  /** A queue's link to the message store. */
  queueStore(id: number): QueueStore {
    return new QueueStore(this.stored, id, (stored) => this.revive(stored));
  }

  /** A stored message as a Message again. */
  revive(stored: StoredMessage): Message {
    const props = this.codec.decode(stored.properties);
    const m = new Message(
      stored.exchange,
      stored.routingKey,
      stored.properties,
      stored.body,
      props.headers,
      props.deliveryMode === 2,
      props.priority ?? -1,
      props.expiration,
    );
    return StoredMessages.revived(m, stored.id);
  }

  /** Deleting the definition also drops its entries (and the bodies no other queue holds). */
  queueDeleted(q: Queue): void {
    if (q.storeId === 0) return;
    q.attachStore(null);
    if (!Persistence.isStoredQueue(q)) {
      this.definitions.deleteQueue(q.vhost, PAGING_STORE_PREFIX + q.name);
      return;
    }
    this.definitions.deleteQueue(q.vhost, q.name);
    // Its held delayed messages go too (a no-op when it never held one).
    this.definitions.deleteQueue(q.vhost, QUEUE_DELAY_STORE_PREFIX + q.name);
  }

  private static bindingStored(b: Binding): boolean {
    const d = b.destination;
    const durableDestination = d.kind === 'queue' ? Persistence.isStoredQueue(d) : Persistence.isStored(d);
    return durableDestination && (b.source.name.startsWith('amq.') ? b.source.durable : Persistence.isStored(b.source));
  }

  bindingAdded(b: Binding): void {
    if (!Persistence.bindingStored(b)) return;
    this.definitions.putBinding({
      vhost: b.source.vhost,
      source: b.source.name,
      destinationKind: b.destination.kind,
      destination: b.destination.name,
      routingKey: b.routingKey,
      argumentsKey: argumentsKey(b.args),
      arguments: this.codec.encodeTable(b.args),
    });
  }

  bindingRemoved(b: Binding): void {
    if (!Persistence.bindingStored(b)) return;
    this.definitions.deleteBinding({
      vhost: b.source.vhost,
      source: b.source.name,
      destinationKind: b.destination.kind,
      destination: b.destination.name,
      routingKey: b.routingKey,
      argumentsKey: argumentsKey(b.args),
    });
  }
}
