import { VhostCounters } from './vhost-counters.js';
import { Churn } from './stats/churn.js';
import { randomBytes } from 'node:crypto';
import { accessRefused, commandInvalid, notFound, preconditionFailed, resourceLocked } from '../amqp/errors.js';
import { TRUSTED, type AccessCheck } from './auth/access.js';
import { limitOf, type VhostLimits } from './auth/limits.js';
import { fieldString, type FieldTable } from '../amqp/field-types.js';
import type { Clock } from '../util/clock.js';
import { systemClock } from '../util/clock.js';
import type { Destination } from './binding.js';
import { VhostBindings } from './bindings.js';
import { DeadLetterer } from './dead-letterer.js';
import { checkExchangeEquivalent, checkQueueEquivalent, checkReservedName } from './declare-rules.js';
import { DelayedMessages } from './delayed-messages.js';
import { DirectReplies } from './direct-reply.js';
import type { DefinitionObserver } from './events.js';
import { Exchange, type ExchangeOptions } from './exchange/exchange.js';
import { exchangeTypeFactory } from './exchange/registry.js';
import type { Persistence } from './persistence.js';
import { PolicyRegistry } from './policy.js';
import type { PropertiesCodec } from './properties-codec.js';
import { PublishContext, Publishing, PublishOutcome, type PreparedPublish } from './publish.js';
import { parseQueueArguments, type QueueArguments } from './queue-arguments.js';
import type { MemoryBudget, Queue, QueueOptions } from './queue/queue.js';
import { createQueue } from './queue/queue-types.js';
import { Router } from './router.js';
import { TRACE_EXCHANGE, VhostTracing } from './tracing/vhost-tracing.js';
import { applyExchangePolicy, queueSettings } from './vhost-policies.js';

/** The RabbitMQ delayed-message plugin's exchange type, built in. */
export const DELAYED_EXCHANGE_TYPE = 'x-delayed-message';

/** A queue keeps up to this much in memory; beyond it, new messages are paged to the store. */
export const DEFAULT_MEMORY_BUDGET: MemoryBudget = { messages: 65536, bytes: 64 * 1024 * 1024 };

/** A vhost's description, tags and default queue type (RabbitMQ's vhost metadata). */
export type VhostMetadata = {
  description?: string;
  tags?: readonly string[];
  /** x-queue-type given to declared queues that name none and are compatible with it */
  defaultQueueType?: string;
};

export interface QueueDeclareResult {
  queue: Queue;
  created: boolean;
}

const PREDECLARED: ReadonlyArray<[string, string]> = [
  ['amq.direct', 'direct'],
  ['amq.fanout', 'fanout'],
  ['amq.topic', 'topic'],
  ['amq.headers', 'headers'],
  ['amq.match', 'headers'],
];

/**
 * A virtual host: the registry of its exchanges and queues, and the broker's entry point for each
 * operation on them — declare, delete, purge, bind (VhostBindings), publish (Publishing) — used
 * alike by AMQP, the HTTP API and replication. Declare rules and texts live in declare-rules.ts,
 * routing in Router, policies in vhost-policies.ts, direct reply-to in DirectReplies.
 */
export class Vhost {
  readonly exchanges = new Map<string, Exchange>();
  readonly queues = new Map<string, Queue>();
  readonly router: Router;
  /** the firehose and bounded traces (tracing.active is the one check per publish and delivery) */
  readonly tracing: VhostTracing;
  readonly bindings = new VhostBindings(this);
  readonly directReplies = new DirectReplies();
  /** confirms and returns, counted by the channels (queue and exchange counters are on those) */
  readonly counters = new VhostCounters();
  /** the broker's churn counters (queues declared, created, deleted); the broker sets its own */
  churn = new Churn();
  metadata: VhostMetadata = {};
  /** max-connections (Sessions), max-queues (declareQueue) */
  limits: VhostLimits = {};
  /** told of every definition change, in order; persistence first */
  readonly observers: DefinitionObserver[] = [];
  private readonly publishing: Publishing;
  /** exclusive queues by owning connection, deleted when it closes */
  private readonly exclusive = new Map<object, Set<Queue>>();
  private readonly hooks: DeadLetterer;

