/**
 * The query parameters every list endpoint of the management API takes, in one place
 * (rabbit_mgmt_util:reply_list, reply_list_or_paginate, augment_resources in RabbitMQ 3.10.8):
 *
 * - `sort`: a dotted field sorted on first, then the endpoint's default fields; an empty value
 *   leaves the list in its natural order. `sort_reverse=true` reverses.
 * - `columns`: comma-separated, dotted fields to keep (`name,client_properties.product`).
 * - `page`, `page_size` (default 100, at most 500), `name`, `use_regex`: on the endpoints that
 *   paginate, `page` turns the answer into `{items, page, page_count, page_size, item_count,
 *   filtered_count, total_count}` of the items whose name contains `name` (case-insensitive), or
 *   matches it as a case-insensitive regex with `use_regex=true`. `pagination` (sent by KEDA) is
 *   ignored, as RabbitMQ does.
 *
 * Values are compared in Erlang's term order, as RabbitMQ sorts: numbers < booleans and null
 * (atoms) < objects < arrays < strings; a missing field sorts as 0.
 */
import { HttpError, badRequest } from './errors.js';

/** How a Resource's list answers the list parameters. */
export interface ListSpec {
  /** fields sorted on when `sort` is absent, and after it when given (RabbitMQ's DefaultSorts) */
  readonly sort: readonly string[];
  /**
   * whether `page` paginates, and the key order of the paged answer: 'ordered' (RabbitMQ's
   * proplists: connections, channels) or 'sorted' (its maps: vhosts, queues, exchanges)
   */
  readonly paginate?: 'ordered' | 'sorted';
  /**
   * RabbitMQ's reply_list picks the columns before it sorts, so a sort on a column not kept sees
   * nothing there and leaves the order to the items' own (the kept columns, in term order);
   * augment_resources (queues, exchanges, vhosts, users) sorts first.
   */
  readonly columnsFirst?: boolean;
}

type Query = Readonly<Record<string, string | undefined>>;
type Item = Record<string, unknown>;

const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 500;

interface Pagination {
  page: number;
  pageSize: number;
  name: string | undefined;
  useRegex: boolean;
}

const invalid = (): HttpError => badRequest('Pagination parameters are invalid');

/** Erlang's list_to_integer: an optional sign and digits, nothing else. */
function integerParam(q: Query, key: string): number | undefined {
  const v = q[key];
  if (v === undefined) return undefined;
  if (!/^[+-]?\d+$/.test(v)) throw invalid();
  return Number(v);
}

/** The pagination asked for, or undefined; RabbitMQ's 400s for bad values. */
export function paginationParams(q: Query): Pagination | undefined {
  const page = integerParam(q, 'page');
  const size = integerParam(q, 'page_size');
  if (page === undefined) return undefined;
  const pageSize = size ?? DEFAULT_PAGE_SIZE;
  if (page <= 0 || pageSize <= 0 || pageSize > MAX_PAGE_SIZE) {
    throw new HttpError(
      400,
      'invalid_pagination_parameters',
      `Invalid pagination parameters: page number ${page}, page size ${size ?? 'undefined'}`,
    );
  }
  return { page, pageSize, name: q['name'], useRegex: q['use_regex'] === 'true' };
}

/**
 * How a list's items are read: a dotted field's value (for sorting), the name (for the name
 * filter) and their JSON. Plain lists are of JSON objects already; a lazy list (lazy-list.ts)
 * reads sort keys from the objects themselves and builds JSON for the page only.
 */
export interface ListAccess<T> {
  value(item: T, path: readonly string[]): unknown;
  name(item: T): unknown;
  toJson(items: T[]): Item[];
  /** order of items whose sort keys are equal (plain lists: the whole item, as RabbitMQ) */
  readonly tieBreak?: (a: T, b: T) => number;
}

const PLAIN: ListAccess<Item> = {
  value: (i, path) => dotted(i, path),
  name: (i) => i['name'],
  toJson: (items) => items,
  tieBreak: (a, b) => compareTerms(a, b),
};

