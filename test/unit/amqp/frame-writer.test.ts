import { describe, expect, it } from 'vitest';
import { FrameReader } from '../../../src/amqp/frame-reader.js';
import { FrameWriter, type FrameSink } from '../../../src/amqp/frame-writer.js';
import { PROTOCOL_HEADER } from '../../../src/amqp/generated/constants.js';
import { encodeBasicDeliver, encodeMethod, MethodId } from '../../../src/amqp/generated/methods.js';

/** Records every chunk (by reference, plus a copy taken at write time) and every call. */
class RecordingSink implements FrameSink {
  chunks: Buffer[] = [];
  copies: Buffer[] = [];
  calls: string[] = [];
  result = true;
  write(chunk: Buffer): boolean {
    this.chunks.push(chunk);
    this.copies.push(Buffer.from(chunk));
    this.calls.push('write');
    return this.result;
  }
  cork(): void {
    this.calls.push('cork');
  }
  uncork(): void {
    this.calls.push('uncork');
  }
  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
  /** Every handed-over buffer still holds what it held when handed over. */
  unchanged(): boolean {
    return this.chunks.every((c, i) => c.equals(this.copies[i]!));
  }
}

function frames(bytes: Buffer): { type: number; channel: number; payload: Buffer }[] {
  const out: { type: number; channel: number; payload: Buffer }[] = [];
  new FrameReader({ onFrame: (type, channel, payload) => out.push({ type, channel, payload: Buffer.from(payload) }) }, 0).push(bytes);
  return out;
}

const deliver = { consumerTag: 'amq.ctag-1', deliveryTag: 1, redelivered: false, exchange: 'ex', routingKey: 'rk' };

describe('FrameWriter.writeContent', () => {
  const FRAME_MAX = 4096;
  const sizes = [0, 1, 100, FRAME_MAX - 8, FRAME_MAX - 7, 3 * FRAME_MAX, 200_000];
  for (const size of sizes) {
    it(`splits a ${size}-byte body into frames of at most frameMax`, () => {
      const sink = new RecordingSink();
      const w = new FrameWriter(sink, 1024);
      w.frameMax = FRAME_MAX;
      const body = Buffer.alloc(size);
      for (let i = 0; i < size; i++) body[i] = i * 7;
      const props = Buffer.from([0x10, 0x00, 0x02]); // delivery-mode 2
      w.writeContent(3, 60, size, props, body);
      expect(w.pendingBytes).toBe(20 + props.length + size + 8 * Math.ceil(size / (FRAME_MAX - 8)));
      w.flush();
      const out = frames(sink.bytes());
      expect(out[0]!.type).toBe(2);
      expect(out[0]!.channel).toBe(3);
      const header = Buffer.alloc(12);
      header.writeUInt16BE(60, 0); // class-id, weight 0
      header.writeUInt32BE(size, 8); // body-size (high 32 bits 0)
      expect(out[0]!.payload).toEqual(Buffer.concat([header, props]));
      const bodies = out.slice(1);
      expect(bodies.length).toBe(Math.ceil(size / (FRAME_MAX - 8)));
      for (const f of bodies) {
        expect(f.type).toBe(3);
        expect(f.channel).toBe(3);
        expect(f.payload.length + 8).toBeLessThanOrEqual(FRAME_MAX);
      }
      expect(Buffer.concat(bodies.map((f) => f.payload))).toEqual(body);
      expect(sink.unchanged()).toBe(true);
    });
  }

  it('hands large fragments to the sink as views of the body, small ones copied, in one cork/uncork', () => {
    const sink = new RecordingSink();
    const w = new FrameWriter(sink);
    w.frameMax = 131072;
    const big = Buffer.alloc(300_000, 1);
    const small = Buffer.alloc(100, 2);
    w.writeContent(1, 60, big.length, Buffer.from([0, 0]), big);
    w.writeContent(1, 60, small.length, Buffer.from([0, 0]), small);
    w.flush();
    expect(sink.calls[0]).toBe('cork');
    expect(sink.calls.at(-1)).toBe('uncork');
    expect(sink.calls.filter((c) => c === 'cork').length).toBe(1);
    const views = sink.chunks.filter((c) => c.buffer === big.buffer);
    expect(views.map((v) => v.length)).toEqual([131064, 131064, 300_000 - 2 * 131064]);
    expect(sink.chunks.some((c) => c.buffer === small.buffer)).toBe(false);
    expect(frames(sink.bytes()).length).toBe(6);
  });

  it('rejects a bodySize that is not the body length', () => {
    const w = new FrameWriter(new RecordingSink());
    expect(() => w.writeContent(1, 60, 5, Buffer.from([0, 0]), Buffer.alloc(4))).toThrow(RangeError);
  });
});

