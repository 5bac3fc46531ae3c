/**
 * Queues longer than memory: past the per-queue memory budget new messages live only in the store
 * and are paged back in order ahead of consumers. After a restart only persistent messages remain
 * (paged-out transient ones are dropped), in order, and the count is exact at once.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqp, { type ConfirmChannel } from 'amqplib';
import { afterEach, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from '../../src/index.js';

const BUDGET = { messages: 200, bytes: 1024 * 1024 };
let dataDir = '';
let broker: RunningBroker | undefined;

async function start(): Promise<RunningBroker> {
  broker = await startBroker({ port: 0, dataDir, logLevel: 'warn', queueMemoryBudget: BUDGET });
  return broker;
}

afterEach(async () => {
  await broker?.close();
  broker = undefined;
  if (dataDir !== '') await rm(dataDir, { recursive: true, force: true });
});

async function drain(ch: ConfirmChannel, queue: string, count: number): Promise<number[]> {
  const got: number[] = [];
  if (count === 0) return got;
  await new Promise<void>((resolve) => {
    void ch.consume(queue, (m) => {
      if (m === null) return;
      got.push(Number(m.content.toString()));
      ch.ack(m);
      if (got.length === count) resolve();
    });
  });
  return got;
}

describe('paging', () => {
  it('keeps FIFO order through a paged tail and drains it all', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'warren-paging-'));
    const b = await start();
    const conn = await amqp.connect(b.url);
    try {
      const ch = await conn.createConfirmChannel();
      await ch.assertQueue('long', { durable: true });
      for (let i = 0; i < 3000; i++) ch.sendToQueue('long', Buffer.from(String(i)), { persistent: i % 3 !== 0 });
      await ch.waitForConfirms();
      expect((await ch.checkQueue('long')).messageCount).toBe(3000);
      const q = b.broker.vhost('/')?.queues.get('long');
      expect(q?.messageCount).toBe(3000);
      // Only the budget stays in memory; the rest is paged out to the store.
      expect(q?.pagedCount).toBe(3000 - BUDGET.messages);
      const got = await drain(ch, 'long', 3000);
      expect(got).toEqual([...Array(3000).keys()]);
      expect((await ch.checkQueue('long')).messageCount).toBe(0);
    } finally {
      await conn.close();
    }
  });

  it('after a restart keeps only the persistent messages of a paged queue, in order, counted exactly', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'warren-paging-'));
    let b = await start();
    let conn = await amqp.connect(b.url);
    const ch1 = await conn.createConfirmChannel();
    await ch1.assertQueue('long', { durable: true });
    for (let i = 0; i < 2000; i++) ch1.sendToQueue('long', Buffer.from(String(i)), { persistent: i % 2 === 0 });
    await ch1.waitForConfirms();
    await conn.close();
    await b.close();

    b = await start();
    conn = await amqp.connect(b.url);
    try {
      const ch = await conn.createConfirmChannel();
      const { messageCount } = await ch.checkQueue('long');
      // The first BUDGET messages stayed in memory only if transient; every persistent one was stored.
      expect(messageCount).toBe(1000);
      const got = await drain(ch, 'long', messageCount);
      expect(got).toEqual([...Array(1000).keys()].map((i) => i * 2));
    } finally {
      await conn.close();
    }
  });
});
