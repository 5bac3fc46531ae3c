import { randomBytes } from 'node:crypto';
import type { FieldTable } from '../amqp/field-types.js';
import { accessRefused, commandInvalid, notFound, preconditionFailed, resourceLocked } from '../amqp/errors.js';
import { Binding, type Destination } from './binding.js';
import { EXCHANGE_EQUIVALENCE_ARGS, inequivalentArgument, QUEUE_EQUIVALENCE_ARGS } from './arguments.js';
import { Exchange, type ExchangeOptions } from './exchange/exchange.js';
import { exchangeTypeFactory } from './exchange/registry.js';
import { DelayedMessages } from './delayed-messages.js';
import { fieldString } from '../amqp/field-types.js';

/** The RabbitMQ delayed-message plugin's exchange type, built in. */
export const DELAYED_EXCHANGE_TYPE = 'x-delayed-message';
import { Queue, type MemoryBudget, type QueueOptions } from './queue/queue.js';

/** A queue keeps up to this much in memory; beyond it, new messages are paged to the store. */
export const DEFAULT_MEMORY_BUDGET: MemoryBudget = { messages: 65536, bytes: 64 * 1024 * 1024 };
import type { Message } from './message.js';
import { Router, type DirectReplySink } from './router.js';
import { DeadLetterer } from './dead-letterer.js';
import type { PropertiesCodec } from './queue/dead-letter.js';
import { DEFAULT_QUEUE_ARGUMENTS, type QueueSettings } from './queue/settings.js';
import { parseQueueArguments, type QueueArguments } from './queue-arguments.js';
import { effectiveQueueSettings, PolicyRegistry } from './policy.js';
import type { Clock } from '../util/clock.js';
import { systemClock } from '../util/clock.js';
import type { Persistence } from './persistence.js';

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
 * A virtual host: its exchanges, queues and bindings, with RabbitMQ's rules and reply texts for
 * declaring, deleting and binding them. Routing lives in Router.
 */
export class Vhost {
  readonly exchanges = new Map<string, Exchange>();
  readonly queues = new Map<string, Queue>();
  readonly router: Router;
  /** exclusive queues by owning connection, deleted when it closes */
  private readonly exclusive = new Map<object, Set<Queue>>();
  private readonly hooks: DeadLetterer;

  constructor(
    readonly name: string,
    codec: PropertiesCodec,
    /** durable definitions and messages go here (null: nothing is stored) */
    readonly persistence: Persistence | null = null,
    /** the broker's policies (all vhosts) */
    readonly policies: PolicyRegistry = new PolicyRegistry(),
    memoryBudget: MemoryBudget = DEFAULT_MEMORY_BUDGET,
    private readonly clock: Clock = systemClock,
  ) {
    this.router = new Router(this);
    this.hooks = new DeadLetterer(this, codec, memoryBudget);
    this.createExchange('', 'direct', { durable: true, autoDelete: false, internal: false, arguments: {} });
    for (const [n, t] of PREDECLARED) {
      this.createExchange(n, t, { durable: true, autoDelete: false, internal: false, arguments: {} });
    }
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

  declareExchange(name: string, type: string, passive: boolean, options: ExchangeOptions): Exchange {
    if (name === '') throw accessRefused('operation not permitted on the default exchange');
    if (passive) return this.getExchange(name);
    const existing = this.exchanges.get(name);
    if (existing === undefined) {
      // The reserved prefix only stops creating: redeclaring amq.direct as it is succeeds.
      if (name.startsWith('amq.')) throw accessRefused(`exchange name '${name}' contains reserved prefix 'amq.*'`);
      const x = this.createExchange(name, type, options);
      this.persistence?.exchangeDeclared(x);
      return x;
    }
    const what = this.where('exchange', name);
    const mismatch = (arg: string, received: unknown, current: unknown): never => {
      throw preconditionFailed(
        `inequivalent arg '${arg}' for ${what}: received '${String(received)}' but current is '${String(current)}'`,
      );
    };
    if (existing.type !== type) mismatch('type', type, existing.type);
    if (existing.durable !== options.durable) mismatch('durable', options.durable, existing.durable);
    if (existing.autoDelete !== options.autoDelete) mismatch('auto_delete', options.autoDelete, existing.autoDelete);
    if (existing.internal !== options.internal) mismatch('internal', options.internal, existing.internal);
    const diff = inequivalentArgument(EXCHANGE_EQUIVALENCE_ARGS, options.arguments, existing.arguments, what);
    if (diff !== undefined) throw preconditionFailed(diff);
    return existing;
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
      x.delayed = new DelayedMessages(this.clock, (d) => {
        if (!x.deleted) this.router.publish(x, d.message, d.extraRoutingKeys, undefined, true);
      });
    }
    this.exchanges.set(name, x);
    this.applyExchangePolicy(x);
    return x;
  }

