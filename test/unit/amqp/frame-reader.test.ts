import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AmqpError } from '../../../src/amqp/errors.js';
import { FrameReader } from '../../../src/amqp/frame-reader.js';

interface Frame {
  type: number;
  channel: number;
  payload: Buffer;
}

function frame(type: number, channel: number, payload: Buffer, end = 0xce): Buffer {
  const b = Buffer.alloc(payload.length + 8);
  b[0] = type;
  b.writeUInt16BE(channel, 1);
  b.writeUInt32BE(payload.length, 3);
  payload.copy(b, 7);
  b[b.length - 1] = end;
  return b;
}

function collector(max?: number): { reader: FrameReader; frames: Frame[]; views: Buffer[] } {
  const frames: Frame[] = [];
  const views: Buffer[] = [];
  const reader = new FrameReader(
    {
      onFrame(type, channel, payload) {
        views.push(payload);
        frames.push({ type, channel, payload: Buffer.from(payload) });
      },
    },
    max,
  );
  return { reader, frames, views };
}

const catchErr = (fn: () => void): AmqpError => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AmqpError);
    return e as AmqpError;
  }
  throw new Error('no error thrown');
};

const arbFrame: fc.Arbitrary<Frame> = fc.record({
  type: fc.constantFrom(1, 2, 3, 8),
  channel: fc.integer({ min: 0, max: 65535 }),
  payload: fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ minLength: 200, maxLength: 3000 })).map((a) => Buffer.from(a)),
});

describe('FrameReader', () => {
  it('yields the same frames whatever the chunk boundaries (property)', () => {
    fc.assert(
      fc.property(fc.array(arbFrame, { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 30 }), (input, cuts) => {
        const stream = Buffer.concat(input.map((f) => frame(f.type, f.channel, f.payload)));
        const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
        const { reader, frames } = collector();
        let at = 0;
        for (const p of [...points, stream.length]) {
          reader.push(stream.subarray(at, p));
          at = p;
        }
        expect(frames).toEqual(input);
      }),
      { numRuns: 1000 },
    );
  });

  it('also when fed one byte at a time', () => {
    const input = [frame(1, 1, Buffer.from('hello')), frame(8, 0, Buffer.alloc(0)), frame(3, 7, Buffer.alloc(500, 1))];
    const stream = Buffer.concat(input);
    const { reader, frames } = collector();
    for (let i = 0; i < stream.length; i++) reader.push(stream.subarray(i, i + 1));
    expect(frames.map((f) => [f.type, f.channel, f.payload.length])).toEqual([[1, 1, 5], [8, 0, 0], [3, 7, 500]]);
  });

  it('passes a frame wholly inside a chunk as a view of the chunk, without copying', () => {
    const chunk = Buffer.concat([frame(1, 1, Buffer.from('abc')), frame(3, 1, Buffer.from('defg')), frame(3, 1, Buffer.from('xy'))]);
    const { reader, views } = collector();
    reader.push(chunk.subarray(0, chunk.length - 3)); // the last frame is split
    reader.push(chunk.subarray(chunk.length - 3));
    expect(views.map(String)).toEqual(['abc', 'defg', 'xy']);
    chunk.fill(0x2e);
    expect(views.map(String)).toEqual(['...', '....', 'xy']); // views alias the chunk; the split frame was copied
  });

  it('accepts a frame of exactly maxFrameSize, rejects one octet more with 501 (even before it arrives)', () => {
    const ok = collector(4096);
    ok.reader.push(frame(3, 1, Buffer.alloc(4088)));
    expect(ok.frames.length).toBe(1);

    const big = frame(3, 1, Buffer.alloc(4089));
    const e = catchErr(() => collector(4096).reader.push(big.subarray(0, 7)));
    expect(e.replyCode).toBe(501);
    expect(e.replyText).toBe('FRAME_ERROR - type 3, all octets = <<>>: {frame_too_large,4089,4088}');
    // header split across chunks
    const split = collector(4096);
    split.reader.push(big.subarray(0, 3));
    expect(catchErr(() => split.reader.push(big.subarray(3, 9))).replyCode).toBe(501);
  });

  it('honours maxFrameSize set after tune', () => {
    const { reader, frames } = collector();
    reader.push(frame(3, 1, Buffer.alloc(100_000)));
    reader.maxFrameSize = 8192;
    expect(() => reader.push(frame(3, 1, Buffer.alloc(100_000)))).toThrow(/frame_too_large/);
    expect(frames.length).toBe(1);
  });

  it('rejects a bad frame-end octet with 501, in one chunk or reassembled', () => {
    const bad = frame(1, 1, Buffer.from([1, 2, 3]), 0x00);
    const e = catchErr(() => collector().reader.push(bad));
    expect(e.replyText).toBe('FRAME_ERROR - type 1, all octets = <<1,2,3>>: {invalid_frame_end_marker,0}');
    const r = collector();
    r.reader.push(bad.subarray(0, 5));
    expect(catchErr(() => r.reader.push(bad.subarray(5))).replyCode).toBe(501);
    const long = frame(3, 1, Buffer.alloc(20, 9), 0xcf);
    expect(catchErr(() => collector().reader.push(long)).replyText).toBe(
      'FRAME_ERROR - type 3, first 16 octets = <<9,9,9,9,9,9,9,9,9,9,9,9,9,9,9,9>>: {invalid_frame_end_marker,207}',
    );
  });

  it('rejects an unknown frame type with 501', () => {
    const e = catchErr(() => collector().reader.push(frame(4, 0, Buffer.alloc(1))));
    expect(e.replyCode).toBe(501);
    expect(e.replyText).toMatch(/unknown_frame_type,4/);
  });

  it('stop() keeps the rest of the chunk and later chunks from being dispatched', () => {
    const seen: number[] = [];
    const reader = new FrameReader({
      onFrame(_t, channel) {
        seen.push(channel);
        if (channel === 2) reader.stop();
      },
    });
    reader.push(Buffer.concat([frame(1, 1, Buffer.alloc(1)), frame(1, 2, Buffer.alloc(1)), frame(1, 3, Buffer.alloc(1))]));
    reader.push(frame(1, 4, Buffer.alloc(1)));
    expect(seen).toEqual([1, 2]);
    expect(reader.isStopped).toBe(true);
  });

  it('lets a handler exception propagate out of push, then stays stopped', () => {
    const seen: number[] = [];
    const reader = new FrameReader({
      onFrame(_t, channel) {
        seen.push(channel);
        if (channel === 1) throw new Error('boom');
      },
    });
    expect(() => reader.push(Buffer.concat([frame(1, 1, Buffer.alloc(1)), frame(1, 2, Buffer.alloc(1))]))).toThrow('boom');
    reader.push(frame(1, 3, Buffer.alloc(1)));
    expect(seen).toEqual([1]);
  });

  it('keeps the reassembly buffer across frames instead of allocating per chunk', () => {
    const { reader, views } = collector();
    const f = frame(3, 1, Buffer.alloc(1000, 5));
    for (let i = 0; i < 3; i++) {
      reader.push(f.subarray(0, 500));
      reader.push(f.subarray(500));
    }
    for (const v of views) {
      expect(v.buffer).toBe(views[0]!.buffer);
      expect(v.byteOffset).toBe(views[0]!.byteOffset);
    }
  });
});
