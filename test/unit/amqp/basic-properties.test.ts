import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeProperties,
  EMPTY_PROPERTIES,
  encodeProperties,
  PropertyTraits,
  readPropertyTraits,
  type BasicProperties,
} from '../../../src/amqp/basic-properties.js';
import { ContentAssembler } from '../../../src/amqp/content-assembler.js';
import { AmqpError } from '../../../src/amqp/errors.js';
import { FrameWriter } from '../../../src/amqp/frame-writer.js';
import { Decimal, FieldTyped } from '../../../src/amqp/field-types.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// All 14 properties, built by hand: flags 0xfffc (bits 15..2), then the list in flag order.
const ALL = hex(`
  fffc
  0a 746578742f706c61696e
  04 677a6970
  00000007 01 61 49 00000001
  02
  05
  02 6331
  02 7271
  05 3630303030
  02 6d31
  0000000065000000
  02 7431
  05 6775657374
  03 617070
  01 63`);

const ALL_VALUE: BasicProperties = {
  contentType: 'text/plain',
  contentEncoding: 'gzip',
  headers: { a: 1 },
  deliveryMode: 2,
  priority: 5,
  correlationId: 'c1',
  replyTo: 'rq',
  expiration: '60000',
  messageId: 'm1',
  timestamp: 0x65000000,
  type: 't1',
  userId: 'guest',
  appId: 'app',
  clusterId: 'c',
};

const syntax = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AmqpError);
    expect((e as AmqpError).replyCode).toBe(502);
    return (e as AmqpError).replyText;
  }
  throw new Error('no error thrown');
};

