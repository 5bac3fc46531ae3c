import { describe, expect, it } from 'vitest';
import { Decimal, FieldTyped } from '../../../../src/amqp/field-types.js';
import type { FieldTable } from '../../../../src/amqp/field-types.js';
import { HeadersRoutingTable, headerValueEquals, validateHeadersBindingArgs } from '../../../../src/broker/exchange/headers.js';

function matches(args: FieldTable, headers: FieldTable | undefined): boolean {
  const t = new HeadersRoutingTable<string>();
  t.add('', args, 'q');
  const out = new Set<string>();
  t.route('ignored', headers, out);
  return out.has('q');
}

describe('headers x-match', () => {
  it('all (default) needs every non-x key present and equal', () => {
    for (const args of [{ a: 1, b: 'x' }, { 'x-match': 'all', a: 1, b: 'x' }] as FieldTable[]) {
      expect(matches(args, { a: 1, b: 'x' })).toBe(true);
      expect(matches(args, { a: 1, b: 'x', c: true })).toBe(true);
      expect(matches(args, { a: 1 })).toBe(false);
      expect(matches(args, { a: 2, b: 'x' })).toBe(false);
      expect(matches(args, undefined)).toBe(false);
    }
  });

  it('any needs one non-x key present and equal', () => {
    const args = { 'x-match': 'any', a: 1, b: 'x' };
    expect(matches(args, { a: 1 })).toBe(true);
    expect(matches(args, { a: 2, b: 'x' })).toBe(true);
    expect(matches(args, { a: 2, b: 'y' })).toBe(false);
    expect(matches(args, {})).toBe(false);
    expect(matches(args, undefined)).toBe(false);
  });

  it('all with no tested keys matches everything; any with none matches nothing', () => {
    expect(matches({}, undefined)).toBe(true);
    expect(matches({ 'x-match': 'all' }, { z: 1 })).toBe(true);
    expect(matches({ 'x-match': 'all', 'x-foo': 1 }, {})).toBe(true);
    expect(matches({ 'x-match': 'any' }, { z: 1 })).toBe(false);
    expect(matches({ 'x-match': 'any', 'x-foo': 1 }, { 'x-foo': 1 })).toBe(false);
  });

  it('ignores x- keys for all/any and tests them for the -with-x variants', () => {
    expect(matches({ 'x-match': 'all', 'x-k': 1, a: 1 }, { a: 1 })).toBe(true);
    expect(matches({ 'x-match': 'all-with-x', 'x-k': 1, a: 1 }, { a: 1 })).toBe(false);
    expect(matches({ 'x-match': 'all-with-x', 'x-k': 1, a: 1 }, { a: 1, 'x-k': 1 })).toBe(true);
    expect(matches({ 'x-match': 'any', 'x-k': 1, a: 1 }, { 'x-k': 1 })).toBe(false);
    expect(matches({ 'x-match': 'any-with-x', 'x-k': 1, a: 1 }, { 'x-k': 1 })).toBe(true);
    // x-match itself is never tested, even with -with-x
    expect(matches({ 'x-match': 'all-with-x' }, {})).toBe(true);
    expect(matches({ 'x-match': 'any-with-x' }, { 'x-match': 'any-with-x' })).toBe(false);
  });

  it('treats a void binding value as "present with any value"', () => {
    expect(matches({ a: null }, { a: 'anything' })).toBe(true);
    expect(matches({ a: null }, { a: null })).toBe(true);
    expect(matches({ a: null }, { b: 1 })).toBe(false);
    expect(matches({ 'x-match': 'any', a: null, b: 1 }, { a: false })).toBe(true);
    expect(matches({ a: 1 }, { a: null })).toBe(false);
  });

  it('only uses own keys of the headers table', () => {
    expect(matches({ constructor: null }, {})).toBe(false);
    expect(matches({ toString: null }, {})).toBe(false);
  });

  it('routes each destination once and skips already-routed ones', () => {
    const t = new HeadersRoutingTable<string>();
    t.add('', { a: 1 }, 'q');
    t.add('', { 'x-match': 'any', a: 1, b: 2 }, 'q');
    t.add('', { b: 2 }, 'q2');
    const out = new Set<string>();
    t.route('', { a: 1, b: 2 }, out);
    expect([...out].sort()).toEqual(['q', 'q2']);
  });
});

