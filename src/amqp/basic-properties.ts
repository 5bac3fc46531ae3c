/**
 * Basic content-header properties. The broker keeps them as raw bytes (property flags + property
 * list, exactly as they follow body-size in a content header) and writes them back out unchanged;
 * readPropertyTraits() decodes only what routing and queueing decisions need.
 *
 * Flags: one 16-bit word per 15 properties, first property in bit 15; bit 0 set means another
 * flags word follows. Basic has 14 properties (bits 15..2), so bit 1 must be clear and any
 * continuation word must be zero. Anything else, and truncated or trailing bytes, throws a
 * 502 SYNTAX_ERROR ConnectionError. For every accepted input whose headers table is canonical
 * (no continuation words, booleans 0/1) encodeProperties(decodeProperties(raw)) equals raw.
 */
import { syntaxError } from './errors.js';
import { decodeTable, tableByteLength, writeTableInto } from './field-table.js';
import type { FieldTable } from './field-types.js';

export interface BasicProperties {
  contentType?: string;
  contentEncoding?: string;
  headers?: FieldTable;
  deliveryMode?: number;
  priority?: number;
  correlationId?: string;
  replyTo?: string;
  expiration?: string;
  messageId?: string;
  /** seconds since the epoch */
  timestamp?: number;
  type?: string;
  userId?: string;
  appId?: string;
  clusterId?: string;
}

/** Property kinds: s = shortstr, o = octet, t = table, l = 64-bit timestamp. */
type Kind = 's' | 'o' | 't' | 'l';
/** In flag order: PROPS[i] is flag bit (15 - i). */
const PROPS: readonly (readonly [keyof BasicProperties, Kind])[] = [
  ['contentType', 's'],
  ['contentEncoding', 's'],
  ['headers', 't'],
  ['deliveryMode', 'o'],
  ['priority', 'o'],
  ['correlationId', 's'],
  ['replyTo', 's'],
  ['expiration', 's'],
  ['messageId', 's'],
  ['timestamp', 'l'],
  ['type', 's'],
  ['userId', 's'],
  ['appId', 's'],
  ['clusterId', 's'],
];

const F_HEADERS = 1 << 13;
const F_DELIVERY_MODE = 1 << 12;
const F_PRIORITY = 1 << 11;
const F_REPLY_TO = 1 << 9;
const F_EXPIRATION = 1 << 8;
const F_USER_ID = 1 << 4;

/** Raw properties with no property set. */
export const EMPTY_PROPERTIES: Buffer = Buffer.from([0, 0]);

function malformed(what: string): never {
  throw syntaxError(`invalid content header properties: ${what}`);
}

/** Validates the flags word(s); returns the property flags and the offset of the property list. */
function readFlags(raw: Buffer): { flags: number; p: number } {
  if (raw.length < 2) malformed('missing property flags');
  const flags = raw.readUInt16BE(0);
  if (flags & 2) malformed('unknown property flag bit 1');
  let p = 2;
  let more = flags & 1;
  while (more) {
    if (p + 2 > raw.length) malformed('truncated property flags');
    const w = raw.readUInt16BE(p);
    if (w & 0xfffe) malformed(`unknown property flags 0x${w.toString(16)}`);
    more = w & 1;
    p += 2;
  }
  return { flags: flags & 0xfffc, p };
}

export function decodeProperties(raw: Buffer): BasicProperties {
  const r0 = readFlags(raw);
  const flags = r0.flags;
  let p = r0.p;
  const out: Record<string, string | number | FieldTable> = {};
  const end = raw.length;
  for (let i = 0; i < PROPS.length; i++) {
    if (!(flags & (0x8000 >>> i))) continue;
    const [name, kind] = PROPS[i]!;
    if (kind === 's') {
      if (p >= end || p + 1 + raw[p]! > end) malformed(`${name} truncated`);
      const n = raw[p]!;
      out[name] = raw.toString('utf8', p + 1, p + 1 + n);
      p += 1 + n;
    } else if (kind === 'o') {
      if (p >= end) malformed(`${name} truncated`);
      out[name] = raw[p++]!;
    } else if (kind === 'l') {
      if (p + 8 > end) malformed(`${name} truncated`);
      const hi = raw.readUInt32BE(p);
      if (hi > 0x1fffff) malformed(`${name} above 2^53 - 1`);
      out[name] = hi * 0x100000000 + raw.readUInt32BE(p + 4);
      p += 8;
    } else {
      const r = decodeTable(raw, p, end);
      out[name] = r.table;
      p = r.next;
    }
  }
  if (p !== end) malformed(`${end - p} trailing octets`);
  return out as BasicProperties;
}