describe('basic properties', () => {
  it('decodes and encodes all 14 properties (hand-built vector)', () => {
    expect(decodeProperties(ALL)).toEqual(ALL_VALUE);
    expect(encodeProperties(ALL_VALUE)).toEqual(ALL);
  });

  it('a whole content header frame with all 14 properties (hand-built), written and assembled', () => {
    const frame = Buffer.concat([
      hex('02 0007'),
      Buffer.from([0, 0, 0, 12 + ALL.length]),
      hex('003c 0000 0000000000000005'), // class basic, weight 0, body-size 5
      ALL,
      hex('ce'),
      hex('03 0007 00000005 68656c6c6f ce'), // body frame 'hello'
    ]);
    const chunks: Buffer[] = [];
    const w = new FrameWriter({ write: (c) => chunks.push(c) > 0, cork() {}, uncork() {} });
    w.writeContent(7, 60, 5, encodeProperties(ALL_VALUE), Buffer.from('hello'));
    w.flush();
    expect(Buffer.concat(chunks)).toEqual(frame);

    const a = new ContentAssembler();
    a.start(60);
    a.onHeader(frame.subarray(7, 7 + 12 + ALL.length));
    expect(a.onBody(frame.subarray(-6, -1))).toBe(true);
    const { properties, body } = a.take();
    expect(properties).toEqual(ALL);
    expect(decodeProperties(properties)).toEqual(ALL_VALUE);
    expect(body.toString()).toBe('hello');
  });

  it('EMPTY_PROPERTIES is flags 0x0000', () => {
    expect(EMPTY_PROPERTIES).toEqual(hex('0000'));
    expect(decodeProperties(EMPTY_PROPERTIES)).toEqual({});
    expect(encodeProperties({})).toEqual(EMPTY_PROPERTIES);
  });

  it('encodes each property alone with its own flag bit', () => {
    const names = Object.keys(ALL_VALUE) as (keyof BasicProperties)[];
    names.forEach((name, i) => {
      const raw = encodeProperties({ [name]: ALL_VALUE[name] } as BasicProperties);
      expect(raw.readUInt16BE(0)).toBe(0x8000 >>> i);
      expect(decodeProperties(raw)).toEqual({ [name]: ALL_VALUE[name] });
    });
  });

  it('round-trips headers using every field-table tag byte for byte', () => {
    const headers = {
      t: true, b: new FieldTyped('b', -1), B: new FieldTyped('B', 255), s: new FieldTyped('s', -2),
      u: new FieldTyped('u', 65534), I: -3, i: new FieldTyped('i', 4294967293), l: 2 ** 40,
      f: new FieldTyped('f', 1.5), d: 0.25, D: new Decimal(2, 12345), S: 'hé', A: [1, 'x', [null]],
      T: new Date(1_700_000_000_000), F: { nested: { deeper: false } }, V: null, x: hex('00ff'),
    };
    const raw = encodeProperties({ headers, deliveryMode: 1 });
    expect(decodeProperties(raw)).toEqual({ headers, deliveryMode: 1 });
    expect(encodeProperties(decodeProperties(raw))).toEqual(raw);
  });

  it('encode(decode(raw)) === raw and decode(encode(p)) equals p (property)', () => {
    const str = fc.string({ unit: 'grapheme', maxLength: 30 }).filter((s) => Buffer.byteLength(s) <= 255);
    const octet = fc.integer({ min: 0, max: 255 });
    const props: fc.Arbitrary<BasicProperties> = fc.record(
      {
        contentType: str, contentEncoding: str,
        headers: fc.dictionary(str, fc.oneof(fc.integer(), str, fc.boolean(), fc.constant(null), fc.double({ noNaN: true }))),
        deliveryMode: octet, priority: octet, correlationId: str, replyTo: str, expiration: str, messageId: str,
        timestamp: fc.maxSafeNat(), type: str, userId: str, appId: str, clusterId: str,
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(props, (p) => {
        const raw = encodeProperties(p);
        expect(decodeProperties(raw)).toEqual(p);
        expect(encodeProperties(decodeProperties(raw))).toEqual(raw);
      }),
      { numRuns: 500 },
    );
  });

  it('refuses a shortstr property over 255 bytes', () => {
    expect(() => encodeProperties({ messageId: 'x'.repeat(256) })).toThrow(RangeError);
  });

  it('accepts an all-zero continuation flags word', () => {
    expect(decodeProperties(hex('1001 0000 02'))).toEqual({ deliveryMode: 2 });
  });

  it('rejects malformed property lists with 502 SYNTAX_ERROR', () => {
    expect(syntax(() => decodeProperties(hex('00')))).toBe('SYNTAX_ERROR - invalid content header properties: missing property flags');
    expect(syntax(() => decodeProperties(hex('0002')))).toMatch(/flag bit 1/);
    expect(syntax(() => decodeProperties(hex('0001 8000 00')))).toMatch(/unknown property flags 0x8000/);
    expect(syntax(() => decodeProperties(hex('0001')))).toMatch(/truncated property flags/);
    expect(syntax(() => decodeProperties(hex('8000 05 6162')))).toMatch(/contentType truncated/);
    expect(syntax(() => decodeProperties(hex('1000')))).toMatch(/deliveryMode truncated/);
    expect(syntax(() => decodeProperties(hex('0040 00000000')))).toMatch(/timestamp truncated/);
    expect(syntax(() => decodeProperties(hex('2000 00000009 01 61 56')))).toMatch(/field table/);
    expect(syntax(() => decodeProperties(hex('1000 02 00')))).toMatch(/1 trailing octets/);
  });
});

describe('readPropertyTraits', () => {
  it('reads what the hot path needs, without the headers table', () => {
    const t = new PropertyTraits();
    readPropertyTraits(ALL, t);
    expect({ ...t }).toEqual({ deliveryMode: 2, priority: 5, expiration: '60000', userId: 'guest', replyTo: 'rq', hasHeaders: true });
  });

  it('resets a reused instance, with -1 for an unset priority', () => {
    const t = new PropertyTraits();
    readPropertyTraits(ALL, t);
    readPropertyTraits(EMPTY_PROPERTIES, t);
    expect({ ...t }).toEqual({ deliveryMode: 0, priority: -1, expiration: undefined, userId: undefined, replyTo: undefined, hasHeaders: false });
    readPropertyTraits(encodeProperties({ priority: 0, timestamp: 5, appId: 'a' }), t);
    expect(t.priority).toBe(0);
  });

  it('handles continuation words like decodeProperties', () => {
    const t = new PropertyTraits();
    readPropertyTraits(hex('1001 0000 02'), t);
    expect(t.deliveryMode).toBe(2);
  });

  it('agrees with decodeProperties on random property lists (property)', () => {
    const str = fc.string({ maxLength: 10 });
    fc.assert(
      fc.property(
        fc.record({ deliveryMode: fc.nat(255), priority: fc.nat(255), expiration: str, userId: str, replyTo: str, headers: fc.constant({ k: 1 }), messageId: str, timestamp: fc.nat() }, { requiredKeys: [] }),
        (p) => {
          const t = new PropertyTraits();
          readPropertyTraits(encodeProperties(p), t);
          expect(t).toEqual(Object.assign(new PropertyTraits(), {
            deliveryMode: p.deliveryMode ?? 0, priority: p.priority ?? -1, expiration: p.expiration, userId: p.userId,
            replyTo: p.replyTo, hasHeaders: p.headers !== undefined,
          }));
        },
      ),
    );
  });

  it('rejects the same malformed input as decodeProperties', () => {
    const t = new PropertyTraits();
    for (const bad of ['00', '0002', '0001 8000 00', '8000 05 6162', '1000', '0040 00000000', '2000 00000009 01', '1000 02 00', '0100 03 6162']) {
      syntax(() => readPropertyTraits(hex(bad), t));
    }
  });
});
