import { describe, expect, it } from 'vitest';
import { exchangeTypeFactory, exchangeTypes, registerExchangeType } from '../../../../src/broker/exchange/registry.js';
import { DirectRoutingTable } from '../../../../src/broker/exchange/direct.js';

describe('exchange type registry', () => {
  it('registers the four AMQP types at load', () => {
    expect(exchangeTypes().slice(0, 4)).toEqual(['direct', 'fanout', 'topic', 'headers']);
    for (const type of ['direct', 'fanout', 'topic', 'headers']) {
      const table = exchangeTypeFactory(type)?.<string>();
      expect(table?.size).toBe(0);
    }
    expect(exchangeTypeFactory('x-nope')).toBeUndefined();
  });

  it('creates independent tables', () => {
    const factory = exchangeTypeFactory('topic');
    const a = factory?.<string>();
    const b = factory?.<string>();
    a?.add('a.#', {}, 'q');
    expect(a?.size).toBe(1);
    expect(b?.size).toBe(0);
  });

  it('accepts plug-in types', () => {
    registerExchangeType('x-test-direct', <T>() => new DirectRoutingTable<T>());
    expect(exchangeTypes()).toContain('x-test-direct');
    const out = new Set<string>();
    const t = exchangeTypeFactory('x-test-direct')?.<string>();
    t?.add('k', {}, 'q');
    t?.route('k', undefined, out);
    expect([...out]).toEqual(['q']);
  });
});
