/**
 * telemetry_scrape_* (rabbit_prometheus_handler): the duration and size of each endpoint's
 * scrapes, as summaries without quantiles, labelled by registry (`default` for /metrics,
 * `per-object`, `detailed`) and content type. As in RabbitMQ, each endpoint's registry holds its
 * own duration and size, and the encoded sizes of all three are observed in `default`'s.
 */
import { Registry, Summary } from 'prom-client';

export type RegistryName = 'default' | 'per-object' | 'detailed';

/** The content type RabbitMQ labels its scrapes with. */
const CONTENT_TYPE_LABEL = 'text/plain; version=0.0.4';

interface Telemetry {
  readonly registry: Registry;
  readonly duration: Summary;
  readonly size: Summary;
  readonly encoded: Summary;
}

function telemetry(): Telemetry {
  const registry = new Registry();
  const registers = [registry];
  const labelNames = ['registry', 'content_type'];
  return {
    registry,
    duration: new Summary({ name: 'telemetry_scrape_duration_seconds', help: 'Scrape duration', labelNames, percentiles: [], registers }),
    size: new Summary({ name: 'telemetry_scrape_size_bytes', help: 'Scrape size, not encoded', labelNames, percentiles: [], registers }),
    encoded: new Summary({
      name: 'telemetry_scrape_encoded_size_bytes',
      help: 'Scrape size, encoded',
      labelNames: [...labelNames, 'encoding'],
      percentiles: [],
      registers,
    }),
  };
}

export class ScrapeTelemetry {
  private readonly byName = new Map<RegistryName, Telemetry>([
    ['default', telemetry()],
    ['per-object', telemetry()],
    ['detailed', telemetry()],
  ]);

  private of(name: RegistryName): Telemetry {
    return this.byName.get(name) as Telemetry;
  }

  /** The registry to append to `name`'s scrapes. */
  registry(name: RegistryName): Registry {
    return this.of(name).registry;
  }

  /** One scrape of `name`: how long rendering took, its size, its size as sent. */
  observe(name: RegistryName, seconds: number, size: number, encodedSize: number, encoding: string): void {
    const own = this.of(name);
    const labels = { registry: name, content_type: CONTENT_TYPE_LABEL };
    own.duration.observe(labels, seconds);
    own.size.observe(labels, size);
    this.of('default').encoded.observe({ ...labels, encoding }, encodedSize);
  }
}
