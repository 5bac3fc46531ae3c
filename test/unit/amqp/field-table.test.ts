import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AmqpError } from '../../../src/amqp/errors.js';
import { decodeFieldValue, decodeTable, encodeTable, tableByteLength } from '../../../src/amqp/field-table.js';
import { Decimal, FieldTyped, type FieldTable } from '../../../src/amqp/field-types.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const decode = (b: Buffer): FieldTable => {
  const r = decodeTable(b, 0);
  expect(r.next).toBe(b.length);
  return r.table;
};

// One entry per tag, key = the tag letter, built by hand from RabbitMQ's tag table.
const EVERY_TAG = hex(`
  00000085
  01 74 74 01
  01 62 62 ff
  01 42 42 ff
  01 73 73 fffe
  01 75 75 fffe
  01 49 49 fffffffd
  01 69 69 fffffffd
  01 6c 6c 0000000100000000
  01 66 66 3fc00000
  01 64 64 400921fb54442d18
  01 44 44 02 00003039
  01 53 53 00000003 68c3a9
  01 41 41 00000006 49 00000001 56
  01 54 54 0000000065000000
  01 46 46 00000007 01 6b 53 00000000
  01 56 56
  01 78 78 00000002 dead`);

const EVERY_TAG_VALUE: FieldTable = {
  t: true,
  b: new FieldTyped('b', -1),
  B: new FieldTyped('B', 255),
  s: new FieldTyped('s', -2),
  u: new FieldTyped('u', 65534),
  I: -3,
  i: new FieldTyped('i', 4294967293),
  l: 4294967296,
  f: new FieldTyped('f', 1.5),
  d: Math.PI,
  D: new Decimal(2, 12345),
  S: 'hé',
  A: [1, null],
  T: new Date(0x65000000 * 1000),
  F: { k: '' },
  V: null,
  x: hex('dead'),
};

describe('field tables', () => {
  it('decodes a table with every tag, and encodes it back byte for byte', () => {
    expect(EVERY_TAG.readUInt32BE(0)).toBe(EVERY_TAG.length - 4);
    expect(decode(EVERY_TAG)).toEqual(EVERY_TAG_VALUE);
    expect(encodeTable(EVERY_TAG_VALUE)).toEqual(EVERY_TAG);
    expect(tableByteLength(EVERY_TAG_VALUE)).toBe(EVERY_TAG.length);
  });

  it('encodes plain values with the default tags of field-types.ts', () => {
    const tagOf = (v: FieldTable[string]): string => String.fromCharCode(encodeTable({ k: v })[6]!);
    expect(tagOf(false)).toBe('t');
    expect(tagOf(2147483647)).toBe('I');
    expect(tagOf(-2147483648)).toBe('I');
    expect(tagOf(2147483648)).toBe('l');
    expect(tagOf(Number.MIN_SAFE_INTEGER)).toBe('l');
    expect(tagOf(1.5)).toBe('d');
    expect(tagOf(-0)).toBe('d');
    expect(tagOf(2 ** 60)).toBe('d');
    expect(tagOf(10n)).toBe('l');
    expect(tagOf('s')).toBe('S');
    expect(tagOf(Buffer.alloc(1))).toBe('x');
    expect(tagOf(new Date())).toBe('T');
    expect(tagOf(new Decimal(1, 1))).toBe('D');
    expect(tagOf([])).toBe('A');
    expect(tagOf(null)).toBe('V');
    expect(tagOf({})).toBe('F');
  });

  it('decodes to FieldTyped exactly where the plain value would change tag', () => {
    const one = (tag: string, bytes: string): unknown => decodeFieldValue(hex(Buffer.from(tag).toString('hex') + bytes), 0).value;
    expect(one('l', '0000000000000005')).toEqual(new FieldTyped('l', 5));
    expect(one('l', '7fffffffffffffff')).toBe(2n ** 63n - 1n);
    expect(one('d', '4000000000000000')).toEqual(new FieldTyped('d', 2));
    expect(one('d', '8000000000000000')).toBe(-0);
    expect(one('S', '00000002 c328')).toEqual(new FieldTyped('S', hex('c328')));
    expect(one('T', '0000100000000000')).toEqual(new FieldTyped('T', 0x100000000000));
    expect(one('t', '00')).toBe(false);
  });

  it('copies byte values out of the source buffer', () => {
    const b = hex('00000008 01 78 78 00000001 ab');
    const t = decode(b);
    b.fill(0);
    expect(t['x']).toEqual(hex('ab'));
  });

  it("keeps a '__proto__' key as data", () => {
    const b = hex('0000000b 09 5f5f70726f746f5f5f 56');
    const t = decode(b);
    expect(Object.getPrototypeOf(t)).toBe(Object.prototype);
    expect(Object.keys(t)).toEqual(['__proto__']);
    expect(encodeTable(t)).toEqual(b);
  });

  it('keeps the wire order of integer-like keys, which JS objects would move first', () => {
    const b = hex('0000000c 01 62 56 01 31 56 01 61 56 01 30 56'); // b, 1, a, 0
    const t = decode(b);
    expect(Object.keys(t)).toEqual(['0', '1', 'b', 'a']);
    expect(encodeTable(t)).toEqual(b);
    delete t['1'];
    t['2'] = null;
    t['c'] = null;
    expect(encodeTable(t)).toEqual(hex('0000000f 01 62 56 01 61 56 01 30 56 01 32 56 01 63 56'));
  });

  it('rejects malformed tables with 502 SYNTAX_ERROR', () => {
    const bad = [
      hex('00000005 01 61 49 0000'), // value past the table end
      hex('0000000a 01 61 49 00000001'), // table length past the buffer
      hex('00000003 01 61 5a'), // unknown tag 'Z'
      hex('00000003 05 61 56'), // key past the end
      hex('00000002 01'), // key without a value... length fits, value missing
      hex('00000007 01 61 41 00000009'), // array length past the table
      hex('000000'), // truncated length
      hex('00000003 01 61 55'), // 'U' is not a RabbitMQ tag
    ];
    for (const b of bad) {
      try {
        decodeTable(b, 0);
        expect.unreachable(b.toString('hex'));
      } catch (e) {
        expect(e).toBeInstanceOf(AmqpError);
        expect((e as AmqpError).replyCode).toBe(502);
        expect((e as AmqpError).replyText).toMatch(/^SYNTAX_ERROR - field (table|array): /);
      }
    }
  });

  it('rejects nesting deeper than 100 instead of overflowing the stack', () => {
    let t: FieldTable = {};
    for (let i = 0; i < 150; i++) t = { n: t };
    expect(() => decodeTable(encodeTable(t), 0)).toThrow(/nested too deeply/);
  });

  it('refuses unencodable values with RangeError / TypeError', () => {
    expect(() => encodeTable({ ['k'.repeat(256)]: 1 })).toThrow(RangeError);
    expect(() => encodeTable({ k: new FieldTyped('b', 200) })).toThrow(RangeError);
    expect(() => encodeTable({ k: new FieldTyped('D', 1) })).toThrow(TypeError);
    expect(() => encodeTable({ k: new Date(-1000) })).toThrow(RangeError);
  });
});

