/**
 * properties_key of bindings: erlang:phash2 of the arguments as RabbitMQ holds them, and the key's
 * quoting. The expected hashes were computed with erlang:phash2(Args, 1 bsl 32) on OTP 25, and two
 * of them read off RabbitMQ 3.10's /api/bindings.
 */
import { describe, expect, it } from 'vitest';
import { Decimal, FieldTyped } from '../../../src/amqp/field-types.js';
import { atom } from '../../../src/broker/erlang-term.js';
import { argsHash, packBindingProps, quotePlus, unpackBindingProps, unquotePlus } from '../../../src/http/binding-props.js';
import { HashTuple, phash2 } from '../../../src/http/erlang-hash.js';

describe('phash2', () => {
  it('hashes terms as erlang:phash2(T, 1 bsl 32)', () => {
    expect(phash2([])).toBe(3468870702);
    expect(phash2([new HashTuple('x', atom('long'), 1)])).toBe(4135160677);
    expect(phash2(2n ** 70n)).toBe(1070946125);
    expect(phash2(-200000000)).toBe(873524385);
    expect(phash2(-2.25)).toBe(2254282282);
    expect(phash2('hello world, long binary')).toBe(4178042514);
    expect(phash2([1, 2, 3, 4, 5])).toBe(3824152778);
    expect(phash2([300, 1])).toBe(3636192855);
    expect(phash2(atom('foo'))).toBe(phash2(atom('foo')));
  });
});

describe('argsHash', () => {
  it('matches RabbitMQ for arguments given over HTTP (integers are longs)', () => {
    expect(argsHash({ x: new FieldTyped('l', 1) })).toBe('9nmLZQ');
    expect(argsHash({ a: 'b' })).toBe('KCO9yA');
  });

  it('sorts the top level by key, and types values as AMQP decoding does', () => {
    expect(argsHash({ 'x-match': 'all', h: 5 })).toBe('8RQOrA');
    expect(argsHash({ d: 1.5, b: { c: true }, a: [new FieldTyped('l', 1), 's'] })).toBe('dxkGVQ');
    expect(argsHash({ z: Buffer.from([1, 2, 255]), v: null, t: new Date(1700000000 * 1000) })).toBe('on83Pg');
    expect(argsHash({ n: -5000000000 })).toBe('ggWFJA');
    expect(() => argsHash({ d: new Decimal(2, 314) })).not.toThrow();
  });
});

describe('properties_key', () => {
  it('is ~ for no key and no arguments, the quoted key, and key~hash with arguments', () => {
    expect(packBindingProps('', {})).toBe('~');
    expect(packBindingProps('a b~c/d', {})).toBe('a+b%7Ec%2Fd');
    expect(packBindingProps('k1', { a: 'b' })).toBe('k1~KCO9yA');
    expect(packBindingProps('', { a: 'b' })).toBe('~KCO9yA');
  });

  it('unpacks what it packs', () => {
    expect(unpackBindingProps('~')).toEqual({ routingKey: '', hash: undefined });
    expect(unpackBindingProps('a+b%7Ec%2Fd')).toEqual({ routingKey: 'a b~c/d', hash: undefined });
    expect(unpackBindingProps('k1~KCO9yA')).toEqual({ routingKey: 'k1', hash: 'KCO9yA' });
    expect(unpackBindingProps('~KCO9yA')).toEqual({ routingKey: '', hash: 'KCO9yA' });
    expect(unpackBindingProps('a~b~c')).toBeUndefined();
  });

  it('quotes as quote_plus (UTF-8 bytes, upper-case hex)', () => {
    expect(quotePlus('é.-_~ ?')).toBe('%C3%A9.-_~+%3F');
    expect(unquotePlus('%C3%A9.-_~+%3F')).toBe('é.-_~ ?');
  });
});
