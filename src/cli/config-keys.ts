/**
 * Every key a config file or a WARREN_* environment variable may set, with its check. The keys
 * are exactly those of `BrokerOptions`: adding an option without a check here does not compile.
 */
import { FRAME_MIN_SIZE } from '../amqp/generated/constants.js';
import type { BrokerOptions, TlsOptions } from '../main.js';
import { LOG_LEVELS } from '../util/logger.js';
import { CERT_LOGIN_FROM } from '../server/tls-context.js';
import { checkCluster } from '../cluster/cluster-config.js';

export type ConfigKey = keyof BrokerOptions;

export interface KeySpec {
  /** How an environment variable's text becomes a value: as it is, or parsed as JSON (numbers, objects). */
  readonly text: 'string' | 'json';
  /** Why `value` is wrong (completes "'key' ..."), or undefined when it is right. */
  check(value: unknown): string | undefined;
}

const UINT32_MAX = 0xffff_ffff;
const UINT16_MAX = 0xffff;

const isInt = (v: unknown, min: number, max: number): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;

function int(min: number, max = Number.MAX_SAFE_INTEGER, reason?: string): KeySpec {
  const why = reason ?? (max === Number.MAX_SAFE_INTEGER ? `must be an integer >= ${min}` : `must be an integer ${min}-${max}`);
  return { text: 'json', check: (v) => (isInt(v, min, max) ? undefined : why) };
}

function num(min: number, minIncluded: boolean): KeySpec {
  const why = `must be a number ${minIncluded ? '>=' : '>'} ${min}`;
  const ok = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && (minIncluded ? v >= min : v > min);
  return { text: 'json', check: (v) => (ok(v) ? undefined : why) };
}

const nonEmpty: KeySpec = {
  text: 'string',
  check: (v) => (typeof v === 'string' && v !== '' ? undefined : 'must be a non-empty string'),
};

const logLevel: KeySpec = {
  text: 'string',
  check: (v) =>
    typeof v === 'string' && Object.hasOwn(LOG_LEVELS, v) ? undefined : `must be one of ${Object.keys(LOG_LEVELS).join(', ')}`,
};

const BUDGET_SHAPE = 'must be {"messages": integer >= 0, "bytes": integer >= 0}';
const BUDGET_FIELDS = ['messages', 'bytes'] as const;

const memoryBudget: KeySpec = {
  text: 'json',
  check: (v) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return BUDGET_SHAPE;
    for (const field of Object.keys(v)) {
      if (!(BUDGET_FIELDS as readonly string[]).includes(field)) return `has unknown key '${field}' (${BUDGET_SHAPE})`;
    }
    const fields = v as Record<string, unknown>;
    for (const field of BUDGET_FIELDS) if (!isInt(fields[field], 0, Number.MAX_SAFE_INTEGER)) return BUDGET_SHAPE;
    return undefined;
  },
};

const port = int(0, UINT16_MAX, 'must be a port number (0-65535)');

const userNames: KeySpec = {
  text: 'json',
  check: (v) => (Array.isArray(v) && v.every((u) => typeof u === 'string') ? undefined : 'must be an array of user names'),
};

const boolean: KeySpec = { text: 'json', check: (v) => (typeof v === 'boolean' ? undefined : 'must be true or false') };

const anyString: KeySpec = { text: 'string', check: (v) => (typeof v === 'string' ? undefined : 'must be a string') };

/** The fields of `tls` and their checks. Each layer may give some; cert and key are required of the merged result (config.ts). */
export const TLS_FIELDS: Readonly<Record<keyof TlsOptions, KeySpec>> = {
  port,
  managementPort: port,
  cert: nonEmpty,
  key: nonEmpty,
  ca: nonEmpty,
  verifyPeer: { text: 'json', check: (v) => (typeof v === 'boolean' ? undefined : 'must be true or false') },
  failIfNoPeerCert: { text: 'json', check: (v) => (typeof v === 'boolean' ? undefined : 'must be true or false') },
  certLoginFrom: {
    text: 'string',
    check: (v) => (CERT_LOGIN_FROM.some((from) => from === v) ? undefined : `must be one of ${CERT_LOGIN_FROM.join(', ')}`),
  },
};

const tls: KeySpec = {
  text: 'json',
  check: (v) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return `must be an object with keys ${Object.keys(TLS_FIELDS).join(', ')}`;
    for (const [field, value] of Object.entries(v)) {
      const spec = Object.hasOwn(TLS_FIELDS, field) ? TLS_FIELDS[field as keyof TlsOptions] : undefined;
      if (spec === undefined) return `has unknown key '${field}' (known: ${Object.keys(TLS_FIELDS).join(', ')})`;
      const reason = spec.check(value);
      if (reason !== undefined) return `field '${field}' ${reason}`;
    }
    return undefined;
  },
};

export const CONFIG_KEYS: { readonly [K in ConfigKey]-?: KeySpec } = {
  port,
  host: nonEmpty,
  managementPort: port,
  management: boolean,
  prometheusPort: port,
  prometheus: boolean,
  dataDir: nonEmpty,
  logLevel,
  maxMessageSize: int(1),
  // Seconds, proposed in connection.tune (a short); 0 turns heartbeats off, as in RabbitMQ.
  heartbeat: int(0, UINT16_MAX),
  // connection.tune's frame_max (a long); a client may not go below FRAME_MIN_SIZE, so neither may we.
  frameMax: int(FRAME_MIN_SIZE, UINT32_MAX),
  // connection.tune's channel_max (a short); channel numbers start at 1, so 0 would refuse every channel.
  channelMax: int(1, UINT16_MAX),
  memoryHighWatermark: num(0, false),
  diskFreeLimit: num(0, true),
  queueMemoryBudget: memoryBudget,
  consumerTimeout: int(1),
  loopbackUsers: userNames,
  defaultUser: nonEmpty,
  defaultPass: anyString,
  defaultVhost: nonEmpty,
  maxConnections: int(0),
  maxConsumersPerChannel: int(0),
  // RabbitMQ's collect_statistics_interval: ms between samples of message rates.
  statsInterval: int(100),
  tls,
  // A definitions file or directory imported at boot (RabbitMQ's load_definitions).
  definitions: nonEmpty,
  // Peers, etcd and the lease of a clustered node (CLUSTER.md 6.8); checked whole, even when disabled.
  cluster: { text: 'json', check: checkCluster },
};

export const isConfigKey = (key: string): key is ConfigKey => Object.hasOwn(CONFIG_KEYS, key);

/** `dataDir` -> `WARREN_DATA_DIR`. */
export const envName = (key: ConfigKey): string => 'WARREN_' + key.replace(/[A-Z]/g, (c) => '_' + c).toUpperCase();

/** A value from text (an environment variable or a flag); text that is not JSON stays a string, for the message. */
export function fromText(key: ConfigKey, text: string): unknown {
  return valueFromText(CONFIG_KEYS[key], text);
}

/** The same for any spec (the fields of `tls`, set by --tls-* flags). */
export function valueFromText(spec: KeySpec, text: string): unknown {
  if (spec.text === 'string') return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
