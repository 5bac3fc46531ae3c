import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildModel, xml, type FieldSpec, type MethodSpec } from '../../../src/amqp/codegen/generate.js';
import { AmqpError } from '../../../src/amqp/errors.js';
import { FRAME_END } from '../../../src/amqp/generated/constants.js';
import {
  decodeMethod,
  encodeBasicDeliver,
  encodeBasicPublish,
  encodeConnectionStart,
  encodeMethod,
  METHOD_INFO,
  MethodId,
  methodName,
  type Method,
} from '../../../src/amqp/generated/methods.js';
import { FrameWriter } from '../../../src/amqp/frame-writer.js';

const spec = (f: string): string => readFileSync(new URL(`../../../spec/${f}`, import.meta.url), 'utf8');
const model = buildModel(xml(spec('amqp0-9-1.stripped.extended.xml')), JSON.parse(spec('rabbitmq-overrides.json')));
const specs = new Map(model.methods.map((m) => [m.classIndex * 65536 + m.index, m]));

function encode(fn: (w: FrameWriter) => void): Buffer {
  const chunks: Buffer[] = [];
  const w = new FrameWriter({ write: (c) => chunks.push(Buffer.from(c)) > 0, cork() {}, uncork() {} });
  fn(w);
  w.flush();
  return Buffer.concat(chunks);
}

/** Decodes one whole method frame, checking its frame header and end octet. */
function decodeFrame(frame: Buffer, channel = 1): Method {
  expect(frame[0]).toBe(1);
  expect(frame.readUInt16BE(1)).toBe(channel);
  expect(frame.readUInt32BE(3)).toBe(frame.length - 8);
  expect(frame[frame.length - 1]).toBe(FRAME_END);
  return decodeMethod(frame, 7, frame.length - 1);
}

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const MAX_SHORTSTR = '€'.repeat(85); // 255 UTF-8 bytes

function sample(f: FieldSpec, variant: number, bit: boolean): unknown {
  switch (f.type) {
    case 'bit':
      return bit;
    case 'octet':
      return variant ? 255 : 0;
    case 'short':
      return variant ? 65535 : 0;
    case 'long':
      return variant ? 0xffffffff : 0;
    case 'longlong':
    case 'timestamp':
      return variant ? Number.MAX_SAFE_INTEGER : 0;
    case 'shortstr':
      return variant ? MAX_SHORTSTR : '';
    case 'longstr':
      return variant ? Buffer.from('\0PLAIN\0guest\0guest ' + 'x'.repeat(300)) : Buffer.alloc(0);
    case 'table':
      return variant ? { a: 1, b: 'two', c: { d: [true, null, 2.5] } } : {};
    default:
      throw new Error(`no sample for ${f.type}`);
  }
}

/** A method value for spec m; bit fields follow `bits` (bit i = i-th bit field). */
function build(m: MethodSpec, variant: number, bits: number): Method {
  const out: Record<string, unknown> = { id: m.classIndex * 65536 + m.index };
  let b = 0;
  for (const f of m.fields) {
    if (f.reserved) {
      if (f.type === 'bit') b++;
      continue;
    }
    out[f.prop] = sample(f, variant, f.type === 'bit' ? ((bits >> b++) & 1) === 1 : false);
  }
  return out as unknown as Method;
}

