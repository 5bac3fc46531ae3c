import { afterEach, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../../../src/util/clock.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('systemClock', () => {
  it('clamps delays beyond 2^31-1 ms instead of letting Node fire them after 1 ms', () => {
    vi.useFakeTimers();
    let fired = 0;
    systemClock.setTimeout(() => fired++, 2 ** 32 + 10);
    vi.advanceTimersByTime(1000);
    expect(fired).toBe(0);
    vi.advanceTimersByTime(2 ** 31);
    expect(fired).toBe(1);
  });
});
