#!/usr/bin/env node
/**
 * Run-queue wait of the benchmark's processes, once a second, while `npm run bench` runs in
 * another shell: for the Warren broker (this checkout's built bundle), the bench's private RabbitMQ
 * node, the load-generator workers and the runner, the CPU time they ran, the time they were
 * runnable but waited for a CPU (/proc/PID/task/TID/schedstat, summed over threads), and their
 * timeslices. At a fixed 1,000 msg/s (scenario f) a broker wakes ~700-1,000 times a second:
 * wait / timeslices is the mean delay the scheduler adds to each wake-up, which latency
 * percentiles cannot tell from the broker's own work. Stop it with Ctrl-C.
 *
 *   node test/bench/schedstat.mjs
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUILT_CLI } from './built-cli.mjs';

const ROOT = join(import.meta.dirname, '../..');
const KINDS = [
  ['warren', (cmd) => cmd.includes(BUILT_CLI)],
  ['rabbitmq', (cmd) => cmd.includes('beam.smp') && cmd.includes('warren-bench-')],
  ['worker', (cmd) => cmd.includes(join(ROOT, 'test/bench/e2e/worker.mjs'))],
  ['runner', (cmd) => cmd.includes(join(ROOT, 'test/bench/e2e/run.mjs'))],
];
const previous = new Map();

function benchProcesses() {
  const out = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    let cmd;
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
    } catch {
      continue; // gone
    }
    const kind = KINDS.find(([, match]) => match(cmd))?.[0];
    if (kind !== undefined) out.push({ pid, kind });
  }
  return out;
}

/** [run ns, wait ns, timeslices] summed over the threads of `pid`, or null when it is gone. */
function schedstat(pid) {
  const sum = [0, 0, 0];
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const fields = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').trim().split(' ').map(Number);
      for (let i = 0; i < 3; i++) sum[i] += fields[i] ?? 0;
    }
  } catch {
    return null;
  }
  return sum;
}

setInterval(() => {
  const parts = [];
  for (const { pid, kind } of benchProcesses()) {
    const now = schedstat(pid);
    if (now === null) continue;
    const before = previous.get(pid);
    previous.set(pid, now);
    if (before === undefined) continue;
    const [run, wait, slices] = now.map((v, i) => v - before[i]);
    const perSlice = slices > 0 ? (wait / slices / 1e3).toFixed(0) : '-';
    parts.push(`${kind} ${pid}: ran ${(run / 1e6).toFixed(0)} ms, waited ${(wait / 1e6).toFixed(0)} ms, ${slices} slices (${perSlice} us/slice)`);
  }
  if (parts.length > 0) console.log(`${new Date().toISOString().slice(11, 19)} ${parts.join(' | ')}`);
}, 1000);
