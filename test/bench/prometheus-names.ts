/**
 * The metric family names of Warren's Prometheus endpoint against RabbitMQ's, for /metrics and
 * /metrics/per-object: prints `only-in-rabbitmq`, `only-in-warren` and `both` for each.
 *
 *   npx tsx test/bench/prometheus-names.ts [http://127.0.0.1:15692] [amqp://guest:guest@127.0.0.1:5672]
 *
 * Both brokers get the same objects first (a queue with a message, a consumer, a publishing
 * channel) so per-object families have samples; the RabbitMQ queue is deleted at the end.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqp from 'amqplib';
import { startBroker } from '../../src/index.js';
import { scrape } from '../helpers/prometheus.js';

const rabbitProm = process.argv[2] ?? 'http://127.0.0.1:15692';
const rabbitAmqp = process.argv[3] ?? 'amqp://guest:guest@127.0.0.1:5672';

async function populate(url: string, queue: string): Promise<() => Promise<void>> {
  const conn = await amqp.connect(url);
  const ch = await conn.createConfirmChannel();
  await ch.assertQueue(queue, { durable: false });
  ch.sendToQueue(queue, Buffer.from('x'));
  ch.sendToQueue(queue, Buffer.from('y'));
  await ch.waitForConfirms();
  const sub = await conn.createChannel();
  await sub.prefetch(1);
  await sub.consume(queue, () => {});
  return async () => {
    await ch.deleteQueue(queue);
    await conn.close();
  };
}

/** Family names (declared by # TYPE, samples or not). */
async function names(base: string, path: string): Promise<Set<string>> {
  return new Set((await scrape(base, path)).keys());
}

function diff(title: string, rabbit: Set<string>, warren: Set<string>): void {
  const sorted = (xs: Iterable<string>): string[] => [...xs].sort();
  const onlyRabbit = sorted([...rabbit].filter((n) => !warren.has(n)));
  const onlyWarren = sorted([...warren].filter((n) => !rabbit.has(n)));
  const both = sorted([...rabbit].filter((n) => warren.has(n)));
  console.log(`## ${title}: ${both.length} both, ${onlyRabbit.length} only-in-rabbitmq, ${onlyWarren.length} only-in-warren`);
  for (const n of both) console.log(`both              ${n}`);
  for (const n of onlyRabbit) console.log(`only-in-rabbitmq  ${n}`);
  for (const n of onlyWarren) console.log(`only-in-warren    ${n}`);
  console.log('');
}

const dataDir = await mkdtemp(join(tmpdir(), 'warren-prom-names-'));
const warren = await startBroker({ port: 0, dataDir, logLevel: 'warn' });
const queue = `prom-names-${process.pid}`;
const cleanWarren = await populate(warren.url, queue);
const cleanRabbit = await populate(rabbitAmqp, queue);
try {
  // RabbitMQ refreshes queue and channel metrics every few seconds.
  await new Promise((resolve) => setTimeout(resolve, 6000));
  const warrenUrl = warren.prometheusUrl as string;
  for (const path of ['/metrics', '/metrics/per-object']) {
    diff(path, await names(rabbitProm, path), await names(warrenUrl, path));
  }
} finally {
  await cleanRabbit();
  await cleanWarren();
  await warren.close();
  await rm(dataDir, { recursive: true, force: true });
}
