import type { FieldTable } from '../../amqp/field-types.js';
import { systemClock, type Clock } from '../../util/clock.js';
import type { QueueHooks, QueueOptions } from './queue-types.js';
import { logger } from '../../util/logger.js';
import { EntryState, QueuedMessage, type Message } from '../message.js';
import type { Binding } from '../binding.js';
import type { QueueArguments } from '../queue-arguments.js';
import type { QueueConsumer } from './consumer.js';
import { QueueConsumers } from './consumers.js';
import type { DeathReason } from './dead-letter.js';
import { QueueExpiry } from './queue-expiry.js';
import { PAGE_SIZE, type QueueStore } from './queue-store.js';
import { ReadyMessages } from './ready-messages.js';
import { DEFAULT_QUEUE_ARGUMENTS, DEFAULT_QUEUE_SETTINGS, type QueueSettings } from './settings.js';
import { deadlineOf, ExpiryTimer } from './ttl.js';
import { overLimits, wouldOverflow } from './overflow.js';
import { DelayedMessages, delayOf } from '../delayed-messages.js';

const log = logger('broker.queue');

/** Most messages one drain pass delivers before yielding to I/O. */
const DRAIN_BATCH = 256;

export type { MemoryBudget, QueueHooks, QueueOptions } from './queue-types.js';

/**
 * A classic queue: ready messages in ReadyMessages, paged to the store past the memory budget
 * (QueueStore), expired on time (ExpiryTimer), limited (overflow.ts), dead-lettered through its
 * hooks, delivered in bounded batches to the consumers QueueConsumers picks.
 */
export class Queue {
  readonly kind = 'queue' as const;
  readonly durable: boolean;
  readonly exclusiveOwner: object | null;
  readonly autoDelete: boolean;
  readonly arguments: FieldTable;
  /** bindings that point at this queue (removed with it) */
  readonly bindings = new Set<Binding>();
  settings: QueueSettings = DEFAULT_QUEUE_SETTINGS;
  /** the x-arguments as declared, parsed (policies are applied on top) */
  declaredArguments: QueueArguments = DEFAULT_QUEUE_ARGUMENTS;

  private ready: ReadyMessages;
  private nextSeq = 1;
  private readonly consumers = new QueueConsumers();
  private hadConsumer = false;
  private drainScheduled = false;
  private readonly drainBound = (): void => this.drain();
  private readonly expiry: ExpiryTimer;
  private readonly unused: QueueExpiry;
  private store: QueueStore | null = null; // durable queues in a broker with a store
  /** messages waiting for their x-delay (delayed-message policy); listable and cancellable */
  delayed: DelayedMessages | null = null;
  /** messages delivered and not yet acked, rejected or requeued */
  unackedCount = 0;
  deleted = false;
  hooks: QueueHooks | null = null;

  constructor(
    readonly name: string,
    readonly vhost: string,
    options: QueueOptions,
    settings: QueueSettings = DEFAULT_QUEUE_SETTINGS,
    private readonly clock: Clock = systemClock,
  ) {
    this.durable = options.durable;
    this.exclusiveOwner = options.exclusiveOwner;
    this.autoDelete = options.autoDelete;
    this.arguments = options.arguments;
    this.ready = new ReadyMessages(settings.maxPriority ?? 0);
    this.expiry = new ExpiryTimer(clock, (e) => this.expireEntry(e));
    this.unused = new QueueExpiry(clock, () => this.hooks?.remove(this));
    this.applySettings(settings);
  }

  /** New effective settings (declare, or a policy change). Limits apply at once. */
  applySettings(settings: QueueSettings): void {
    this.settings = settings;
    const levels = settings.maxPriority ?? 0;
    if (levels !== this.ready.maxPriority && this.ready.length === 0) this.ready = new ReadyMessages(levels);
    this.unused.configure(settings.expires, this.consumers.length === 0);
    this.enforceLimits();
  }

  // ---- store -----------------------------------------------------------------------------

