/** Direct exchange: a message goes to the bindings whose key equals its routing key exactly. */
import type { FieldTable } from '../../amqp/field-types.js';
import { BindingBucket } from './routing-table.js';
import type { RoutingTable } from './routing-table.js';

export class DirectRoutingTable<T> implements RoutingTable<T> {
  private readonly byKey = new Map<string, BindingBucket<T>>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(routingKey: string, args: FieldTable, destination: T): boolean {
    let bucket = this.byKey.get(routingKey);
    if (bucket === undefined) {
      bucket = new BindingBucket<T>();
      this.byKey.set(routingKey, bucket);
    }
    if (!bucket.add(routingKey, args, destination)) return false;
    this.count++;
    return true;
  }

  remove(routingKey: string, args: FieldTable, destination: T): boolean {
    const bucket = this.byKey.get(routingKey);
    if (bucket === undefined || !bucket.remove(routingKey, args, destination)) return false;
    if (bucket.isEmpty) this.byKey.delete(routingKey);
    this.count--;
    return true;
  }

  route(routingKey: string, _headers: FieldTable | undefined, out: Set<T>): void {
    this.byKey.get(routingKey)?.routeTo(out);
  }
}
