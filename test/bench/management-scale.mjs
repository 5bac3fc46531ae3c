#!/usr/bin/env node
/**
 * The management API at scale (issue 10, "Scale"): Warren with N queues (10,000), each with a
 * consumer (amqplib: a few connections, channels with many consumers), then
 *
 * 1. latency of GET /api/queues?page=1&page_size=100 (and a few other dashboard requests): the
 *    median of `--requests` sequential requests after two warm-up ones; the goal is < 200 ms;
 * 2. message throughput (one raw publisher, one auto-ack consumer on a queue of their own, the
 *    e2e bench's load generator) in alternating windows without and with a dashboard polling
 *    GET /api/overview + GET /api/queues?page=1&page_size=100 every `--poll` seconds; the goal is a
 *    drop under 5 %.
 *
 *   npm run build && node test/bench/management-scale.mjs [--queues 10000] [--connections 4]
 *     [--channels 25] [--requests 10] [--seconds 20] [--rounds 3] [--poll 5] [--json FILE]
 *     [--latency-only]
 *
 * BENCH_WARREN_NODE_ARGS adds node flags for the broker, e.g. "--cpu-prof --cpu-prof-dir=prof".
 * The broker runs on core 0 and everything else on core 1 when taskset exists (as the e2e
 * bench). Prints a markdown table to stdout, progress to stderr. Every process it starts is
 * stopped by its pid; the temp data dir is removed.
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import amqp from 'amqplib';
import { freePort, killAll, makeTempDir, pin, procStats, removeTempDir, spawnPinned, stopChild } from './e2e/brokers.mjs';
import { Failure, Workers, nowMs } from './e2e/harness.mjs';
import { BUILT_CLI as WARREN_CLI } from './built-cli.mjs';

const { values: args } = parseArgs({
  options: {
    queues: { type: 'string', default: '10000' },
    connections: { type: 'string', default: '4' },
    channels: { type: 'string', default: '25' },
    requests: { type: 'string', default: '10' },
    seconds: { type: 'string', default: '20' },
    rounds: { type: 'string', default: '3' },
    poll: { type: 'string', default: '5' },
    json: { type: 'string' },
    'latency-only': { type: 'boolean', default: false },
  },
});
const num = (name) => {
  const n = Number(args[name]);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number`);
  return n;
};
const opts = {
  queues: num('queues'),
  connections: num('connections'),
  channels: num('channels'),
  requests: num('requests'),
  seconds: num('seconds'),
  rounds: num('rounds'),
  poll: num('poll'),
};

const log = (line) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    killAll();
    process.exit(130);
  });
}

/** Warren with its management API, on core 0; resolves when both listeners are up. */
async function startWarren() {
  const dataDir = makeTempDir('warren-mgmt-scale-');
  const mgmtPort = await freePort();
  const child = spawnPinned(
    [process.execPath, '--initial-old-space-size=128', ...(process.env.BENCH_WARREN_NODE_ARGS ?? '').split(' ').filter((a) => a !== ''), WARREN_CLI, 'server', '--port', '0', '--management-port', String(mgmtPort), '--data-dir', dataDir],
    0,
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, WARREN_HOST: '127.0.0.1' } },
  );
  let seen = '';
  const port = await new Promise((resolve, reject) => {
    const onData = (chunk) => {
      seen = (seen + chunk).slice(-8192);
      const m = /AMQP listening on port (\d+)/.exec(seen);
      if (m) resolve(Number(m[1]));
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void child.exited.then((how) => reject(new Error(`warren exited (${how}):\n${seen}`)));
  });
  return {
    child,
    port,
    api: `http://127.0.0.1:${mgmtPort}`,
    stats: () => procStats(child.pid),
    async stop() {
      await stopChild(child);
      removeTempDir(dataDir);
    },
  };
}

const AUTH = { authorization: 'Basic ' + Buffer.from('guest:guest').toString('base64') };

