#!/usr/bin/env node
/**
 * Restart benchmark: fill one durable queue with persistent messages, stop the broker, then time
 * its restart until it accepts AMQP connections and until basic.get returns the first message.
 *
 *   npm run build && node test/bench/restart.mjs [--messages 1000000] [--size 16] [--crash] [--dir PATH] [--keep]
 *
 * --crash stops the first broker with SIGKILL instead of SIGTERM (recovery after a crash).
 * The broker runs as a child (dist/bundle/index.js), so its RSS is its own (/proc/PID/status).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import amqp from 'amqplib';
import { BUILT_CLI as CLI } from './built-cli.mjs';

const QUEUE = 'restart-bench';

const { values: opts } = parseArgs({
  options: {
    messages: { type: 'string', default: '1000000' },
    size: { type: 'string', default: '16' },
    crash: { type: 'boolean', default: false },
    dir: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const TOTAL = Number(opts.messages);
const SIZE = Number(opts.size);
const CHANNELS = 4;
const WINDOW = 5000; // unconfirmed publishes per channel
const BATCH = 1000; // publishes between waits for the window

const dataDir = mkdtempSync(join(opts.dir ?? tmpdir(), 'warren-restart-bench-'));

/** Start the CLI broker; resolves once it logs its port, with the time that took. */
function startWarren() {
  const t0 = performance.now();
  const child = spawn(process.execPath, [CLI, 'server', '--port', '0', '--data-dir', dataDir, '--log-level', 'info'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  const listening = new Promise((resolve, reject) => {
    const onData = (chunk) => {
      out += chunk.toString();
      const m = /AMQP listening on port (\d+) .*ready in (\d+) ms/.exec(out);
      if (m) resolve({ port: Number(m[1]), readyLogMs: Number(m[2]), listeningMs: performance.now() - t0 });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then((code) => reject(new Error(`warren exited (${code}) before listening:\n${out}`)));
  });
  return { child, t0, exited, listening, output: () => out };
}

/** VmRSS and VmHWM of a process, in MiB. */
function memory(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 };
}

function dirSize() {
  return readdirSync(dataDir).reduce((sum, f) => sum + statSync(join(dataDir, f)).size, 0);
}

const mib = (bytes) => (bytes / 1024 / 1024).toFixed(1);
const ms = (t) => `${t.toFixed(0)} ms`;

async function fill(port) {
  const conns = [await amqp.connect(`amqp://guest:guest@127.0.0.1:${port}`), await amqp.connect(`amqp://guest:guest@127.0.0.1:${port}`)];
  const setup = await conns[0].createChannel();
  await setup.assertQueue(QUEUE, { durable: true });
  await setup.close();
  const body = Buffer.alloc(SIZE, 0x61);
  let next = 0;
  const t0 = performance.now();
  let lastReport = t0;
  await Promise.all(
    Array.from({ length: CHANNELS }, async (_, c) => {
      const ch = await conns[c % conns.length].createConfirmChannel();
      let outstanding = 0;
      let wake;
      while (next < TOTAL) {
        while (outstanding < WINDOW && next < TOTAL) {
          for (let i = 0; i < BATCH && next < TOTAL; i++) {
            next++;
            outstanding++;
            ch.publish('', QUEUE, body, { persistent: true }, (err) => {
              if (err) throw err;
              outstanding--;
              if (outstanding <= WINDOW / 2) wake?.();
            });
          }
        }
        await new Promise((resolve) => (wake = resolve));
        const now = performance.now();
        if (now - lastReport > 2000) {
          lastReport = now;
          process.stdout.write(`  ... ${next} published (${Math.round(next / ((now - t0) / 1000))} msg/s)\n`);
        }
      }
      await ch.waitForConfirms();
    }),
  );
  const elapsed = performance.now() - t0;
  const check = await conns[0].createChannel();
  const { messageCount } = await check.checkQueue(QUEUE);
  for (const conn of conns) await conn.close();
  return { elapsed, messageCount };
}

async function main() {
  console.log(`restart bench: ${TOTAL} persistent ${SIZE}-byte messages in one durable queue; data in ${dataDir}`);
  const first = startWarren();
  const { port } = await first.listening;
  const filled = await fill(port);
  console.log(`filled:     ${filled.messageCount} messages in ${ms(filled.elapsed)} (${Math.round(TOTAL / (filled.elapsed / 1000))} msg/s, all confirmed)`);
  const before = memory(first.child.pid);
  console.log(`first broker RSS ${before.rss.toFixed(0)} MiB (peak ${before.peak.toFixed(0)} MiB)`);

  const tStop = performance.now();
  first.child.kill(opts.crash ? 'SIGKILL' : 'SIGTERM');
  const how = await first.exited;
  console.log(`stopped:    ${opts.crash ? 'SIGKILL' : 'SIGTERM'} -> exit ${how} in ${ms(performance.now() - tStop)}; data dir ${mib(dirSize())} MiB (${readdirSync(dataDir).join(', ')})`);

  const second = startWarren();
  try {
    const l = await second.listening;
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${l.port}`);
    const connectedMs = performance.now() - second.t0;
    const ch = await conn.createChannel();
    const m = await ch.get(QUEUE, { noAck: true });
    const firstGetMs = performance.now() - second.t0;
    if (m === false || m.content.length !== SIZE) throw new Error('basic.get did not return the first message');
    const { messageCount } = await ch.checkQueue(QUEUE);
    const after = memory(second.child.pid);
    await conn.close();
    console.log('restart (from spawn of the new process):');
    console.log(`  broker says ready in    ${l.readyLogMs} ms (store open + recovery + listen)`);
    console.log(`  listening logged after  ${ms(l.listeningMs)} (includes node start-up)`);
    console.log(`  AMQP connection open    ${ms(connectedMs)}`);
    console.log(`  first basic.get-ok      ${ms(firstGetMs)}  (redelivered=${m.fields.redelivered})`);
    console.log(`  messages in queue       ${messageCount + 1} recovered`);
    console.log(`  broker RSS after        ${after.rss.toFixed(0)} MiB (peak ${after.peak.toFixed(0)} MiB)`);
    console.log(firstGetMs < 10_000 ? 'target < 10 s to ready: met' : 'target < 10 s to ready: MISSED');
    if (messageCount + 1 !== filled.messageCount) {
      console.log(`MISMATCH: ${filled.messageCount} before the stop, ${messageCount + 1} after`);
      process.exitCode = 1;
    }
  } finally {
    second.child.kill('SIGTERM');
    await second.exited;
    if (!opts.keep) rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