describe('headers value equality (RabbitMQ ==)', () => {
  it('compares all integer tags, timestamps and floats numerically', () => {
    expect(headerValueEquals(1, new FieldTyped('l', 1))).toBe(true);
    expect(headerValueEquals(new FieldTyped('b', 7), new FieldTyped('u', 7))).toBe(true);
    expect(headerValueEquals(1, 1n)).toBe(true);
    expect(headerValueEquals(2n ** 60n, 2n ** 60n)).toBe(true);
    expect(headerValueEquals(2n ** 60n, 2n ** 60n + 1n)).toBe(false);
    expect(headerValueEquals(1, 1.0)).toBe(true);
    expect(headerValueEquals(1, new FieldTyped('d', 1))).toBe(true);
    expect(headerValueEquals(1, 1.5)).toBe(false);
    expect(headerValueEquals(1.5, new FieldTyped('f', 1.5))).toBe(true);
    expect(headerValueEquals(new Date(5000), 5)).toBe(true);
    expect(headerValueEquals(new FieldTyped('T', 5), new Date(5000))).toBe(true);
    expect(headerValueEquals(1, '1')).toBe(false);
    expect(headerValueEquals(1, true)).toBe(false);
    expect(matches({ n: new FieldTyped('l', 42) }, { n: 42 })).toBe(true);
    expect(matches({ n: 42 }, { n: new FieldTyped('s', 42) })).toBe(true);
  });

  it('compares strings and byte arrays by their bytes', () => {
    expect(headerValueEquals('abc', 'abc')).toBe(true);
    expect(headerValueEquals('abc', 'abd')).toBe(false);
    expect(headerValueEquals('abc', Buffer.from('abc'))).toBe(true);
    expect(headerValueEquals(Buffer.from('é'), 'é')).toBe(true);
    expect(headerValueEquals(new FieldTyped('S', Buffer.from([0xff])), Buffer.from([0xff]))).toBe(true);
    expect(headerValueEquals(Buffer.from([0xff]), Buffer.from([0xfe]))).toBe(false);
    expect(headerValueEquals('', Buffer.alloc(0))).toBe(true);
  });

  it('compares booleans, decimals and void by value', () => {
    expect(headerValueEquals(true, true)).toBe(true);
    expect(headerValueEquals(true, false)).toBe(false);
    expect(headerValueEquals(new Decimal(2, 150), new Decimal(2, 150))).toBe(true);
    expect(headerValueEquals(new Decimal(1, 15), new Decimal(2, 150))).toBe(false);
    expect(headerValueEquals(new Decimal(0, 1), 1)).toBe(false);
  });

  it('compares nested tables and arrays deeply and tag-exactly', () => {
    expect(headerValueEquals({ a: 1, b: ['x', true] }, { b: ['x', true], a: 1 })).toBe(true);
    expect(headerValueEquals({ a: 1 }, { a: 2 })).toBe(false);
    expect(headerValueEquals({ a: 1 }, { a: 1, b: 1 })).toBe(false);
    expect(headerValueEquals({ a: 1 }, { a: new FieldTyped('l', 1) })).toBe(false);
    expect(headerValueEquals([1, 2], [1, 2])).toBe(true);
    expect(headerValueEquals([1, 2], [2, 1])).toBe(false);
    expect(headerValueEquals(['x'], [Buffer.from('x')])).toBe(false);
    expect(headerValueEquals({}, [])).toBe(true); // [] == [] in Erlang
    expect(headerValueEquals({ a: 1 }, [1])).toBe(false);
    expect(matches({ t: { k: [1, { z: 'y' }] } }, { t: { k: [1, { z: 'y' }] } })).toBe(true);
    expect(matches({ t: { k: [1, { z: 'y' }] } }, { t: { k: [1, { z: 'n' }] } })).toBe(false);
  });
});