/** Apply the list parameters to a GET's list; returns the list, or the paged object. */
export function applyListQuery(items: readonly unknown[], q: Query, spec: ListSpec): unknown {
  return listQuery(items as Item[], q, spec, PLAIN);
}

/** The same, over items read through `access`: sorted and filtered first, made JSON after paging. */
export function listQuery<T>(items: readonly T[], q: Query, spec: ListSpec, access: ListAccess<T>): unknown {
  const pagination = spec.paginate === undefined ? undefined : paginationParams(q);
  const columns = parseColumns(q['columns']);
  if (spec.columnsFirst === true && columns !== undefined) {
    // These lists pick their columns before sorting (as RabbitMQ does there): sort the picked JSON.
    const picked = access.toJson([...items]).map((i) => pickColumns(i, columns) as Item);
    return listQuery(picked, { ...q, columns: undefined }, { ...spec, columnsFirst: false }, PLAIN);
  }
  const sorted = sortItems(items, sortPaths(q, spec), q['sort_reverse'] === 'true', access);
  const pick = (list: T[]): unknown[] => {
    const json = access.toJson(list);
    return columns === undefined ? json : json.map((i) => pickColumns(i, columns));
  };
  if (pagination === undefined) return pick(sorted);
  const filtered = filterByName(sorted, pagination, access);
  const { page, pageSize } = pagination;
  const offset = (page - 1) * pageSize;
  if (offset > filtered.length) {
    throw new HttpError(400, 'page_out_of_range', `Page out of range, page: ${page} page size: ${pageSize}, len: ${filtered.length}`);
  }
  const pageItems = pick(filtered.slice(offset, offset + pageSize));
  const paged = {
    total_count: sorted.length,
    item_count: pageItems.length,
    filtered_count: filtered.length,
    page,
    page_size: pageSize,
    page_count: Math.ceil(filtered.length / pageSize),
    items: pageItems,
  };
  if (spec.paginate === 'ordered') return paged;
  const { filtered_count, item_count, items: its, page_count, page_size, total_count } = paged;
  return { filtered_count, item_count, items: its, page, page_count, page_size, total_count };
}

function filterByName<T>(items: T[], p: Pagination, access: ListAccess<T>): T[] {
  const name = p.name;
  if (name === undefined || name === '') return items;
  let match: (s: string) => boolean;
  if (p.useRegex) {
    let re: RegExp;
    try {
      re = new RegExp(name, 'i');
    } catch (err) {
      throw badRequest('Pagination parameters are invalid', err);
    }
    match = (s) => re.test(s);
  } else {
    const needle = name.toLowerCase();
    match = (s) => s.toLowerCase().includes(needle);
  }
  return items.filter((i) => {
    const n = access.name(i);
    return typeof n === 'string' && match(n);
  });
}

// ---- sorting -----------------------------------------------------------------------------

/** The dotted fields a list is sorted on: `sort`, then the defaults; undefined keeps the natural order. */
export function sortPaths(q: Query, spec: ListSpec): string[][] | undefined {
  const sort = q['sort'];
  // An explicit empty sort keeps the natural order, sort_reverse or not (RabbitMQ's sort_list(Facts, _, [], _)).
  if (sort === '') return undefined;
  const keys = sort === undefined ? spec.sort : [sort, ...spec.sort];
  return keys.map((k) => k.split('.').filter((p) => p !== ''));
}

function sortItems<T>(items: readonly T[], paths: string[][] | undefined, reverse: boolean, access: ListAccess<T>): T[] {
  if (paths === undefined) return [...items];
  const keyed = items.map((item) => ({ item, key: paths.map((p) => access.value(item, p)) }));
  const tie = access.tieBreak;
  // Ties go by the whole item, as RabbitMQ's lists:sort of {SortKey, Item} pairs does.
  keyed.sort(tie === undefined ? (a, b) => compareLists(a.key, b.key) : (a, b) => compareLists(a.key, b.key) || tie(a.item, b.item));
  const out = keyed.map((k) => k.item);
  return reverse ? out.reverse() : out;
}

