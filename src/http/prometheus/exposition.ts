/**
 * The text exposition format, written by prom-client: each scrape's families go into a Registry
 * of their own (never prom-client's global one, so brokers side by side in one process never
 * share metrics), as metrics whose values were read at scrape time. Node.js process metrics
 * (prom-client's collectDefaultMetrics: CPU, heap, event loop lag, GC, ...) are extras RabbitMQ
 * does not have; they describe the process, not a broker, so one registry per process holds them
 * and every broker's endpoint appends it (a registry per broker would add a GC observer and an
 * event-loop monitor per broker that nothing can stop).
 */
import { createRequire } from 'node:module';
import { collectDefaultMetrics, Registry, type Metric } from 'prom-client';
import type { Family } from './collect.js';

export const CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

/** prom-client's version (rabbitmq_build_info's prometheus_client_version). */
export const CLIENT_VERSION = (createRequire(import.meta.url)('prom-client/package.json') as { version: string }).version;

/**
 * A family as prom-client's Registry reads a metric: name, help, type and values. get() resolves
 * on the event-loop turn `turn` gives it, so the registry formats about SAMPLES_PER_TURN samples
 * per turn and AMQP traffic is served between them: a per-object scrape of thousands of queues
 * never stalls the broker for the whole of its formatting.
 */
class FamilyMetric {
  readonly name: string;
  constructor(
    private readonly family: Family,
    private readonly turn: Promise<void>,
  ) {
    this.name = family.name;
  }

  async get(): Promise<{ name: string; help: string; type: string; values: readonly Family['samples'][number][]; aggregator: string }> {
    await this.turn;
    const f = this.family;
    return { name: f.name, help: f.help, type: f.type, values: f.samples, aggregator: 'sum' };
  }

  reset(): void {}
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Samples formatted in one event-loop turn: about 1.5 ms of prom-client's formatting (3 µs a sample). */
const SAMPLES_PER_TURN = 500;

let processRegistry: Registry | null = null;

/** The process's Node.js metrics, collected from the first call on. */
export function processMetrics(): Registry {
  if (processRegistry === null) {
    processRegistry = new Registry();
    // Event loop delay sampled every 100 ms rather than prom-client's 10 ms: an idle broker wakes
    // 10 times a second for it, not 100.
    collectDefaultMetrics({ register: processRegistry, eventLoopMonitoringPrecision: 100 });
  }
  return processRegistry;
}

/** The families in the text format, followed by the metrics of `others` (process, telemetry). */
export async function exposition(families: readonly Family[], others: readonly Registry[]): Promise<string> {
  const registry = new Registry();
  let turn = Promise.resolve();
  let samples = 0;
  for (const f of families) {
    if (samples >= SAMPLES_PER_TURN) {
      turn = turn.then(nextTurn);
      samples = 0;
    }
    samples += f.samples.length;
    registry.registerMetric(new FamilyMetric(f, turn) as unknown as Metric);
  }
  const parts = [await registry.metrics()];
  for (const r of others) parts.push(await r.metrics());
  return parts.join('\n');
}