describe('headers bindings', () => {
  it('are idempotent on add/remove and count bindings, with args in identity', () => {
    const t = new HeadersRoutingTable<string>();
    expect(t.add('', { a: 1, 'x-match': 'any' }, 'q')).toBe(true);
    expect(t.add('', { 'x-match': 'any', a: 1 }, 'q')).toBe(false);
    expect(t.add('k', { 'x-match': 'any', a: 1 }, 'q')).toBe(true);
    expect(t.add('', { a: 1 }, 'q')).toBe(true);
    expect(t.add('', { a: 1 }, 'q2')).toBe(true);
    expect(t.size).toBe(4);
    expect(t.remove('', { a: 2 }, 'q')).toBe(false);
    expect(t.remove('', { a: 1 }, 'q3')).toBe(false);
    expect(t.remove('', { 'x-match': 'any', a: 1 }, 'q')).toBe(true);
    expect(t.remove('', { 'x-match': 'any', a: 1 }, 'q')).toBe(false);
    expect(t.size).toBe(3);
    expect(t.remove('', { a: 1 }, 'q')).toBe(true);
    expect(t.remove('k', { a: 1, 'x-match': 'any' }, 'q')).toBe(true);
    const out = new Set<string>();
    t.route('', { a: 1 }, out);
    expect([...out]).toEqual(['q2']);
    expect(t.remove('', { a: 1 }, 'q2')).toBe(true);
    expect(t.size).toBe(0);
  });
});

describe('validateHeadersBindingArgs', () => {
  it('accepts the four modes and a missing x-match', () => {
    for (const mode of ['all', 'any', 'all-with-x', 'any-with-x']) {
      expect(validateHeadersBindingArgs({ 'x-match': mode, a: 1 })).toBeUndefined();
    }
    expect(validateHeadersBindingArgs({ a: 1 })).toBeUndefined();
    expect(validateHeadersBindingArgs({ 'x-match': new FieldTyped('S', Buffer.from('any')) })).toBeUndefined();
  });

  it("rejects other values with RabbitMQ's text", () => {
    expect(validateHeadersBindingArgs({ 'x-match': 'foo' })).toBe(
      'Invalid x-match field value <<"foo">>; expected all, any, all-with-x, or any-with-x',
    );
    expect(validateHeadersBindingArgs({ 'x-match': 'ALL' })).toBe(
      'Invalid x-match field value <<"ALL">>; expected all, any, all-with-x, or any-with-x',
    );
    expect(validateHeadersBindingArgs({ 'x-match': 'a"b' })).toBe(
      'Invalid x-match field value <<"a\\"b">>; expected all, any, all-with-x, or any-with-x',
    );
    expect(validateHeadersBindingArgs({ 'x-match': 'é' })).toBe(
      'Invalid x-match field value <<"é"/utf8>>; expected all, any, all-with-x, or any-with-x',
    );
  });

  it("rejects other types with RabbitMQ's text", () => {
    expect(validateHeadersBindingArgs({ 'x-match': new FieldTyped('b', 1) })).toBe(
      'Invalid x-match field type byte (value 1); expected longstr',
    );
    expect(validateHeadersBindingArgs({ 'x-match': 1 })).toBe(
      'Invalid x-match field type signedint (value 1); expected longstr',
    );
    expect(validateHeadersBindingArgs({ 'x-match': Buffer.from('all') })).toBe(
      'Invalid x-match field type binary (value <<"all">>); expected longstr',
    );
    expect(validateHeadersBindingArgs({ 'x-match': null })).toBe(
      'Invalid x-match field type void (value undefined); expected longstr',
    );
    expect(validateHeadersBindingArgs({ 'x-match': true })).toBe(
      'Invalid x-match field type bool (value true); expected longstr',
    );
    expect(validateHeadersBindingArgs({ 'x-match': 1.5 })).toBe(
      'Invalid x-match field type double (value 1.5); expected longstr',
    );
  });
});
