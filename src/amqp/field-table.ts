/**
 * AMQP field tables with RabbitMQ's tags (t b B s u I i l f d D S A T F V x), following the
 * decode/encode rules in field-types.ts: a decoded value is a plain JS value exactly when the
 * encoder's default for that value writes the same tag, and a FieldTyped otherwise, so
 * encode(decode(bytes)) is byte-exact for every well-formed table.
 *
 * Decoded Buffers ('x', and 'S' that is not valid UTF-8) are copies: frame payloads may be views
 * into a reassembly buffer that is reused for the next frame.
 *
 * Malformed input throws a 502 SYNTAX_ERROR ConnectionError. Unencodable values (a key longer than
 * 255 bytes, a FieldTyped whose value does not fit its tag) throw TypeError / RangeError: those
 * are programming errors of the caller, not protocol errors of the peer.
 */
import { isUtf8 } from 'node:buffer';
import { syntaxError } from './errors.js';
import { Decimal, FieldTyped, type FieldTable, type FieldTag, type FieldValue } from './field-types.js';

/** Nesting limit for 'F' and 'A': deeper input is rejected rather than overflowing the stack. */
const MAX_DEPTH = 100;
/** Largest 'T' seconds value that still makes a valid Date (Date's range is +-8.64e15 ms). */
const MAX_DATE_SECONDS = 8.64e12;

// Decoder state: decoding is synchronous and not re-entrant, so one cursor serves every call.
let src: Buffer = Buffer.alloc(0);
let pos = 0;
let lim = 0;

/** Decodes the table whose 4-byte length is at `offset`; it must end at or before `end`. */
export function decodeTable(buf: Buffer, offset: number, end = buf.length): { table: FieldTable; next: number } {
  src = buf;
  pos = offset;
  lim = end;
  const table = readTable(0);
  src = EMPTY;
  return { table, next: pos };
}

/** Decodes one field value (tag octet + value) at `offset`. */
export function decodeFieldValue(buf: Buffer, offset: number, end = buf.length): { value: FieldValue; next: number } {
  src = buf;
  pos = offset;
  lim = end;
  const value = readValue(0);
  src = EMPTY;
  return { value, next: pos };
}

const EMPTY = Buffer.alloc(0);

function need(n: number, what: string): void {
  if (pos + n > lim) throw syntaxError(`field table: ${what} runs past the end of its container`);
}

function readTable(depth: number): FieldTable {
  if (depth > MAX_DEPTH) throw syntaxError('field table: nested too deeply');
  need(4, 'table length');
  const len = src.readUInt32BE(pos);
  pos += 4;
  need(len, 'table');
  const outer = lim;
  lim = pos + len;
  const table: FieldTable = {};
  let order: string[] | undefined;
  let count = 0;
  while (pos < lim) {
    const klen = src[pos]!;
    need(1 + klen, 'table key');
    const key = src.toString('utf8', pos + 1, pos + 1 + klen);
    pos += 1 + klen;
    const value = readValue(depth);
    const fresh = !Object.prototype.hasOwnProperty.call(table, key);
    if (key === '__proto__') {
      Object.defineProperty(table, key, { value, enumerable: true, writable: true, configurable: true });
    } else {
      table[key] = value;
    }
    if (fresh) {
      if (order === undefined && count > 0 && isIndexKey(key)) order = Object.keys(table).filter((k) => k !== key);
      if (order !== undefined) order.push(key);
      count++;
    }
  }
  // JS enumerates integer-like keys first; remember the wire order so encoding stays byte-exact.
  if (order !== undefined) Object.defineProperty(table, WIRE_ORDER, { value: order });
  lim = outer;
  return table;
}

/** Wire order of a decoded table's keys, kept (non-enumerable) only when JS would reorder them. */
const WIRE_ORDER = Symbol('amqp.fieldTable.wireOrder');

/** An array-index key ('0', '17'), which JS objects enumerate before all other keys. */
function isIndexKey(k: string): boolean {
  const c = k.charCodeAt(0);
  return c >= 48 && c <= 57 && String(Number(k) >>> 0) === k && k !== '4294967295';
}

/** The keys of t in the order to encode them: the decoded wire order when one was kept. */
function keysOf(t: FieldTable): string[] {
  const keys = Object.keys(t);
  const order = (t as { [WIRE_ORDER]?: string[] })[WIRE_ORDER];
  if (order === undefined) return keys;
  const live = order.filter((k) => Object.prototype.hasOwnProperty.call(t, k));
  if (live.length === keys.length) return live;
  const seen = new Set(live);
  return live.concat(keys.filter((k) => !seen.has(k)));
}

function readArray(depth: number): FieldValue[] {
  if (depth > MAX_DEPTH) throw syntaxError('field array: nested too deeply');
  need(4, 'array length');
  const len = src.readUInt32BE(pos);
  pos += 4;
  need(len, 'array');
  const outer = lim;
  lim = pos + len;
  const arr: FieldValue[] = [];
  while (pos < lim) arr.push(readValue(depth));
  lim = outer;
  return arr;
}

