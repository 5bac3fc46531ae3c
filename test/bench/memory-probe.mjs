/**
 * Loaded into the broker with `node --import ./test/bench/memory-probe.mjs` by memory-drain.mjs:
 * on SIGUSR2 it writes one line `memory-probe {json}` to stderr with process.memoryUsage() and
 * V8 heap space sizes, after a full GC when the broker runs with --expose-gc. Bench-only.
 */
import v8 from 'node:v8';

process.on('SIGUSR2', () => {
  const before = process.memoryUsage();
  if (typeof globalThis.gc === 'function') globalThis.gc();
  const after = process.memoryUsage();
  const spaces = Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name, s.space_used_size]));
  process.stderr.write(`memory-probe ${JSON.stringify({ before, after, spaces })}\n`);
});
