#!/usr/bin/env node
/**
 * Where a drained broker's memory goes (issue 8: RSS "returns close to its idle size after the
 * queues drain"). Starts the built broker (dist/bundle/index.js) on port 0 with a temp data dir,
 * floods one queue with N x 16 B transient messages and no consumer (the bench's scenario h,
 * pre-encoded frames), drains it with one auto-ack consumer, then samples the broker's VmRSS and,
 * through memory-probe.mjs (SIGUSR2), its V8 heap, external and array-buffer bytes, and the
 * anonymous memory of its mappings (/proc/PID/smaps: [heap] = glibc main arena).
 *
 *   npm run build && node test/bench/memory-drain.mjs [--messages 1000000] [--size 16] [--durable] [--gc] [--queues 1]
 *
 * --queues N fills N queues side by side (message i to queue i mod N), so that the ids of one
 * queue's page are scattered, then drains them all.
 *
 * Extra broker node flags: BENCH_WARREN_NODE_ARGS; extra env (e.g. MALLOC_ARENA_MAX=2) passes through.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { connect } from './e2e/client.mjs';
import { FRAME_BODY, publishFrames } from './e2e/frames.mjs';
import { BUILT_CLI as CLI } from './built-cli.mjs';

const PROBE = join(import.meta.dirname, 'memory-probe.mjs');
const { values: opts } = parseArgs({
  options: {
    messages: { type: 'string', default: '1000000' },
    size: { type: 'string', default: '16' },
    durable: { type: 'boolean', default: false },
    gc: { type: 'boolean', default: false },
    queues: { type: 'string', default: '1' },
  },
});
const N = Number(opts.messages);
const SIZE = Number(opts.size);
const QUEUES = Number(opts.queues);
const MiB = 1024 * 1024;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const dataDir = mkdtempSync(join(tmpdir(), 'warren-memory-drain-'));

const nodeArgs = ['--initial-old-space-size=128', ...(opts.gc ? ['--expose-gc'] : []), ...(process.env.BENCH_WARREN_NODE_ARGS ?? '').split(' ').filter(Boolean)];
const child = spawn(process.execPath, [...nodeArgs, '--import', PROBE, CLI, 'server', '--port', '0', '--no-management', '--data-dir', dataDir, '--log-level', 'info'], {
  stdio: ['ignore', 'ignore', 'pipe'],
});
let stderr = '';
const probes = [];
child.stderr.on('data', (c) => {
  stderr = (stderr + c).slice(-65536);
  for (const m of String(c).matchAll(/^memory-probe (.*)$/gm)) probes.push(JSON.parse(m[1]));
});
const port = await new Promise((resolve, reject) => {
  const t = setInterval(() => {
    const m = /AMQP listening on port (\d+)/.exec(stderr);
    if (m) {
      clearInterval(t);
      resolve(Number(m[1]));
    }
  }, 20);
  child.once('exit', (code) => reject(new Error(`broker exited ${code}: ${stderr}`)));
});

function smapsAnon(pid) {
  // Anonymous KiB by kind of mapping: [heap] (glibc main arena), others (V8 spaces, mmapped
  // chunks, thread arenas), and file-backed.
  const text = readFileSync(`/proc/${pid}/smaps`, 'utf8');
  const out = { heap: 0, anon: 0, file: 0 };
  let kind = 'anon';
  for (const line of text.split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      const name = head[1];
      kind = name === '[heap]' ? 'heap' : name === '' || name.startsWith('[anon') ? 'anon' : 'file';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) out[kind] += Number(rss[1]);
  }
  return { heapMiB: out.heap / 1024, anonMiB: out.anon / 1024, fileMiB: out.file / 1024 };
}

async function sample(label) {
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
  const rss = Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]) / 1024;
  const hwm = Number(/VmHWM:\s+(\d+) kB/.exec(status)[1]) / 1024;
  const maps = smapsAnon(child.pid);
  const n = probes.length;
  child.kill('SIGUSR2');
  const deadline = Date.now() + 5000;
  while (probes.length === n && Date.now() < deadline) await sleep(10);
  const p = probes[n];
  const f = (x) => (x / MiB).toFixed(1);
  const mu = p ? p.before : {};
  const after = p ? p.after : {};
  console.log(
    `${label.padEnd(24)} RSS ${rss.toFixed(1)} (peak ${hwm.toFixed(0)}) | [heap] ${maps.heapMiB.toFixed(1)} anon ${maps.anonMiB.toFixed(1)} file ${maps.fileMiB.toFixed(1)}` +
      (p ? ` | V8 used ${f(mu.heapUsed)} total ${f(mu.heapTotal)} external ${f(mu.external)} arrayBuffers ${f(mu.arrayBuffers)}` : '') +
      (p && opts.gc ? ` | after gc: used ${f(after.heapUsed)} external ${f(after.external)} RSS ${f(after.rss)}` : ''),
  );
}

try {
  const queues = Array.from({ length: QUEUES }, (_, i) => `memory-drain-${i}`);
  const setup = await connect(port);
  await setup.openChannel(1);
  for (const q of queues) await setup.declareQueue(1, q, { durable: opts.durable });
  const depth = async () => {
    let sum = 0;
    for (const q of queues) sum += await setup.declareQueue(1, q, { durable: opts.durable, passive: true });
    return sum;
  };
  await sleep(1000);
  await sample('idle');

  // Publish N messages in batches, waiting for the socket to drain (the broker's flow control).
  const pub = await connect(port);
  await pub.openChannel(1);
  const BATCH = 1000;
  const frames = queues.map((q) => publishFrames(1, { routingKey: q, size: SIZE, persistent: opts.durable }).bytes);
  const batch = Buffer.concat(Array.from({ length: BATCH }, (_, i) => frames[i % QUEUES]));
  const t0 = performance.now();
  for (let sent = 0; sent < N; sent += BATCH) {
    if (!pub.socket.write(batch)) await new Promise((r) => pub.socket.once('drain', r));
  }
  for (;;) {
    if ((await depth()) >= N) break;
    await sleep(100);
  }
  const filled = performance.now();
  await sample('full backlog');

  const cons = await connect(port);
  await cons.openChannel(1);
  let got = 0;
  const done = new Promise((resolve) => {
    cons.handler = (type) => {
      if (type === FRAME_BODY && ++got === N) resolve();
    };
  });
  for (const q of queues) await cons.consume(1, q, { noAck: true });
  await done;
  const drained = performance.now();
  console.log(`publish ${((filled - t0) / 1000).toFixed(1)} s, drain ${((drained - filled) / 1000).toFixed(1)} s`);
  await sample('drained');
  for (const at of [10, 30]) {
    await sleep(at * 1000 - (performance.now() - drained));
    await sample(`${at} s after the drain`);
  }
  await Promise.all([setup.close(), pub.close(), cons.close()]);
} finally {
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  rmSync(dataDir, { recursive: true, force: true });
}