/** A dotted field of an item; a missing leaf is 0, as RabbitMQ's get_dotted_value. */
function dotted(item: unknown, path: readonly string[]): unknown {
  let v: unknown = item;
  for (let i = 0; i < path.length; i++) {
    const obj = typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Item) : undefined;
    const next = obj?.[path[i] as string];
    if (next === undefined) return i === path.length - 1 ? 0 : [];
    v = next;
  }
  return v;
}

/** Rank in Erlang's term order of what JSON values become. */
function rank(v: unknown): number {
  if (typeof v === 'number') return 0;
  if (typeof v === 'boolean' || v === null) return 1;
  if (Array.isArray(v)) return 3;
  if (typeof v === 'object') return 2;
  return 4;
}

export function compareTerms(a: unknown, b: unknown): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  switch (ra) {
    case 0:
      return (a as number) - (b as number);
    case 1:
    case 4: {
      const x = String(a);
      const y = String(b);
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case 3:
      return compareLists(a as unknown[], b as unknown[]);
    default:
      return compareLists(Object.entries(a as Item).flat(), Object.entries(b as Item).flat());
  }
}

function compareLists(a: readonly unknown[], b: readonly unknown[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    // Two strings or two numbers, the usual keys, compare at once (as compareTerms would).
    if (typeof x === 'string' && typeof y === 'string') return x < y ? -1 : 1;
    const c = typeof x === 'number' && typeof y === 'number' ? x - y : compareTerms(x, y);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

// ---- columns -----------------------------------------------------------------------------

/** `a,b.c` -> [['a'], ['b','c']]; empty names are dropped (Erlang's string:tokens). */
function parseColumns(raw: string | undefined): string[][] | undefined {
  if (raw === undefined) return undefined;
  return raw
    .split(',')
    .filter((c) => c !== '')
    .map((c) => c.split('.').filter((p) => p !== ''))
    .filter((c) => c.length > 0);
}

/** Keep the wanted fields of an object, descending into dotted ones. */
function pickColumns(value: unknown, columns: string[][]): unknown {
  if (Array.isArray(value)) return value.map((v) => pickColumns(v, columns));
  if (typeof value !== 'object' || value === null) return value;
  const out: Item = {};
  for (const [k, v] of Object.entries(value as Item)) {
    const wanted = columns.filter((c) => c[0] === k);
    if (wanted.length === 0) continue;
    out[k] = wanted.some((c) => c.length === 1) ? v : pickColumns(v, wanted.map((c) => c.slice(1)));
  }
  return out;
}

/** RabbitMQ's default sorts: most lists by vhost then name; permissions by vhost then user; limits not at all. */
export const BY_VHOST_NAME: ListSpec = { sort: ['vhost', 'name'] };
export const BY_VHOST_USER: ListSpec = { sort: ['vhost', 'user'] };
export const UNSORTED: ListSpec = { sort: [] };
/** policies and operator policies: by priority (rabbit_mgmt_wm_policies) */
export const BY_PRIORITY: ListSpec = { sort: ['priority'], columnsFirst: true };
/** parameters and global parameters (rabbit_mgmt_wm_parameters, _global_parameters) */
export const PARAMETERS_BY_VHOST_NAME: ListSpec = { sort: ['vhost', 'name'], columnsFirst: true };
/** bindings (rabbit_mgmt_wm_bindings; RabbitMQ's `type` is no field of a binding, so it sorts as 0) */
export const BY_BINDING: ListSpec = { sort: ['vhost', 'source', 'type', 'destination', 'routing_key', 'properties_key'], columnsFirst: true };
/** queues and exchanges: RabbitMQ 3.10 pages them, with its maps' key order */
export const PAGED_SORTED_BY_VHOST_NAME: ListSpec = { sort: ['vhost', 'name'], paginate: 'sorted' };
