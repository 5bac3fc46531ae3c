/**
 * Entry: config -> Broker -> listeners. Used by the CLI (`warren server`) and by embedders.
 */
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { decodeProperties, encodeProperties, readPropertyTraits } from './amqp/basic-properties.js';
import { decodeTable, encodeTable } from './amqp/field-table.js';
import { Persistence } from './broker/persistence.js';
import { recoverBroker } from './broker/recovery.js';
import { loadDefinitionsFile } from './broker/definitions/load-file.js';
import { Store, type ChangeLog } from './store/index.js';
import { Broker } from './broker/broker.js';
import { ResourceAlarms } from './broker/alarms.js';
import type { PropertiesCodec } from './broker/properties-codec.js';
import { AmqpListener } from './server/listener.js';
import { TlsContext, type TlsSettings } from './server/tls-context.js';
import type { ManagementServer } from './http/server.js';
import type { PrometheusServer } from './http/prometheus/server.js';
import type { ListenerInfo } from './http/router.js';
import { ioActivity } from './server/connection-settings.js';
import { IdleCompaction } from './util/idle-compaction.js';
import { logger, setLogLevel, type LogLevel } from './util/logger.js';
import { defaultNodeName } from './util/node-name.js';
import type { ClusterOptions } from './cluster/cluster-config.js';
import type { ClusterInfo } from './http/controllers/cluster.js';

const log = logger('warren.main');

export interface BrokerOptions {
  /** AMQP port; 0 picks a free one. Default 5672. */
  port?: number;
  /** Interface to bind. Default: all interfaces. */
  host?: string;
  /** Management HTTP API port; 0 picks a free one. Default 15672, or 0 when `port` is 0 (so brokers embedded side by side never collide). */
  managementPort?: number;
  /** Serve the management HTTP API. Default true. */
  management?: boolean;
  /** Prometheus metrics port (RabbitMQ's rabbitmq_prometheus); 0 picks a free one. Default 15692, or 0 when `port` is 0. */
  prometheusPort?: number;
  /** Serve the Prometheus metrics endpoint. Default true. */
  prometheus?: boolean;
  /** Data directory. Default ./data */
  dataDir?: string;
  /** Memory alarm: RSS above this blocks publishers. A fraction of RAM if <= 1, else bytes. Default 0.4 */
  memoryHighWatermark?: number;
  /** Disk alarm: free bytes on the data directory's filesystem below this block publishers. Default 50 MB. */
  diskFreeLimit?: number;
  logLevel?: LogLevel;
  /** Largest message body accepted, in bytes. Default 128 MiB (RabbitMQ 3.x). */
  maxMessageSize?: number;
  /** Heartbeat the server proposes, in seconds. Default 60. */
  heartbeat?: number;
  /** frame_max the server proposes. Default 131072. */
  frameMax?: number;
  /** channel_max the server proposes. Default 2047. */
  channelMax?: number;
  /** Per queue, messages and bytes kept in memory before new ones are paged to the store. */
  queueMemoryBudget?: { messages: number; bytes: number };
  /** consumer_timeout: ms a delivery may stay unacknowledged before its channel is closed. Default 30 min. */
  consumerTimeout?: number;
  /** Users that may log in only from loopback addresses (RabbitMQ's loopback_users). Default ["guest"]. */
  loopbackUsers?: string[];
  /** First start only: the user created with full permissions on defaultVhost (RabbitMQ's default_user). Default guest. */
  defaultUser?: string;
  /** First start only: defaultUser's password. Default guest. */
  defaultPass?: string;
  /** First start only: the vhost created (RabbitMQ's default_vhost). Default "/". */
  defaultVhost?: string;
  /** Connections the node accepts in all (RabbitMQ's connection_max); 0: no limit. Default 0. */
  maxConnections?: number;
  /** Consumers one channel may have (RabbitMQ's consumer_max_per_channel); 0: no limit. Default 0. */
  maxConsumersPerChannel?: number;
  /** ms between samples of message rates (RabbitMQ's collect_statistics_interval). Default 5000. */
  statsInterval?: number;
  /** AMQPS, alongside plain AMQP: PEM files, peer verification, certificate login (server/tls-context.ts). */
  tls?: TlsOptions;
  /** A definitions file (or a directory of *.json ones) imported at every boot, after recovery (RabbitMQ's load_definitions). */
  definitions?: string;
  /** Clustering (CLUSTER.md 6.8): peers, etcd, lease; off unless `enabled` (the CLI then runs startClusterNode). */
  cluster?: ClusterOptions;
}