describe('generated methods', () => {
  it('covers every method of the XML plus the overrides, with ids and names', () => {
    expect(Object.keys(METHOD_INFO).length).toBe(model.methods.length);
    expect(MethodId.BasicPublish).toBe((60 << 16) | 40);
    expect(MethodId.ExchangeUnbindOk).toBe((40 << 16) | 51);
    expect(MethodId.ConfirmSelect).toBe((85 << 16) | 10);
    expect(MethodId.ConnectionBlocked).toBe((10 << 16) | 60);
    expect(MethodId.ConnectionUpdateSecretOk).toBe((10 << 16) | 71);
    expect(METHOD_INFO[MethodId.BasicGet]).toEqual({
      name: 'basic.get',
      classId: 60,
      methodIndex: 70,
      hasContent: false,
      synchronous: true,
      responses: [MethodId.BasicGetOk, MethodId.BasicGetEmpty],
    });
    expect(METHOD_INFO[MethodId.BasicDeliver]?.hasContent).toBe(true);
    expect(METHOD_INFO[MethodId.BasicAck]?.synchronous).toBe(false);
    expect(methodName(MethodId.QueueDeclareOk)).toBe('queue.declare-ok');
    expect(methodName((60 << 16) | 999)).toBe('unknown method 60.999');
  });

  for (const [id, info] of Object.entries(METHOD_INFO)) {
    const m = specs.get(Number(id))!;
    const nbits = m.fields.filter((f) => f.type === 'bit').length;
    it(`round-trips ${info.name} (all ${2 ** nbits} bit patterns, empty and maximal values)`, () => {
      for (let bits = 0; bits < 2 ** nbits; bits++) {
        for (const variant of [0, 1]) {
          const value = build(m, variant, bits);
          const frame = encode((w) => encodeMethod(w, 1, value));
          const decoded = decodeFrame(frame);
          expect(decoded).toEqual(value);
          // one shape per method: id first, then the fields in spec order
          expect(Object.keys(decoded)).toEqual(Object.keys(value));
          expect(encode((w) => encodeMethod(w, 1, decoded))).toEqual(frame);
        }
      }
    });
  }

  it('round-trips random argument values of every method (property)', () => {
    const arbOf = (f: FieldSpec): fc.Arbitrary<unknown> => {
      switch (f.type) {
        case 'bit':
          return fc.boolean();
        case 'octet':
          return fc.integer({ min: 0, max: 255 });
        case 'short':
          return fc.integer({ min: 0, max: 65535 });
        case 'long':
          return fc.integer({ min: 0, max: 0xffffffff });
        case 'shortstr':
          return fc.string({ unit: 'grapheme', maxLength: 60 }).filter((s) => Buffer.byteLength(s) <= 255);
        case 'longstr':
          return fc.uint8Array({ maxLength: 100 }).map((a) => Buffer.from(a));
        case 'table':
          return fc.dictionary(fc.string({ maxLength: 10 }), fc.oneof(fc.integer(), fc.string(), fc.boolean()));
        default:
          return fc.maxSafeNat();
      }
    };
    const arbs = model.methods.map((m) =>
      fc.record(Object.fromEntries(m.fields.filter((f) => !f.reserved).map((f) => [f.prop, arbOf(f)]))).map(
        (fields) => ({ id: m.classIndex * 65536 + m.index, ...fields }) as unknown as Method,
      ),
    );
    fc.assert(
      fc.property(fc.oneof(...arbs), fc.integer({ min: 0, max: 65535 }), (value, channel) => {
        const frame = encode((w) => encodeMethod(w, channel, value));
        expect(decodeFrame(frame, channel)).toEqual(value);
      }),
      { numRuns: 500 },
    );
  });
});

describe('method byte vectors (built by hand from the spec)', () => {
  it('connection.start', () => {
    const frame = hex(`
      01 0000 00000038
      000a 000a  00 09
      00000013 07 70726f64756374 53 00000006 57617272656e
      0000000e 504c41494e20414d51504c41494e
      00000005 656e5f5553
      ce`);
    const value = {
      id: MethodId.ConnectionStart,
      versionMajor: 0,
      versionMinor: 9,
      serverProperties: { product: 'Warren' },
      mechanisms: Buffer.from('PLAIN AMQPLAIN'),
      locales: Buffer.from('en_US'),
    };
    expect(encode((w) => encodeConnectionStart(w, 0, value))).toEqual(frame);
    expect(decodeFrame(frame, 0)).toEqual(value);
  });

  it('basic.publish', () => {
    const frame = hex('01 0005 0000000e  003c 0028  0000  02 6578  03 6b6579  01  ce');
    const value = { id: MethodId.BasicPublish, exchange: 'ex', routingKey: 'key', mandatory: true, immediate: false };
    expect(encode((w) => encodeBasicPublish(w, 5, value))).toEqual(frame);
    expect(decodeFrame(frame, 5)).toEqual(value);
  });

  it('basic.deliver', () => {
    const frame = hex('01 0001 00000015  003c 003c  04 63746167  000000000000002a  01  00  01 71  ce');
    const value = {
      id: MethodId.BasicDeliver,
      consumerTag: 'ctag',
      deliveryTag: 42,
      redelivered: true,
      exchange: '',
      routingKey: 'q',
    };
    expect(encode((w) => encodeBasicDeliver(w, 1, value))).toEqual(frame);
    expect(decodeFrame(frame)).toEqual(value);
  });

  it('packs consecutive bits into one octet (queue.declare) and writes reserved fields as zero', () => {
    const frame = encode((w) =>
      encodeMethod(w, 1, {
        id: MethodId.QueueDeclare,
        queue: 'q',
        passive: true,
        durable: false,
        exclusive: true,
        autoDelete: false,
        noWait: true,
        arguments: {},
      }),
    );
    expect(frame.subarray(7, -1)).toEqual(hex('0032 000a 0000 01 71 15 00000000'));
  });

  it('connection.open skips its reserved shortstr and bit; confirm.select spells nowait as noWait', () => {
    const open = hex('000a 0028 01 2f 05 6c6f63616c 01');
    expect(decodeMethod(open, 0, open.length)).toEqual({ id: MethodId.ConnectionOpen, virtualHost: '/' });
    const sel = hex('0055 000a 01');
    expect(decodeMethod(sel, 0, sel.length)).toEqual({ id: MethodId.ConfirmSelect, noWait: true });
  });
});

