import { afterEach, describe, expect, it, vi } from 'vitest';
import { Scheduler } from '../../../src/util/scheduler.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('Scheduler', () => {
  it('fires timers in deadline order from its one real timer', () => {
    vi.useFakeTimers();
    const s = new Scheduler();
    const fired: string[] = [];
    s.setTimeout(() => fired.push('b'), 20);
    s.setTimeout(() => fired.push('a'), 10);
    s.setTimeout(() => fired.push('c'), 30);
    vi.advanceTimersByTime(10);
    expect(fired).toEqual(['a']);
    vi.advanceTimersByTime(20);
    expect(fired).toEqual(['a', 'b', 'c']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('poll() runs what is due without waiting for the real timer', () => {
    vi.useFakeTimers();
    const s = new Scheduler();
    const fired: string[] = [];
    s.setTimeout(() => fired.push('due'), 5);
    s.setTimeout(() => fired.push('later'), 50);
    vi.setSystemTime(Date.now() + 5); // time passes while a busy turn keeps the real timer from firing
    s.poll();
    expect(fired).toEqual(['due']);
    s.poll();
    expect(fired).toEqual(['due']);
  });

  it('clearTimeout cancels; clearing a fired timer is harmless', () => {
    vi.useFakeTimers();
    const s = new Scheduler();
    const fired: string[] = [];
    const a = s.setTimeout(() => fired.push('a'), 10);
    const b = s.setTimeout(() => fired.push('b'), 10);
    s.clearTimeout(a);
    vi.advanceTimersByTime(10);
    expect(fired).toEqual(['b']);
    s.clearTimeout(b);
    s.setTimeout(() => fired.push('c'), 5);
    vi.advanceTimersByTime(5);
    expect(fired).toEqual(['b', 'c']);
  });

  it('keeps delays beyond 2^31-1 ms (Node would fire them after 1 ms)', () => {
    vi.useFakeTimers();
    const s = new Scheduler();
    let fired = 0;
    s.setTimeout(() => fired++, 2 ** 32);
    vi.advanceTimersByTime(2 ** 31);
    expect(fired).toBe(0);
    vi.advanceTimersByTime(2 ** 31);
    expect(fired).toBe(1);
  });

  it('compacts many cancelled timers and stop() drops everything', () => {
    vi.useFakeTimers();
    const s = new Scheduler();
    let fired = 0;
    for (let i = 0; i < 5000; i++) s.clearTimeout(s.setTimeout(() => fired++, 1000 + i));
    s.setTimeout(() => fired++, 10);
    vi.advanceTimersByTime(10_000);
    expect(fired).toBe(1);
    s.setTimeout(() => fired++, 10);
    s.stop();
    vi.advanceTimersByTime(100);
    expect(fired).toBe(1);
  });
});
