import { systemClock, type Clock } from '../../util/clock.js';
import type { FlowWaiter, Queue, QueueOptions } from './queue.js';
import type { QueueType } from '../queue-arguments.js';
import { QueueBase } from './queue-base.js';
import { countDelivery, countGet } from './queue-counters.js';
import { DeliveryPass } from './delivery-pass.js';
import { EntryState, QueuedMessage, type Message } from '../message.js';
import type { QueueConsumer } from './consumer.js';
import { QueueConsumers } from './consumers.js';
import { queueDetails, type QueueDetails } from './queue-details.js';
import { UnackedTally } from './unacked-tally.js';
import type { DeathReason } from './dead-letter.js';
import { QueueExpiry } from './queue-expiry.js';
import { PAGE_SIZE, type QueueStore } from './queue-store.js';
import { ReadyMessages } from './ready-messages.js';
import { DEFAULT_QUEUE_SETTINGS, type QueueSettings } from './settings.js';
import { deadlineOf, ExpiryTimer } from './ttl.js';
import { overLimits, wouldOverflow } from './overflow.js';
import type { DelayedMessages } from '../delayed-messages.js';
import { QueueDelays } from './queue-delays.js';
import { QueueFlow } from './queue-flow.js';
import { browseReady } from './browse.js';

/**
 * A classic queue: ready messages in ReadyMessages, paged to the store past the memory budget
 * (QueueStore), expired on time (ExpiryTimer), limited (overflow.ts), dead-lettered through its
 * hooks, delivered in bounded batches to the consumers QueueConsumers picks.
 */
export class ClassicQueue extends QueueBase implements Queue {
  private ready: ReadyMessages;
  private nextSeq = 1;
  private readonly consumers = new QueueConsumers();
  private hadConsumer = false;
  private readonly pass: DeliveryPass;
  private readonly expiry: ExpiryTimer;
  private readonly unused: QueueExpiry;
  private store: QueueStore | null = null; // durable queues in a broker with a store
  private readonly delays: QueueDelays;
  private readonly flow = new QueueFlow(this);
  /** messages delivered and not yet acked, rejected or requeued */
  private readonly unacked = new UnackedTally();