describe('FrameWriter', () => {
  it('never mutates a buffer it handed to the sink, across slab refills', () => {
    const sink = new RecordingSink();
    const w = new FrameWriter(sink, 600);
    for (let i = 0; i < 2000; i++) {
      encodeBasicDeliver(w, 1, { ...deliver, deliveryTag: i });
      if (i % 3 === 0) w.writeContent(1, 60, i % 50, Buffer.from([0, 0]), Buffer.alloc(i % 50, i));
      if (i % 7 === 0) w.flush();
    }
    w.flush();
    expect(sink.unchanged()).toBe(true);
    const out = frames(sink.bytes()).filter((f) => f.type === 1);
    expect(out.length).toBe(2000);
    expect(out[1999]!.payload.readUInt32BE(19)).toBe(1999);
  });

  it('flushes nothing when nothing is pending and returns the sink result otherwise', () => {
    const sink = new RecordingSink();
    const w = new FrameWriter(sink);
    expect(w.flush()).toBe(true);
    expect(sink.calls).toEqual([]);
    w.writeHeartbeat();
    sink.result = false;
    expect(w.pendingBytes).toBe(8);
    expect(w.flush()).toBe(false);
    expect(w.pendingBytes).toBe(0);
    expect(sink.calls).toEqual(['cork', 'write', 'uncork']);
    expect(sink.bytes().toString('hex')).toBe('08000000000000ce');
  });

  it('writes raw bytes such as the protocol header', () => {
    const sink = new RecordingSink();
    const w = new FrameWriter(sink);
    w.writeRaw(PROTOCOL_HEADER);
    w.flush();
    expect(sink.bytes().toString('latin1')).toBe('AMQP\x00\x00\x09\x01');
  });

  it('writes a frame larger than the slab (a big table) by moving it to a fresh slab', () => {
    const sink = new RecordingSink();
    const w = new FrameWriter(sink, 256);
    encodeBasicDeliver(w, 1, deliver);
    const args = { big: 'x'.repeat(10_000), n: 1 };
    encodeMethod(w, 2, { id: MethodId.QueueDeclare, queue: 'q', passive: false, durable: true, exclusive: false, autoDelete: false, noWait: false, arguments: args });
    w.flush();
    const out = frames(sink.bytes());
    expect(out.map((f) => f.channel)).toEqual([1, 2]);
    expect(out[1]!.payload.length).toBeGreaterThan(10_000);
  });

  it('drops the partial frame when encoding throws, and stays usable', () => {
    const sink = new RecordingSink();
    const w = new FrameWriter(sink);
    encodeBasicDeliver(w, 1, deliver);
    expect(() => encodeBasicDeliver(w, 1, { ...deliver, routingKey: 'k'.repeat(256) })).toThrow(RangeError);
    expect(() => encodeBasicDeliver(w, 1, { ...deliver, exchange: 'é'.repeat(128) })).toThrow(/longer than 255 bytes/);
    expect(() => encodeMethod(w, 1, { id: MethodId.BasicQos, prefetchSize: 0, prefetchCount: 70000, global: false })).toThrow();
    encodeBasicDeliver(w, 1, { ...deliver, routingKey: 'é'.repeat(127) + 'x' }); // 255 bytes is fine
    w.flush();
    const out = frames(sink.bytes());
    expect(out.length).toBe(2);
  });

  it('writes 64-bit values up to 2^53 - 1', () => {
    const sink = new RecordingSink();
    const w = new FrameWriter(sink);
    w.startFrame(1, 0);
    w.writeUInt64(Number.MAX_SAFE_INTEGER);
    w.writeUInt64(2 ** 32);
    w.endFrame();
    w.flush();
    expect(sink.bytes().subarray(7, 23).toString('hex')).toBe('001fffffffffffff0000000100000000');
  });
});
