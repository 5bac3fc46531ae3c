import { describe, expect, it } from 'vitest';
import { DelayedMessages } from '../../../../src/broker/delayed-messages.js';
import { EntryState, Message, QueuedMessage } from '../../../../src/broker/message.js';
import { QueueExpiry } from '../../../../src/broker/queue/queue-expiry.js';
import { deadlineOf, ExpiryTimer } from '../../../../src/broker/queue/ttl.js';
import type { QueueConsumer } from '../../../../src/broker/queue/consumer.js';
import { ClassicQueue } from '../../../../src/broker/queue/classic-queue.js';
import type { Queue } from '../../../../src/broker/queue/queue.js';
import { DEFAULT_QUEUE_SETTINGS } from '../../../../src/broker/queue/settings.js';
import type { Clock } from '../../../../src/util/clock.js';
import { ManualClock } from '../../../helpers/manual-clock.js';

const msg = (body: string): Message => new Message('', 'q', Buffer.from([0, 0]), Buffer.from(body), undefined, false, -1, undefined);

describe('deadlineOf', () => {
  it('takes the lower of queue TTL and message expiration; 0 means none', () => {
    const clock = new ManualClock();
    const now = clock.now();
    expect(deadlineOf(now, undefined, undefined)).toBe(0);
    expect(deadlineOf(now, 100, undefined)).toBe(now + 100);
    expect(deadlineOf(now, undefined, '50')).toBe(now + 50);
    expect(deadlineOf(now, 100, '50')).toBe(now + 50);
    expect(deadlineOf(now, 30, '50')).toBe(now + 30);
    expect(deadlineOf(now, 0, '50')).toBe(now);
  });
});

describe('ExpiryTimer', () => {
  it('expires entries wherever they are, in deadline order, with one timer armed', () => {
    const clock = new ManualClock();
    const expired: string[] = [];
    const timer = new ExpiryTimer(clock, (e) => {
      e.state = EntryState.Gone;
      expired.push(e.message.body.toString());
    });
    const at = (body: string, ttl: number): QueuedMessage => new QueuedMessage(1, msg(body), false, clock.now() + ttl, 0);
    const late = at('late', 300);
    const early = at('early', 100);
    const gone = at('acked', 50);
    timer.track(late, 3);
    timer.track(early, 3);
    timer.track(gone, 3);
    expect(clock.pending).toBe(1);
    gone.state = EntryState.Gone; // acked before its deadline: skipped
    clock.advance(99);
    expect(expired).toEqual([]);
    clock.advance(1);
    expect(expired).toEqual(['early']);
    clock.advance(200);
    expect(expired).toEqual(['early', 'late']);
    expect(clock.pending).toBe(0);
  });

  it('re-arms for an earlier deadline added later', () => {
    const clock = new ManualClock();
    const expired: string[] = [];
    const timer = new ExpiryTimer(clock, (e) => expired.push(e.message.body.toString()));
    timer.track(new QueuedMessage(1, msg('a'), false, clock.now() + 1000, 0), 3);
    timer.track(new QueuedMessage(2, msg('b'), false, clock.now() + 10, 0), 3);
    clock.advance(10);
    expect(expired).toEqual(['b']);
  });
});

describe('ExpiryTimer memory', () => {
  it('does not keep entries that left the queue: memory follows the live ones', () => {
    const clock = new ManualClock();
    const timer = new ExpiryTimer(clock, () => {});
    // A queue-level TTL of an hour with a fast consumer: each entry is acked right after it arrives.
    for (let i = 0; i < 100_000; i++) {
      const e = new QueuedMessage(i, msg('x'), false, clock.now() + 3_600_000 + i, 0);
      timer.track(e, 1);
      e.state = EntryState.Gone;
    }
    expect(timer.size).toBeLessThan(10);
  });

  it('compacts entries gone from the middle (mixed per-message TTLs)', () => {
    const clock = new ManualClock();
    const timer = new ExpiryTimer(clock, () => {});
    const keep = new QueuedMessage(0, msg('head'), false, clock.now() + 10, 0);
    timer.track(keep, 1); // a live entry at the top keeps gone ones below it from surfacing
    for (let i = 1; i <= 50_000; i++) {
      const e = new QueuedMessage(i, msg('x'), false, clock.now() + 1_000_000 - i, 0);
      timer.track(e, 1);
      e.state = EntryState.Gone;
    }
    expect(timer.size).toBeLessThan(2 * 1 + 1024 + 2);
  });
});

