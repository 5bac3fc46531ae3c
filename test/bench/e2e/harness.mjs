/**
 * What every scenario uses: a broker of one kind with a setup connection (`withBroker`), forked
 * load-generator workers (`Workers`), and the steady-state measurement (`steady`): warm up,
 * mark counters and broker /proc stats, run the measured window, mark again, report rates.
 * Any worker error or a broker exit fails the scenario at its next wait.
 */
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { startBroker, track } from './brokers.mjs';
import { connect } from './client.mjs';

const WORKER = join(import.meta.dirname, 'worker.mjs');
const READY_TIMEOUT_MS = 300_000;
const MARK_TIMEOUT_MS = 15_000;
const MiB = 1024 * 1024;

export const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
const debug = (line) => process.env.BENCH_DEBUG && process.stderr.write(`${new Date().toISOString()} ${line}\n`);
const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A failure latch: `guard(p)` races `p` against the first failure. */
export class Failure {
  constructor() {
    this.promise = new Promise((_, reject) => (this.fail = reject));
    this.promise.catch(() => {});
  }
  guard(p) {
    return Promise.race([p, this.promise]);
  }
  sleep(ms) {
    return this.guard(delay(ms));
  }
}

function timeout(p, ms, what) {
  let timer;
  const t = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms)));
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** Forked workers (they inherit the runner's core), with IPC marks, done events and stop. */
export class Workers {
  constructor(port, failure) {
    this.port = port;
    this.failure = failure;
    this.list = [];
    this.nextMark = 1;
  }

  async add(spec) {
    const child = track(fork(WORKER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [] }));
    const w = { child, spec, pending: new Map(), done: [], doneWaiters: [], stopping: false };
    this.list.push(w);
    const ready = new Promise((resolve) => (w.ready = resolve));
    child.on('message', (m) => {
      if (m.ev === 'ready') w.ready();
      else if (m.ev === 'mark') w.pending.get(m.id)?.(m);
      else if (m.ev === 'done') {
        w.done.push(m);
        for (const waiter of w.doneWaiters.splice(0)) waiter();
      } else if (m.ev === 'error') this.failure.fail(new Error(`worker: ${m.message}`));
    });
    void child.exited.then((how) => {
      if (!w.stopping) this.failure.fail(new Error(`worker exited (${how})`));
    });
    child.send({ cmd: 'init', spec: { ...spec, port: this.port } });
    await this.failure.guard(timeout(ready, READY_TIMEOUT_MS, 'worker ready'));
    return w;
  }

  /** Starts publishing (and deferred consumers) in `list` (default: every worker). */
  go(list = this.list) {
    for (const w of list) w.child.send({ cmd: 'go' });
  }

  /** Counters of every worker, taken now; `reset` clears latency samples after reading. */
  mark(reset = false) {
    const id = this.nextMark++;
    const replies = this.list.map(
      (w) =>
        new Promise((resolve) => {
          w.pending.set(id, resolve);
          w.child.send({ cmd: 'mark', id, reset });
        }),
    );
    return this.failure.guard(timeout(Promise.all(replies), MARK_TIMEOUT_MS, 'worker mark'));
  }

  /** Resolves with the time of `what` ('publish' | 'consume') once every worker that does it reported it. */
  async waitDone(what, limitMs) {
    const waits = this.list
      .filter((w) => (what === 'publish' ? w.spec.publishers?.length : w.spec.consumers?.length))
      .map(async (w) => {
        const count = what === 'publish' ? w.spec.publishers.length : w.spec.consumers.length;
        while (w.done.filter((d) => d.what === what).length < count) await new Promise((r) => w.doneWaiters.push(r));
        return Math.max(...w.done.filter((d) => d.what === what).map((d) => d.t));
      });
    return Math.max(...(await this.failure.guard(timeout(Promise.all(waits), limitMs, `${what} done`))));
  }

  async stopAll() {
    await Promise.all(
      this.list.map(async (w) => {
        w.stopping = true;
        if (w.child.connected) w.child.send({ cmd: 'stop' });
        const timer = setTimeout(() => w.child.kill('SIGKILL'), 5000);
        await w.child.exited;
        clearTimeout(timer);
      }),
    );
    this.list = [];
  }
}

/**
 * Starts a `kind` broker, opens a setup connection (channel 1), runs `fn({broker, setup,
 * workers, failure})`, then stops workers and broker whatever happens.
 */
export async function withBroker(kind, fn) {
  const broker = await startBroker(kind);
  const failure = new Failure();
  const workers = new Workers(broker.port, failure);
  let setup = null;
  void broker.child.exited.then((how) => failure.fail(new Error(`${kind} exited (${how}):\n${broker.output()}`)));
  try {
    setup = await failure.guard(connect(broker.port));
    setup.onError = (err) => failure.fail(err);
    await failure.guard(setup.openChannel(1));
    return await fn({ broker, setup, workers, failure });
  } finally {
    await workers.stopAll();
    if (setup !== null) {
      setup.onError = null;
      await setup.close();
    }
    debug(`${kind}: stopping the broker`);
    await broker.stop();
    debug(`${kind}: broker stopped`);
  }
}

