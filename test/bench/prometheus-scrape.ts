/**
 * What a scrape costs with many objects: a broker with QUEUES queues (each with a message) and
 * CONNECTIONS connections of 2 channels. For each endpoint: the median wall time of 20 scrapes
 * over HTTP (fetch), then, in process and without a client, the CPU time of reading and
 * formatting one scrape and the longest the event loop was held up meanwhile (how long AMQP
 * traffic would wait behind a scrape).
 *
 *   npx tsx test/bench/prometheus-scrape.ts [QUEUES=1000] [CONNECTIONS=50]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import amqp from 'amqplib';
import { startBroker } from '../../src/index.js';
import { aggregatedFamilies, detailedFamilies, perObjectFamilies, type Family, type MetricsSource } from '../../src/http/prometheus/collect.js';
import { exposition, processMetrics } from '../../src/http/prometheus/exposition.js';

const queues = Number(process.argv[2] ?? 1000);
const connections = Number(process.argv[3] ?? 50);
const dataDir = await mkdtemp(join(tmpdir(), 'warren-prom-bench-'));
const broker = await startBroker({ port: 0, dataDir, logLevel: 'warn' });
const conns: amqp.ChannelModel[] = [];

const ENDPOINTS: [string, (src: MetricsSource) => Family[]][] = [
  ['/metrics', aggregatedFamilies],
  ['/metrics/per-object', perObjectFamilies],
  ['/metrics/detailed?family=queue_coarse_metrics&family=queue_metrics', (src) => detailedFamilies(src, ['queue_coarse_metrics', 'queue_metrics'], undefined)],
];

try {
  for (let i = 0; i < connections; i++) {
    const c = await amqp.connect(broker.url);
    conns.push(c);
    const ch = await c.createConfirmChannel();
    await c.createChannel();
    if (i === 0) {
      for (let q = 0; q < queues; q++) {
        await ch.assertQueue(`bench-${q}`, { durable: false });
        ch.sendToQueue(`bench-${q}`, Buffer.from('x'));
      }
      await ch.waitForConfirms();
    }
  }
  const base = broker.prometheusUrl as string;
  const src: MetricsSource = { broker: broker.broker, nodeName: 'bench', clientVersion: 'bench' };
  for (const [path, families] of ENDPOINTS) {
    const times: number[] = [];
    let bytes = 0;
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      const res = await fetch(base + path, { headers: { 'accept-encoding': 'identity' } });
      bytes = (await res.arrayBuffer()).byteLength;
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    const delay = monitorEventLoopDelay({ resolution: 1 });
    const cpu0 = process.cpuUsage();
    delay.enable();
    for (let i = 0; i < 20; i++) await exposition(families(src), path === '/metrics' ? [processMetrics()] : []);
    delay.disable();
    const cpu = process.cpuUsage(cpu0);
    console.log(
      `${path}: ${bytes} bytes, median ${(times[10] as number).toFixed(1)} ms over HTTP; ` +
        `CPU ${((cpu.user + cpu.system) / 1000 / 20).toFixed(1)} ms per scrape, event loop held up to ${(delay.max / 1e6).toFixed(1)} ms ` +
        `(${queues} queues, ${connections} connections)`,
    );
  }
} finally {
  for (const c of conns) await c.close();
  await broker.close();
  await rm(dataDir, { recursive: true, force: true });
}
