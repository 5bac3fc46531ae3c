import { describe, expect, it } from 'vitest';
import type { RoutingTable } from '../../../../src/broker/exchange/routing-table.js';
import { FanoutRoutingTable } from '../../../../src/broker/exchange/fanout.js';

function route<T>(table: RoutingTable<T>, key: string): T[] {
  const out = new Set<T>();
  table.route(key, undefined, out);
  return [...out].sort();
}

describe('fanout', () => {
  it('routes to every destination whatever the key', () => {
    const t = new FanoutRoutingTable<string>();
    t.add('', {}, 'q1');
    t.add('x', {}, 'q2');
    expect(route(t, 'anything')).toEqual(['q1', 'q2']);
    expect(route(t, '')).toEqual(['q1', 'q2']);
  });

  it('keeps key and args in identity, routing each destination once', () => {
    const t = new FanoutRoutingTable<string>();
    expect(t.add('a', {}, 'q')).toBe(true);
    expect(t.add('b', {}, 'q')).toBe(true);
    expect(t.add('b', {}, 'q')).toBe(false);
    expect(t.add('b', { x: 1 }, 'q')).toBe(true);
    expect(t.size).toBe(3);
    expect(route(t, 'z')).toEqual(['q']);
    expect(t.remove('a', {}, 'q')).toBe(true);
    expect(t.remove('b', {}, 'q')).toBe(true);
    expect(route(t, 'z')).toEqual(['q']);
    expect(t.remove('b', { x: 1 }, 'q')).toBe(true);
    expect(t.remove('b', { x: 1 }, 'q')).toBe(false);
    expect(route(t, 'z')).toEqual([]);
    expect(t.size).toBe(0);
  });
});
