import { describe, expect, it } from 'vitest';
import { applyListQuery, compareTerms, paginationParams } from '../../../src/http/list-query.js';

describe('list query', () => {
  it('orders values as Erlang terms: numbers < atoms < objects < arrays < strings', () => {
    const values = ['a', [1], { a: 1 }, true, null, false, 2, 1.5];
    expect([...values].sort(compareTerms)).toEqual([1.5, 2, false, null, true, { a: 1 }, [1], 'a']);
  });

  it('sorts a missing field as 0, before any string', () => {
    const items = [{ name: 'b', x: 'z' }, { name: 'a' }, { name: 'c', x: 1 }];
    const out = applyListQuery(items, { sort: 'x' }, { sort: ['name'] }) as { name: string }[];
    expect(out.map((i) => i.name)).toEqual(['a', 'c', 'b']);
  });

  it('keeps nested columns', () => {
    const items = [{ name: 'a', p: { q: 1, r: 2 }, s: 3 }];
    expect(applyListQuery(items, { columns: 'p.q,name' }, { sort: [] })).toEqual([{ name: 'a', p: { q: 1 } }]);
  });

  it('pages in RabbitMQ key order for proplist lists', () => {
    const out = applyListQuery([{ name: 'a' }], { page: '1' }, { sort: ['name'], paginate: 'ordered' });
    expect(Object.keys(out as object)).toEqual(['total_count', 'item_count', 'filtered_count', 'page', 'page_size', 'page_count', 'items']);
  });

  it('has no pagination without page', () => {
    expect(paginationParams({ page_size: '3' })).toBeUndefined();
    expect(paginationParams({ page: '2' })).toEqual({ page: 2, pageSize: 100, name: undefined, useRegex: false });
  });
});

describe('an empty sort', () => {
  it('keeps the natural order, even with sort_reverse', () => {
    const items = [{ name: 'b' }, { name: 'a' }];
    expect(applyListQuery(items, { sort: '', sort_reverse: 'true' }, { sort: ['name'] })).toEqual(items);
  });
});
