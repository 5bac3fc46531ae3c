import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  DEFAULT_DISK_FREE_LIMIT,
  ResourceAlarms,
  type AlarmResource,
  type AlarmState,
  type ResourceProbes,
} from '../../../src/broker/alarms.js';
import { setLogSink } from '../../../src/util/logger.js';

/** Fake readings the test sets by hand. */
class FakeProbes implements ResourceProbes {
  rss = 100;
  total = 1000;
  free = 100_000_000;
  diskError: Error | null = null;
  memoryReads = 0;
  diskReads: string[] = [];
  memoryUsed(): number {
    this.memoryReads++;
    return this.rss;
  }
  totalMemory(): number {
    return this.total;
  }
  diskFree(dir: string): Promise<number> {
    this.diskReads.push(dir);
    return this.diskError !== null ? Promise.reject(this.diskError) : Promise.resolve(this.free);
  }
}

function setup(options: { memoryHighWatermark?: number; diskFreeLimit?: number; diskEvery?: number } = {}) {
  const probes = new FakeProbes();
  const alarms = new ResourceAlarms({ dir: '/data', probes, ...options });
  const changes: Array<{ resource: AlarmResource; state: AlarmState }> = [];
  alarms.onChange((state, resource) => changes.push({ resource, state }));
  return { probes, alarms, changes };
}

const logLines: string[] = [];
setLogSink((line) => logLines.push(line));
afterEach(() => {
  logLines.length = 0;
  vi.useRealTimers();
});

describe('ResourceAlarms thresholds', () => {
  it('defaults: memory limit 40% of total RAM, disk free limit 50 MB', () => {
    const { alarms } = setup();
    expect(alarms.memoryHighWatermark).toBe(0.4);
    expect(alarms.memoryLimit).toBe(400);
    expect(alarms.diskFreeLimit).toBe(DEFAULT_DISK_FREE_LIMIT);
    expect(DEFAULT_DISK_FREE_LIMIT).toBe(50_000_000);
    expect(alarms.state).toEqual({ memory: false, disk: false });
    expect(alarms.raised).toBe(false);
  });

  it('a watermark <= 1 is a fraction of RAM, above 1 a number of bytes', () => {
    const { alarms } = setup({ memoryHighWatermark: 0.5 });
    expect(alarms.memoryLimit).toBe(500);
    alarms.setMemoryHighWatermark(1);
    expect(alarms.memoryLimit).toBe(1000);
    alarms.setMemoryHighWatermark(2);
    expect(alarms.memoryLimit).toBe(2);
    alarms.setMemoryHighWatermark(123_456.7);
    expect(alarms.memoryLimit).toBe(123_456);
  });

  it('refuses negative and non-finite limits', () => {
    expect(() => new ResourceAlarms({ probes: new FakeProbes(), memoryHighWatermark: -0.1 })).toThrow(RangeError);
    expect(() => new ResourceAlarms({ probes: new FakeProbes(), memoryHighWatermark: Number.NaN })).toThrow(/memoryHighWatermark/);
    expect(() => new ResourceAlarms({ probes: new FakeProbes(), diskFreeLimit: -1 })).toThrow(/diskFreeLimit/);
    expect(() => new ResourceAlarms({ probes: new FakeProbes(), diskFreeLimit: Infinity })).toThrow(RangeError);
  });
});

describe('ResourceAlarms memory alarm', () => {
  it('is raised when RSS goes above the limit and cleared when it falls back, one change each', async () => {
    const { probes, alarms, changes } = setup();
    await alarms.check();
    expect(changes).toEqual([]);
    probes.rss = 401;
    expect(await alarms.check()).toEqual({ memory: true, disk: false });
    expect(alarms.raised).toBe(true);
    expect(alarms.memoryUsed).toBe(401);
    await alarms.check();
    probes.rss = 400; // at the limit is not above it
    await alarms.check();
    expect(alarms.raised).toBe(false);
    expect(changes).toEqual([
      { resource: 'memory', state: { memory: true, disk: false } },
      { resource: 'memory', state: { memory: false, disk: false } },
    ]);
    expect(logLines.some((l) => l.includes('[warn] broker.alarms: memory resource limit alarm set'))).toBe(true);
    expect(logLines.some((l) => l.includes('memory resource limit alarm cleared'))).toBe(true);
  });

  it('a watermark of 0 raises the alarm at once (RabbitMQ: blocks all publishers)', async () => {
    const { alarms } = setup({ memoryHighWatermark: 0 });
    expect((await alarms.check()).memory).toBe(true);
  });

  it('changing the watermark after a reading re-evaluates at once', async () => {
    const { alarms, changes } = setup();
    await alarms.check();
    alarms.setMemoryHighWatermark(2);
    expect(alarms.state.memory).toBe(true);
    alarms.setMemoryHighWatermark(0.4);
    expect(alarms.state.memory).toBe(false);
    expect(changes.map((c) => c.state.memory)).toEqual([true, false]);
  });
});