export interface TlsOptions extends TlsSettings {
  /** AMQPS port; 0 picks a free one. Default 5671. */
  port?: number;
  /** HTTPS port of the management API, beside its HTTP port; 0 picks a free one. Default 15671, or 0 when `port` is 0. */
  managementPort?: number;
}

export interface RunningBroker {
  /** amqp://guest:guest@127.0.0.1:PORT */
  readonly url: string;
  /** The bound AMQP port. */
  readonly port: number;
  /** The bound AMQPS port; undefined without `tls`. */
  readonly tlsPort: number | undefined;
  /** http://127.0.0.1:PORT of the management API; undefined when it is off */
  readonly managementUrl: string | undefined;
  /** The bound management API port; undefined when it is off. */
  readonly managementPort: number | undefined;
  /** The bound HTTPS management API port; undefined without `tls` or when the API is off. */
  readonly managementTlsPort: number | undefined;
  /** http://127.0.0.1:PORT of the Prometheus endpoint (GET /metrics there); undefined when it is off */
  readonly prometheusUrl: string | undefined;
  /** The bound Prometheus port; undefined when it is off. */
  readonly prometheusPort: number | undefined;
  /** The broker core, for embedders that want to inspect queues. */
  readonly broker: Broker;
  /**
   * Re-read the TLS certificate, key and CA files (the CLI does on SIGHUP): new connections get
   * them, open ones stay up. False, with an error logged and the old files kept, if they cannot be
   * used; false without `tls`.
   */
  reloadTls(): Promise<boolean>;
  close(): Promise<void>;
}

/** The broker's view of the AMQP property codec (also what tests that build a Broker directly use). */
export const PROPERTIES_CODEC: PropertiesCodec = {
  decode: (raw) => decodeProperties(raw) as ReturnType<PropertiesCodec['decode']>,
  encode: (props) => encodeProperties(props),
  encodeTable: (table) => encodeTable(table),
  decodeTable: (raw) => decodeTable(raw, 0).table,
  readTraits: readPropertyTraits,
};

/** The options among `keys` that are set. */
function pick<K extends keyof BrokerOptions>(options: BrokerOptions, keys: readonly K[]): Pick<BrokerOptions, K> {
  const out: Partial<BrokerOptions> = {};
  for (const k of keys) if (options[k] !== undefined) out[k] = options[k];
  return out as Pick<BrokerOptions, K>;
}

/** What a cluster node adds to the broker it runs while leader (src/cluster/cluster-node.ts). */
export interface ClusterHooks {
  readonly cluster: ClusterInfo;
  /** `warren@<nodeId>` in /api/overview and /api/nodes */
  readonly nodeName: string;
  readonly clusterName: string;
  /** the store's committed transactions become records of this log (replication) */
  readonly changeLog?: ChangeLog;
}

