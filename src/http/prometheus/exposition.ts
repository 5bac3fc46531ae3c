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

/** A family as prom-client's Registry reads a metric: name, help, type and values. */
class FamilyMetric {
  readonly name: string;
  constructor(private readonly family: Family) {
    this.name = family.name;
  }

  get(): { name: string; help: string; type: string; values: { labels: Record<string, string>; value: number }[]; aggregator: string } {
    const f = this.family;
    return { name: f.name, help: f.help, type: f.type, values: f.samples.map((s) => ({ labels: s.labels, value: s.value })), aggregator: 'sum' };
  }

  reset(): void {}
}

let processRegistry: Registry | null = null;

/** The process's Node.js metrics, collected from the first call on. */
export function processMetrics(): Registry {
  if (processRegistry === null) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/** The families in the text format, followed by the metrics of `others` (process, telemetry). */
export async function exposition(families: readonly Family[], others: readonly Registry[]): Promise<string> {
  const registry = new Registry();
  for (const f of families) registry.registerMetric(new FamilyMetric(f) as unknown as Metric);
  const parts = [await registry.metrics()];
  for (const r of others) parts.push(await r.metrics());
  return parts.join('\n');
}