  /** Link to the store (null: the queue's definition was deleted; nothing more is written). */
  attachStore(store: QueueStore | null): void {
    this.store = store;
  }

  /** this queue's id in the store (0 = not stored) */
  get storeId(): number {
    return this.store?.id ?? 0;
  }

  /** Is this message stored when it enters? Persistent ones, any in a quorum queue, and any while paging. */
  persists(message: Message): boolean {
    return this.store !== null && (message.persistent || this.settings.queueType === 'quorum' || this.paging());
  }

  /** Over the memory budget (or already paging): new messages go to the store only. Not for priority queues. */
  private paging(): boolean {
    const budget = this.hooks?.memoryBudget;
    if (this.store === null || budget === undefined || this.settings.maxPriority !== undefined) return false;
    return this.store.tailCount > 0 || this.ready.length >= budget.messages || this.ready.bytes >= budget.bytes;
  }

  /** Recovery: stored entries up to maxSeq are the tail; read the first page. */
  recovered(maxSeq: number): void {
    if (maxSeq >= this.nextSeq) this.nextSeq = maxSeq + 1;
    this.refill();
  }

  /** Read the next page from the store when memory runs low. */
  private refill(): void {
    const store = this.store;
    if (store === null || store.tailCount === 0 || this.ready.length >= PAGE_SIZE) return;
    for (const e of store.loadPage()) {
      // A stored delivery count (quorum queues, delivery limits) shows again as x-delivery-count.
      if (e.deliveryCount > 0 && this.hooks !== null) e.message = this.hooks.withDeliveryCount(e.message, e.deliveryCount);
      this.ready.push(e);
      if (e.expiresAt !== 0) this.expiry.track(e, this.ready.length);
    }
  }

  /** The entry left the queue for good. */
  private forget(entry: QueuedMessage): void {
    entry.state = EntryState.Gone;
    this.store?.remove(entry);
  }

  // ---- counts ----------------------------------------------------------------------------

  /** Would a reject-publish overflow refuse this message now? */
  rejects(message: Message): boolean {
    const s = this.settings;
    return s.overflow !== 'drop-head' && wouldOverflow(s, this.messageCount, this.messageBytes, message.body.length);
  }

  get messageCount(): number {
    return this.ready.length + (this.store?.tailCount ?? 0);
  }

  get messageBytes(): number {
    return this.ready.bytes + (this.store?.tailBytes ?? 0);
  }

  /** ready messages held only in the store (paged out) */
  get pagedCount(): number { return this.store?.tailCount ?? 0; }

  get consumerCount(): number {
    return this.consumers.length;
  }

  /** The queue was used (basic.get, redeclare): restarts the x-expires clock. */
  touch(): void {
    this.unused.touch(this.consumers.length === 0);
  }

  // ---- messages in -----------------------------------------------------------------------

  /** Add a message. Returns false when a reject-publish overflow refused it. */
  enqueue(message: Message): boolean {
    const s = this.settings;
    if (s.delayedMessage) {
      // delayed-message policy: a message with x-delay waits before it becomes ready.
      const delay = delayOf(message.headers);
      if (delay > 0) {
        this.delayed ??= new DelayedMessages(this.clock, (d) => {
          if (!this.deleted) this.enqueueNow(d.message);
        });
        this.delayed.hold(message, undefined, delay);
        return true;
      }
    }
    return this.enqueueNow(message);
  }