export async function startBroker(options: BrokerOptions = {}, hooks?: ClusterHooks): Promise<RunningBroker> {
  if (options.logLevel !== undefined) setLogLevel(options.logLevel);
  const dataDir = resolve(options.dataDir ?? 'data');
  await mkdir(dataDir, { recursive: true });
  const alarms = new ResourceAlarms({
    dir: dataDir,
    memoryHighWatermark: options.memoryHighWatermark,
    diskFreeLimit: options.diskFreeLimit,
  });
  const started = Date.now();
  const tls = options.tls === undefined ? undefined : await TlsContext.load(options.tls);
  const store = Store.open(dataDir, hooks?.changeLog !== undefined ? { log: hooks.changeLog } : {});
  let listener: AmqpListener | undefined;
  let port: number;
  let tlsPort: number | undefined;
  let broker: Broker;
  try {
    broker = new Broker(
      PROPERTIES_CODEC,
      {
        ...(options.maxMessageSize !== undefined ? { maxMessageSize: options.maxMessageSize } : {}),
        ...(options.queueMemoryBudget !== undefined ? { queueMemoryBudget: options.queueMemoryBudget } : {}),
        ...(options.consumerTimeout !== undefined ? { consumerTimeout: options.consumerTimeout } : {}),
        ...(hooks !== undefined ? { clusterName: hooks.clusterName } : {}),
        ...pick(options, ['loopbackUsers', 'defaultUser', 'defaultPass', 'defaultVhost', 'maxConnections', 'maxConsumersPerChannel']),
      },
      new Persistence(store, PROPERTIES_CODEC),
      alarms,
    );
    recoverBroker(broker);
    if (options.definitions !== undefined) await loadDefinitionsFile(broker, options.definitions);
    await alarms.check();
    listener = new AmqpListener(broker, {
      frameMax: options.frameMax ?? 131072,
      channelMax: options.channelMax ?? 2047,
      heartbeat: options.heartbeat ?? 60,
      handshakeTimeoutMs: 10_000,
    });
    port = await listener.listen(options.port ?? 5672, options.host);
    if (tls !== undefined) tlsPort = await listener.listenTls(options.tls?.port ?? 5671, options.host, tls);
  } catch (err) {
    await listener?.close();
    store.close();
    throw err;
  }
  let prometheus: PrometheusServer | null = null;
  let prometheusPort: number | undefined;
  // The HTTP side (fastify, prom-client, the API's routes) is loaded only now, once AMQP is served:
  // its modules take several times longer to load than the whole broker core.
  if (options.prometheus !== false) {
    const { PrometheusServer } = await import('./http/prometheus/server.js');
    prometheus = new PrometheusServer(broker, { nodeName: defaultNodeName() });
    try {
      prometheusPort = await prometheus.listen({ port: options.prometheusPort ?? (options.port === 0 ? 0 : 15692), host: options.host });
    } catch (err) {
      await listener.close();
      broker.stop();
      store.close();
      throw err;
    }
  }
  let management: ManagementServer | null = null;
  let managementTls: ManagementServer | null = null;
  let managementPort: number | undefined;
  let managementTlsPort: number | undefined;
  if (options.management !== false) {
    const { ManagementServer } = await import('./http/server.js');
    const ip = options.host ?? '::';
    // TLS listeners name their certificate and CA files (the certificate-expiration health check).
    const tlsFiles = options.tls === undefined ? undefined : { certfile: options.tls.cert, cacertfile: options.tls.ca };
    const amqpPorts: ListenerInfo[] = [{ protocol: 'amqp', port, ipAddress: ip }];
    if (tlsPort !== undefined) amqpPorts.push({ protocol: 'amqp/ssl', port: tlsPort, ipAddress: ip, ...tlsFiles });
    if (prometheusPort !== undefined) amqpPorts.push({ protocol: 'http/prometheus', port: prometheusPort, ipAddress: ip });
    const httpsPort = (): readonly ListenerInfo[] =>
      managementTlsPort === undefined ? [] : [{ protocol: 'https', port: managementTlsPort, ipAddress: ip, ...tlsFiles }];
    const httpPort = (): readonly ListenerInfo[] =>
      managementPort === undefined ? [] : [{ protocol: 'http', port: managementPort, ipAddress: ip }];
    const clustered = hooks === undefined ? {} : { cluster: hooks.cluster, nodeName: hooks.nodeName };
    management = new ManagementServer(broker, { listeners: () => [...amqpPorts, ...httpsPort()], ...clustered });
    try {
      managementPort = await management.listen({ port: options.managementPort ?? (options.port === 0 ? 0 : 15672), host: options.host });
      if (tls !== undefined) {
        // HTTPS beside HTTP, with the AMQPS certificate; SIGHUP reloads both.
        managementTls = new ManagementServer(broker, { listeners: () => [...amqpPorts, ...httpPort()], ...clustered });
        const wanted = options.tls?.managementPort ?? (options.port === 0 ? 0 : 15671);
        managementTlsPort = await managementTls.listen({ port: wanted, host: options.host, https: tls.serverOptions(), tlsFiles });
        const server = managementTls.server;
        if (server !== null) tls.attach(server);
      }
    } catch (err) {
      await management.close();
      await managementTls?.close();
      await prometheus?.close();
      await listener.close();
      broker.stop();
      store.close();
      throw err;
    }
  }
  alarms.start();
  const compaction = new IdleCompaction(ioActivity);
  compaction.start();
  if (management !== null) broker.stats.start(options.statsInterval);
  if (tlsPort !== undefined) log.info(`AMQPS listening on port ${tlsPort}`);
  log.info(`AMQP listening on port ${port} (data in ${dataDir}, ready in ${Date.now() - started} ms)`);
  let closed: Promise<void> | null = null;
  const close = async (): Promise<void> => {
    alarms.stop();
    compaction.stop();
    await management?.close();
    await managementTls?.close();
    await prometheus?.close();
    await listener.close();
    broker.stop();
    store.close();
  };
  return {
    url: `amqp://guest:guest@127.0.0.1:${port}`,
    port,
    tlsPort,
    managementUrl: managementPort === undefined ? undefined : `http://127.0.0.1:${managementPort}`,
    managementPort,
    managementTlsPort,
    prometheusUrl: prometheusPort === undefined ? undefined : `http://127.0.0.1:${prometheusPort}`,
    prometheusPort,
    broker,
    reloadTls: () => (tls === undefined ? Promise.resolve(false) : tls.reload()),
    close: () => (closed ??= close()),
  };
}