/** One GET: ms to the last byte, and the body's size. */
async function timedGet(base, path) {
  const t0 = nowMs();
  const res = await fetch(base + path, { headers: AUTH });
  const body = await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${Buffer.from(body).toString().slice(0, 200)}`);
  return { ms: nowMs() - t0, bytes: body.byteLength, body };
}

/** N queues, each with an auto-ack consumer, over `connections` x `channels` channels. */
async function declareQueues(port) {
  const conns = [];
  const per = Math.ceil(opts.queues / (opts.connections * opts.channels));
  let next = 0;
  for (let c = 0; c < opts.connections; c++) {
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${port}`);
    conns.push(conn);
    const channels = await Promise.all(Array.from({ length: opts.channels }, () => conn.createChannel()));
    await Promise.all(
      channels.map(async (ch) => {
        const names = [];
        for (let i = 0; i < per && next < opts.queues; i++) names.push(`scale-${String(next++).padStart(6, '0')}`);
        await Promise.all(names.map((q) => ch.assertQueue(q, { durable: false })));
        await Promise.all(names.map((q) => ch.consume(q, () => {}, { noAck: true })));
      }),
    );
  }
  return conns;
}

const DASHBOARD = ['/api/overview', '/api/queues?page=1&page_size=100'];
const LATENCY_PATHS = [
  ...DASHBOARD.slice(1),
  '/api/queues/%2F?page=1&page_size=100',
  '/api/queues?page=50&page_size=100',
  '/api/queues?page=1&page_size=100&name=scale-0099&use_regex=false',
  '/api/queues?page=1&page_size=100&sort=messages&sort_reverse=true',
  DASHBOARD[0],
];

/**
 * Wall time (median of `--requests`) and broker CPU time per request (from /proc: unlike wall
 * time, it does not count waiting for a core another process holds).
 */
async function latencies(broker) {
  const out = {};
  for (const path of LATENCY_PATHS) {
    await timedGet(broker.api, path);
    await timedGet(broker.api, path);
    const runs = [];
    let bytes = 0;
    const c0 = broker.stats().cpuS;
    for (let i = 0; i < opts.requests; i++) {
      const r = await timedGet(broker.api, path);
      runs.push(r.ms);
      bytes = r.bytes;
    }
    const cpuMs = ((broker.stats().cpuS - c0) * 1000) / opts.requests;
    out[path] = { medianMs: median(runs), maxMs: Math.max(...runs), cpuMs, bytes };
    log(`GET ${path}: median ${median(runs).toFixed(1)} ms, max ${Math.max(...runs).toFixed(1)} ms, broker CPU ${cpuMs.toFixed(1)} ms, ${bytes} bytes`);
  }
  return out;
}

/** Delivered msg/s of the workers over `seconds`, with the dashboard polling or not. */
async function window(broker, workers, failure, polling) {
  let stop = false;
  let polls = 0;
  const pollMs = [];
  const poller = (async () => {
    while (polling && !stop) {
      const t0 = nowMs();
      for (const path of DASHBOARD) await timedGet(broker.api, path);
      pollMs.push(nowMs() - t0);
      polls++;
      const wait = opts.poll * 1000 - (nowMs() - t0);
      for (let end = nowMs() + wait; !stop && nowMs() < end; ) await delay(Math.min(100, end - nowMs()));
    }
  })();
  const m0 = await workers.mark();
  const c0 = broker.stats().cpuS;
  await failure.sleep(opts.seconds * 1000);
  const m1 = await workers.mark();
  const c1 = broker.stats().cpuS;
  stop = true;
  await poller;
  let delivered = 0;
  m1.forEach((b, i) => b.delivered.forEach((v, j) => (delivered += (v - m0[i].delivered[j]) / ((b.t - m0[i].t) / 1000))));
  return { delivered, brokerCpu: (100 * (c1 - c0)) / opts.seconds, polls, pollMs: pollMs.length ? median(pollMs) : 0 };
}

