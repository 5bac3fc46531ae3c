/**
 * Replication's pieces that need no network: frames (length, type, CRC; split anywhere in the
 * byte stream) and the log ring (which follower positions lie on the leader's history, eviction
 * by bytes).
 */
import { describe, expect, it } from 'vitest';
import { Frame, FrameReader, ackFrame, jsonFrame, recordFrame } from '../../../src/cluster/replication/frames.js';
import { LogRing } from '../../../src/cluster/replication/log-ring.js';
import { encodeStoreOps, hasRecordRoom } from '../../../src/store/log-codec.js';
import { OpKind, StoreOp } from '../../../src/store/op-batch.js';

describe('replication frames', () => {
  it('survive any split of the byte stream', () => {
    const frames = [jsonFrame(Frame.Hello, { a: 1 }), recordFrame(7, 42, Buffer.from('payload')), ackFrame(42)];
    const stream = Buffer.concat(frames);
    for (let cut = 1; cut < stream.length; cut++) {
      const r = new FrameReader();
      const got = [...r.push(stream.subarray(0, cut)), ...r.push(stream.subarray(cut))];
      expect(got.map((f) => f.type)).toEqual([Frame.Hello, Frame.Record, Frame.Ack]);
      expect(got[1]?.body.readDoubleBE(0)).toBe(7);
      expect(got[1]?.body.readDoubleBE(8)).toBe(42);
      expect(got[1]?.body.subarray(16).toString()).toBe('payload');
      expect(got[2]?.body.readDoubleBE(0)).toBe(42);
    }
  });

  it('a store payload is framed in place, byte for byte as a copied one', () => {
    const op = new StoreOp(OpKind.Insert, 0, 0, 9, 0, 0, false, 1, 'x', 'k', Buffer.from([1, 2]), Buffer.from('body'), null);
    const payload = encodeStoreOps([op]);
    expect(hasRecordRoom(payload)).toBe(true);
    const copied = recordFrame(3, 4, Buffer.from(payload));
    const inPlace = recordFrame(3, 4, payload);
    expect(inPlace.buffer).toBe(payload.buffer); // no copy
    expect(inPlace.equals(copied)).toBe(true);
    const [f] = new FrameReader().push(inPlace);
    expect(f?.body.subarray(16).equals(payload)).toBe(true);
  });

  it('a flipped bit is refused (CRC)', () => {
    const f = recordFrame(1, 1, Buffer.from('x'));
    f[f.length - 6] = (f[f.length - 6] as number) ^ 1;
    expect(() => new FrameReader().push(f)).toThrow(/CRC/);
  });
});

describe('the log ring', () => {
  const frame = (n: number): Buffer => Buffer.alloc(n);

  it('holds the positions of its history, including the one just before it', () => {
    const ring = new LogRing(1 << 20);
    ring.reset({ epoch: 3, seq: 10 });
    ring.append(3, 11, frame(10));
    ring.append(5, 12, frame(10));
    expect(ring.holds({ epoch: 3, seq: 10 })).toBe(true);
    expect(ring.holds({ epoch: 3, seq: 11 })).toBe(true);
    expect(ring.holds({ epoch: 5, seq: 12 })).toBe(true);
    expect(ring.holds({ epoch: 3, seq: 12 })).toBe(false); // another leader's record 12: diverged
    expect(ring.holds({ epoch: 5, seq: 13 })).toBe(false); // ahead of the leader
    expect(ring.holds({ epoch: 2, seq: 10 })).toBe(false);
    expect(ring.holds({ epoch: 3, seq: 9 })).toBe(false); // before the ring: a snapshot
    expect(() => ring.append(5, 14, frame(1))).toThrow();
  });

  it('evicts the oldest records past its byte cap; the next one up becomes the base', () => {
    const ring = new LogRing(100);
    for (let s = 1; s <= 10; s++) ring.append(1, s, frame(30));
    expect(ring.frame(7)).toBeUndefined();
    expect(ring.frame(8)?.length).toBe(30);
    expect(ring.holds({ epoch: 1, seq: 7 })).toBe(true);
    expect(ring.holds({ epoch: 1, seq: 6 })).toBe(false);
    expect(ring.last).toEqual({ epoch: 1, seq: 10 });
  });
});
