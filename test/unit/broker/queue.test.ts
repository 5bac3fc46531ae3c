import { describe, expect, it } from 'vitest';
import { AmqpError } from '../../../src/amqp/errors.js';
import { Message, type QueuedMessage } from '../../../src/broker/message.js';
import type { QueueConsumer } from '../../../src/broker/queue/consumer.js';
import { ClassicQueue } from '../../../src/broker/queue/classic-queue.js';
import type { Queue } from '../../../src/broker/queue/queue.js';

const msg = (body: string): Message =>
  new Message('', 'q', Buffer.from([0, 0]), Buffer.from(body), undefined, false, -1, undefined);

const newQueue = (autoDelete = false): Queue =>
  new ClassicQueue('q', '/', { durable: false, exclusiveOwner: null, autoDelete, arguments: {} });

/** A consumer that records deliveries and has a fixed capacity (prefetch-like). */
class TestConsumer implements QueueConsumer {
  readonly got: QueuedMessage[] = [];
  readonly owner = {};
  deleted = false;
  constructor(
    readonly consumerTag: string,
    public capacity = Infinity,
    readonly priority = 0,
    readonly exclusive = false,
    readonly noAck = false,
  ) {}
  outputBlocked(): boolean {
    return false;
  }
  canDeliver(): boolean {
    return this.got.length < this.capacity;
  }
  deliver(_q: Queue, e: QueuedMessage): void {
    this.got.push(e);
  }
  queueDeleted(): void {
    this.deleted = true;
  }
  bodies(): string[] {
    return this.got.map((e) => e.message.body.toString());
  }
}

/** Let the queue's scheduled delivery passes run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('Queue', () => {
  it('delivers in FIFO order and counts ready messages and bytes', async () => {
    const q = newQueue();
    for (const b of ['a', 'bb', 'ccc']) q.enqueue(msg(b));
    expect(q.messageCount).toBe(3);
    expect(q.messageBytes).toBe(6);
    const c = new TestConsumer('c1');
    q.addConsumer(c);
    await settle();
    expect(c.bodies()).toEqual(['a', 'bb', 'ccc']);
    expect(q.messageCount).toBe(0);
    expect(q.unackedCount).toBe(3);
  });

  it('requeued messages go back to their original place, marked redelivered', () => {
    const q = newQueue();
    for (const b of ['1', '2', '3', '4', '5']) q.enqueue(msg(b));
    const e1 = q.get(false)!;
    const e2 = q.get(false)!;
    const e3 = q.get(false)!;
    q.requeue(e3);
    q.requeue(e1);
    q.ack(e2);
    const order: string[] = [];
    for (let e = q.get(true); e; e = q.get(true)) order.push(`${e.message.body.toString()}${e.redelivered ? '*' : ''}`);
    expect(order).toEqual(['1*', '3*', '4', '5']);
    expect(q.unackedCount).toBe(0);
  });

  it('round-robins among consumers and respects capacity', async () => {
    const q = newQueue();
    const a = new TestConsumer('a', 2);
    const b = new TestConsumer('b');
    q.addConsumer(a);
    q.addConsumer(b);
    for (let i = 0; i < 6; i++) q.enqueue(msg(String(i)));
    await settle();
    expect(a.got.length).toBe(2);
    expect(b.got.length).toBe(4);
    expect(a.bodies()).toEqual(['0', '2']);
  });

  it('gives messages to the highest-priority consumer while it has capacity', async () => {
    const q = newQueue();
    const low = new TestConsumer('low', Infinity, 0);
    const high = new TestConsumer('high', 3, 10);
    q.addConsumer(low);
    q.addConsumer(high);
    for (let i = 0; i < 5; i++) q.enqueue(msg(String(i)));
    await settle();
    expect(high.bodies()).toEqual(['0', '1', '2']);
    expect(low.bodies()).toEqual(['3', '4']);
  });

  it('refuses a second consumer next to an exclusive one, and an exclusive one next to others', () => {
    const q = newQueue();
    q.addConsumer(new TestConsumer('x', Infinity, 0, true));
    expect(() => q.addConsumer(new TestConsumer('y'))).toThrow(AmqpError);
    const q2 = newQueue();
    q2.addConsumer(new TestConsumer('y'));
    try {
      q2.addConsumer(new TestConsumer('x', Infinity, 0, true));
      expect.unreachable();
    } catch (err) {
      expect((err as AmqpError).replyText).toBe("ACCESS_REFUSED - queue 'q' in vhost '/' in exclusive use");
    }
  });

  it('auto-delete fires when the last consumer goes, not before the first arrives', () => {
    const q = newQueue(true);
    let deleted = 0;
    q.hooks = { remove: () => deleted++, deadLetter: () => {}, withDeliveryCount: (m) => m, delayStore: () => null, pagingStore: () => null, memoryBudget: { messages: 1e9, bytes: 1e12 } };
    const c1 = new TestConsumer('1');
    const c2 = new TestConsumer('2');
    q.addConsumer(c1);
    q.addConsumer(c2);
    q.removeConsumer(c1);
    expect(deleted).toBe(0);
    q.removeConsumer(c2);
    expect(deleted).toBe(1);
  });

  it('purge drops ready messages only; delete tells consumers', () => {
    const q = newQueue();
    for (let i = 0; i < 4; i++) q.enqueue(msg(String(i)));
    const held = q.get(false)!;
    expect(q.purge()).toBe(3);
    expect(q.unackedCount).toBe(1);
    q.requeue(held);
    const c = new TestConsumer('c', 0);
    q.addConsumer(c);
    expect(q.delete()).toBe(1);
    expect(c.deleted).toBe(true);
    expect(q.deleted).toBe(true);
  });

  it('delivers a large backlog in bounded batches without losing order', async () => {
    const q = newQueue();
    const c = new TestConsumer('c');
    for (let i = 0; i < 2000; i++) q.enqueue(msg(String(i)));
    q.addConsumer(c);
    const deadline = Date.now() + 5000;
    while (c.got.length < 2000 && Date.now() < deadline) await settle();
    expect(c.got.length).toBe(2000);
    expect(c.bodies().slice(0, 3)).toEqual(['0', '1', '2']);
    expect(c.bodies()[1999]).toBe('1999');
  });
});
