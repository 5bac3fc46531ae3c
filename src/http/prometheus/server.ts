/**
 * The Prometheus endpoint (RabbitMQ's rabbitmq_prometheus, port 15692): GET /metrics,
 * /metrics/per-object and /metrics/detailed?family=...&vhost=..., without authentication, gzip
 * when the scraper accepts it, as RabbitMQ serves them.
 *
 * A plain node:http server rather than the management API's fastify: it serves three fixed GET
 * paths with no auth, no JSON and no body, it must answer while the management API is off
 * (`--no-management`), and it should not carry the API's error mapping, body parser and route
 * table (fastify's 404 would answer JSON, RabbitMQ answers text here).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { Broker } from '../../broker/broker.js';
import { listenExclusive } from '../../util/listen.js';
import { logger } from '../../util/logger.js';
import { aggregatedFamilies, detailedFamilies, perObjectFamilies, type Family, type MetricsSource } from './collect.js';
import { CLIENT_VERSION, CONTENT_TYPE, exposition, processMetrics } from './exposition.js';
import { retiredOf } from './retired.js';
import { ScrapeTelemetry, type RegistryName } from './telemetry.js';

const log = logger('http.prometheus');
const gzipAsync = promisify(gzip);

export interface PrometheusListenOptions {
  port: number;
  /** interface to bind; default all */
  host?: string | undefined;
}

export class PrometheusServer {
  private server: Server | null = null;
  private readonly source: MetricsSource;
  private readonly telemetry = new ScrapeTelemetry();

  constructor(broker: Broker, options: { nodeName: string }) {
    this.source = { broker, nodeName: options.nodeName, clientVersion: CLIENT_VERSION };
    // From now on, what deleted queues and exchanges counted stays in the global counters.
    retiredOf(broker);
  }

  /** Listen; resolves with the bound port (useful with port 0). */
  async listen(options: PrometheusListenOptions): Promise<number> {
    const server = createServer((req, res) => void this.handle(req, res));
    await listenOn(server, options.port, options.host);
    this.server = server;
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : options.port;
    log.info(`Prometheus metrics: HTTP (non-TLS) listener started on port ${port}`);
    return port;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' }).end();
        return;
      }
      const url = new URL(req.url ?? '/', 'http://localhost');
      const families = this.families(url);
      if (families === null) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found');
        return;
      }
      const started = performance.now();
      const others = families.withProcess ? [processMetrics()] : [];
      const text = await exposition(families.list, [...others, this.telemetry.registry(families.registry)]);
      const seconds = (performance.now() - started) / 1000;
      const gzipped = /\bgzip\b/.test(req.headers['accept-encoding'] ?? '');
      const plain = Buffer.from(text);
      const body = gzipped ? await gzipAsync(plain) : plain;
      this.telemetry.observe(families.registry, seconds, plain.length, body.length, gzipped ? 'gzip' : 'identity');
      res.writeHead(200, {
        'content-type': CONTENT_TYPE,
        'content-encoding': gzipped ? 'gzip' : 'identity',
        'content-length': body.length,
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch (err) {
      log.error('Prometheus scrape failed', err);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end();
    }
  }

  /** The families of the path, or null for a path RabbitMQ does not serve. */
  private families(url: URL): { list: Family[]; registry: RegistryName; withProcess: boolean } | null {
    const path = url.pathname.replace(/\/+$/, '');
    const src = this.source;
    switch (path) {
      case '/metrics':
        return { list: aggregatedFamilies(src), registry: 'default', withProcess: true };
      case '/metrics/per-object':
        return { list: perObjectFamilies(src), registry: 'per-object', withProcess: true };
      case '/metrics/detailed': {
        const q = url.searchParams;
        const vhosts = q.has('vhost') ? q.getAll('vhost') : undefined;
        return { list: detailedFamilies(src, q.getAll('family'), vhosts), registry: 'detailed', withProcess: false };
      }
      default:
        return null;
    }
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server === null) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** Bind `host`, or all interfaces: IPv6 and IPv4 where the host has IPv6, else IPv4. */
async function listenOn(server: Server, port: number, host: string | undefined): Promise<void> {
  const attempt = (h: string): Promise<void> => listenExclusive(server, h, port);
  if (host !== undefined) return attempt(host);
  try {
    await attempt('::');
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code !== 'EAFNOSUPPORT' && code !== 'EADDRNOTAVAIL') throw err;
    await attempt('0.0.0.0');
  }
}
