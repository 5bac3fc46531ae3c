/**
 * The routing-table contract every exchange type implements, plus the pieces the built-in types
 * share: binding identity (routing key + arguments, compared tag-exactly and order-insensitively)
 * and BindingBucket, the set of destinations bound at one key.
 *
 * A binding in RabbitMQ is identified by (source, destination, routing key, arguments). Two bindings
 * that differ only in arguments are distinct bindings but a message reaches their destination once:
 * route() adds to the caller's Set, which deduplicates.
 */
import { Decimal, FieldTyped, isFieldTable } from '../../amqp/field-types.js';
import type { FieldTable, FieldTag, FieldValue } from '../../amqp/field-types.js';

export interface RoutingTable<T> {
  /** Add a binding; returns false if an identical binding (same key, same args for headers) already existed. */
  add(routingKey: string, args: FieldTable, destination: T): boolean;
  /** Remove a binding; returns false if it did not exist. */
  remove(routingKey: string, args: FieldTable, destination: T): boolean;
  /** Add every destination matching this message to `out` (a reused Set; do not clear it). */
  route(routingKey: string, headers: FieldTable | undefined, out: Set<T>): void;
  readonly size: number; // number of bindings
}

// eslint-disable-next-line @typescript-eslint/unbound-method -- only ever called as hasOwn.call(obj, key)
const hasOwn = Object.prototype.hasOwnProperty;

/** True if the table has no own keys (allocates nothing, unlike Object.keys). */
export function isEmptyTable(table: FieldTable): boolean {
  for (const key in table) if (hasOwn.call(table, key)) return false;
  return true;
}

/** The tag the wire carries for a value: FieldTyped's own, else the encoder's default (field-types.ts). */
export function fieldTagOf(v: FieldValue): FieldTag {
  if (v instanceof FieldTyped) return v.type;
  switch (typeof v) {
    case 'boolean':
      return 't';
    case 'number':
      if (Number.isInteger(v)) {
        if (v >= -0x80000000 && v <= 0x7fffffff) return 'I';
        if (Number.isSafeInteger(v)) return 'l';
      }
      return 'd';
    case 'bigint':
      return 'l';
    case 'string':
      return 'S';
  }
  if (v === null) return 'V';
  if (Buffer.isBuffer(v)) return 'x';
  if (v instanceof Date) return 'T';
  if (v instanceof Decimal) return 'D';
  if (Array.isArray(v)) return 'A';
  return 'F';
}

/** Bytes-level equality of two string/Buffer values; a string stands for its UTF-8 bytes. */
export function binaryEqual(a: string | Buffer, b: string | Buffer): boolean {
  if (typeof a === 'string') {
    if (typeof b === 'string') return a === b;
    return Buffer.byteLength(a) === b.length && b.equals(Buffer.from(a));
  }
  if (typeof b === 'string') return binaryEqual(b, a);
  return a.equals(b);
}

/** The raw value under a FieldTyped wrapper, or the value itself. */
function rawOf(v: FieldValue): FieldValue {
  return v instanceof FieldTyped ? v.value : v;
}

/** Tag-exact deep equality: same wire tag and same value (nested tables compared order-insensitively). */
export function fieldValuesIdentical(a: FieldValue, b: FieldValue): boolean {
  if (a === b) return true;
  if (fieldTagOf(a) !== fieldTagOf(b)) return false;
  const ra = rawOf(a);
  const rb = rawOf(b);
  if (typeof ra === 'number' || typeof ra === 'bigint') {
    // eslint-disable-next-line eqeqeq -- number vs bigint compare mathematically under ==
    return (typeof rb === 'number' || typeof rb === 'bigint') && ra == rb;
  }
  if (typeof ra === 'string' || Buffer.isBuffer(ra)) {
    return (typeof rb === 'string' || Buffer.isBuffer(rb)) && binaryEqual(ra, rb);
  }
  if (ra instanceof Date) return rb instanceof Date && ra.getTime() === rb.getTime();
  if (ra instanceof Decimal) return rb instanceof Decimal && ra.scale === rb.scale && ra.value === rb.value;
  if (Array.isArray(ra)) {
    if (!Array.isArray(rb) || ra.length !== rb.length) return false;
    for (let i = 0; i < ra.length; i++) if (!fieldValuesIdentical(ra[i] as FieldValue, rb[i] as FieldValue)) return false;
    return true;
  }
  if (isFieldTable(ra)) return isFieldTable(rb) && fieldTablesIdentical(ra, rb);
  return ra === rb; // booleans, null
}

/** Order-insensitive, tag-exact deep equality of two tables. Cheap when both are empty. */
export function fieldTablesIdentical(a: FieldTable, b: FieldTable): boolean {
  if (a === b) return true;
  let count = 0;
  for (const key in a) {
    if (!hasOwn.call(a, key)) continue;
    if (!hasOwn.call(b, key) || !fieldValuesIdentical(a[key] as FieldValue, b[key] as FieldValue)) return false;
    count++;
  }
  for (const key in b) if (hasOwn.call(b, key)) count--;
  return count === 0;
}

/** Binding-identity equality of arguments, with a fast path for the common empty tables. */
export function bindingArgsEqual(a: FieldTable, b: FieldTable): boolean {
  const aEmpty = isEmptyTable(a);
  if (aEmpty || isEmptyTable(b)) return aEmpty && isEmptyTable(b);
  return fieldTablesIdentical(a, b);
}

/** The bindings of one destination inside a bucket: parallel arrays of (routing key, args). */
class BucketEntry {
  constructor(
    public index: number,
    readonly keys: string[],
    readonly args: FieldTable[],
  ) {}
}

/**
 * Destinations bound at one routing-table slot, each with the bindings (key, args) that put it
 * there. Routing walks a dense array, so it allocates nothing; removal swaps with the last element.
 */
export class BindingBucket<T> {
  private readonly entries = new Map<T, BucketEntry>();
  private readonly destinations: T[] = [];

  get isEmpty(): boolean {
    return this.destinations.length === 0;
  }

  add(routingKey: string, args: FieldTable, destination: T): boolean {
    const entry = this.entries.get(destination);
    if (entry === undefined) {
      this.entries.set(destination, new BucketEntry(this.destinations.length, [routingKey], [args]));
      this.destinations.push(destination);
      return true;
    }
    if (indexOfBinding(entry, routingKey, args) !== -1) return false;
    entry.keys.push(routingKey);
    entry.args.push(args);
    return true;
  }

  remove(routingKey: string, args: FieldTable, destination: T): boolean {
    const entry = this.entries.get(destination);
    if (entry === undefined) return false;
    const i = indexOfBinding(entry, routingKey, args);
    if (i === -1) return false;
    if (entry.keys.length > 1) {
      entry.keys.splice(i, 1);
      entry.args.splice(i, 1);
      return true;
    }
    this.entries.delete(destination);
    const last = this.destinations.pop() as T;
    if (entry.index < this.destinations.length) {
      this.destinations[entry.index] = last;
      (this.entries.get(last) as BucketEntry).index = entry.index;
    }
    return true;
  }

  /** Add every destination of this bucket to `out`. */
  routeTo(out: Set<T>): void {
    const d = this.destinations;
    for (let i = 0; i < d.length; i++) out.add(d[i] as T);
  }
}

function indexOfBinding(entry: BucketEntry, routingKey: string, args: FieldTable): number {
  for (let i = 0; i < entry.keys.length; i++) {
    if (entry.keys[i] === routingKey && bindingArgsEqual(entry.args[i] as FieldTable, args)) return i;
  }
  return -1;
}