export function encodeProperties(props: BasicProperties): Buffer {
  let flags = 0;
  let size = 2;
  for (let i = 0; i < PROPS.length; i++) {
    const [name, kind] = PROPS[i]!;
    const v = props[name];
    if (v === undefined) continue;
    flags |= 0x8000 >>> i;
    if (kind === 's') {
      const n = Buffer.byteLength(v as string, 'utf8');
      if (n > 255) throw new RangeError(`basic property ${name} longer than 255 bytes`);
      size += 1 + n;
    } else if (kind === 'o') size += 1;
    else if (kind === 'l') size += 8;
    else size += tableByteLength(v as FieldTable);
  }
  const buf = Buffer.allocUnsafe(size);
  let p = buf.writeUInt16BE(flags, 0);
  for (let i = 0; i < PROPS.length; i++) {
    const [name, kind] = PROPS[i]!;
    const v = props[name];
    if (v === undefined) continue;
    if (kind === 's') {
      const n = buf.write(v as string, p + 1, 'utf8');
      buf[p] = n;
      p += 1 + n;
    } else if (kind === 'o') p = buf.writeUInt8(v as number, p);
    else if (kind === 'l') {
      p = buf.writeUInt32BE(Math.floor((v as number) / 0x100000000), p);
      p = buf.writeUInt32BE((v as number) >>> 0, p);
    } else p = writeTableInto(buf, p, v as FieldTable);
  }
  return buf;
}

/** What the hot path needs from the properties; one instance is reused by the caller. */
export class PropertyTraits {
  deliveryMode = 0;
  /** -1 = unset */
  priority = -1;
  expiration: string | undefined = undefined;
  userId: string | undefined = undefined;
  replyTo: string | undefined = undefined;
  hasHeaders = false;
}

/**
 * Fills `out` from raw properties without building the headers table (its length is checked,
 * its contents are not). Throws 502 SYNTAX_ERROR on malformed input.
 */
export function readPropertyTraits(raw: Buffer, out: PropertyTraits): void {
  out.deliveryMode = 0;
  out.priority = -1;
  out.expiration = undefined;
  out.userId = undefined;
  out.replyTo = undefined;
  out.hasHeaders = false;
  let flags: number;
  let p: number;
  if (raw.length >= 2 && (raw[1]! & 3) === 0) {
    flags = (raw[0]! << 8) | raw[1]!; // the usual single flags word
    p = 2;
  } else {
    ({ flags, p } = readFlags(raw));
  }
  const end = raw.length;
  for (let i = 0; i < 14; i++) {
    const bit = 0x8000 >>> i;
    if (!(flags & bit)) continue;
    if (p >= end) malformed(`${PROPS[i]![0]} truncated`);
    if (bit === F_HEADERS) {
      if (p + 4 > end) malformed('headers truncated');
      p += 4 + raw.readUInt32BE(p);
      out.hasHeaders = true;
    } else if (bit === F_DELIVERY_MODE) {
      out.deliveryMode = raw[p++]!;
    } else if (bit === F_PRIORITY) {
      out.priority = raw[p++]!;
    } else if (bit === 1 << 6) {
      p += 8; // timestamp
    } else {
      const n = raw[p]!;
      const a = p + 1;
      p = a + n;
      if (p > end) break;
      if (bit === F_EXPIRATION) out.expiration = raw.toString('utf8', a, p);
      else if (bit === F_USER_ID) out.userId = raw.toString('utf8', a, p);
      else if (bit === F_REPLY_TO) out.replyTo = raw.toString('utf8', a, p);
    }
  }
  if (p !== end) malformed(p > end ? 'truncated' : `${end - p} trailing octets`);
}