  constructor(
    name: string,
    vhost: string,
    options: QueueOptions,
    settings: QueueSettings = DEFAULT_QUEUE_SETTINGS,
    private readonly clock: Clock = systemClock,
  ) {
    super(name, vhost, options);
    this.ready = new ReadyMessages(settings.maxPriority ?? 0);
    this.expiry = new ExpiryTimer(clock, (e) => this.expireEntry(e));
    this.unused = new QueueExpiry(clock, () => this.hooks?.remove(this));
    // Lagging: the pass ran out of budget, or consumers wait for their sockets to drain.
    const passEnded = (more: boolean): void =>
      this.flow.passEnded(more || (this.ready.length > 0 && this.consumers.someOutputBlocked()), this.ready.length);
    this.pass = new DeliveryPass(name, clock, (now) => this.deliverOne(now), () => this.deleted, passEnded);
    this.delays = new QueueDelays(this, clock, (m) => this.enqueueNow(m));
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
  readonly type: QueueType = 'classic';

  /** Every message is stored, persistent or not (quorum queues). */
  protected readonly storesEveryMessage: boolean = false;

  /** Deliveries are counted (x-delivery-count): under a delivery limit; always in quorum queues. */
  protected countsDeliveries(): boolean {
    return this.settings.deliveryLimit !== undefined;
  }

  /** Link to the store (null: the queue's definition was deleted; nothing more is written). */
  attachStore(store: QueueStore | null): void {
    this.store = store;
  }

  /** messages waiting for their x-delay (delayed-message policy); listable and cancellable */
  get delayed(): DelayedMessages | null {
    return this.delays.held;
  }

  /** this queue's id in the store (0 = not stored) */
  get storeId(): number {
    return this.store?.id ?? 0;
  }

  /** Is this message kept in the store on its own account? Persistent ones (any, in a quorum queue) of a stored queue. */
  private storesMessage(message: Message): boolean {
    const store = this.store;
    return store !== null && !store.pagingOnly && (message.persistent || this.storesEveryMessage);
  }

  /** Over the memory budget (or already paging; never a priority queue): new messages go to the store only,
   *  a queue that is not stored into a store link of its own (its entries never survive a restart). */
  private paging(): boolean {
    const budget = this.hooks?.memoryBudget;
    if (budget === undefined || this.settings.maxPriority !== undefined) return false;
    if (this.store !== null && this.store.tailCount > 0) return true;
    if (this.ready.length < budget.messages && this.ready.bytes < budget.bytes) return false;
    this.store ??= this.hooks?.pagingStore(this) ?? null;
    return this.store !== null;
  }

  /** Recovery: stored entries up to maxSeq are the tail; read the first page. */
  recovered(maxSeq: number): void {
    if (maxSeq >= this.nextSeq) this.nextSeq = maxSeq + 1;
    this.refill();
  }

  /** Read the next page from the store when memory runs low: pages no larger than the budget, so memory holds at most twice it. */
  private refill(): void {
    const store = this.store;
    if (store === null || store.tailCount === 0) return; // the common case, on every delivery
    const page = Math.min(PAGE_SIZE, this.hooks?.memoryBudget.messages ?? PAGE_SIZE);
    if (this.ready.length >= page) return;
    for (const e of store.loadPage(page)) {
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
  get messageCount(): number {
    return this.ready.length + (this.store?.tailCount ?? 0);
  }

  get messageBytes(): number {
    return this.ready.bytes + (this.store?.tailBytes ?? 0);
  }

  get pagedCount(): number {
    return this.store?.tailCount ?? 0;
  }

  get consumerCount(): number {
    return this.consumers.length;
  }

  get unackedCount(): number {
    return this.unacked.count;
  }

  details(): QueueDetails {
    return queueDetails(this.durable, this.settings.singleActiveConsumer, this.ready, this.unacked, this.store, this.consumers);
  }

  /** The queue was used (basic.get, redeclare): restarts the x-expires clock. */
  touch(): void {
    this.unused.touch(this.consumers.length === 0);
  }

  // ---- messages in -----------------------------------------------------------------------
  /** Add a message. Returns false when a reject-publish overflow refused it. */
  enqueue(message: Message): boolean {
    const s = this.settings;
    // delayed-message policy: a message with x-delay waits before it becomes ready.
    if (s.delayedMessage && this.delays.hold(message)) {
      this.counters.published++;
      return true;
    }
    return this.enqueueNow(message);
  }

  restoreDelayed(message: Message, dueAt: number, id: number): void {
    this.delays.restore(message, dueAt, id);
  }

  private enqueueNow(message: Message): boolean {
    const s = this.settings;
    if (s.overflow !== 'drop-head' && wouldOverflow(s, this.messageCount, this.messageBytes, message.body.length)) {
      this.counters.refused++;
      if (s.overflow === 'reject-publish-dlx') this.deadLetter(message, 'maxlen');
      return false;
    }
    this.counters.published++;
    const priority = s.maxPriority === undefined ? 0 : Math.min(Math.max(message.priority, 0), this.ready.maxPriority);
    // One clock reading for the whole enqueue (only when a TTL applies): a TTL 0 message is judged
    // at the instant it arrived, so a millisecond tick during this call cannot expire it unoffered.
    const now = s.messageTtl === undefined && message.expiration === undefined ? 0 : this.clock.now();
    const expiresAt = now === 0 ? 0 : deadlineOf(now, s.messageTtl, message.expiration);
    // Paged entries keep FIFO order; one whose TTL passes while paged expires when read back.
    if (this.paging()) {
      // Not kept across a restart: transient messages, and anything a queue that is not stored pages out.
      const store = this.store as QueueStore;
      const transient = store.pagingOnly || (!message.persistent && !this.storesEveryMessage);
      store.addToTail(this.nextSeq++, message, expiresAt, priority, transient);
    } else {
      const entry = new QueuedMessage(this.nextSeq++, message, false, expiresAt, priority);
      if (this.storesMessage(message)) (this.store as QueueStore).add(entry);
      this.ready.push(entry);
      if (expiresAt !== 0) {
        if (expiresAt <= now) {
          // TTL 0: delivered only if a consumer can take it now, else it expires at once.
          if (this.consumers.length > 0) this.pass.run(now);
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
    countGet(this.counters, entry !== undefined, noAck);
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
    countDelivery(this.counters, entry.redelivered, noAck);
    if (noAck) return this.forget(entry);
    this.store?.delivered(entry);
    entry.state = EntryState.Unacked;
    this.unacked.add(entry);
  }

  browse(offset: number, count: number): QueuedMessage[] {
    return browseReady(this.ready, this.store, offset, count, this.clock.now());
  }

  ack(entry: QueuedMessage): void {
    this.unacked.remove(entry);
    this.counters.acked++;
    this.forget(entry);
  }

  /** Reject without requeue: the message leaves the queue, dead-lettered if configured. */
  discard(entry: QueuedMessage): void {
    this.unacked.remove(entry);
    this.counters.discarded++;
    this.forget(entry);
    if (!this.deleted) this.deadLetter(entry.message, 'rejected');
  }

  /** Put a delivered message back in its original place, marked redelivered. */
  requeue(entry: QueuedMessage): void {
    this.unacked.remove(entry);
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

  /** An entry's TTL passed: in the ready messages (`inReady`), or just taken from them. */
  private expireEntry(entry: QueuedMessage, inReady = true): void {
    this.counters.expired++;
    this.forget(entry);
    if (inReady) this.ready.removed(entry);
    if (entry.message.trace !== null) this.hooks?.traced?.(this, entry.message, 'expire');
    this.deadLetter(entry.message, 'expired');
  }

  private deadLetter(message: Message, reason: DeathReason): void {
    if (this.settings.deadLetterExchange !== undefined && this.hooks !== null) {
      this.counters.deadLettered++;
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
    this.delays.stop();
    this.flow.behind = false;
    this.flow.release();
  }

  /** Ask for a delivery pass after the current I/O batch (a consumer gained capacity, a message arrived). */
  scheduleDrain(): void {
    this.pass.schedule();
  }

  get congested(): boolean {
    return this.flow.congested(this.ready.length);
  }

  awaitFlow(waiter: FlowWaiter): void {
    if (this.congested) this.flow.await(waiter);
    else waiter.flowResumed(this);
  }

  /** One delivery of a pass: the next live message to the consumer whose turn it is. */
  private deliverOne(now: number): boolean {
    if (this.messageCount === 0) return this.consumers.idle(this.settings.singleActiveConsumer);
    const consumer = this.consumers.pick(this.settings.singleActiveConsumer);
    if (consumer === undefined) return false;
    const entry = this.shiftLive(now);
    if (entry === undefined) return false;
    this.handOut(entry, consumer.noAck);
    consumer.deliver(this, entry);
    return true;
  }

  /** The next ready entry that has not expired; expired ones met on the way are expired now. */
  private shiftLive(now: number): QueuedMessage | undefined {
    for (;;) {
      this.refill();
      const entry = this.ready.shift();
      // Expired once its deadline has passed (a TTL 0 message is still deliverable at its own instant).
      if (entry === undefined || entry.expiresAt === 0 || entry.expiresAt >= now) return entry;
      this.expireEntry(entry, false);
    }
  }
}