/** A number decodes plain iff the encoder's default tag for it is the tag it came with. */
function num(tag: FieldTag, v: number): number | FieldTyped {
  return defaultNumberTag(v) === tag ? v : new FieldTyped(tag, v);
}

/** Checks that n bytes of the current value are there; returns their offset and moves past them. */
function take(n: number, tag: string): number {
  const p = pos;
  if ((pos += n) > lim) throw syntaxError(`field table: '${tag}' value runs past the end of its container`);
  return p;
}

function readValue(depth: number): FieldValue {
  need(1, 'field tag');
  const tag = String.fromCharCode(src[pos++]!);
  switch (tag) {
    case 't':
      return src[take(1, tag)] !== 0;
    case 'b':
      return new FieldTyped('b', src.readInt8(take(1, tag)));
    case 'B':
      return new FieldTyped('B', src[take(1, tag)]!);
    case 's':
      return new FieldTyped('s', src.readInt16BE(take(2, tag)));
    case 'u':
      return new FieldTyped('u', src.readUInt16BE(take(2, tag)));
    case 'I':
      return src.readInt32BE(take(4, tag));
    case 'i':
      return new FieldTyped('i', src.readUInt32BE(take(4, tag)));
    case 'l': {
      const big = src.readBigInt64BE(take(8, tag));
      const n = Number(big);
      return Number.isSafeInteger(n) ? num('l', n) : big;
    }
    case 'f':
      return new FieldTyped('f', src.readFloatBE(take(4, tag)));
    case 'd':
      return num('d', src.readDoubleBE(take(8, tag)));
    case 'D': {
      const p = take(5, tag);
      return new Decimal(src[p]!, src.readUInt32BE(p + 1));
    }
    case 'S': {
      const a = take(src.readUInt32BE(take(4, tag)), tag);
      const bytes = src.subarray(a, pos);
      return isUtf8(bytes) ? src.toString('utf8', a, pos) : new FieldTyped('S', copy(a));
    }
    case 'A':
      return readArray(depth + 1);
    case 'T': {
      const n = Number(src.readBigUInt64BE(take(8, tag)));
      if (n <= MAX_DATE_SECONDS) return new Date(n * 1000);
      return new FieldTyped('T', Number.isSafeInteger(n) ? n : src.readBigUInt64BE(pos - 8));
    }
    case 'F':
      return readTable(depth + 1);
    case 'V':
      return null;
    case 'x':
      return copy(take(src.readUInt32BE(take(4, tag)), tag));
    default:
      throw syntaxError(`field table: unknown field type 0x${(tag.charCodeAt(0) & 0xff).toString(16).padStart(2, '0')}`);
  }
}

/** A copy of src[a, pos). */
function copy(a: number): Buffer {
  const b = Buffer.allocUnsafe(pos - a);
  src.copy(b, 0, a, pos);
  return b;
}

// ---------------------------------------------------------------------------------------------
// Encoding

/** The tag the encoder writes for a plain number (see field-types.ts). -0 is a double. */
function defaultNumberTag(v: number): 'I' | 'l' | 'd' {
  if (Number.isSafeInteger(v) && !Object.is(v, -0)) return v >= -0x80000000 && v <= 0x7fffffff ? 'I' : 'l';
  return 'd';
}

/** Encoded size of a table including its 4-byte length prefix. */
export function tableByteLength(t: FieldTable): number {
  let n = 4;
  for (const key of keysOf(t)) {
    const klen = Buffer.byteLength(key, 'utf8');
    if (klen > 255) throw new RangeError(`field table key longer than 255 bytes: ${key.slice(0, 32)}...`);
    n += 1 + klen + valueByteLength(t[key]);
  }
  return n;
}

function arrayByteLength(a: readonly FieldValue[]): number {
  let n = 4;
  for (const v of a) n += valueByteLength(v);
  return n;
}

/** Encoded size of one value including its tag octet. */
function valueByteLength(v: FieldValue | undefined): number {
  if (v === null || v === undefined) return 1;
  switch (typeof v) {
    case 'boolean':
      return 2;
    case 'number':
      return defaultNumberTag(v) === 'I' ? 5 : 9;
    case 'bigint':
      return 9;
    case 'string':
      return 5 + Buffer.byteLength(v, 'utf8');
    default:
  }
  if (Buffer.isBuffer(v)) return 5 + v.length;
  if (Array.isArray(v)) return 1 + arrayByteLength(v);
  if (v instanceof Date) return 9;
  if (v instanceof Decimal) return 6;
  if (v instanceof FieldTyped) return 1 + typedByteLength(v);
  if (typeof v === 'object') return 1 + tableByteLength(v);
  throw new TypeError(`cannot encode field value of type ${typeof v}`);
}

function typedByteLength(v: FieldTyped): number {
  switch (v.type) {
    case 't':
    case 'b':
    case 'B':
      return 1;
    case 's':
    case 'u':
      return 2;
    case 'I':
    case 'i':
    case 'f':
      return 4;
    case 'l':
    case 'd':
    case 'T':
      return 8;
    case 'V':
      return 0;
    case 'S':
    case 'x':
      return 4 + (typeof v.value === 'string' ? Buffer.byteLength(v.value, 'utf8') : bufferValue(v).length);
    default:
      throw new TypeError(`FieldTyped('${v.type}') is not supported; use the plain value`);
  }
}

