/**
 * The end-to-end scenarios (issue 8, section 2). Each `run(kind, opts)` starts its own broker(s)
 * of `kind`, uses fresh queue names, and resolves with { metric name: number }.
 */
import { startBroker } from './brokers.mjs';
import { connect } from './client.mjs';
import { Failure, Workers, nowMs, steady, withBroker } from './harness.mjs';

const MiB = 1024 * 1024;
const CONNS_PER_WORKER = 5;
let serial = 0;
const fresh = (what) => `bench-${what}-${process.pid}-${++serial}`;

/** Splits `n` connection specs into workers of at most CONNS_PER_WORKER. */
function spread(client, role, specs) {
  const workers = [];
  for (let i = 0; i < specs.length; i += CONNS_PER_WORKER) workers.push({ client, [role]: specs.slice(i, i + CONNS_PER_WORKER) });
  return workers;
}

/** One publisher, one queue, one auto-ack consumer. */
function oneToOne(size) {
  return (kind, opts) =>
    withBroker(kind, (ctx) => {
      const q = fresh('q');
      const plan = {
        queues: [{ name: q }],
        workers: [
          { client: opts.client, consumers: [{ queue: q, noAck: true, latency: true }] },
          { client: opts.client, publishers: [{ routingKey: q, size, stamp: true }] },
        ],
      };
      return steady(ctx, plan, opts);
    });
}

function persistentConfirms(kind, opts) {
  return withBroker(kind, (ctx) => {
    const q = fresh('durable');
    const plan = {
      queues: [{ name: q, durable: true }],
      workers: [
        { consumers: [{ queue: q, prefetch: 1000, noAck: false, ackEvery: 100, latency: true }] },
        { publishers: [{ routingKey: q, size: 1024, persistent: true, confirmWindow: 1000, stamp: true }] },
      ],
    };
    return steady(ctx, plan, opts);
  });
}

function fanout(kind, opts) {
  return withBroker(kind, (ctx) => {
    const ex = fresh('fanout');
    const queues = Array.from({ length: 10 }, () => ({ name: fresh('q') }));
    const plan = {
      exchanges: [{ name: ex, type: 'fanout' }],
      queues,
      fanout: queues.length,
      bindings: queues.map((q) => ({ queue: q.name, exchange: ex })),
      workers: [
        ...spread(undefined, 'consumers', queues.map((q) => ({ queue: q.name, noAck: true, latency: true }))),
        { publishers: [{ exchange: ex, routingKey: '', size: 16, stamp: true }] },
      ],
    };
    return steady(ctx, plan, opts);
  });
}

function tenByTen(kind, opts) {
  return withBroker(kind, (ctx) => {
    const queues = Array.from({ length: 10 }, () => ({ name: fresh('q') }));
    const plan = {
      queues,
      workers: [
        ...spread(undefined, 'consumers', queues.map((q) => ({ queue: q.name, noAck: true, latency: true }))),
        ...spread(undefined, 'publishers', queues.map((q) => ({ routingKey: q.name, size: 16, stamp: true }))),
      ],
    };
    return steady(ctx, plan, opts);
  });
}

const LATENCY_METRICS = ['accepted msg/s (written to socket)', 'delivered msg/s', 'latency p50 ms', 'latency p95 ms', 'latency p99 ms', 'broker CPU %'];

/** Fixed-rate 1 KB publishing, body-stamped, one auto-ack consumer: latency percentiles per rate. */
function latency(kind, opts) {
  return withBroker(kind, async (ctx) => {
    const out = {};
    for (const rate of opts.rates) {
      const q = fresh('latency');
      const plan = {
        queues: [{ name: q }],
        workers: [
          { consumers: [{ queue: q, noAck: true, latency: true }] },
          { publishers: [{ routingKey: q, size: 1024, rate }] },
        ],
      };
      const m = await steady(ctx, plan, opts);
      for (const key of LATENCY_METRICS) out[`${key} @${rate / 1000}k/s`] = m[key];
    }
    return out;
  });
}

/** N idle connections, each with a channel and a consumer: broker RSS per connection, idle CPU. */
async function idleConnections(kind, opts) {
  const out = {};
  for (const n of opts.connections) {
    Object.assign(
      out,
      await withBroker(kind, async ({ broker, setup, workers, failure }) => {
        const q = fresh('idle');
        await failure.guard(setup.declareQueue(1, q));
        await failure.sleep(1000);
        const s0 = broker.stats();
        const t0 = nowMs();
        await workers.add({ idle: { n, queue: q, concurrency: 50 } });
        const openS = (nowMs() - t0) / 1000;
        await failure.sleep(2000);
        const s1 = broker.stats();
        await failure.sleep(3000);
        const s2 = broker.stats();
        return {
          [`KiB per connection @${n}`]: (s1.rss - s0.rss) / n / 1024,
          [`broker RSS MiB @${n}`]: s1.rss / MiB,
          [`connections opened/s @${n}`]: n / openS,
          [`idle broker CPU % @${n}`]: (100 * (s2.cpuS - s1.cpuS)) / 3,
        };
      }),
    );
  }
  return out;
}

/** Polls a queue's depth until it reaches `n` (or `limitMs` passes); returns the depth. */
async function waitDepth(setup, failure, queue, n, limitMs) {
  const deadline = nowMs() + limitMs;
  for (;;) {
    const depth = await failure.guard(setup.declareQueue(1, queue, { passive: true }));
    if (depth >= n) return depth;
    if (nowMs() > deadline) throw new Error(`queue ${queue} reached only ${depth} of ${n} messages`);
    await failure.sleep(100);
  }
}