  deleteExchange(name: string, ifUnused: boolean): void {
    if (name === '') throw accessRefused('operation not permitted on the default exchange');
    if (name.startsWith('amq.') && this.exchanges.has(name)) {
      throw accessRefused(`deletion of system exchange '${name}' in vhost '${this.name}' not allowed`);
    }
    const x = this.exchanges.get(name);
    if (x === undefined) return; // idempotent, as RabbitMQ 3.x
    if (ifUnused && x.outbound.size > 0) throw preconditionFailed(`${this.where('exchange', name)} in use`);
    this.removeExchange(x);
  }

  private removeExchange(x: Exchange): void {
    x.deleted = true;
    this.persistence?.exchangeDeleted(x);
    x.delayed?.stop();
    this.exchanges.delete(x.name);
    for (const b of [...x.outbound.values()]) x.removeBinding(b);
    for (const b of [...x.bindings]) this.dropBinding(b);
  }

  // ---- queues ----------------------------------------------------------------------------

  /** Look a queue up for an operation by `owner` (a connection): 404 if missing, 405 if another's exclusive queue. */
  getQueue(name: string, owner: object | null): Queue {
    const q = this.queues.get(name);
    if (q === undefined) throw notFound(`no ${this.where('queue', name)}`);
    this.checkExclusive(q, owner);
    return q;
  }