/** Total ready messages in `queues` (passive queue.declare on the setup channel), and when. */
async function depths(setup, failure, queues) {
  const sent = nowMs();
  const counts = await failure.guard(Promise.all(queues.map((q) => setup.declareQueue(1, q.name, { passive: true }))));
  const replied = nowMs();
  debug(`depths: ${counts.reduce((a, b) => a + b, 0)} in ${(replied - sent).toFixed(0)} ms`);
  return { depth: counts.reduce((a, b) => a + b, 0), t: (sent + replied) / 2, rpcMs: replied - sent };
}

/** Sums per-connection counter deltas between two marks, as rates over each worker's own clock. */
function rates(m0, m1, key) {
  let rate = 0;
  let count = 0;
  const each = [];
  m1.forEach((b, i) => {
    const a = m0[i];
    const dt = (b.t - a.t) / 1000;
    b[key].forEach((v, j) => {
      const d = v - a[key][j];
      count += d;
      rate += d / dt;
      each.push(d);
    });
  });
  return { rate, count, each };
}

/**
 * Waits `seconds`, or less if the broker's RSS passes `maxRssMiB` (a broker that accepts far
 * faster than it delivers would otherwise eat the machine). Returns null, or the seconds waited.
 */
async function measureWindow(broker, failure, seconds, maxRssMiB) {
  const t0 = nowMs();
  const end = t0 + seconds * 1000;
  for (let now = t0; now < end; now = nowMs()) {
    await failure.sleep(Math.min(250, end - now));
    if (broker.stats().rss > maxRssMiB * MiB) return (nowMs() - t0) / 1000;
  }
  return null;
}

/**
 * Steady state: declare `plan.exchanges`, `plan.queues`, `plan.bindings`; fork the consumer
 * workers, then the publisher workers; go; warm up; measure `seconds`. Returns metrics.
 */
export async function steady({ broker, setup, workers, failure }, plan, { seconds, warmup, maxRssMiB }) {
  for (const e of plan.exchanges ?? []) await failure.guard(setup.declareExchange(1, e.name, e.type));
  for (const q of plan.queues) await failure.guard(setup.declareQueue(1, q.name, { durable: q.durable }));
  for (const b of plan.bindings ?? []) await failure.guard(setup.bindQueue(1, b.queue, b.exchange, b.routingKey ?? ''));
  for (const spec of plan.workers.filter((s) => s.consumers)) await workers.add(spec);
  for (const spec of plan.workers.filter((s) => !s.consumers)) await workers.add(spec);
  debug('steady: workers ready');
  workers.go();
  await failure.sleep(warmup * 1000);
  const m0 = await workers.mark(true);
  const b0 = broker.stats();
  broker.resetPeak();
  const d0 = await depths(setup, failure, plan.queues);
  const cutAt = await measureWindow(broker, failure, seconds, maxRssMiB);
  const m1 = await workers.mark();
  const b1 = broker.stats();
  const d1 = await depths(setup, failure, plan.queues);
  debug(`steady: window measured, stopping workers`);
  await workers.stopAll();
  debug(`steady: workers stopped`);

  const window = (m1[0].t - m0[0].t) / 1000;
  const published = rates(m0, m1, 'published');
  const confirmed = rates(m0, m1, 'confirmed');
  const delivered = rates(m0, m1, 'delivered');
  const loadgenCpu = m1.reduce((sum, b, i) => sum + (b.cpuS - m0[i].cpuS), 0) / window;
  const growth = d1.depth - d0.depth;
  const metrics = {
    'accepted msg/s (written to socket)': published.rate,
    // What the broker took in: deliveries plus queue growth, per publish (a fanout copy counts 1/fanout).
    'enqueued msg/s (delivered + queue growth)': (delivered.count + growth) / (plan.fanout ?? 1) / ((d1.t - d0.t) / 1000),
  };
  if (plan.workers.some((s) => s.publishers?.some((p) => p.confirmWindow))) metrics['confirmed msg/s'] = confirmed.rate;
  metrics['delivered msg/s'] = delivered.rate;
  if (delivered.each.length > 1) {
    const mean = delivered.count / delivered.each.length;
    metrics['slowest consumer, % of mean'] = mean > 0 ? (100 * Math.min(...delivered.each)) / mean : 0;
    metrics['fastest consumer, % of mean'] = mean > 0 ? (100 * Math.max(...delivered.each)) / mean : 0;
  }
  const lat = m1.map((m) => m.latency).find((l) => l !== null);
  if (lat) Object.assign(metrics, { 'latency p50 ms': lat.p50, 'latency p95 ms': lat.p95, 'latency p99 ms': lat.p99 });
  metrics['broker CPU s per M delivered'] = delivered.count > 0 ? (b1.cpuS - b0.cpuS) / (delivered.count / 1e6) : NaN;
  metrics['broker CPU %'] = (100 * (b1.cpuS - b0.cpuS)) / window;
  metrics['broker RSS MiB (end)'] = b1.rss / MiB;
  metrics['broker peak RSS MiB (window)'] = b1.hwm / MiB;
  if (cutAt !== null) metrics[`window cut short at ${maxRssMiB} MiB RSS, s`] = cutAt;
  metrics['queued at end'] = d1.depth;
  metrics['passive queue.declare under load ms'] = d1.rpcMs;
  metrics['load generator CPU %'] = 100 * loadgenCpu;
  return metrics;
}
