import { describe, expect, it } from 'vitest';
import { ConsumerUse } from '../../../../src/broker/queue/consumer-use.js';

/** A queue's consumer utilisation on a manual clock (ms). */
function setup(): { use: ConsumerUse; advance: (ms: number) => void } {
  let now = 0;
  return { use: new ConsumerUse(() => now), advance: (ms) => (now += ms) };
}

describe('consumer utilisation (RabbitMQ moving average, 1 s half-life)', () => {
  it('starts at 1 and stays there while consumers can take every message', () => {
    const { use, advance } = setup();
    advance(10_000);
    expect(use.capacity()).toBe(1);
  });

  it('falls by half each second the queue cannot deliver, and recovers once it can', () => {
    const { use, advance } = setup();
    advance(1000);
    use.setInactive();
    advance(1000);
    // active 1 s then inactive 1 s: half of the 2 s were active, the old average (1) weighs 0.25
    expect(use.capacity()).toBeCloseTo(0.5 * 0.75 + 0.25, 10);
    advance(9000);
    expect(use.capacity()).toBeLessThan(0.11);
    use.setActive();
    advance(5000);
    expect(use.capacity()).toBeGreaterThan(0.95);
  });

  it('ignores repeated transitions to the same state', () => {
    const { use, advance } = setup();
    use.setInactive();
    advance(500);
    use.setInactive();
    advance(500);
    const once = setup();
    once.use.setInactive();
    once.advance(1000);
    expect(use.capacity()).toBeCloseTo(once.use.capacity(), 12);
  });
});
