import { describe, expect, it } from 'vitest';
import { SampleHistory } from '../../../../src/broker/stats/sample-history.js';

const values = (...v: number[]): Float64Array => Float64Array.from(v);

describe('sample history', () => {
  it('stores a sample only on change, and answers the value at any time as the last one stored', () => {
    const h = new SampleHistory(2, 10);
    h.record(5000, values(0, 0));
    h.record(10_000, values(0, 0));
    h.record(15_000, values(3, 1));
    h.record(20_000, values(3, 1));
    expect(h.newestAt).toBe(15_000);
    expect(h.points(0, 0, 25_000, 5000)).toEqual([
      { sample: 3, timestamp: 25_000 },
      { sample: 3, timestamp: 20_000 },
      { sample: 3, timestamp: 15_000 },
      { sample: 0, timestamp: 10_000 },
      { sample: 0, timestamp: 5000 },
      { sample: 0, timestamp: 0 },
    ]);
    expect(h.points(1, 14_000, 16_000, 1000).map((p) => p.sample)).toEqual([1, 1, 0]);
  });

  it('gives the rate over the last sampling interval: zero when nothing changed in it', () => {
    const h = new SampleHistory(1, 10);
    const out = new Float64Array(1);
    h.record(1000, values(0));
    expect(h.rates(out)[0]).toBe(0);
    h.record(3000, values(10));
    expect(h.rates(out)[0]).toBe(5);
    h.record(5000, values(10));
    expect(h.rates(out)[0]).toBe(0);
    h.record(5500, values(11));
    expect(h.rates(out)[0]).toBe(2);
  });

  it('keeps at most `capacity` samples; older times read the oldest kept', () => {
    const h = new SampleHistory(1, 3);
    for (let i = 1; i <= 6; i++) h.record(i * 1000, values(i));
    expect(h.points(0, 1000, 6000, 1000).map((p) => p.sample)).toEqual([6, 5, 4, 4, 4, 4]);
  });
});
