import { describe, expect, it } from 'vitest';
import type { RoutingTable } from '../../../../src/broker/exchange/routing-table.js';
import { FieldTyped } from '../../../../src/amqp/field-types.js';
import { DirectRoutingTable } from '../../../../src/broker/exchange/direct.js';

function route<T>(table: RoutingTable<T>, key: string): T[] {
  const out = new Set<T>();
  table.route(key, undefined, out);
  return [...out].sort();
}

describe('direct', () => {
  it('routes on exact key equality only', () => {
    const t = new DirectRoutingTable<string>();
    t.add('a', {}, 'q1');
    t.add('a', {}, 'q2');
    t.add('b', {}, 'q3');
    t.add('', {}, 'q4');
    expect(route(t, 'a')).toEqual(['q1', 'q2']);
    expect(route(t, 'b')).toEqual(['q3']);
    expect(route(t, '')).toEqual(['q4']);
    expect(route(t, 'A')).toEqual([]);
    expect(route(t, 'a.b')).toEqual([]);
  });

  it('adds to the caller set without clearing it', () => {
    const t = new DirectRoutingTable<string>();
    t.add('k', {}, 'q1');
    const out = new Set(['other']);
    t.route('k', undefined, out);
    expect([...out].sort()).toEqual(['other', 'q1']);
  });

  it('is idempotent on add and remove and counts bindings', () => {
    const t = new DirectRoutingTable<string>();
    expect(t.add('k', {}, 'q')).toBe(true);
    expect(t.add('k', {}, 'q')).toBe(false);
    expect(t.size).toBe(1);
    expect(t.remove('k', {}, 'q')).toBe(true);
    expect(t.remove('k', {}, 'q')).toBe(false);
    expect(t.remove('nope', {}, 'q')).toBe(false);
    expect(t.size).toBe(0);
    expect(route(t, 'k')).toEqual([]);
  });

  it('treats arguments as part of identity but routes once', () => {
    const t = new DirectRoutingTable<string>();
    expect(t.add('k', {}, 'q')).toBe(true);
    expect(t.add('k', { a: 1 }, 'q')).toBe(true);
    expect(t.add('k', { a: 1 }, 'q')).toBe(false);
    expect(t.add('k', { a: new FieldTyped('l', 1) }, 'q')).toBe(true); // long 1 is not int 1
    expect(t.size).toBe(3);
    expect(route(t, 'k')).toEqual(['q']);
    expect(t.remove('k', {}, 'q')).toBe(true);
    expect(route(t, 'k')).toEqual(['q']);
    expect(t.remove('k', { a: 1 }, 'q')).toBe(true);
    expect(t.remove('k', { a: new FieldTyped('l', 1) }, 'q')).toBe(true);
    expect(route(t, 'k')).toEqual([]);
    expect(t.size).toBe(0);
  });

  it('compares arguments order-insensitively and deeply', () => {
    const t = new DirectRoutingTable<string>();
    expect(t.add('k', { a: 1, b: { c: [1, 'x'], d: true } }, 'q')).toBe(true);
    expect(t.add('k', { b: { d: true, c: [1, 'x'] }, a: 1 }, 'q')).toBe(false);
    expect(t.add('k', { b: { d: true, c: ['x', 1] }, a: 1 }, 'q')).toBe(true);
    expect(t.add('k', { a: 1, b: { c: [1, 'x'], d: true }, e: null }, 'q')).toBe(true);
    expect(t.add('k', { a: 'x' }, 'q')).toBe(true);
    expect(t.add('k', { a: Buffer.from('x') }, 'q')).toBe(true); // 'x' bytes is not 'S' string
    expect(t.add('k', { a: new FieldTyped('S', Buffer.from('x')) }, 'q')).toBe(false); // same 'S' bytes
    expect(t.size).toBe(5);
  });

  it('keeps other destinations when one is removed', () => {
    const t = new DirectRoutingTable<string>();
    for (const q of ['q1', 'q2', 'q3', 'q4']) t.add('k', {}, q);
    t.remove('k', {}, 'q2');
    expect(route(t, 'k')).toEqual(['q1', 'q3', 'q4']);
    t.remove('k', {}, 'q4');
    t.remove('k', {}, 'q1');
    expect(route(t, 'k')).toEqual(['q3']);
  });
});
