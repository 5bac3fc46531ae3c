/**
 * Headers exchange. A binding's arguments name the headers to test and `x-match` says how:
 * 'all' (the default) or 'any' test the keys not starting with "x-"; 'all-with-x' and
 * 'any-with-x' test those too. `x-match` itself is never tested. A void (null) binding value means
 * "present with any value". 'all' over zero tested keys matches every message; 'any' matches none.
 *
 * Values compare as RabbitMQ compares them (Erlang `==` on the decoded values, types ignored since
 * rabbitmq-server#760): every integer tag, timestamp and float compare numerically (int 1 == long 1 ==
 * double 1.0); 'S' strings and 'x' byte arrays compare by bytes; booleans, decimals (scale and value)
 * likewise. Nested tables and arrays are compared tag-exactly (their entries carry types in RabbitMQ),
 * except that an empty table equals an empty array ([] == [] in Erlang).
 */
import { Decimal, FieldTyped, isFieldTable } from '../../amqp/field-types.js';
import type { FieldTable, FieldTag, FieldValue } from '../../amqp/field-types.js';
import { binaryEqual, bindingArgsEqual, fieldTagOf, fieldValuesIdentical, isEmptyTable } from './routing-table.js';
import type { RoutingTable } from './routing-table.js';

// eslint-disable-next-line @typescript-eslint/unbound-method -- only ever called as hasOwn.call(obj, key)
const hasOwn = Object.prototype.hasOwnProperty;
const EMPTY: FieldTable = Object.freeze({}) as FieldTable;
const X_MATCH_MODES: ReadonlySet<string> = new Set(['all', 'any', 'all-with-x', 'any-with-x']);

class HeadersBinding<T> {
  constructor(
    public index: number,
    readonly routingKey: string,
    readonly args: FieldTable,
    readonly destination: T,
    readonly any: boolean,
    readonly keys: string[],
    /** Binding values per tested key; null means presence only. */
    readonly values: FieldValue[],
  ) {}
}

/** The longstr text of a field ('S' as string or bytes), else undefined. */
function longstrOf(v: FieldValue): string | undefined {
  if (typeof v === 'string') return v;
  if (v instanceof FieldTyped && v.type === 'S') return typeof v.value === 'string' ? v.value : String(v.value);
  return undefined;
}

function compile<T>(index: number, routingKey: string, args: FieldTable, destination: T): HeadersBinding<T> {
  const xMatch = hasOwn.call(args, 'x-match') ? longstrOf(args['x-match'] as FieldValue) : undefined;
  // RabbitMQ treats any value it does not know as 'all' (bind-time validation rejects those first).
  const any = xMatch === 'any' || xMatch === 'any-with-x';
  const withX = xMatch === 'all-with-x' || xMatch === 'any-with-x';
  const keys: string[] = [];
  const values: FieldValue[] = [];
  for (const key in args) {
    if (!hasOwn.call(args, key) || key === 'x-match') continue;
    if (!withX && key.startsWith('x-')) continue;
    keys.push(key);
    values.push(args[key] as FieldValue);
  }
  return new HeadersBinding(index, routingKey, args, destination, any, keys, values);
}

function numericOf(v: FieldValue): number | bigint | undefined {
  if (typeof v === 'number' || typeof v === 'bigint') return v;
  if (v instanceof FieldTyped) return typeof v.value === 'number' || typeof v.value === 'bigint' ? v.value : undefined;
  if (v instanceof Date) return v.getTime() / 1000;
  return undefined;
}

function binaryOf(v: FieldValue): string | Buffer | undefined {
  if (typeof v === 'string' || Buffer.isBuffer(v)) return v;
  if (v instanceof FieldTyped) return typeof v.value === 'string' || Buffer.isBuffer(v.value) ? v.value : undefined;
  return undefined;
}

function isEmptyComposite(v: FieldValue): boolean {
  return Array.isArray(v) ? v.length === 0 : isFieldTable(v) && isEmptyTable(v);
}

/** RabbitMQ's header equality (Erlang `==` of decoded values); see the file comment. */
export function headerValueEquals(a: FieldValue, b: FieldValue): boolean {
  const na = numericOf(a);
  if (na !== undefined) {
    const nb = numericOf(b);
    // eslint-disable-next-line eqeqeq -- number vs bigint compare mathematically under ==
    return nb !== undefined && na == nb;
  }
  const sa = binaryOf(a);
  if (sa !== undefined) {
    const sb = binaryOf(b);
    return sb !== undefined && binaryEqual(sa, sb);
  }
  if (a instanceof Decimal) return b instanceof Decimal && a.scale === b.scale && a.value === b.value;
  if (Array.isArray(a) || isFieldTable(a)) {
    return (isEmptyComposite(a) && isEmptyComposite(b)) || fieldValuesIdentical(a, b);
  }
  return a === b; // booleans, void
}

function matches<T>(b: HeadersBinding<T>, headers: FieldTable): boolean {
  const { keys, values } = b;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    const expected = values[i] as FieldValue;
    const ok = hasOwn.call(headers, key) && (expected === null || headerValueEquals(expected, headers[key] as FieldValue));
    if (ok === b.any) return ok;
  }
  return !b.any;
}

export class HeadersRoutingTable<T> implements RoutingTable<T> {
  private readonly bindings: HeadersBinding<T>[] = [];
  private readonly byDestination = new Map<T, HeadersBinding<T>[]>();

  get size(): number {
    return this.bindings.length;
  }

