/**
 * Operations on messages that AMQP has no method for, for the management API (Warren's
 * /api/warren extras) and later cluster replication: browse a queue without taking its messages,
 * move ready messages to another queue, list and cancel the messages a delayed-message exchange
 * holds. Each takes the caller's access, checked as the matching AMQP operations would be.
 */
import { notFound, preconditionFailed } from '../amqp/errors.js';
import { TRUSTED, type AccessCheck } from './auth/access.js';
import type { DelayedMessage } from './delayed-messages.js';
import type { Exchange } from './exchange/exchange.js';
import type { QueuedMessage } from './message.js';
import { PublishContext, PublishOutcome } from './publish.js';
import type { Vhost } from './vhost.js';

/** The owner of HTTP-side operations: another connection's exclusive queue is locked to it. */
const NO_OWNER = null;

/** Ready messages of a queue from `offset`, at most `count`, in delivery order, left in place. Read permission, as basic.get. */
export function browseMessages(vhost: Vhost, queue: string, offset: number, count: number, access: AccessCheck): QueuedMessage[] {
  return vhost.readQueue(queue, NO_OWNER, access).browse(offset, count);
}

/**
 * Move up to `count` (default: all) ready messages of `source` to `destination`, as RabbitMQ's
 * "move messages" (a shovel with ack-mode on-confirm) does: each is taken, republished with its
 * properties and body to the default exchange with the destination's name as routing key, and
 * removed from the source only once the destination has it; one the destination refuses
 * (overflow reject-publish) goes back to the source and ends the move. Needs read on the source
 * and write on the destination. Returns how many moved.
 */
export function moveMessages(vhost: Vhost, source: string, destination: string, count: number, access: AccessCheck): number {
  const from = vhost.readQueue(source, NO_OWNER, access);
  access.check('queue', destination, 'write');
  const to = vhost.getQueue(destination, NO_OWNER);
  if (to === from) throw preconditionFailed(`cannot move messages of ${where(vhost, source)} to itself`);
  // Access was checked above; the republish itself is the broker's, not the user's (user_id stays).
  const ctx = new PublishContext(TRUSTED);
  const out = new PublishOutcome();
  // Bounded by what the source holds now: nothing can come back round into it.
  const limit = Math.min(count, from.messageCount);
  let moved = 0;
  while (moved < limit) {
    const entry = from.get(false);
    if (entry === undefined) break;
    const m = entry.message;
    out.reset();
    vhost.publish(ctx, '', destination, m.properties, m.body, out);
    if (out.routed === 0 || out.rejected > 0 || to.deleted) {
      from.requeue(entry);
      break;
    }
    from.ack(entry);
    moved++;
  }
  return moved;
}

const where = (vhost: Vhost, queue: string): string => `queue '${queue}' in vhost '${vhost.name}'`;

/** A message held by a delayed-message exchange. */
export interface HeldMessage {
  readonly exchange: Exchange;
  readonly held: DelayedMessage;
}

/** Messages held by the vhost's delayed-message exchanges (or by `exchange` only), soonest first; read permission on each exchange. */
export function listDelayed(vhost: Vhost, exchange: string | undefined, access: AccessCheck): HeldMessage[] {
  const exchanges = exchange === undefined ? [...vhost.exchanges.values()] : [delayedExchange(vhost, exchange)];
  const out: HeldMessage[] = [];
  for (const x of exchanges) {
    if (x.delayed === null) continue;
    if (exchange === undefined && !mayRead(access, x)) continue;
    if (exchange !== undefined) access.check('exchange', x.name, 'read');
    for (const held of x.delayed.list()) out.push({ exchange: x, held });
  }
  return out.sort((a, b) => a.held.dueAt - b.held.dueAt || a.held.id - b.held.id);
}

function mayRead(access: AccessCheck, x: Exchange): boolean {
  try {
    access.check('exchange', x.name, 'read');
    return true;
  } catch {
    return false;
  }
}

/** Drop a held message for good (from the store too, when it is kept there); write permission on the exchange. False when it is not held (any more). */
export function cancelDelayed(vhost: Vhost, exchange: string, id: number, access: AccessCheck): boolean {
  access.check('exchange', exchange, 'write');
  return delayedExchange(vhost, exchange).delayed?.cancel(id) ?? false;
}

function delayedExchange(vhost: Vhost, name: string): Exchange {
  const x = vhost.getExchange(name);
  if (x.delayed === null) throw notFound(`exchange '${name}' in vhost '${vhost.name}' is not a delayed-message exchange`);
  return x;
}