function bufferValue(v: FieldTyped): Buffer {
  if (!Buffer.isBuffer(v.value)) throw new TypeError(`FieldTyped('${v.type}') needs a string or Buffer value`);
  return v.value;
}

/** Encodes a table (with its length prefix) into a new Buffer. */
export function encodeTable(t: FieldTable): Buffer {
  const buf = Buffer.allocUnsafe(tableByteLength(t));
  writeTableInto(buf, 0, t);
  return buf;
}

/**
 * Writes a table (with its length prefix) at `offset`; returns the offset after it. The caller
 * guarantees tableByteLength(t) bytes of room.
 */
export function writeTableInto(buf: Buffer, offset: number, t: FieldTable): number {
  let p = offset + 4;
  for (const key of keysOf(t)) {
    const klen = buf.write(key, p + 1, 'utf8');
    if (klen > 255) throw new RangeError(`field table key longer than 255 bytes: ${key.slice(0, 32)}...`);
    buf[p] = klen;
    p = writeValue(buf, p + 1 + klen, t[key]);
  }
  buf.writeUInt32BE(p - offset - 4, offset);
  return p;
}

function writeArrayInto(buf: Buffer, offset: number, a: readonly FieldValue[]): number {
  let p = offset + 4;
  for (const v of a) p = writeValue(buf, p, v);
  buf.writeUInt32BE(p - offset - 4, offset);
  return p;
}

function tag(buf: Buffer, p: number, t: string): number {
  buf[p] = t.charCodeAt(0);
  return p + 1;
}

function writeValue(buf: Buffer, p: number, v: FieldValue | undefined): number {
  if (v === null || v === undefined) return tag(buf, p, 'V');
  switch (typeof v) {
    case 'boolean':
      buf[tag(buf, p, 't')] = v ? 1 : 0;
      return p + 2;
    case 'number': {
      const t = defaultNumberTag(v);
      p = tag(buf, p, t);
      if (t === 'I') return buf.writeInt32BE(v, p);
      if (t === 'l') return buf.writeBigInt64BE(BigInt(v), p);
      return buf.writeDoubleBE(v, p);
    }
    case 'bigint':
      return buf.writeBigInt64BE(v, tag(buf, p, 'l'));
    case 'string':
      return writeLong(buf, tag(buf, p, 'S'), v);
    default:
  }
  if (Buffer.isBuffer(v)) return writeLong(buf, tag(buf, p, 'x'), v);
  if (Array.isArray(v)) return writeArrayInto(buf, tag(buf, p, 'A'), v);
  if (v instanceof Date) return buf.writeBigUInt64BE(dateSeconds(v), tag(buf, p, 'T'));
  if (v instanceof Decimal) {
    p = tag(buf, p, 'D');
    buf.writeUInt8(v.scale, p);
    return v.value < 0 ? buf.writeInt32BE(v.value, p + 1) : buf.writeUInt32BE(v.value, p + 1);
  }
  if (v instanceof FieldTyped) return writeTyped(buf, tag(buf, p, v.type), v);
  return writeTableInto(buf, tag(buf, p, 'F'), v);
}

function dateSeconds(d: Date): bigint {
  const ms = d.getTime();
  if (!(ms >= 0)) throw new RangeError(`cannot encode ${String(d)} as an AMQP timestamp (unsigned seconds)`);
  return BigInt(Math.floor(ms / 1000));
}

function writeLong(buf: Buffer, p: number, v: string | Buffer): number {
  const n = typeof v === 'string' ? buf.write(v, p + 4, 'utf8') : v.copy(buf, p + 4);
  buf.writeUInt32BE(n, p);
  return p + 4 + n;
}

function writeTyped(buf: Buffer, p: number, f: FieldTyped): number {
  const v = f.value;
  if (f.type === 'S' || f.type === 'x') return writeLong(buf, p, typeof v === 'string' ? v : bufferValue(f));
  if (typeof v !== 'number' && typeof v !== 'bigint') throw new TypeError(`FieldTyped('${f.type}') needs a number`);
  switch (f.type) {
    case 't':
      return buf.writeUInt8(v ? 1 : 0, p);
    case 'b':
      return buf.writeInt8(Number(v), p);
    case 'B':
      return buf.writeUInt8(Number(v), p);
    case 's':
      return buf.writeInt16BE(Number(v), p);
    case 'u':
      return buf.writeUInt16BE(Number(v), p);
    case 'I':
      return buf.writeInt32BE(Number(v), p);
    case 'i':
      return buf.writeUInt32BE(Number(v), p);
    case 'l':
      return buf.writeBigInt64BE(BigInt(v), p);
    case 'f':
      return buf.writeFloatBE(Number(v), p);
    case 'd':
      return buf.writeDoubleBE(Number(v), p);
    case 'T':
      return buf.writeBigUInt64BE(BigInt(v), p);
    case 'V':
      return p;
    default:
      throw new TypeError(`FieldTyped('${f.type}') is not supported; use the plain value`);
  }
}