  add(routingKey: string, args: FieldTable, destination: T): boolean {
    let list = this.byDestination.get(destination);
    if (list === undefined) {
      list = [];
      this.byDestination.set(destination, list);
    } else if (indexOfBinding(list, routingKey, args) !== -1) {
      return false;
    }
    const binding = compile(this.bindings.length, routingKey, args, destination);
    list.push(binding);
    this.bindings.push(binding);
    return true;
  }

  remove(routingKey: string, args: FieldTable, destination: T): boolean {
    const list = this.byDestination.get(destination);
    if (list === undefined) return false;
    const i = indexOfBinding(list, routingKey, args);
    if (i === -1) return false;
    const binding = list[i] as HeadersBinding<T>;
    list.splice(i, 1);
    if (list.length === 0) this.byDestination.delete(destination);
    const last = this.bindings.pop() as HeadersBinding<T>;
    if (binding.index < this.bindings.length) {
      this.bindings[binding.index] = last;
      last.index = binding.index;
    }
    return true;
  }

  route(_routingKey: string, headers: FieldTable | undefined, out: Set<T>): void {
    const h = headers ?? EMPTY;
    const list = this.bindings;
    for (let i = 0; i < list.length; i++) {
      const b = list[i] as HeadersBinding<T>;
      if (!out.has(b.destination) && matches(b, h)) out.add(b.destination);
    }
  }
}

function indexOfBinding<T>(list: HeadersBinding<T>[], routingKey: string, args: FieldTable): number {
  for (let i = 0; i < list.length; i++) {
    const b = list[i] as HeadersBinding<T>;
    if (b.routingKey === routingKey && bindingArgsEqual(b.args, args)) return i;
  }
  return -1;
}

/**
 * Bind-time check of a headers binding's x-match. Returns RabbitMQ's text after
 * "PRECONDITION_FAILED - " when invalid, else undefined.
 */
export function validateHeadersBindingArgs(args: FieldTable): string | undefined {
  if (!hasOwn.call(args, 'x-match')) return undefined;
  const v = args['x-match'] as FieldValue;
  const text = longstrOf(v);
  if (text !== undefined) {
    if (X_MATCH_MODES.has(text)) return undefined;
    return `Invalid x-match field value ${erlangTerm(v)}; expected all, any, all-with-x, or any-with-x`;
  }
  return `Invalid x-match field type ${ERLANG_TYPE[fieldTagOf(v)]} (value ${erlangTerm(v)}); expected longstr`;
}

/** RabbitMQ's names for field types (rabbit_binary_parser). */
const ERLANG_TYPE: Record<FieldTag, string> = {
  t: 'bool', b: 'byte', B: 'unsignedbyte', s: 'short', u: 'unsignedshort', I: 'signedint',
  i: 'unsignedint', l: 'long', f: 'float', d: 'double', D: 'decimal', S: 'longstr',
  A: 'array', T: 'timestamp', F: 'table', V: 'void', x: 'binary',
};

const ESCAPES: Record<number, string> = { 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r', 27: '\\e', 34: '\\"', 92: '\\\\' };

/** A binary as Erlang's ~tp prints it: <<"abc">>, <<"é"/utf8>>, or <<1,2,3>>. */
function erlangBinary(bytes: Buffer): string {
  const text = bytes.toString('utf8');
  let ascii = true;
  let out = '';
  for (const ch of text) {
    const c = ch.codePointAt(0) as number;
    if (ESCAPES[c] !== undefined) out += ESCAPES[c];
    else if (c >= 32 && c < 127) out += ch;
    else if (c >= 160 && c !== 0xfffd) {
      ascii = false;
      out += ch;
    } else return `<<${Array.from(bytes).join(',')}>>`;
  }
  return ascii ? `<<"${out}">>` : `<<"${out}"/utf8>>`;
}

function erlangFloat(x: number): string {
  const s = String(x);
  const e = s.indexOf('e');
  const mantissa = e === -1 ? s : s.slice(0, e);
  const withDot = mantissa.includes('.') ? mantissa : `${mantissa}.0`;
  return e === -1 ? withDot : `${withDot}e${s.slice(e + 1).replace('+', '')}`;
}

/** A decoded field value as Erlang's ~tp prints it (for RabbitMQ-identical error texts). */
function erlangTerm(v: FieldValue): string {
  const tag = fieldTagOf(v);
  const raw = v instanceof FieldTyped ? v.value : v;
  if (typeof raw === 'number') return tag === 'f' || tag === 'd' ? erlangFloat(raw) : String(raw);
  if (typeof raw === 'bigint') return String(raw);
  if (typeof raw === 'string') return erlangBinary(Buffer.from(raw));
  if (Buffer.isBuffer(raw)) return erlangBinary(raw);
  if (typeof raw === 'boolean') return String(raw);
  if (raw === null) return 'undefined';
  if (raw instanceof Date) return String(Math.floor(raw.getTime() / 1000));
  if (raw instanceof Decimal) return `{${raw.scale},${raw.value}}`;
  if (Array.isArray(raw)) return `[${raw.map((x) => `{${ERLANG_TYPE[fieldTagOf(x)]},${erlangTerm(x)}}`).join(',')}]`;
  const entries = Object.keys(raw).map((k) => {
    const x = raw[k] as FieldValue;
    return `{${erlangBinary(Buffer.from(k))},${ERLANG_TYPE[fieldTagOf(x)]},${erlangTerm(x)}}`;
  });
  return `[${entries.join(',')}]`;
}
