import { accessRefused, preconditionFailed } from '../amqp/errors.js';
import type { FieldTable } from '../amqp/field-types.js';
import type { AccessCheck } from './auth/access.js';
import { Binding } from './binding.js';
import type { Exchange } from './exchange/exchange.js';
import { validateHeadersBindingArgs } from './exchange/headers.js';
import type { Vhost } from './vhost.js';

/**
 * queue.bind / unbind and exchange.bind / unbind with RabbitMQ's rules: the default exchange
 * cannot be bound; a missing exchange is reported before a missing queue; a headers exchange
 * refuses an invalid x-match; unbinding what does not exist succeeds; an auto-delete exchange
 * goes with its last outbound binding. Permissions as RabbitMQ: write on the destination, read on
 * the source, and on a topic source the read topic permission for the routing key; so an
 * exchange-to-exchange binding cannot reach what the user could not publish to.
 */
export class VhostBindings {
  constructor(private readonly vhost: Vhost) {}

  bindQueue(queueName: string, exchangeName: string, routingKey: string, args: FieldTable, owner: object | null, access: AccessCheck): void {
    this.check(access, 'queue', queueName, exchangeName, routingKey);
    const x = this.source(exchangeName);
    checkArgs(x, args);
    const q = this.vhost.getQueue(queueName, owner);
    this.add(new Binding(x, q, routingKey, args));
  }

  unbindQueue(queueName: string, exchangeName: string, routingKey: string, args: FieldTable, owner: object | null, access: AccessCheck): void {
    this.check(access, 'queue', queueName, exchangeName, routingKey);
    const x = this.vhost.exchanges.get(exchangeName);
    const q = this.vhost.queues.get(queueName);
    if (x === undefined || q === undefined) return;
    this.vhost.checkExclusive(q, owner);
    this.unbind(x, new Binding(x, q, routingKey, args));
  }

  bindExchange(destination: string, source: string, routingKey: string, args: FieldTable, access: AccessCheck): void {
    this.check(access, 'exchange', destination, source, routingKey);
    const s = this.source(source);
    checkArgs(s, args);
    const d = this.source(destination);
    this.add(new Binding(s, d, routingKey, args));
  }

  unbindExchange(destination: string, source: string, routingKey: string, args: FieldTable, access: AccessCheck): void {
    this.check(access, 'exchange', destination, source, routingKey);
    const s = this.vhost.exchanges.get(source);
    const d = this.vhost.exchanges.get(destination);
    if (s === undefined || d === undefined) return;
    this.unbind(s, new Binding(s, d, routingKey, args));
  }

  /** Add a binding (told to observers: stored when both ends are durable). */
  add(b: Binding): void {
    if (b.source.addBinding(b)) for (const o of this.vhost.observers) o.bindingAdded?.(b);
  }

  /** Remove a binding; an auto-delete source exchange goes with its last binding. */
  drop(b: Binding): void {
    const x = b.source;
    x.removeBinding(b);
    for (const o of this.vhost.observers) o.bindingRemoved?.(b);
    if (x.autoDelete && x.outbound.size === 0 && !x.deleted) this.vhost.removeExchange(x);
  }

  /** RabbitMQ's binding_action checks, in its order. */
  private check(access: AccessCheck, kind: 'queue' | 'exchange', destination: string, source: string, routingKey: string): void {
    access.check(kind, destination, 'write');
    if (source === '' || (kind === 'exchange' && destination === '')) {
      throw accessRefused('operation not permitted on the default exchange');
    }
    access.check('exchange', source, 'read');
    const x = this.vhost.exchanges.get(source);
    if (x !== undefined) access.checkTopic(x, routingKey, 'read');
  }

  private source(name: string): Exchange {
    if (name === '') throw accessRefused(`operation not permitted on the default exchange`);
    return this.vhost.getExchange(name);
  }

  private unbind(x: Exchange, probe: Binding): void {
    const existing = x.outbound.get(probe.key);
    if (existing !== undefined) this.drop(existing);
  }
}

/** Headers exchanges refuse an invalid x-match at bind time. */
function checkArgs(x: Exchange, args: FieldTable): void {
  if (x.type !== 'headers') return;
  const problem = validateHeadersBindingArgs(args);
  if (problem !== undefined) throw preconditionFailed(problem);
}