describe('ResourceAlarms disk alarm', () => {
  it('is raised when free space on the data directory falls below the limit', async () => {
    const { probes, alarms, changes } = setup({ diskFreeLimit: 1000 });
    await alarms.check();
    expect(probes.diskReads).toEqual(['/data']);
    probes.free = 1000; // equal to the limit: not below
    expect((await alarms.check()).disk).toBe(false);
    probes.free = 999;
    expect(await alarms.check()).toEqual({ memory: false, disk: true });
    expect(alarms.diskFree).toBe(999);
    probes.free = 5000;
    await alarms.check();
    expect(changes).toEqual([
      { resource: 'disk', state: { memory: false, disk: true } },
      { resource: 'disk', state: { memory: false, disk: false } },
    ]);
  });

  it('changing the limit re-evaluates against the last reading', async () => {
    const { probes, alarms } = setup();
    alarms.setDiskFreeLimit(1); // no reading yet: nothing to compare
    expect(alarms.state.disk).toBe(false);
    probes.free = 10_000;
    await alarms.check();
    alarms.setDiskFreeLimit(20_000);
    expect(alarms.state.disk).toBe(true);
    alarms.setDiskFreeLimit(0);
    expect(alarms.state.disk).toBe(false);
  });

  it('a failing read keeps the previous state and is logged once', async () => {
    const { probes, alarms } = setup({ diskFreeLimit: 1000 });
    probes.free = 10;
    await alarms.check();
    expect(alarms.state.disk).toBe(true);
    probes.diskError = new Error('ENOENT: no such file or directory');
    await alarms.check();
    await alarms.check();
    expect(alarms.state.disk).toBe(true);
    expect(logLines.filter((l) => l.includes('cannot read free disk space of /data: ENOENT')).length).toBe(1);
  });

  it('checks asked for while a read runs share it', async () => {
    const { probes, alarms } = setup();
    const a = alarms.checkDisk();
    const b = alarms.checkDisk();
    expect(b).toBe(a);
    await Promise.all([a, b]);
    expect(probes.diskReads.length).toBe(1);
    await alarms.checkDisk();
    expect(probes.diskReads.length).toBe(2);
  });
});

describe('ResourceAlarms schedule and listeners', () => {
  it('each tick reads memory; disk every diskEvery ticks', async () => {
    const { probes, alarms } = setup({ diskEvery: 3 });
    for (let i = 0; i < 6; i++) {
      alarms.tick();
      await new Promise((resolve) => setImmediate(resolve)); // let a disk read finish
    }
    expect(probes.memoryReads).toBe(6);
    expect(probes.diskReads.length).toBe(2);
  });

  it('start() ticks on one timer that stop() clears', async () => {
    vi.useFakeTimers();
    const probes = new FakeProbes();
    const alarms = new ResourceAlarms({ probes, intervalMs: 1000, diskEvery: 2 });
    alarms.start();
    alarms.start(); // idempotent
    expect(vi.getTimerCount()).toBe(1);
    probes.rss = 10_000;
    await vi.advanceTimersByTimeAsync(1000);
    expect(alarms.state.memory).toBe(true);
    await vi.advanceTimersByTimeAsync(1000);
    expect(probes.diskReads.length).toBe(1);
    alarms.stop();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('both alarms at once; raised stays true until both clear', async () => {
    const { probes, alarms } = setup({ diskFreeLimit: 1000 });
    probes.rss = 900;
    probes.free = 1;
    expect(await alarms.check()).toEqual({ memory: true, disk: true });
    probes.rss = 1;
    await alarms.check();
    expect(alarms.raised).toBe(true);
    probes.free = 10_000;
    await alarms.check();
    expect(alarms.raised).toBe(false);
  });

  it('unsubscribing stops notifications; a throwing listener does not stop the others', async () => {
    const { probes, alarms, changes } = setup();
    const seen: boolean[] = [];
    const off = alarms.onChange((s) => seen.push(s.memory));
    alarms.onChange(() => {
      throw new Error('boom');
    });
    probes.rss = 500;
    await alarms.check();
    off();
    probes.rss = 1;
    await alarms.check();
    expect(seen).toEqual([true]);
    expect(changes.length).toBe(2);
    expect(logLines.some((l) => l.includes('alarm listener failed'))).toBe(true);
  });
});
