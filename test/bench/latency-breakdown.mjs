#!/usr/bin/env node
/**
 * Where scenario f's latency goes in Warren. Runs `e2e/run.mjs --scenario f --broker warren`
 * once per rate with the broker preloading e2e/latency-hook.mjs and the consumer logging each
 * arrival, then splits every delivery's latency (of the last --seconds) into:
 *   publisher → broker  the publisher's write until the broker's 'data' event (loopback, and
 *                       waking the broker's core),
 *   in the broker       that 'data' event until the delivery's socket.write (Warren's own work),
 *   broker → consumer   socket.write until the consumer parsed the body (loopback, and waking
 *                       the load generator's core),
 * with percentiles of each, and which segment was the largest part of every delivery over 1 ms.
 *
 *   npm run build && node test/bench/latency-breakdown.mjs [--rates 1000,10000] [--seconds 10]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: { rates: { type: 'string', default: '1000,10000' }, seconds: { type: 'string', default: '10' } },
});
const seconds = Number(args.seconds);
const HOOK = pathToFileURL(join(import.meta.dirname, 'e2e/latency-hook.mjs')).href;
const SLOW_MS = 1;

/** stamp → when the process whose logs `match` names first saw it (stamp-log.mjs) */
function seen(dir, match) {
  const out = new Map();
  for (const name of readdirSync(dir).filter(match)) {
    const bytes = readFileSync(join(dir, name));
    const v = new Float64Array(bytes.buffer, bytes.byteOffset, bytes.length / 8);
    for (let i = 0; i < v.length; i += 2) if (!out.has(v[i])) out.set(v[i], v[i + 1]);
  }
  return out;
}

function percentiles(values) {
  const s = Float64Array.from(values).sort();
  const at = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))].toFixed(3);
  return [at(0.5), at(0.9), at(0.99), at(0.999), s[s.length - 1].toFixed(2)];
}

function measure(rate) {
  const dir = mkdtempSync(join(tmpdir(), 'warren-latency-'));
  try {
    const run = spawnSync(
      process.execPath,
      [join(import.meta.dirname, 'e2e/run.mjs'), '--scenario', 'f', '--broker', 'warren', '--rounds', '1', '--seconds', String(seconds), '--rates', String(rate)],
      {
        stdio: ['ignore', 'ignore', 'inherit'],
        env: { ...process.env, BENCH_LATENCY_DUMP: dir, BENCH_WARREN_NODE_ARGS: `${process.env.BENCH_WARREN_NODE_ARGS ?? ''} --import ${HOOK}` },
      },
    );
    if (run.status !== 0) throw new Error(`run.mjs exited with ${run.status}`);
    const brokerRead = seen(dir, (f) => f.startsWith('broker-') && f.endsWith('.read'));
    const brokerWrite = seen(dir, (f) => f.startsWith('broker-') && f.endsWith('.write'));
    const arrived = seen(dir, (f) => f.startsWith('consumer-'));
    let last = 0;
    for (const stamp of arrived.keys()) last = Math.max(last, stamp);
    const segments = [[], [], [], []];
    const slow = [0, 0, 0];
    let missing = 0;
    for (const [stamp, at] of arrived) {
      if (stamp < last - seconds * 1000) continue;
      const r = brokerRead.get(stamp);
      const w = brokerWrite.get(stamp);
      if (r === undefined || w === undefined) {
        missing++;
        continue;
      }
      const parts = [r - stamp, w - r, at - w];
      parts.forEach((p, i) => segments[i].push(p));
      segments[3].push(at - stamp);
      if (at - stamp > SLOW_MS) slow[parts.indexOf(Math.max(...parts))]++;
    }
    return { segments, slow, missing };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const NAMES = ['publisher → broker', 'in the broker', 'broker → consumer', 'end to end'];
console.log('| rate | segment | deliveries | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
const notes = [];
for (const rate of args.rates.split(',').map(Number)) {
  const { segments, slow, missing } = measure(rate);
  segments.forEach((values, i) => console.log(`| ${rate / 1000}k/s | ${NAMES[i]} | ${values.length} | ${percentiles(values).join(' | ')} |`));
  const total = slow.reduce((a, b) => a + b, 0);
  notes.push(
    `${rate / 1000}k/s: ${total} deliveries over ${SLOW_MS} ms; largest part ${slow.map((n, i) => `${NAMES[i]} ${n}`).join(', ')}` +
      ` (${missing} deliveries not matched in the broker's log left out)`,
  );
}
for (const line of notes) console.log(`\n${line}`);
