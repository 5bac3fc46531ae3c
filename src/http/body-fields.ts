/**
 * Request body fields read the way RabbitMQ's management API reads them: booleans as true/false
 * or "true"/"false" (rabbit_mgmt_format:parse_bool), arguments typed as rabbit_misc:to_amqp_table
 * types JSON (integers long, other numbers double, strings longstr, booleans bool, arrays, objects
 * as tables; null refused), and integers as rabbit_mgmt_util:parse_int reads them.
 */
import { FieldTyped, type FieldTable, type FieldValue } from '../amqp/field-types.js';
import { badRequest } from './errors.js';

export type Body = Record<string, unknown>;

/** A boolean field; `fallback` when absent; else 400 ["not_boolean", value]. */
export function boolField(body: Body, key: string, fallback: boolean): boolean {
  const v = body[key];
  if (v === undefined || v === null) return fallback;
  if (v === true || v === 'true') return true;
  if (v === false || v === 'false') return false;
  throw badRequest(['not_boolean', String(v)]);
}

/** A string field ('' when absent, as RabbitMQ's method records default). */
export function stringField(body: Body, key: string, fallback = ''): string {
  const v = body[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw badRequest(['not_string', key]);
}

/** parse_int: an integer, or a string holding one; else 400 ["not_integer", value]. */
export function intField(v: unknown): number {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) return Number(v.trim());
  throw badRequest(['not_integer', typeof v === 'string' ? v : JSON.stringify(v)]);
}

/** A JSON value as RabbitMQ types it in a field table. */
export function jsonToArgValue(v: unknown): FieldValue {
  if (v === null || v === undefined) throw badRequest('null_not_allowed');
  if (typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isInteger(v) ? new FieldTyped('l', v) : v;
  if (Array.isArray(v)) return v.map(jsonToArgValue);
  if (typeof v === 'object') return jsonToArgs(v);
  throw badRequest(['unhandled_type', String(v)]);
}

/** The `arguments` object of a body as a field table ({} when absent). */
export function jsonToArgs(raw: unknown): FieldTable {
  if (raw === undefined || raw === null || raw === '') return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw badRequest(['not_table', JSON.stringify(raw)]);
  const out: FieldTable = {};
  for (const [k, v] of Object.entries(raw)) out[k] = jsonToArgValue(v);
  return out;
}