/** 1 M x 16 B transient backlog with no consumer, then one consumer drains it. */
function backlog(kind, opts) {
  const n = opts.backlog;
  return withBroker(kind, async ({ broker, setup, workers, failure }) => {
    const q = fresh('backlog');
    await failure.guard(setup.declareQueue(1, q));
    const pub = await workers.add({ publishers: [{ routingKey: q, size: 16, count: n }] });
    const cons = await workers.add({ consumers: [{ queue: q, noAck: true, until: n, deferConsume: true }] });
    broker.resetPeak();
    const s0 = broker.stats();
    const t0 = nowMs();
    workers.go([pub]);
    await workers.waitDone('publish', opts.limitMs);
    await waitDepth(setup, failure, q, n, opts.limitMs);
    const published = nowMs();
    const s1 = broker.stats();
    const [, c0] = await workers.mark();
    workers.go([cons]);
    const drained = await workers.waitDone('consume', opts.limitMs);
    const s2 = broker.stats();
    const [, c1] = await workers.mark();
    await failure.sleep(10_000); // the broker idle again: does its memory come back down?
    const s3 = broker.stats();
    await failure.sleep(20_000); // V8 gives back the heap's garbage once idle for ~8 s (its memory reducer)
    const s4 = broker.stats();
    return {
      'publish s': (published - t0) / 1000,
      'publish msg/s': n / ((published - t0) / 1000),
      'drain s': (drained - published) / 1000,
      'drain msg/s': n / ((drained - published) / 1000),
      'broker RSS MiB idle, before': s0.rss / MiB,
      'broker RSS MiB at full backlog': s1.rss / MiB,
      'broker RSS MiB 10 s after the drain': s3.rss / MiB,
      'broker RSS MiB 30 s after the drain': s4.rss / MiB,
      'broker peak RSS MiB': s2.hwm / MiB,
      'broker CPU s per M (publish + drain)': (s2.cpuS - s0.cpuS) / (n / 1e6),
      'load generator CPU % (drain)': (100 * (c1.cpuS - c0.cpuS)) / ((c1.t - c0.t) / 1000),
    };
  });
}

/** Start-up time, then restart with `opts.restartMessages` persistent messages: time to first basic.get-ok. */
async function restart(kind, opts) {
  const n = opts.restartMessages;
  const q = fresh('restart');
  const out = {};
  const failure = new Failure();
  let broker = await startBroker(kind);
  let workers = null;
  try {
    out['start-up: AMQP port open ms'] = broker.listeningMs;
    const c = await failure.guard(connect(broker.port));
    out['start-up: connection.open-ok ms'] = performance.now() - broker.spawnedAt;
    await c.openChannel(1);
    await c.declareQueue(1, q, { durable: true });
    workers = new Workers(broker.port, failure);
    const half = Math.floor(n / 2);
    const pub = (count) => ({ routingKey: q, size: 16, persistent: true, confirmWindow: 5000, count });
    await workers.add({ publishers: [pub(half), pub(n - half)] });
    const t0 = nowMs();
    workers.go();
    await workers.waitDone('publish', opts.limitMs);
    out['fill msg/s (persistent, confirmed)'] = n / ((nowMs() - t0) / 1000);
    await workers.stopAll();
    const depth = await c.declareQueue(1, q, { passive: true });
    if (depth !== n) throw new Error(`${kind}: ${depth} of ${n} messages in the queue before the restart`);
    await c.close();
    out['RSS MiB full, before restart'] = broker.stats().rss / MiB;
    const tStop = performance.now();
    await broker.stop({ keepData: true });
    out['stop (SIGTERM) s'] = (performance.now() - tStop) / 1000;
    broker = await startBroker(kind, broker);
    out['restart: AMQP port open ms'] = broker.listeningMs;
    const c2 = await connect(broker.port);
    await c2.openChannel(1);
    if (!(await c2.get(1, q, false))) throw new Error(`${kind}: basic.get-empty after the restart`);
    out['restart: first basic.get-ok ms'] = performance.now() - broker.spawnedAt;
    const recovered = (await c2.declareQueue(1, q, { passive: true })) + 1;
    if (recovered !== n) throw new Error(`${kind}: ${recovered} of ${n} messages recovered`);
    out['RSS MiB after restart'] = broker.stats().rss / MiB;
    await c2.close();
    return out;
  } finally {
    await workers?.stopAll();
    await broker.stop();
  }
}

/** id -> { title, run(kind, opts), amqplib: runs with --client amqplib }. */
export const SCENARIOS = {
  a: { title: '1 pub, 1 queue, 1 consumer, 16 B transient, auto-ack', run: oneToOne(16), amqplib: true },
  b: { title: '1 pub, 1 queue, 1 consumer, 1 KB transient, auto-ack', run: oneToOne(1024), amqplib: true },
  c: { title: '1 KB persistent, durable queue, confirms (<= 1000 outstanding), ack every 100, prefetch 1000', run: persistentConfirms },
  d: { title: 'fanout to 10 queues, 10 consumers, 16 B', run: fanout },
  e: { title: '10 publishers, 10 queues, 10 consumers, 16 B', run: tenByTen },
  f: { title: 'latency at a fixed rate, 1 KB', run: latency },
  g: { title: 'idle connections, each with a channel and a consumer', run: idleConnections },
  h: { title: 'backlog: publish 16 B transient with no consumer, then drain with one', run: backlog },
  i: { title: 'start-up, and restart with persistent messages', run: restart },
};
