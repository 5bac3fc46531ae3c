/**
 * A list answered without building every item's JSON (issue 10, scale: 10,000 queues): when the
 * request pages and every field it sorts on can be read from the objects themselves (a `keys`
 * entry), the objects are sorted, filtered by name and paged first, and only the page is made
 * JSON. Any other request (no paging, a sort on a field without a key) builds every item's JSON
 * and is answered as a plain list, so both paths answer the same.
 */
import type { Json } from './format.js';
import { applyListQuery, listQuery, paginationParams, sortPaths, type ListSpec } from './list-query.js';

type Query = Readonly<Record<string, string | undefined>>;

export class LazyList<T> {
  constructor(
    readonly items: readonly T[],
    /** an item's JSON, as the plain list would hold it */
    readonly json: (item: T) => Record<string, Json>,
    /** top-level fields whose JSON value can be read cheaply from an item (at least `name`) */
    readonly keys: Readonly<Record<string, (item: T) => Json>> & { readonly name: (item: T) => Json },
  ) {}
}

/** Apply the list parameters to a lazy list. */
export function applyLazyList<T>(list: LazyList<T>, q: Query, spec: ListSpec): unknown {
  const paths = sortPaths(q, spec) ?? [];
  const cheap = paths.every((p) => p.length === 1 && list.keys[p[0] as string] !== undefined);
  if (spec.paginate === undefined || paginationParams(q) === undefined || !cheap) {
    return applyListQuery(list.items.map(list.json), q, spec);
  }
  return listQuery(list.items, q, spec, {
    value: (item, path) => (list.keys[path[0] as string] as (item: T) => Json)(item),
    name: list.keys.name,
    toJson: (items) => items.map(list.json),
  });
}
