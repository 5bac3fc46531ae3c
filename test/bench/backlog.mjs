#!/usr/bin/env node
/**
 * Backlog benchmark (queues longer than memory): fill one durable queue with N 16-byte messages
 * while nothing consumes, report the broker's RSS, then drain it with one consumer and compare
 * the drain rate with a short queue's (publisher and consumer running together).
 *
 *   npm run build && node test/bench/backlog.mjs [--messages 5000000] [--size 16] [--transient]
 *
 * The broker runs as a child (dist/bundle/index.js), so its RSS is its own (/proc/PID/status).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import amqp from 'amqplib';
import { BUILT_CLI as CLI } from './built-cli.mjs';

const { values: opts } = parseArgs({
  options: {
    messages: { type: 'string', default: '5000000' },
    size: { type: 'string', default: '16' },
    transient: { type: 'boolean', default: false },
  },
});
const TOTAL = Number(opts.messages);
const BODY = Buffer.alloc(Number(opts.size), 120);
const PERSISTENT = !opts.transient;
const dataDir = mkdtempSync(join(tmpdir(), 'warren-backlog-bench-'));

function rssMiB(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : -1;
}

const child = spawn(process.execPath, [CLI, 'server', '--port', '0', '--data-dir', dataDir, '--log-level', 'info'], {
  stdio: ['ignore', 'pipe', 'pipe'],
});
child.stdout.resume();
const port = await new Promise((resolve, reject) => {
  let out = '';
  child.stderr.on('data', (c) => {
    out += c;
    const m = /AMQP listening on port (\d+)/.exec(out);
    if (m) resolve(Number(m[1]));
  });
  child.once('exit', (code) => reject(new Error(`broker exited ${code}: ${out}`)));
});

async function publish(ch, queue, n) {
  for (let i = 0; i < n; i++) {
    if (!ch.sendToQueue(queue, BODY, { persistent: PERSISTENT })) await new Promise((r) => ch.once('drain', r));
    if (i % 5000 === 4999) await ch.waitForConfirms();
  }
  await ch.waitForConfirms();
}

async function drain(ch, queue, n) {
  await ch.prefetch(1000);
  let got = 0;
  const t0 = performance.now();
  await new Promise((resolve) => {
    void ch.consume(queue, (m) => {
      got++;
      if (got % 500 === 0 || got === n) ch.ack(m, true);
      if (got === n) resolve();
    });
  });
  return n / ((performance.now() - t0) / 1000);
}

try {
  const url = `amqp://guest:guest@127.0.0.1:${port}`;
  const conn = await amqp.connect(url);
  // Short queue: publisher and consumer together, the rate a queue that never grows gets.
  const shortN = Math.min(TOTAL, 500000);
  const sp = await conn.createConfirmChannel();
  const sc = await conn.createChannel();
  await sp.assertQueue('short', { durable: true });
  const shortDone = drain(sc, 'short', shortN);
  await publish(sp, 'short', shortN);
  const shortRate = await shortDone;

  const p = await conn.createConfirmChannel();
  await p.assertQueue('backlog', { durable: true });
  const t0 = performance.now();
  await publish(p, 'backlog', TOTAL);
  const fillS = (performance.now() - t0) / 1000;
  const rss = rssMiB(child.pid);
  const c = await conn.createChannel();
  const backlogRate = await drain(c, 'backlog', TOTAL);
  console.log(`messages:            ${TOTAL} x ${BODY.length} B, ${PERSISTENT ? 'persistent' : 'transient'}`);
  console.log(`fill:                ${fillS.toFixed(1)} s (${Math.round(TOTAL / fillS)} msg/s)`);
  console.log(`broker RSS at full backlog: ${rss} MiB (target < 400 MiB)`);
  console.log(`short queue rate:    ${Math.round(shortRate)} msg/s`);
  console.log(`backlog drain rate:  ${Math.round(backlogRate)} msg/s (${((backlogRate / shortRate) * 100).toFixed(0)}% of short; target >= 50%)`);
  await conn.close();
} finally {
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  rmSync(dataDir, { recursive: true, force: true });
}
