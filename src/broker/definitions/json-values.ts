/**
 * JSON values of definitions (files and management API bodies) as the broker takes them:
 * arguments as field tables, tags as a list.
 */
import type { FieldTable, FieldValue } from '../../amqp/field-types.js';

/**
 * JSON arguments to a field table, typed as RabbitMQ's management API types them
 * (rabbit_mgmt_util:args): integers, floats, strings, booleans, arrays, objects as tables.
 */
export function jsonToTable(raw: unknown): FieldTable {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return {};
  const out: FieldTable = {};
  for (const [k, v] of Object.entries(raw)) out[k] = jsonToField(v);
  return out;
}

function jsonToField(v: unknown): FieldValue {
  if (v === null || typeof v === 'boolean' || typeof v === 'number' || typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map(jsonToField);
  if (typeof v === 'object') return jsonToTable(v);
  return null;
}

/**
 * Tags from a comma-separated string or an array (both forms are in use: Terraform sends
 * "a,b", rabbitmqadmin an array), trimmed, without empty ones.
 */
export function parseTags(raw: unknown): string[] {
  const parts = typeof raw === 'string' ? raw.split(',') : Array.isArray(raw) ? raw.map((t) => String(t)) : [];
  return parts.map((t) => t.trim()).filter((t) => t !== '');
}
