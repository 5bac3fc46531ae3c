/**
 * A binding's properties_key, as RabbitMQ's management API names a binding in paths
 * (rabbit_mgmt_format:pack_binding_props): `~` for an empty routing key and no arguments; else the
 * routing key URL-quoted (quote_plus, with `~` escaped as %7E), followed, when there are
 * arguments, by `~` and the arguments' hash: erlang:phash2 of the argument table as RabbitMQ holds
 * it (a list of {Key, Type, Value} sorted by key), as 4 big-endian bytes in unpadded base64url.
 * Tools store this key (Terraform), so it is computed exactly as RabbitMQ does.
 */
import { Decimal, FieldTyped, type FieldTable, type FieldTag, type FieldValue } from '../amqp/field-types.js';
import { FIELD_TYPE_NAMES } from '../broker/arguments.js';
import { atom, ErlFloat } from '../broker/erlang-term.js';
import { HashTuple, phash2, type HashTerm } from './erlang-hash.js';

/** A field value as RabbitMQ's {Type, Value}: the tag the encoder would write, and the Erlang value. */
function typed(v: FieldValue): [FieldTag, HashTerm] {
  if (v === null) return ['V', atom('undefined')];
  if (typeof v === 'boolean') return ['t', v];
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) return ['d', new ErlFloat(v)];
    return [v >= -(2 ** 31) && v < 2 ** 31 ? 'I' : 'l', v];
  }
  if (typeof v === 'bigint') return ['l', v];
  if (typeof v === 'string') return ['S', v];
  if (Buffer.isBuffer(v)) return ['x', v];
  if (v instanceof Date) return ['T', Math.floor(v.getTime() / 1000)];
  if (v instanceof Decimal) return ['D', new HashTuple(v.scale, v.value)];
  if (v instanceof FieldTyped) {
    const inner = v.value;
    if (v.type === 'f' || v.type === 'd') return [v.type, new ErlFloat(Number(inner))];
    if (v.type === 't') return ['t', inner !== 0];
    if (v.type === 'V') return ['V', atom('undefined')];
    return [v.type, inner];
  }
  if (Array.isArray(v)) return ['A', v.map((item) => new HashTuple(...pair(item)))];
  return ['F', tableTerm(v, false)];
}

function pair(v: FieldValue): [HashTerm, HashTerm] {
  const [tag, value] = typed(v);
  return [atom(FIELD_TYPE_NAMES[tag]), value];
}

/** A table as RabbitMQ's list of {Key, Type, Value}; the top level sorted by key, as bindings store it. */
function tableTerm(t: FieldTable, sort: boolean): HashTerm[] {
  const keys = Object.keys(t);
  if (sort) keys.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return keys.map((k) => new HashTuple(k, ...pair(t[k] as FieldValue)));
}

/** rabbit_mgmt_format:args_hash: the arguments' phash2 as unpadded base64url of 4 bytes. */
export function argsHash(args: FieldTable): string {
  const buf = Buffer.alloc(4);
  buf.writeUInt32BE(phash2(tableTerm(args, true)));
  return buf.toString('base64url');
}

/** quote_plus: letters, digits and `.-~_` stay, space is `+`, every other byte %XX (UTF-8). */
export function quotePlus(s: string): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9.\-~_]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += '%' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/** Unquote as RabbitMQ's rabbit_http_util:unquote: `+` is a space, %XX a byte. */
export function unquotePlus(s: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    const hex = s.slice(i + 1, i + 3);
    if (c === '+') bytes.push(0x20);
    else if (c === '%' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else bytes.push(...Buffer.from(c, 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

const quoteKey = (key: string): string => quotePlus(key).replaceAll('~', '%7E');

export function packBindingProps(routingKey: string, args: FieldTable): string {
  const hasArgs = Object.keys(args).length > 0;
  if (routingKey === '' && !hasArgs) return '~';
  return hasArgs ? `${quoteKey(routingKey)}~${argsHash(args)}` : quoteKey(routingKey);
}

/**
 * A properties_key back to its routing key and, when it has one, its arguments' hash
 * (rabbit_mgmt_wm_binding:unpack); undefined when it has more than one `~` separator.
 */
export function unpackBindingProps(props: string): { routingKey: string; hash: string | undefined } | undefined {
  const parts = props.split('~');
  if (props === '~') return { routingKey: '', hash: undefined };
  if (parts.length === 1) return { routingKey: unquotePlus(props), hash: undefined };
  if (parts.length !== 2) return undefined;
  // "key~" is "key": RabbitMQ's tokeniser drops a trailing empty token
  const hash = parts[1] === '' ? undefined : unquotePlus(parts[1] as string);
  return { routingKey: unquotePlus(parts[0] as string), hash };
}
