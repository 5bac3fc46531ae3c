/**
 * The metric families of each endpoint, as rabbitmq_prometheus 3.10 builds them:
 * - /metrics: every core group aggregated into one unlabelled sample per metric, the totals,
 *   build and identity info, the global counters and the alarms;
 * - /metrics/per-object: the same groups with one sample per queue, channel or connection
 *   (no alarms there, as in RabbitMQ's per-object registry);
 * - /metrics/detailed?family=...&vhost=...: only the groups asked for, per object, prefixed
 *   rabbitmq_detailed_ (and rabbitmq_cluster_ for vhost_status, exchange_bindings, exchange_names),
 *   queues limited to the vhosts asked for; then build and identity info.
 */
import type { Broker } from '../../broker/broker.js';
import { RABBITMQ_VERSION } from '../format.js';
import { WARREN_VERSION } from '../../server/handshake.js';
import {
  ALARMS,
  BUILD_INFO,
  CLUSTER_GROUPS,
  CORE_GROUPS,
  GLOBAL_PROTOCOL,
  GLOBAL_QUEUE_TYPE,
  IDENTITY_INFO,
  TOTALS,
  type ClusterGroup,
  type CoreGroup,
  type MetricDef,
  type MetricType,
} from './families.js';
import { globalSamples } from './global.js';
import { ROWS, sumRows, TOTAL_OVERRIDES, vhostTotals, type Labels, type Row, type VhostFilter } from './rows.js';

export interface Sample {
  readonly labels: Labels;
  readonly value: number;
}

export interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  readonly samples: readonly Sample[];
}

export interface MetricsSource {
  readonly broker: Broker;
  /** the node name (rabbitmq_identity_info's rabbitmq_node), as the management API shows it */
  readonly nodeName: string;
  /** prom-client's version, for rabbitmq_build_info */
  readonly clientVersion: string;
}

const PREFIX = 'rabbitmq_';
const DETAILED_PREFIX = 'rabbitmq_detailed_';
const CLUSTER_PREFIX = 'rabbitmq_cluster_';

const family = (prefix: string, def: MetricDef, samples: readonly Sample[]): Family => ({
  name: prefix + def.name,
  help: def.help,
  type: def.type,
  samples,
});

/** One family per metric of a group, from its rows. */
function groupFamilies(prefix: string, defs: readonly MetricDef[], rows: readonly Row[]): Family[] {
  return defs.map((def, i) => {
    const samples: Sample[] = [];
    for (const r of rows) {
      const value = r.values[i];
      if (value !== undefined) samples.push({ labels: r.labels, value });
    }
    return family(prefix, def, samples);
  });
}

const CORE_NAMES = Object.keys(CORE_GROUPS) as CoreGroup[];

/** queue_consumer_count is a subset of queue_metrics: left out when both are served (RabbitMQ's mutually_exclusive_mf). */
const served = (groups: readonly CoreGroup[]): CoreGroup[] =>
  groups.filter((g) => g !== 'queue_consumer_count' || !groups.includes('queue_metrics'));

/** Groups RabbitMQ does not aggregate: their rows are by protocol, on /metrics too. */
const NOT_AGGREGATED: readonly CoreGroup[] = ['auth_attempt_metrics'];

function aggregatedCore(broker: Broker): Family[] {
  const vhostSums = vhostTotals(broker);
  return served(CORE_NAMES).flatMap((g) => {
    const defs = CORE_GROUPS[g];
    if (NOT_AGGREGATED.includes(g)) return groupFamilies(PREFIX, defs, ROWS[g](broker, null));
    const override = TOTAL_OVERRIDES[g];
    const total = override !== undefined ? override(vhostSums) : sumRows(ROWS[g](broker, null), defs.length);
    return groupFamilies(PREFIX, defs, [{ labels: {}, values: total }]);
  });
}

function totals(broker: Broker): Family[] {
  let queues = 0;
  let consumers = 0;
  for (const v of broker.vhosts.values()) {
    queues += v.queues.size;
    for (const q of v.queues.values()) consumers += q.consumerCount;
  }
  const s = broker.sessions;
  const values = [s.connections, s.channels, consumers, queues];
  return TOTALS.map((def, i) => family(PREFIX, def, [{ labels: {}, value: values[i] as number }]));
}