// An independent reference encoder over tagged trees, so the property test does not trust the
// encoder under test to produce its inputs.
type Tagged = { tag: string; bytes: Buffer } | { tag: 'A'; items: Tagged[] } | { tag: 'F'; entries: [string, Tagged][] };

function ref(v: Tagged): Buffer {
  const t = Buffer.from(v.tag, 'latin1');
  if ('bytes' in v) return Buffer.concat([t, v.bytes]);
  const body = 'items' in v ? Buffer.concat(v.items.map(ref)) : refEntries(v.entries);
  return Buffer.concat([t, u32(body.length), body]);
}
function refEntries(entries: [string, Tagged][]): Buffer {
  return Buffer.concat(entries.map(([k, v]) => Buffer.concat([Buffer.from([Buffer.byteLength(k)]), Buffer.from(k), ref(v)])));
}
const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};
const fixed = (tag: string, size: number, write: (b: Buffer, v: never) => void, arb: fc.Arbitrary<unknown>): fc.Arbitrary<Tagged> =>
  arb.map((v) => {
    const b = Buffer.alloc(size);
    write(b, v as never);
    return { tag, bytes: b };
  });
const bytes = (tag: string, arb: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Tagged> =>
  arb.map((a) => ({ tag, bytes: Buffer.concat([u32(a.length), Buffer.from(a)]) }));

const scalar: fc.Arbitrary<Tagged> = fc.oneof(
  fixed('t', 1, (b, v: boolean) => b.writeUInt8(v ? 1 : 0), fc.boolean()),
  fixed('b', 1, (b, v: number) => b.writeInt8(v), fc.integer({ min: -128, max: 127 })),
  fixed('B', 1, (b, v: number) => b.writeUInt8(v), fc.integer({ min: 0, max: 255 })),
  fixed('s', 2, (b, v: number) => b.writeInt16BE(v), fc.integer({ min: -32768, max: 32767 })),
  fixed('u', 2, (b, v: number) => b.writeUInt16BE(v), fc.integer({ min: 0, max: 65535 })),
  fixed('I', 4, (b, v: number) => b.writeInt32BE(v), fc.integer()),
  fixed('i', 4, (b, v: number) => b.writeUInt32BE(v), fc.nat({ max: 0xffffffff })),
  fixed('l', 8, (b, v: bigint) => b.writeBigInt64BE(v), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })),
  fixed('f', 4, (b, v: number) => b.writeFloatBE(v), fc.float({ noNaN: true })),
  fixed('d', 8, (b, v: number) => b.writeDoubleBE(v), fc.double()),
  fixed('D', 5, (b, v: [number, number]) => (b.writeUInt8(v[0]), b.writeUInt32BE(v[1], 1)), fc.tuple(fc.nat(255), fc.nat({ max: 0xffffffff }))),
  bytes('S', fc.oneof(fc.string({ unit: 'grapheme' }).map((s) => new Uint8Array(Buffer.from(s))), fc.uint8Array())),
  fixed('T', 8, (b, v: bigint) => b.writeBigUInt64BE(v), fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.bigInt({ min: 0n, max: 10n ** 13n }))),
  fc.constant({ tag: 'V', bytes: Buffer.alloc(0) }),
  bytes('x', fc.uint8Array({ maxLength: 20 })),
);
const key = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 12 }), fc.nat(20).map(String));
const { table } = fc.letrec<{ value: Tagged; table: [string, Tagged][] }>((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, fc.array(tie('value'), { maxLength: 4 }).map((items): Tagged => ({ tag: 'A', items })), tie('table').map((entries): Tagged => ({ tag: 'F', entries }))),
  table: fc.uniqueArray(fc.tuple(key, tie('value')), { maxLength: 5, selector: ([k]) => k }),
}));

describe('field tables (property)', () => {
  it('decode -> encode is byte-exact for any table using any of the 17 tags', () => {
    fc.assert(
      fc.property(table, (entries) => {
        const body = refEntries(entries);
        const wire = Buffer.concat([u32(body.length), body]);
        const decoded = decode(wire);
        expect(encodeTable(decoded)).toEqual(wire);
        expect(tableByteLength(decoded)).toBe(wire.length);
      }),
      { numRuns: 2000 },
    );
  });
});