  constructor(
    readonly name: string,
    readonly codec: PropertiesCodec,
    /** durable definitions and messages go here (null: nothing is stored) */
    readonly persistence: Persistence | null = null,
    /** the broker's policies (all vhosts) */
    readonly policies: PolicyRegistry = new PolicyRegistry(),
    memoryBudget: MemoryBudget = DEFAULT_MEMORY_BUDGET,
    private readonly clock: Clock = systemClock,
  ) {
    if (persistence !== null) this.observers.push(persistence);
    this.router = new Router(this);
    this.tracing = new VhostTracing(this, clock);
    this.publishing = new Publishing(this);
    this.hooks = new DeadLetterer(this, codec, memoryBudget);
    const builtIn = { durable: true, autoDelete: false, internal: false, arguments: {} };
    this.createExchange('', 'direct', builtIn);
    for (const [n, t] of PREDECLARED) this.createExchange(n, t, builtIn);
    this.createExchange(TRACE_EXCHANGE, 'topic', { ...builtIn, internal: true });
  }

  private where(kind: 'queue' | 'exchange', name: string): string {
    return `${kind} '${name}' in vhost '${this.name}'`;
  }

  // ---- exchanges -------------------------------------------------------------------------

  getExchange(name: string): Exchange {
    const x = this.exchanges.get(name);
    if (x === undefined) throw notFound(`no ${this.where('exchange', name)}`);
    return x;
  }

  /**
   * exchange.declare, checked in RabbitMQ's order: a known type (503 on the connection, before
   * anything else, permissions included), not the default exchange, configure on the exchange
   * (not for passive); a new exchange with an alternate exchange also needs read on itself and
   * write on the alternate.
   */
  declareExchange(name: string, type: string, passive: boolean, options: ExchangeOptions, access: AccessCheck = TRUSTED): Exchange {
    if (!passive && type !== DELAYED_EXCHANGE_TYPE && exchangeTypeFactory(type) === undefined) {
      throw commandInvalid(`unknown exchange type '${type}'`);
    }
    if (name === '') throw accessRefused('operation not permitted on the default exchange');
    if (passive) return this.getExchange(name);
    access.check('exchange', name, 'configure');
    const existing = this.exchanges.get(name);
    if (existing !== undefined) {
      checkExchangeEquivalent(existing, type, options, this.where('exchange', name));
      return existing;
    }
    // The reserved prefix only stops creating: redeclaring amq.direct as it is succeeds.
    checkReservedName('exchange', name);
    const alternate = fieldString(options.arguments['alternate-exchange']);
    if (alternate !== undefined) {
      access.check('exchange', name, 'read');
      access.check('exchange', alternate, 'write');
    }
    const x = this.createExchange(name, type, options);
    for (const o of this.observers) o.exchangeDeclared?.(x);
    return x;
  }

  /** Recovery: an exchange as it was stored (observers are not told). */
  restoreExchange(name: string, type: string, options: ExchangeOptions): Exchange {
    return this.createExchange(name, type, options);
  }

  private createExchange(name: string, type: string, options: ExchangeOptions): Exchange {
    const delayed = type === DELAYED_EXCHANGE_TYPE;
    // x-delayed-message routes like its x-delayed-type once a message's delay has passed.
    const routingType = delayed ? fieldString(options.arguments['x-delayed-type']) : type;
    if (delayed && routingType === undefined) {
      throw preconditionFailed(`Invalid argument, 'x-delayed-type' must be an existing exchange type`);
    }
    if (routingType === DELAYED_EXCHANGE_TYPE) {
      throw preconditionFailed(`Invalid argument, '${DELAYED_EXCHANGE_TYPE}' can't be used for 'x-delayed-type'`);
    }
    const factory = exchangeTypeFactory(routingType as string);
    if (factory === undefined) {
      // RabbitMQ says "invalid" for names that happen to be Erlang atoms ('foo') and "unknown"
      // otherwise; Warren has no atom table and always says "unknown". The delayed-message
      // plugin checks x-delayed-type the same way: a 503 on the connection.
      throw commandInvalid(`unknown exchange type '${routingType as string}'`);
    }
    const x = new Exchange(name, this.name, type, factory<Destination>(), options);
    if (delayed) {
      const released = new PublishOutcome();
      x.delayed = new DelayedMessages(this.clock, (d) => {
        if (!x.deleted) this.router.route(x, d.message, released, undefined, true);
      });
    }
    this.exchanges.set(name, x);
    applyExchangePolicy(this.policies, x);
    return x;
  }

  /**
   * exchange.delete: not the default exchange, no 'amq.' name (by name, whether it exists or
   * not, as RabbitMQ), then configure on the exchange.
   */
  deleteExchange(name: string, ifUnused: boolean, access: AccessCheck = TRUSTED): void {
    if (name === '') throw accessRefused('operation not permitted on the default exchange');
    if (name.startsWith('amq.')) {
      throw accessRefused(`deletion of system exchange '${name}' in vhost '${this.name}' not allowed`);
    }
    access.check('exchange', name, 'configure');
    const x = this.exchanges.get(name);
    if (x === undefined) return; // idempotent, as RabbitMQ 3.x
    if (ifUnused && x.outbound.size > 0) throw preconditionFailed(`${this.where('exchange', name)} in use`);
    this.removeExchange(x);
  }

