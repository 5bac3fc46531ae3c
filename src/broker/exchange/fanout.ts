/**
 * Fanout exchange: every bound destination gets every message; the routing key is ignored for
 * matching but still part of a binding's identity (binding "a" and "b" to one queue are two bindings).
 */
import type { FieldTable } from '../../amqp/field-types.js';
import { BindingBucket } from './routing-table.js';
import type { RoutingTable } from './routing-table.js';

export class FanoutRoutingTable<T> implements RoutingTable<T> {
  private readonly bucket = new BindingBucket<T>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(routingKey: string, args: FieldTable, destination: T): boolean {
    if (!this.bucket.add(routingKey, args, destination)) return false;
    this.count++;
    return true;
  }

  remove(routingKey: string, args: FieldTable, destination: T): boolean {
    if (!this.bucket.remove(routingKey, args, destination)) return false;
    this.count--;
    return true;
  }

  route(_routingKey: string, _headers: FieldTable | undefined, out: Set<T>): void {
    this.bucket.routeTo(out);
  }
}