async function main() {
  const pinned = availableParallelism() >= 2 && pin(process.pid, 1);
  log(`management scale: ${opts.queues} queues with consumers; ${pinned ? 'broker on core 0, the rest on core 1' : 'no pinning'}`);
  const broker = await startWarren();
  const failure = new Failure();
  void broker.child.exited.then((how) => failure.fail(new Error(`warren exited (${how})`)));
  const workers = new Workers(broker.port, failure);
  let conns = [];
  try {
    const t0 = nowMs();
    conns = await declareQueues(broker.port);
    const s = broker.stats();
    log(`declared ${opts.queues} queues and consumers in ${((nowMs() - t0) / 1000).toFixed(1)} s; broker RSS ${(s.rss / 2 ** 20).toFixed(0)} MiB`);
    const listed = JSON.parse(Buffer.from((await timedGet(broker.api, '/api/queues?page=1&page_size=1')).body).toString());
    if (listed.total_count < opts.queues) throw new Error(`only ${listed.total_count} queues listed`);
    await delay(6000); // a stats sample of every queue
    // The stats sampler's own cost: the broker's CPU while nothing else happens.
    const idle0 = broker.stats().cpuS;
    await delay(10_000);
    const idleCpu = (100 * (broker.stats().cpuS - idle0)) / 10;
    log(`idle broker (stats sampler every 5 s over ${opts.queues} queues): CPU ${idleCpu.toFixed(1)} %`);
    const latency = await latencies(broker);
    // What the dashboard takes from a broker that is the bottleneck: its CPU per poll over the interval.
    const pollCpuMs = DASHBOARD.reduce((sum, path) => sum + latency[path].cpuMs, 0);
    const estimatedDropPct = (100 * pollCpuMs) / (opts.poll * 1000);
    log(`dashboard poll: broker CPU ${pollCpuMs.toFixed(1)} ms every ${opts.poll} s = ${estimatedDropPct.toFixed(2)} % of a core`);
    if (args['latency-only']) return;

    // Throughput: one publisher and one auto-ack consumer on a queue of their own.
    const setup = await conns[0].createChannel();
    await setup.assertQueue('scale-flow', { durable: false });
    await workers.add({ consumers: [{ queue: 'scale-flow', noAck: true }] });
    await workers.add({ publishers: [{ routingKey: 'scale-flow', size: 16 }] });
    workers.go();
    await failure.sleep(3000);
    const rounds = [];
    for (let r = 0; r < opts.rounds; r++) {
      const order = r % 2 === 0 ? [false, true] : [true, false];
      const got = {};
      for (const polling of order) {
        got[polling ? 'with' : 'without'] = await window(broker, workers, failure, polling);
        const w = got[polling ? 'with' : 'without'];
        log(`round ${r + 1} ${polling ? 'with' : 'without'} dashboard: ${Math.round(w.delivered)} msg/s, broker CPU ${w.brokerCpu.toFixed(0)} %${polling ? `, ${w.polls} polls of ${w.pollMs.toFixed(0)} ms` : ''}`);
      }
      rounds.push({ ...got, dropPct: 100 * (1 - got.with.delivered / got.without.delivered) });
    }
    await workers.stopAll();
    const result = {
      latency,
      throughput: {
        withoutMsgS: median(rounds.map((r) => r.without.delivered)),
        withMsgS: median(rounds.map((r) => r.with.delivered)),
        dropPct: median(rounds.map((r) => r.dropPct)),
        dashboardPollMs: median(rounds.map((r) => r.with.pollMs)),
        rounds,
      },
      idleBrokerCpuPct: idleCpu,
      dashboardPollCpuMs: pollCpuMs,
      estimatedDropPct,
      brokerRssMiB: broker.stats().rss / 2 ** 20,
    };
    const rows = [
      ...Object.entries(latency).flatMap(([path, l]) => [
        [`GET ${path} median ms`, l.medianMs.toFixed(1)],
        [`GET ${path} broker CPU ms`, l.cpuMs.toFixed(1)],
      ]),
      ['delivered msg/s without dashboard (median)', Math.round(result.throughput.withoutMsgS)],
      [`delivered msg/s with dashboard every ${opts.poll} s (median)`, Math.round(result.throughput.withMsgS)],
      ['throughput drop % (median of rounds)', result.throughput.dropPct.toFixed(1)],
      ['dashboard poll (overview + queues page) wall ms', result.throughput.dashboardPollMs.toFixed(1)],
      ['dashboard poll broker CPU ms', pollCpuMs.toFixed(1)],
      [`dashboard share of a busy broker's core, % (CPU per poll / ${opts.poll} s)`, estimatedDropPct.toFixed(2)],
      ['idle broker CPU % (stats sampler)', idleCpu.toFixed(1)],
      ['broker RSS MiB', result.brokerRssMiB.toFixed(0)],
    ];
    process.stdout.write(`\n| metric (${opts.queues} queues with consumers) | Warren |\n| --- | --- |\n${rows.map((r) => `| ${r[0]} | ${r[1]} |`).join('\n')}\n`);
    if (args.json) writeFileSync(args.json, JSON.stringify({ opts, date: new Date().toISOString(), result }, null, 2) + '\n');
  } finally {
    await workers.stopAll();
    for (const c of conns) await c.close().catch(() => {});
    await broker.stop();
  }
}

await main();