  /** Delete an exchange now (exchange.delete, auto-delete after its last binding). */
  removeExchange(x: Exchange): void {
    x.deleted = true;
    for (const o of this.observers) o.exchangeDeleted?.(x);
    x.delayed?.stop();
    this.exchanges.delete(x.name);
    for (const b of [...x.outbound.values()]) x.removeBinding(b);
    for (const b of [...x.bindings]) this.bindings.drop(b);
  }

  // ---- queues ----------------------------------------------------------------------------

  /** Look a queue up for an operation by `owner` (a connection): 404 if missing, 405 if another's exclusive queue. */
  getQueue(name: string, owner: object | null): Queue {
    const q = this.queues.get(name);
    if (q === undefined) throw notFound(`no ${this.where('queue', name)}`);
    this.checkExclusive(q, owner);
    return q;
  }

  checkExclusive(q: Queue, owner: object | null): void {
    if (q.exclusiveOwner !== null && q.exclusiveOwner !== owner) this.lockedError(q);
  }

  private lockedError(q: Queue): never {
    throw resourceLocked(
      `cannot obtain exclusive access to locked ${this.where('queue', q.name)}. It could be originally declared on another connection or the exclusive property value does not match that of the original declaration.`,
    );
  }

  /**
   * queue.declare by `owner` (a connection). A non-passive redeclare checks exclusivity strictly,
   * as RabbitMQ does: the declared exclusive owner must match exactly.
   */
  declareQueue(name: string, passive: boolean, options: QueueOptions, owner: object, access: AccessCheck = TRUSTED): QueueDeclareResult {
    if (passive) {
      const queue = this.getQueue(name, owner);
      queue.touch(); // a passive declare renews the x-expires lease, as in RabbitMQ
      return { queue, created: false };
    }
    const serverNamed = name === '';
    if (serverNamed) name = `amq.gen-${randomBytes(16).toString('base64url')}`;
    else checkReservedName('queue', name);
    // Permissions as RabbitMQ: configure on the queue (a server-named one too, by its new name).
    access.check('queue', name, 'configure');
    this.churn.queuesDeclared++;
    options = this.withDefaultQueueType(options);
    const existing = this.queues.get(name);
    if (existing !== undefined) {
      if (existing.exclusiveOwner !== options.exclusiveOwner) this.lockedError(existing);
      checkQueueEquivalent(existing, options, this.where('queue', name));
      existing.touch();
      return { queue: existing, created: false };
    }
    const maxQueues = limitOf(this.limits, 'max-queues');
    if (maxQueues !== undefined && this.queues.size >= maxQueues) {
      throw preconditionFailed(`cannot declare queue '${name}': queue limit in vhost '${this.name}' (${maxQueues}) is reached`);
    }
    // A dead-letter exchange needs read on the queue and write on the exchange, as in RabbitMQ.
    const dlx = fieldString(options.arguments['x-dead-letter-exchange']);
    if (dlx !== undefined) {
      access.check('queue', name, 'read');
      access.check('exchange', dlx, 'write');
    }
    // Arguments are validated for a new queue only; a redeclare checks equivalence.
    const parsed = parseQueueArguments(options.arguments, {
      queue: name,
      vhost: this.name,
      durable: options.durable,
      exclusive: options.exclusiveOwner !== null,
      autoDelete: options.autoDelete,
      serverNamed,
    });
    const q = this.createQueue(name, options, parsed);
    this.churn.queuesCreated++;
    for (const o of this.observers) o.queueDeclared?.(q);
    if (options.exclusiveOwner !== null) {
      let set = this.exclusive.get(options.exclusiveOwner);
      if (set === undefined) this.exclusive.set(options.exclusiveOwner, (set = new Set()));
      set.add(q);
    }
    // Every queue is bound to the default exchange by its name (routing does this implicitly).
    return { queue: q, created: true };
  }

  /** The vhost's default queue type, for a declare that names none and is compatible with it (RabbitMQ 3.10). */
  private withDefaultQueueType(options: QueueOptions): QueueOptions {
    const type = this.metadata.defaultQueueType;
    if (type === undefined || options.arguments['x-queue-type'] !== undefined) return options;
    const compatible = type !== 'quorum' || (options.durable && options.exclusiveOwner === null && !options.autoDelete);
    return compatible ? { ...options, arguments: { ...options.arguments, 'x-queue-type': type } } : options;
  }