  private checkExclusive(q: Queue, owner: object | null): void {
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
  declareQueue(name: string, passive: boolean, options: QueueOptions, owner: object): QueueDeclareResult {
    if (passive) {
      const queue = this.getQueue(name, owner);
      queue.touch(); // a passive declare renews the x-expires lease, as in RabbitMQ
      return { queue, created: false };
    }
    const serverNamed = name === '';
    if (serverNamed) name = `amq.gen-${randomBytes(16).toString('base64url')}`;
    else if (name.startsWith('amq.')) {
      throw accessRefused(`queue name '${name}' contains reserved prefix 'amq.*'`);
    }
    const existing = this.queues.get(name);
    if (existing !== undefined) {
      if (existing.exclusiveOwner !== options.exclusiveOwner) this.lockedError(existing);
      this.checkEquivalent(existing, options);
      existing.touch();
      return { queue: existing, created: false };
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
    this.persistence?.queueDeclared(q);
    if (options.exclusiveOwner !== null) {
      let set = this.exclusive.get(options.exclusiveOwner);
      if (set === undefined) this.exclusive.set(options.exclusiveOwner, (set = new Set()));
      set.add(q);
    }
    // Every queue is bound to the default exchange by its name (routing does this implicitly).
    return { queue: q, created: true };
  }

  /** A queue object in this vhost, registered, not yet stored (declare and recovery). */
  createQueue(name: string, options: QueueOptions, parsed: QueueArguments): Queue {
    const q = new Queue(name, this.name, options, this.settingsFor(name, parsed), this.clock);
    q.declaredArguments = parsed;
    q.hooks = this.hooks;
    this.queues.set(name, q);
    return q;
  }

  /** A queue's effective settings: its arguments with the matching policy and operator policy. */
  private settingsFor(name: string, parsed: QueueArguments): QueueSettings {
    const { policy, operatorPolicy } = this.policies.match(this.name, name, 'queue', parsed.queueType);
    return { ...effectiveQueueSettings(parsed, policy, operatorPolicy), queueType: parsed.queueType };
  }

  /** Policies changed: every queue gets its new effective settings at once. */
  reapplyPolicies(): void {
    for (const q of this.queues.values()) q.applySettings(this.settingsFor(q.name, q.declaredArguments));
    for (const x of this.exchanges.values()) this.applyExchangePolicy(x);
  }

  /** An exchange's alternate-exchange: its argument wins over a policy's (RabbitMQ's precedence). */
  private applyExchangePolicy(x: Exchange): void {
    if (x.name === '') return;
    const fromArgs = fieldString(x.arguments['alternate-exchange']);
    const { policy } = this.policies.match(this.name, x.name, 'exchange', 'classic');
    const fromPolicy = policy?.definition['alternate-exchange'];
    x.alternateExchange = fromArgs ?? (typeof fromPolicy === 'string' ? fromPolicy : undefined);
  }

  /** Recovery: parse stored arguments leniently (they were valid when declared). */
  static storedArguments(args: FieldTable, name: string, vhost: string, durable: boolean, autoDelete: boolean): QueueArguments {
    try {
      return parseQueueArguments(args, { queue: name, vhost, durable, exclusive: false, autoDelete });
    } catch {
      return DEFAULT_QUEUE_ARGUMENTS;
    }
  }

  /** Recovery: an exchange as it was stored. */
  restoreExchange(name: string, type: string, options: ExchangeOptions): Exchange {
    return this.createExchange(name, type, options);
  }

  private checkEquivalent(q: Queue, options: QueueOptions): void {
    const what = this.where('queue', q.name);
    const check = (arg: string, received: boolean, current: boolean): void => {
      if (received !== current) {
        throw preconditionFailed(
          `inequivalent arg '${arg}' for ${what}: received '${received}' but current is '${current}'`,
        );
      }
    };
    check('durable', options.durable, q.durable);
    check('exclusive', options.exclusiveOwner !== null, q.exclusiveOwner !== null);
    check('auto_delete', options.autoDelete, q.autoDelete);
    const diff = inequivalentArgument(QUEUE_EQUIVALENCE_ARGS, classicAsDefault(options.arguments, q.arguments), q.arguments, what);
    if (diff !== undefined) throw preconditionFailed(diff);
  }

  /** queue.delete: returns the number of ready messages deleted. Missing queue: 0 (idempotent). */
  deleteQueue(name: string, ifUnused: boolean, ifEmpty: boolean, owner: object | null): number {
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
    this.persistence?.queueDeleted(q);
    if (q.exclusiveOwner !== null) this.exclusive.get(q.exclusiveOwner)?.delete(q);
    for (const b of [...q.bindings]) this.dropBinding(b);
    return q.delete();
  }

  purgeQueue(name: string, owner: object | null): number {
    return this.getQueue(name, owner).purge();
  }

  /** A connection closed: its exclusive queues go with it. */
  ownerClosed(owner: object): void {
    const set = this.exclusive.get(owner);
    if (set === undefined) return;
    this.exclusive.delete(owner);
    for (const q of set) this.removeQueue(q);
  }

  // ---- bindings --------------------------------------------------------------------------

  private bindableSource(name: string): Exchange {
    if (name === '') throw accessRefused(`operation not permitted on the default exchange`);
    return this.getExchange(name);
  }

  bindQueue(queueName: string, exchangeName: string, routingKey: string, args: FieldTable, owner: object | null): void {
    // RabbitMQ reports a missing exchange before a missing queue.
    const x = this.bindableSource(exchangeName);
    const q = this.getQueue(queueName, owner);
    this.addBinding(new Binding(x, q, routingKey, args));
  }

  /** Unbinding what does not exist (binding, queue or exchange) succeeds, as in RabbitMQ 3.x. */
  unbindQueue(queueName: string, exchangeName: string, routingKey: string, args: FieldTable, owner: object | null): void {
    if (exchangeName === '') throw accessRefused('operation not permitted on the default exchange');
    const x = this.exchanges.get(exchangeName);
    const q = this.queues.get(queueName);
    if (x === undefined || q === undefined) return;
    this.checkExclusive(q, owner);
    this.unbind(x, new Binding(x, q, routingKey, args));
  }

  bindExchange(destination: string, source: string, routingKey: string, args: FieldTable): void {
    const s = this.bindableSource(source);
    const d = this.bindableSource(destination);
    this.addBinding(new Binding(s, d, routingKey, args));
  }

  unbindExchange(destination: string, source: string, routingKey: string, args: FieldTable): void {
    if (source === '' || destination === '') throw accessRefused('operation not permitted on the default exchange');
    const s = this.exchanges.get(source);
    const d = this.exchanges.get(destination);
    if (s === undefined || d === undefined) return;
    this.unbind(s, new Binding(s, d, routingKey, args));
  }

  /** Add a binding (stored when both ends are durable). */
  addBinding(b: Binding): void {
    if (b.source.addBinding(b)) this.persistence?.bindingAdded(b);
  }

  private unbind(x: Exchange, probe: Binding): void {
    const existing = x.outbound.get(probe.key);
    if (existing !== undefined) this.dropBinding(existing);
  }

  /** Remove a binding; an auto-delete source exchange goes with its last binding. */
  private dropBinding(b: Binding): void {
    const x = b.source;
    x.removeBinding(b);
    this.persistence?.bindingRemoved(b);
    if (x.autoDelete && x.outbound.size === 0 && !x.deleted) this.removeExchange(x);
  }

  // ---- publishing ------------------------------------------------------------------------

  /** Route and enqueue a message. Returns the number of queues (or reply consumers) it reached. */
  publish(exchange: Exchange, message: Message, extraRoutingKeys: readonly string[] | undefined): number {
    return this.router.publish(exchange, message, extraRoutingKeys);
  }

  /** Broker shutdown: stop every timer (delays, expiries) before the store closes. */
  stop(): void {
    for (const x of this.exchanges.values()) x.delayed?.stop();
    for (const q of this.queues.values()) q.stopTimers();
  }

  registerDirectReply(token: string, sink: DirectReplySink): void {
    this.router.directReplies.set(token, sink);
  }

  unregisterDirectReply(token: string): void {
    this.router.directReplies.delete(token);
  }
}

/** An x-queue-type of 'classic' is equivalent to none (the default), in either direction. */
function classicAsDefault(received: FieldTable, current: FieldTable): FieldTable {
  const r = fieldString(received['x-queue-type']);
  const c = fieldString(current['x-queue-type']);
  if (r === 'classic' && c === undefined) {
    const { 'x-queue-type': _drop, ...rest } = received;
    return rest;
  }
  if (r === undefined && c === 'classic') return { ...received, 'x-queue-type': 'classic' };
  return received;
}