function identity(src: MetricsSource): Family[] {
  const build: Labels = {
    product_name: 'Warren',
    product_version: WARREN_VERSION,
    rabbitmq_version: RABBITMQ_VERSION,
    prometheus_plugin_version: RABBITMQ_VERSION,
    prometheus_client_version: src.clientVersion,
  };
  const id: Labels = { rabbitmq_node: src.nodeName, rabbitmq_cluster: src.broker.clusterName };
  return [family(PREFIX, BUILD_INFO, [{ labels: build, value: 1 }]), family(PREFIX, IDENTITY_INFO, [{ labels: id, value: 1 }])];
}

function alarms(broker: Broker): Family[] {
  const state = broker.alarms.state;
  return [
    // Warren raises no file descriptor alarm: it is never in effect.
    family(PREFIX, ALARMS.fileDescriptor, [{ labels: {}, value: 0 }]),
    family(PREFIX, ALARMS.disk, [{ labels: {}, value: state.disk ? 1 : 0 }]),
    family(PREFIX, ALARMS.memory, [{ labels: {}, value: state.memory ? 1 : 0 }]),
  ];
}

function globals(broker: Broker): Family[] {
  const samples = globalSamples(broker);
  const defs: [MetricDef, readonly Sample[]][] = [
    ...Object.entries(GLOBAL_PROTOCOL).map(([k, def]): [MetricDef, readonly Sample[]] => [def, samples.byProtocol[k as keyof typeof GLOBAL_PROTOCOL]]),
    ...Object.entries(GLOBAL_QUEUE_TYPE).map(([k, def]): [MetricDef, readonly Sample[]] => [def, samples.byQueueType[k as keyof typeof GLOBAL_QUEUE_TYPE]]),
  ];
  return defs.sort(([a], [b]) => (a.name < b.name ? -1 : 1)).map(([def, s]) => family(PREFIX, def, s));
}

/** GET /metrics */
export function aggregatedFamilies(src: MetricsSource): Family[] {
  const { broker } = src;
  return [...alarms(broker), ...aggregatedCore(broker), ...totals(broker), ...identity(src), ...globals(broker)];
}

/** GET /metrics/per-object */
export function perObjectFamilies(src: MetricsSource): Family[] {
  const { broker } = src;
  const core = served(CORE_NAMES).flatMap((g) => groupFamilies(PREFIX, CORE_GROUPS[g], ROWS[g](broker, null)));
  return [...core, ...totals(broker), ...identity(src), ...globals(broker)];
}

const QUEUE_GROUPS: readonly CoreGroup[] = ['queue_coarse_metrics', 'queue_consumer_count', 'queue_metrics'];

function clusterRows(broker: Broker, g: ClusterGroup): Row[] {
  if (g === 'vhost_status') return [...broker.vhosts.keys()].map((vhost) => ({ labels: { vhost }, values: [1] }));
  const out: Row[] = [];
  for (const v of broker.vhosts.values()) {
    for (const x of v.exchanges.values()) {
      if (x.internal || x.name === '') continue;
      const labels = { vhost: v.name, exchange: x.name, type: x.type };
      out.push({ labels, values: [g === 'exchange_bindings' ? x.outbound.size : 1] });
    }
  }
  return out;
}

/**
 * GET /metrics/detailed. `families`: the family query parameters (unknown ones are ignored);
 * `vhosts`: the vhost parameters, or undefined when there are none (then every vhost's queues).
 */
export function detailedFamilies(src: MetricsSource, families: readonly string[], vhosts: readonly string[] | undefined): Family[] {
  const { broker } = src;
  const filter: VhostFilter = vhosts === undefined ? null : new Set(vhosts.filter((v) => broker.vhosts.has(v)));
  const core = served(CORE_NAMES.filter((g) => families.includes(g)));
  const out = core.flatMap((g) => groupFamilies(DETAILED_PREFIX, CORE_GROUPS[g], ROWS[g](broker, QUEUE_GROUPS.includes(g) ? filter : null)));
  for (const g of Object.keys(CLUSTER_GROUPS) as ClusterGroup[]) {
    if (families.includes(g)) out.push(...groupFamilies(CLUSTER_PREFIX, CLUSTER_GROUPS[g], clusterRows(broker, g)));
  }
  return [...out, ...identity(src)];
}
