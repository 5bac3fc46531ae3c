import { describe, expect, it } from 'vitest';
import { OpBatch, OpKind } from '../../../src/store/op-batch.js';

const kinds = (b: OpBatch): number[] => b.ops.map((o) => o.kind);
const P = Buffer.alloc(3);

describe('OpBatch in-batch cancellation', () => {
  it('cancels an insert once every entry of it was removed in the same batch', () => {
    const b = new OpBatch();
    b.insert(1, 'x', 'k', P, Buffer.alloc(10), 2);
    b.enqueue(7, 1, 1, 0, -1);
    b.enqueue(8, 1, 1, 0, -1);
    b.remove(7, 1, 1);
    expect(b.live).toBe(2);
    expect(b.bytes).toBe(13);
    b.remove(8, 1, 1);
    expect(kinds(b)).toEqual([OpKind.Nop, OpKind.Nop, OpKind.Nop]);
    expect(b.live).toBe(0);
    expect(b.bytes).toBe(0);
    expect(b.pendingMessage(1)).toBeUndefined();
  });

  it('turns a cancelled entry of a committed message into a Deref', () => {
    const b = new OpBatch();
    b.enqueue(7, 5, 99, 0, -1);
    b.remove(7, 5, 99);
    expect(kinds(b)).toEqual([OpKind.Nop, OpKind.Deref]);
  });

  it('keeps removes of committed entries, and folds redelivery into a pending enqueue', () => {
    const b = new OpBatch();
    b.remove(7, 1, 1);
    b.setRedelivered(7, 2);
    b.enqueue(7, 3, 3, 0, 4);
    b.setRedelivered(7, 3);
    expect(kinds(b)).toEqual([OpKind.Remove, OpKind.Redeliver, OpKind.Enqueue]);
    expect(b.ops[2]?.redelivered).toBe(true);
  });

  it('purge cancels pending entries except kept seqs, then purges committed ones', () => {
    const b = new OpBatch();
    b.insert(1, 'x', 'k', P, P, 1);
    b.enqueue(7, 1, 1, 0, -1);
    b.insert(2, 'x', 'k', P, P, 1);
    b.enqueue(7, 2, 2, 0, -1);
    b.purge(7, [2]);
    expect(kinds(b)).toEqual([OpKind.Nop, OpKind.Nop, OpKind.Insert, OpKind.Enqueue, OpKind.Purge]);
    expect(b.ops[4]?.keep).toEqual([2]);
    b.clear();
    expect(b.ops).toEqual([]);
    expect(b.live).toBe(0);
  });
});
