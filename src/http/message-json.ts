/**
 * Messages in the management API's JSON: basic properties both ways
 * (rabbit_mgmt_format:to_basic_properties and basic_properties) and payloads (string, base64, or
 * "auto": a string when the bytes are valid UTF-8).
 */
import type { FieldTable } from '../amqp/field-types.js';
import { jsonToArgs } from './body-fields.js';
import { badRequest } from './errors.js';
import { tableToJson, type Json } from './format.js';

/** Basic properties in RabbitMQ's record order, with their JSON names. */
const PROPERTIES = [
  ['content_type', 'contentType'],
  ['content_encoding', 'contentEncoding'],
  ['headers', 'headers'],
  ['delivery_mode', 'deliveryMode'],
  ['priority', 'priority'],
  ['correlation_id', 'correlationId'],
  ['reply_to', 'replyTo'],
  ['expiration', 'expiration'],
  ['message_id', 'messageId'],
  ['timestamp', 'timestamp'],
  ['type', 'type'],
  ['user_id', 'userId'],
  ['app_id', 'appId'],
  ['cluster_id', 'clusterId'],
] as const;

const INTEGERS = new Set(['delivery_mode', 'priority', 'timestamp']);

/**
 * The `properties` of a publish as basic properties: headers typed as arguments are, delivery_mode,
 * priority and timestamp integers (else 400 ["not_int", name]), the rest strings (else 400
 * ["not_string", name]); unknown keys are ignored. Checked in record order, as RabbitMQ does.
 */
export function toBasicProperties(raw: unknown): Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw badRequest(['not_map', JSON.stringify(raw)]);
  const json = raw as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [name, field] of PROPERTIES) {
    const v = json[name];
    if (v === undefined || v === null) continue;
    if (name === 'headers') out[field] = jsonToArgs(v);
    else if (INTEGERS.has(name)) {
      if (typeof v !== 'number' || !Number.isInteger(v)) throw badRequest(['not_int', name]);
      out[field] = v;
    } else {
      if (typeof v !== 'string') throw badRequest(['not_string', name]);
      out[field] = v;
    }
  }
  return out;
}

/**
 * Decoded basic properties as RabbitMQ shows them: set ones only, in reverse record order; none
 * at all is `[]` (RabbitMQ's empty property list).
 */
export function basicPropertiesJson(props: Record<string, unknown>): Record<string, Json> | Json[] {
  const out: Record<string, Json> = {};
  for (let i = PROPERTIES.length - 1; i >= 0; i--) {
    const [name, field] = PROPERTIES[i] as (typeof PROPERTIES)[number];
    const v = props[field];
    if (v === undefined || v === null) continue;
    if (name === 'headers') out[name] = tableToJson(v as FieldTable);
    else if (typeof v === 'bigint') out[name] = Number(v);
    else out[name] = v as Json;
  }
  return Object.keys(out).length === 0 ? [] : out;
}

/** A publish's payload: as is ("string") or base64; 400 for another encoding or bad base64. */
export function decodePayload(payload: string, encoding: unknown): Buffer {
  if (encoding === 'string') return Buffer.from(payload, 'utf8');
  if (encoding === 'base64') {
    const clean = payload.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 === 1) throw badRequest(['not_base64', payload]);
    return Buffer.from(clean, 'base64');
  }
  throw badRequest(['unsupported_encoding', typeof encoding === 'string' ? encoding : JSON.stringify(encoding)]);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A payload for /get: text when `auto` and valid UTF-8, else base64. */
export function payloadJson(body: Buffer, encoding: 'auto' | 'base64'): { payload: string; payload_encoding: 'string' | 'base64' } {
  if (encoding === 'auto') {
    try {
      return { payload: utf8.decode(body), payload_encoding: 'string' };
    } catch {
      // not UTF-8: base64 below
    }
  }
  return { payload: body.toString('base64'), payload_encoding: 'base64' };
}
