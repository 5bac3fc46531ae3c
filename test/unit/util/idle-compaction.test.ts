import { describe, expect, it } from 'vitest';
import { IdleCompaction } from '../../../src/util/idle-compaction.js';

const MB = 1024 * 1024;

function rig(): { c: IdleCompaction; state: { activity: number; heap: number; collections: number } } {
  const state = { activity: 0, heap: 20 * MB, collections: 0 };
  const c = new IdleCompaction(
    () => state.activity,
    { minGrowthBytes: 32 * MB },
    () => state.heap,
    () => {
      state.collections++;
      state.heap = 22 * MB;
    },
  );
  return { c, state };
}

describe('IdleCompaction', () => {
  it('collects once the process has been idle for a whole interval after the heap grew, and once only', () => {
    const { c, state } = rig();
    expect(c.check()).toBe(false); // first look: nothing to compare with
    state.activity = 100;
    state.heap = 150 * MB;
    expect(c.check()).toBe(false); // busy since the last look
    expect(c.check()).toBe(true); // idle for an interval, heap 130 MiB over its low
    expect(state.collections).toBe(1);
    expect(c.check()).toBe(false); // still idle: not again
    state.activity = 101;
    state.heap = 40 * MB;
    c.check();
    expect(c.check()).toBe(false); // idle, but only 18 MiB over the low after the last collection
    expect(state.collections).toBe(1);
  });

  it('leaves a heap that did not grow alone', () => {
    const { c, state } = rig();
    c.check();
    state.heap = 45 * MB;
    expect(c.check()).toBe(false);
    expect(state.collections).toBe(0);
  });
});