describe('QueueExpiry (x-expires)', () => {
  it('fires only after the queue was unused for the whole period; use restarts it', () => {
    const clock = new ManualClock();
    let fired = 0;
    const e = new QueueExpiry(clock, () => fired++);
    e.configure(100, true);
    clock.advance(60);
    e.touch(true); // basic.get or redeclare
    clock.advance(60);
    expect(fired).toBe(0);
    clock.advance(40);
    expect(fired).toBe(1);
  });

  it('does not run while the queue has consumers', () => {
    const clock = new ManualClock();
    let fired = 0;
    const e = new QueueExpiry(clock, () => fired++);
    e.configure(100, true);
    e.touch(false); // a consumer arrived
    clock.advance(500);
    expect(fired).toBe(0);
  });
});

describe('DelayedMessages', () => {
  it('releases held messages when due, in due order, and lists and cancels them', () => {
    const clock = new ManualClock();
    const released: string[] = [];
    const d = new DelayedMessages(clock, (x) => released.push(x.message.body.toString()));
    d.hold(msg('slow'), 300);
    const fast = d.hold(msg('fast'), 100);
    const cancelled = d.hold(msg('cancelled'), 200);
    expect(d.list().map((x) => x.message.body.toString())).toEqual(['fast', 'cancelled', 'slow']);
    expect(d.cancel(cancelled.id)).toBe(true);
    expect(d.cancel(cancelled.id)).toBe(false);
    expect(d.size).toBe(2);
    clock.advance(100);
    expect(released).toEqual(['fast']);
    expect(d.cancel(fast.id)).toBe(false);
    clock.advance(200);
    expect(released).toEqual(['fast', 'slow']);
    expect(d.size).toBe(0);
  });

  it('holds delays beyond 2^32-1 ms (the plugin caps them)', () => {
    const clock = new ManualClock();
    const released: string[] = [];
    const d = new DelayedMessages(clock, (x) => released.push(x.message.body.toString()));
    const long = 2 ** 32 + 5000;
    d.hold(msg('far'), long);
    clock.advance(long - 1);
    expect(released).toEqual([]);
    clock.advance(1);
    expect(released).toEqual(['far']);
  });
});

describe('TTL 0 (issue 13)', () => {
  /** A clock whose millisecond moves on at every read: the worst case of a tick during an enqueue. */
  class TickingClock extends ManualClock {
    override now(): number {
      const t = super.now();
      this.advance(1);
      return t;
    }
  }

  const ttl0Queue = (clock: Clock): Queue => {
    const q = new ClassicQueue('q', '/', { durable: false, exclusiveOwner: null, autoDelete: false, arguments: {} }, undefined, clock);
    q.applySettings({ ...DEFAULT_QUEUE_SETTINGS, messageTtl: 0 });
    return q;
  };

  const consumer = (got: string[]): QueueConsumer => ({
    consumerTag: 'c',
    noAck: true,
    priority: 0,
    exclusive: false,
    owner: {},
    canDeliver: () => true,
    outputBlocked: () => false,
    deliver: (_q, e) => void got.push(e.message.body.toString()),
    queueDeleted: () => {},
  });

  it('a waiting consumer gets the message even when the clock ticks during the enqueue', () => {
    const q = ttl0Queue(new TickingClock());
    q.enqueue(msg('expired')); // no consumer: dropped at once, leaves a tombstone behind
    expect(q.messageCount).toBe(0);
    const got: string[] = [];
    q.addConsumer(consumer(got));
    q.enqueue(msg('live'));
    expect(got).toEqual(['live']);
    expect(q.messageCount).toBe(0);
  });

  it('with no consumer able to take it, the message is gone at once', () => {
    const q = ttl0Queue(new TickingClock());
    const full = { ...consumer([]), canDeliver: () => false };
    q.addConsumer(full);
    q.enqueue(msg('x'));
    expect(q.messageCount).toBe(0);
  });
});
