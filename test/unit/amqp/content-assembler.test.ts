import { describe, expect, it } from 'vitest';
import { ContentAssembler } from '../../../src/amqp/content-assembler.js';
import { AmqpError } from '../../../src/amqp/errors.js';

function header(classId: number, bodySize: number, props = Buffer.from([0x10, 0x00, 0x02])): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt16BE(classId, 0);
  b.writeUInt32BE(Math.floor(bodySize / 2 ** 32), 4);
  b.writeUInt32BE(bodySize >>> 0, 8);
  return Buffer.concat([b, props]);
}

const amqpErr = (fn: () => unknown): AmqpError => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AmqpError);
    return e as AmqpError;
  }
  throw new Error('no error thrown');
};

describe('ContentAssembler', () => {
  it('assembles header + body fragments into copies that outlive the chunks', () => {
    const a = new ContentAssembler();
    expect(a.active).toBe(false);
    a.start(60);
    expect(a.active).toBe(true);
    const h = header(60, 10);
    a.onHeader(h);
    expect(a.bodySize).toBe(10);
    expect(a.properties).toEqual(Buffer.from([0x10, 0x00, 0x02]));
    const f1 = Buffer.from('hello');
    const f2 = Buffer.from('world');
    expect(a.onBody(f1)).toBe(false);
    expect(a.complete).toBe(false);
    expect(a.onBody(f2)).toBe(true);
    expect(a.complete).toBe(true);
    h.fill(0);
    f1.fill(0);
    f2.fill(0);
    const { properties, body } = a.take();
    expect(properties).toEqual(Buffer.from([0x10, 0x00, 0x02]));
    expect(body.toString()).toBe('helloworld');
    expect(a.active).toBe(false);
    expect(a.complete).toBe(false);
  });

  it('completes right after the header when bodySize is 0', () => {
    const a = new ContentAssembler();
    a.start(60);
    a.onHeader(header(60, 0, Buffer.from([0, 0])));
    expect(a.complete).toBe(true);
    expect(a.active).toBe(false);
    expect(a.take()).toEqual({ properties: Buffer.from([0, 0]), body: Buffer.alloc(0) });
  });

  it('allocates the body once, at the first body frame, exactly bodySize long', () => {
    const a = new ContentAssembler();
    a.start(60);
    a.onHeader(header(60, 2 ** 40)); // a caller would reject this size before any body arrives
    expect(a.bodySize).toBe(2 ** 40);
    a.reset();
    a.start(60);
    a.onHeader(header(60, 3));
    a.onBody(Buffer.from('a'));
    a.onBody(Buffer.alloc(0));
    a.onBody(Buffer.from('bc'));
    const { body } = a.take();
    expect(body.length).toBe(3);
    expect(body.toString()).toBe('abc');
  });

  it('rejects a header for another class with 505, as RabbitMQ words it', () => {
    const a = new ContentAssembler();
    a.start(60);
    const e = amqpErr(() => a.onHeader(header(50, 1)));
    expect(e.replyCode).toBe(505);
    expect(e.replyText).toBe('UNEXPECTED_FRAME - expected content header for class 60, got one for class 50 instead');
  });

  it('rejects a body that overflows bodySize with 501', () => {
    const a = new ContentAssembler();
    a.start(60);
    a.onHeader(header(60, 4));
    a.onBody(Buffer.from('abc'));
    const e = amqpErr(() => a.onBody(Buffer.from('de')));
    expect(e.replyCode).toBe(501);
    expect(e.replyText).toBe('FRAME_ERROR - content body of 5 octets exceeds the declared body size 4');
  });

  it('rejects a short header and a body size above 2^53 - 1 with 501', () => {
    const a = new ContentAssembler();
    a.start(60);
    expect(amqpErr(() => a.onHeader(Buffer.alloc(13))).replyCode).toBe(501);
    const h = header(60, 0);
    h.writeUInt32BE(0x00200000, 4);
    expect(amqpErr(() => a.onHeader(h)).replyCode).toBe(501);
  });

  it('rejects frames of the wrong kind with 505 and the right text for each state', () => {
    const a = new ContentAssembler();
    expect(amqpErr(() => a.onHeader(header(60, 1))).replyText).toBe('UNEXPECTED_FRAME - expected method frame, got non method frame instead');
    expect(amqpErr(() => a.onBody(Buffer.alloc(1))).replyCode).toBe(505);
    a.start(60);
    expect(amqpErr(() => a.onBody(Buffer.alloc(1))).replyText).toBe(
      'UNEXPECTED_FRAME - expected content header for class 60, got non content header frame instead',
    );
    expect(a.unexpectedFrameError().replyCode).toBe(505);
    expect(amqpErr(() => a.start(60)).replyCode).toBe(505); // a method frame while waiting for the header
    a.onHeader(header(60, 2));
    expect(a.unexpectedFrameError().replyText).toBe('UNEXPECTED_FRAME - expected content body, got non content body frame instead');
    expect(amqpErr(() => a.onHeader(header(60, 2))).replyCode).toBe(505);
    a.reset();
    a.start(60);
    a.onHeader(header(60, 0));
    expect(amqpErr(() => a.onBody(Buffer.alloc(0))).replyCode).toBe(505); // complete: no body frame expected
    expect(() => new ContentAssembler().take()).toThrow(/not complete/);
  });
});