  private enqueueNow(message: Message): boolean {
    const s = this.settings;
    if (s.overflow !== 'drop-head' && wouldOverflow(s, this.messageCount, this.messageBytes, message.body.length)) {
      if (s.overflow === 'reject-publish-dlx') this.deadLetter(message, 'maxlen');
      return false;
    }
    const priority = s.maxPriority === undefined ? 0 : Math.min(Math.max(message.priority, 0), this.ready.maxPriority);
    // One clock reading for the whole enqueue: a TTL 0 message is judged at the instant it
    // arrived, so a millisecond tick during this call cannot expire it before it is offered.
    const now = this.clock.now();
    const expiresAt = deadlineOf(now, s.messageTtl, message.expiration);
    const stored = message.storeId !== 0 && this.persists(message);
    // Paged entries keep FIFO order; one whose TTL passes while paged expires when read back.
    if (stored && this.paging()) {
      const transient = !message.persistent && s.queueType !== 'quorum';
      (this.store as QueueStore).addToTail(this.nextSeq++, message, expiresAt, priority, transient);
    } else {
      const entry = new QueuedMessage(this.nextSeq++, message, false, expiresAt, priority);
      if (stored) (this.store as QueueStore).add(entry);
      this.ready.push(entry);
      if (expiresAt !== 0) {
        if (expiresAt <= now) {
          // TTL 0: delivered only if a consumer can take it now, else it expires at once.
          if (this.consumers.length > 0) this.drain(now);
          if (entry.state === EntryState.Ready) this.expireEntry(entry);
          return true;
        }
        this.expiry.track(entry, this.ready.length);
      }
    }
    if (s.maxLength !== undefined || s.maxLengthBytes !== undefined) this.enforceLimits();
    if (this.consumers.length > 0) this.scheduleDrain();
    return true;
  }

  /** drop-head: drop (dead-letter) from the head until within the limits. */
  private enforceLimits(): void {
    const s = this.settings;
    if (s.overflow !== 'drop-head') return;
    while (overLimits(s, this.messageCount, this.messageBytes)) {
      this.refill();
      const e = this.ready.shift();
      if (e === undefined) return;
      this.forget(e);
      this.deadLetter(e.message, 'maxlen');
    }
  }

  // ---- messages out ----------------------------------------------------------------------

  /** basic.get: the next live ready message, or undefined. The caller acks or requeues it unless noAck. */
  get(noAck: boolean): QueuedMessage | undefined {
    this.touch();
    const entry = this.shiftLive(this.clock.now());
    if (entry === undefined) return undefined;
    // RabbitMQ (quorum queues) marks even a first basic.get with x-delivery-count 0.
    if (entry.deliveryCount === 0 && this.countsDeliveries() && this.hooks !== null) {
      entry.message = this.hooks.withDeliveryCount(entry.message, 0);
    }
    this.handOut(entry, noAck);
    return entry;
  }

  /** A delivery: with no-ack the message is gone; otherwise it waits for ack, reject or requeue. */
  private handOut(entry: QueuedMessage, noAck: boolean): void {
    if (noAck) return this.forget(entry);
    this.store?.delivered(entry);
    entry.state = EntryState.Unacked;
    this.unackedCount++;
  }

  ack(entry: QueuedMessage): void {
    this.unackedCount--;
    this.forget(entry);
  }

  /** Reject without requeue: the message leaves the queue, dead-lettered if configured. */
  discard(entry: QueuedMessage): void {
    this.unackedCount--;
    this.forget(entry);
    if (!this.deleted) this.deadLetter(entry.message, 'rejected');
  }

  /** Put a delivered message back in its original place, marked redelivered. */
  requeue(entry: QueuedMessage): void {
    this.unackedCount--;
    if (this.deleted) return;
    if (this.countsDeliveries()) {
      entry.deliveryCount++;
      const limit = this.settings.deliveryLimit;
      if (limit !== undefined && entry.deliveryCount > limit) {
        this.forget(entry);
        this.deadLetter(entry.message, 'delivery_limit');
        return;
      }
      if (this.hooks !== null) entry.message = this.hooks.withDeliveryCount(entry.message, entry.deliveryCount);
    }
    this.store?.requeued(entry);
    entry.redelivered = true;
    entry.state = EntryState.Ready;
    this.ready.requeue(entry);
    if (entry.expiresAt !== 0) this.expiry.track(entry, this.ready.length);
    if (this.consumers.length > 0) this.scheduleDrain();
  }