  /** A queue of its x-queue-type in this vhost, registered, not yet stored (declare and recovery). */
  createQueue(name: string, options: QueueOptions, parsed: QueueArguments): Queue {
    const settings = queueSettings(this.policies, this.name, name, parsed);
    const q = createQueue(parsed.queueType, name, this.name, options, settings, this.clock);
    q.declaredArguments = parsed;
    q.hooks = this.hooks;
    this.queues.set(name, q);
    return q;
  }

  /** Policies changed: every queue and exchange gets its new effective settings at once. */
  reapplyPolicies(): void {
    for (const q of this.queues.values()) q.applySettings(queueSettings(this.policies, this.name, q.name, q.declaredArguments));
    for (const x of this.exchanges.values()) applyExchangePolicy(this.policies, x);
  }

  /** queue.delete (configure on the queue): returns the number of ready messages deleted. Missing queue: 0 (idempotent). */
  deleteQueue(name: string, ifUnused: boolean, ifEmpty: boolean, owner: object | null, access: AccessCheck = TRUSTED): number {
    access.check('queue', name, 'configure');
    const q = this.queues.get(name);
    if (q === undefined) return 0;
    this.checkExclusive(q, owner);
    if (ifUnused && q.consumerCount > 0) throw preconditionFailed(`${this.where('queue', name)} in use`);
    if (ifEmpty && q.messageCount > 0) throw preconditionFailed(`${this.where('queue', name)} not empty`);
    return this.removeQueue(q);
  }

  /** Delete a queue now (queue.delete, auto-delete, x-expires, exclusive owner gone). */
  removeQueue(q: Queue): number {
    if (q.deleted) return 0;
    this.queues.delete(q.name);
    this.churn.queuesDeleted++;
    for (const o of this.observers) o.queueDeleted?.(q);
    if (q.exclusiveOwner !== null) this.exclusive.get(q.exclusiveOwner)?.delete(q);
    for (const b of [...q.bindings]) this.bindings.drop(b);
    return q.delete();
  }

  /** queue.purge: read on the queue. */
  purgeQueue(name: string, owner: object | null, access: AccessCheck = TRUSTED): number {
    return this.readQueue(name, owner, access).purge();
  }

  /** A queue to read from (basic.get, basic.consume, queue.purge): read permission, then lookup. */
  readQueue(name: string, owner: object | null, access: AccessCheck): Queue {
    access.check('queue', name, 'read');
    return this.getQueue(name, owner);
  }

  /** A connection closed: its exclusive queues go with it. */
  ownerClosed(owner: object): void {
    const set = this.exclusive.get(owner);
    if (set === undefined) return;
    this.exclusive.delete(owner);
    for (const q of set) this.removeQueue(q);
  }

  // ---- bindings (rules in VhostBindings) -------------------------------------------------

  bindQueue(queue: string, exchange: string, routingKey: string, args: FieldTable, owner: object | null, access: AccessCheck = TRUSTED): void {
    this.bindings.bindQueue(queue, exchange, routingKey, args, owner, access);
  }

  unbindQueue(queue: string, exchange: string, routingKey: string, args: FieldTable, owner: object | null, access: AccessCheck = TRUSTED): void {
    this.bindings.unbindQueue(queue, exchange, routingKey, args, owner, access);
  }

  bindExchange(destination: string, source: string, routingKey: string, args: FieldTable, access: AccessCheck = TRUSTED): void {
    this.bindings.bindExchange(destination, source, routingKey, args, access);
  }

  unbindExchange(destination: string, source: string, routingKey: string, args: FieldTable, access: AccessCheck = TRUSTED): void {
    this.bindings.unbindExchange(destination, source, routingKey, args, access);
  }

  // ---- publishing (rules in Publishing) --------------------------------------------------

  /** The publish entry point: validate, route, enqueue; what happened is in `out`. */
  publish(ctx: PublishContext, exchange: string, routingKey: string, properties: Buffer, body: Buffer, out: PublishOutcome): PublishOutcome {
    return this.publishing.publish(ctx, exchange, routingKey, properties, body, out);
  }

  /** Validate now, route at tx.commit. */
  preparePublish(ctx: PublishContext, exchange: string, routingKey: string, properties: Buffer, body: Buffer): PreparedPublish {
    return this.publishing.prepare(ctx, exchange, routingKey, properties, body);
  }

  routePrepared(p: PreparedPublish, out: PublishOutcome): PublishOutcome {
    return this.publishing.route(p, out);
  }

  /** Broker shutdown: stop every timer (delays, expiries) before the store closes. */
  stop(): void {
    this.tracing.stop();
    for (const x of this.exchanges.values()) x.delayed?.stop();
    for (const q of this.queues.values()) q.stopTimers();
  }
}