describe('decodeMethod errors', () => {
  const err = (b: Buffer): AmqpError => {
    try {
      decodeMethod(b, 0, b.length);
    } catch (e) {
      expect(e).toBeInstanceOf(AmqpError);
      return e as AmqpError;
    }
    throw new Error('no error thrown');
  };

  it('unknown class or method -> 540 NOT_IMPLEMENTED', () => {
    const e = err(hex('003c 03e7'));
    expect(e.replyCode).toBe(540);
    expect(e.hard).toBe(true);
    expect(e.replyText).toBe('NOT_IMPLEMENTED - unknown method 60.999');
  });

  it('truncated arguments, at every cut -> 501 FRAME_ERROR with the class and method ids', () => {
    const full = hex('003c 003c 04 63746167 000000000000002a 01 00 01 71');
    for (let cut = 4; cut < full.length; cut++) {
      const e = err(full.subarray(0, cut));
      expect(e.replyCode).toBe(501);
      expect(e.replyText).toBe('FRAME_ERROR - cannot decode basic.deliver: arguments truncated');
      expect([e.classId, e.methodId]).toEqual([60, 60]);
    }
    expect(err(hex('003c')).replyCode).toBe(501);
  });

  it('trailing octets -> 501', () => {
    expect(err(hex('003c 0050 0000000000000001 00 ff')).replyText).toBe(
      'FRAME_ERROR - cannot decode basic.ack: 1 trailing octets',
    );
  });

  it('a delivery tag above 2^53 - 1 -> 502 SYNTAX_ERROR', () => {
    expect(err(hex('003c 0050 0020000000000000 00')).replyCode).toBe(502);
  });

  it('a malformed arguments table -> 502 SYNTAX_ERROR', () => {
    const e = err(hex('003c 0014 0000 00 00 00 00000003 01 61 5a'));
    expect(e.replyCode).toBe(502);
    expect([e.classId, e.methodId]).toEqual([60, 20]);
  });

  it('decodes at an offset within a larger buffer and copies longstr values', () => {
    const payload = hex('000a 0015 00000003 616263');
    const big = Buffer.concat([hex('ffff'), payload, hex('ffff')]);
    const m = decodeMethod(big, 2, 2 + payload.length);
    expect(m).toEqual({ id: MethodId.ConnectionSecureOk, response: Buffer.from('abc') });
    big.fill(0);
    expect(m.id === MethodId.ConnectionSecureOk && m.response.toString()).toBe('abc');
  });

  it('narrows on switch (m.id)', () => {
    const m = decodeFrame(encode((w) => encodeMethod(w, 1, { id: MethodId.BasicQos, prefetchSize: 0, prefetchCount: 10, global: false })));
    switch (m.id) {
      case MethodId.BasicQos:
        expect(m.prefetchCount).toBe(10);
        break;
      default:
        throw new Error('wrong method');
    }
  });
});