  /** Deliveries are counted (x-delivery-count) in quorum queues and under a delivery limit. */
  private countsDeliveries(): boolean {
    return this.settings.deliveryLimit !== undefined || this.settings.queueType === 'quorum';
  }

  private expireEntry(entry: QueuedMessage): void {
    this.forget(entry);
    this.ready.removed(entry);
    this.deadLetter(entry.message, 'expired');
  }

  private deadLetter(message: Message, reason: DeathReason): void {
    if (this.settings.deadLetterExchange !== undefined && this.hooks !== null) {
      this.hooks.deadLetter(this, message, reason);
    }
  }

  // ---- consumers -------------------------------------------------------------------------

  addConsumer(consumer: QueueConsumer): void {
    this.consumers.add(consumer, this.name, this.vhost);
    this.hadConsumer = true;
    this.unused.touch(false);
    this.scheduleDrain();
  }

  removeConsumer(consumer: QueueConsumer): void {
    const i = this.consumers.remove(consumer);
    if (i < 0) return;
    if (this.consumers.length > 0) {
      // With a single active consumer the next one in line takes over.
      if (i === 0 && this.settings.singleActiveConsumer) this.scheduleDrain();
      return;
    }
    this.unused.touch(true);
    if (this.autoDelete && this.hadConsumer && !this.deleted) this.hooks?.remove(this);
  }

  /** Drop every ready message (paged ones too); returns how many. Unacked messages are untouched. */
  purge(): number {
    const dropped = this.ready.clear();
    for (const e of dropped) this.forget(e);
    return dropped.length + (this.store?.purge() ?? 0);
  }

  /** Mark deleted, drop messages, stop timers and tell consumers. Returns the ready messages dropped. */
  delete(): number {
    if (this.deleted) return 0;
    const n = this.purge();
    this.stopTimers();
    for (const c of this.consumers.clear()) c.queueDeleted(this);
    return n;
  }

  /** Deleted, or broker shutdown: no more timers, deliveries or writes; the stored state stays. */
  stopTimers(): void {
    this.deleted = true;
    this.expiry.stop();
    this.unused.stop();
    this.delayed?.stop();
  }

  /** Ask for a delivery pass after the current I/O batch (a consumer gained capacity, a message arrived). */
  scheduleDrain(): void {
    if (this.drainScheduled || this.deleted) return;
    this.drainScheduled = true;
    process.nextTick(this.drainBound);
  }

  /** A delivery pass; `now` is the clock reading that decides expiry (the enqueue's, for TTL 0). */
  private drain(now?: number): void {
    this.drainScheduled = false;
    if (this.deleted) return;
    try {
      this.deliverBatch(now ?? this.clock.now());
    } catch (err) {
      // Runs from nextTick/setImmediate: a failure here must not take the broker down.
      log.error(`delivery from queue '${this.name}' failed`, err);
    }
  }

  private deliverBatch(now: number): void {
    let budget = DRAIN_BATCH;
    while (this.messageCount > 0) {
      const consumer = this.consumers.pick(this.settings.singleActiveConsumer);
      if (consumer === undefined) return;
      if (budget-- === 0) {
        this.drainScheduled = true;
        setImmediate(this.drainBound);
        return;
      }
      const entry = this.shiftLive(now);
      if (entry === undefined) return;
      this.handOut(entry, consumer.noAck);
      consumer.deliver(this, entry);
    }
  }

  /** The next ready entry that has not expired; expired ones met on the way are expired now. */
  private shiftLive(now: number): QueuedMessage | undefined {
    for (;;) {
      if (this.ready.length < PAGE_SIZE) this.refill();
      const entry = this.ready.shift();
      // Expired once its deadline has passed (a TTL 0 message is still deliverable at its own instant).
      if (entry === undefined || entry.expiresAt === 0 || entry.expiresAt >= now) return entry;
      this.forget(entry);
      this.deadLetter(entry.message, 'expired');
    }
  }
}
