#!/usr/bin/env node
/**
 * TTL precision under load: messages with random per-message TTLs (20-1000 ms) sit behind a
 * long-lived head message (so RabbitMQ-style head-only expiry would never drop them), while
 * another process floods the broker. Reports how late the broker removes each message after
 * the deadline it set (target: within 10 ms), measured inside the broker: the bench wraps the
 * queue's expiry step of the built broker (dist/) it runs in-process. The flood backlog is
 * printed: when the flooder's own consumer falls behind, the backlog grows in memory and the run
 * measures overload (GC-bound), not load.
 *
 *   npm run build && node test/bench/ttl-latency.mjs [--messages 2000] [--no-load]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import amqp from 'amqplib';
import { startBroker } from '../../dist/index.js';
import { Queue } from '../../dist/broker/queue/queue.js';

const { values: opts } = parseArgs({
  options: { messages: { type: 'string', default: '2000' }, 'no-load': { type: 'boolean', default: false } },
});
const N = Number(opts.messages);
const AMQPLIB = new URL('../../node_modules/amqplib/channel_api.js', import.meta.url).href;
/** The load, in its own process: publish 64-byte messages as fast as the socket takes them, and consume them. */
const FLOODER = `
import amqp from '${AMQPLIB}';
const c = await amqp.connect(process.argv[1]);
const ch = await c.createChannel();
await ch.assertQueue('flood');
await ch.consume('flood', () => {}, { noAck: true });
const body = Buffer.alloc(64);
for (;;) {
  if (!ch.sendToQueue('flood', body)) await new Promise((r) => ch.once('drain', r));
}
`;

// Measurement hook: how late after its deadline each entry is expired.
const late = [];
const expireEntry = Queue.prototype.expireEntry;
Queue.prototype.expireEntry = function (entry) {
  late.push(Date.now() - entry.expiresAt);
  return expireEntry.call(this, entry);
};

const dataDir = mkdtempSync(join(tmpdir(), 'warren-ttl-bench-'));
const broker = await startBroker({ port: 0, dataDir, logLevel: 'warn' });
const flooder = opts['no-load']
  ? null
  : spawn(process.execPath, ['--input-type=module', '-e', FLOODER, broker.url], { stdio: ['ignore', 'inherit', 'inherit'] });
try {
  if (flooder !== null) await new Promise((r) => setTimeout(r, 500));
  const conn = await amqp.connect(broker.url);
  const ch = await conn.createChannel();
  await ch.assertQueue('ttl');
  ch.sendToQueue('ttl', Buffer.from('head'), { expiration: '3600000' });
  for (let i = 0; i < N; i++) {
    ch.sendToQueue('ttl', Buffer.from(String(i)), { expiration: String(20 + Math.floor(Math.random() * 980)) });
    if (i % 50 === 49) await new Promise((r) => setTimeout(r, 5));
  }
  const deadline = Date.now() + 10_000;
  while (late.length < N && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const queued = broker.broker.vhost('/')?.queues.get('ttl')?.messageCount;
  const backlog = broker.broker.vhost('/')?.queues.get('flood')?.messageCount ?? 0;
  late.sort((a, b) => a - b);
  const pct = (p) => late[Math.min(late.length - 1, Math.floor((p / 100) * late.length))];
  console.log(`messages: ${N}, per-message TTL 20-1000 ms behind a 1 h head message, ${flooder ? 'with' : 'without'} a flooding publisher`);
  console.log(`expired: ${late.length}; left in the queue: ${queued} (the head); flood backlog: ${backlog}`);
  console.log(`removed after deadline (ms): p50 ${pct(50)}, p90 ${pct(90)}, p99 ${pct(99)}, max ${late[late.length - 1]}`);
  await conn.close();
} finally {
  flooder?.kill('SIGTERM');
  await broker.close();
  rmSync(dataDir, { recursive: true, force: true });
}
