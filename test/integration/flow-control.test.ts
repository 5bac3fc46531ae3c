/**
 * Flow control (issue 8): a publisher may not outrun the queues it feeds. A queue whose deliveries
 * lag behind intake stops its publishers from being read (credit flow, TCP back-pressure), so a
 * fast consumer keeps pace with a flood; a queue whose consumer is slow grows, but past its memory
 * budget it pages to the store, even when it is not durable, so the broker's memory holds only the
 * budget while the consumer keeps receiving. Warren-only: observed through the in-process broker.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { startTestBroker, uniqueName, waitFor, type TestBroker } from '../helpers/broker.js';
import type { Queue } from '../../src/broker/queue/queue.js';

const BUDGET = { messages: 2000, bytes: 64 * 1024 * 1024 };
let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker({ queueMemoryBudget: BUDGET });
});
afterAll(async () => {
  await broker.close();
});

const queueOf = (name: string): Queue => {
  const q = broker.broker?.broker.vhost('/')?.queues.get(name);
  if (q === undefined) throw new Error(`no queue ${name}`);
  return q;
};

/** Publish n messages as fast as the socket takes them (waiting for 'drain' when amqplib asks). */
async function flood(ch: Channel, queue: string, n: number, size: number, onProgress: (sent: number) => void): Promise<void> {
  const body = Buffer.alloc(size, 97);
  for (let i = 0; i < n; i++) {
    body.writeUInt32BE(i, 0);
    if (!ch.sendToQueue(queue, body)) await new Promise((resolve) => ch.once('drain', resolve));
    if ((i & 1023) === 1023) {
      onProgress(i + 1);
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  onProgress(n);
}

describe.skipIf(Boolean(process.env['WARREN_TEST_URL']))('flow control', () => {
  let pub: ChannelModel;
  let sub: ChannelModel;
  beforeAll(async () => {
    pub = await amqp.connect(broker.url);
    sub = await amqp.connect(broker.url);
  });
  afterAll(async () => {
    await pub.close();
    await sub.close();
  });

  it('a fast consumer keeps pace with a flooding publisher: the backlog stays small', async () => {
    const q = uniqueName('flow-fast');
    const pch = await pub.createChannel();
    await pch.assertQueue(q, { durable: false, autoDelete: true });
    const cch = await sub.createChannel();
    let received = 0;
    await cch.consume(q, () => void received++, { noAck: true });
    const total = 200_000;
    let maxBacklog = 0;
    await flood(pch, q, total, 16, () => {
      maxBacklog = Math.max(maxBacklog, queueOf(q).messageCount);
    });
    await waitFor(() => received === total, 20_000);
    // Without credit flow the queue took the whole flood while delivering a trickle (hundreds of thousands).
    expect(maxBacklog).toBeLessThan(50_000);
    await cch.close();
    await pch.close();
  });

  it('a flooding connection does not hold up another: its queue.declare is answered promptly', async () => {
    const q = uniqueName('flow-fair');
    const ctl = await pub.createChannel();
    await ctl.assertQueue(q, { durable: false, autoDelete: true });
    // The flood comes from another process, so this event loop is the broker's alone (and ours, idle).
    // It runs until killed below (60 s at most): the auto-delete queue must outlive the measurement
    // even when a loaded machine makes it slow.
    const child = spawn(process.execPath, [join(import.meta.dirname, '../helpers/raw-flood-client.mjs'), String(broker.port), q, '60'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      await waitFor(() => queueOf(q).counters.delivered > 50_000, 10_000); // the flood is on
      // How much of the flood the broker takes in while answering one queue.declare: a measure
      // of fairness that does not depend on how fast a loaded machine runs.
      const floodPerRpc: number[] = [];
      for (let i = 0; i < 50; i++) {
        const before = queueOf(q).counters.published;
        await ctl.checkQueue(q);
        floodPerRpc.push(queueOf(q).counters.published - before);
      }
      floodPerRpc.sort((a, b) => a - b);
      // With the per-turn read budget (256 KB: about 250 of these 1 KB publishes a turn) the
      // answer comes within two or three turns: a median of ~600 here. Without it libuv read the
      // flooding socket up to 32 x 64 KB a turn before this connection's declare got its turn: ~3,800.
      expect(floodPerRpc[Math.floor(floodPerRpc.length / 2)]).toBeLessThan(1500);
    } finally {
      child.kill();
      await exited;
    }
    await ctl.close();
  });

  it('a slow consumer keeps receiving while a publisher floods; memory holds only the budget', async () => {
    const q = uniqueName('flow-slow');
    const pch = await pub.createChannel();
    await pch.assertQueue(q, { durable: false, autoDelete: true }); // not durable: pages all the same
    const cch = await sub.createChannel();
    await cch.prefetch(10);
    const got: number[] = [];
    await cch.consume(q, (m) => {
      if (m === null) return;
      got.push(m.content.readUInt32BE(0));
      setImmediate(() => cch.ack(m)); // slower than the publisher
    });
    const total = 60_000;
    let maxInMemory = 0;
    const receivedAt: number[] = [];
    await flood(pch, q, total, 1024, () => {
      const queue = queueOf(q);
      maxInMemory = Math.max(maxInMemory, queue.messageCount - queue.pagedCount);
      receivedAt.push(got.length);
    });
    // The consumer was served during the flood, not only after it.
    expect(receivedAt[Math.floor(receivedAt.length / 2)]).toBeGreaterThan(0);
    expect(queueOf(q).pagedCount).toBeGreaterThan(0);
    // Past the budget new messages go to the store only; a page read back (no larger than the
    // budget) may sit beside what is ready.
    expect(maxInMemory).toBeLessThanOrEqual(2 * BUDGET.messages);
    await waitFor(() => got.length === total, 60_000);
    expect(got.every((v, i) => v === i)).toBe(true);
    await cch.close();
    await pch.close();
  });
});
