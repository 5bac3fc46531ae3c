/**
 * The `cluster` section of the config file (CLUSTER.md 6.8): a static peer list, the node's own
 * id, and etcd managed by each broker or external. `checkCluster` gives the reason a value is
 * wrong (completing "'cluster' ..."), as the other config keys do; `resolveCluster` fills the
 * defaults that depend on the data dir and the peer list.
 */
import { join, resolve } from 'node:path';

export interface ClusterPeer {
  id: string;
  /** address the node binds and its peers reach it on (AMQP, HTTP, etcd) */
  host: string;
  /** AMQP port; default 5672 */
  amqpPort?: number;
  /** management HTTP port; default 15672 */
  httpPort?: number;
  /** AMQPS port, when the node has `tls`; default 5671 (the node's own certificate, also on a follower) */
  amqpsPort?: number;
  /** management HTTPS port, when the node has `tls`; default 15671 */
  httpsPort?: number;
  /** replication port (the later replication stream); default 25672 */
  replPort?: number;
  /** managed etcd: client and peer ports; default 2379 and 2380 */
  etcdClientPort?: number;
  etcdPeerPort?: number;
}

export interface ClusterEtcdOptions {
  /** spawn /usr/bin/etcd as a child of this broker (true) or use `endpoints` (false); default true */
  managed?: boolean;
  /** external etcd client URLs, with managed=false */
  endpoints?: string[] | null;
  /** key prefix; default /warren/<name> */
  prefix?: string;
  /** managed etcd's data dir; default <dataDir>/etcd */
  dataDir?: string;
  /** managed etcd's binary; default /usr/bin/etcd */
  binary?: string;
}

export interface ClusterOptions {
  enabled?: boolean;
  name?: string;
  nodeId?: string;
  peers?: ClusterPeer[];
  etcd?: ClusterEtcdOptions;
  /** the session lease's TTL; whole seconds, at least 2000 (etcd's minimum); default 5000 */
  leaseTtlMs?: number;
  /** replication: a follower this far behind leaves the in-sync set (used by the later replication stream) */
  followerAckTimeoutMs?: number;
  /** replication shared secret (used by the later replication stream) */
  secretFile?: string;
  /** for the fault run: a file the leader appends one line per publisher confirm to, {"epoch","ns","n"}; off by default */
  confirmLog?: string | null;
}

export interface ResolvedPeer {
  readonly id: string;
  readonly host: string;
  readonly amqpPort: number;
  readonly httpPort: number;
  readonly amqpsPort: number;
  readonly httpsPort: number;
  readonly replPort: number;
  readonly etcdClientPort: number;
  readonly etcdPeerPort: number;
}

/** Everything a cluster node needs, defaults filled in. */
export interface ResolvedCluster {
  readonly name: string;
  readonly nodeId: string;
  readonly self: ResolvedPeer;
  readonly peers: readonly ResolvedPeer[];
  readonly etcd: {
    readonly managed: boolean;
    readonly endpoints: readonly string[];
    readonly prefix: string;
    readonly dataDir: string;
    readonly binary: string;
  };
  readonly leaseTtlMs: number;
  readonly followerAckTimeoutMs: number;
  readonly secretFile: string;
  /** absolute path of the confirm log, or null (off) */
  readonly confirmLog: string | null;
}

const KEYS = ['enabled', 'name', 'nodeId', 'peers', 'etcd', 'leaseTtlMs', 'followerAckTimeoutMs', 'secretFile', 'confirmLog'];
const PEER_KEYS = ['id', 'host', 'amqpPort', 'httpPort', 'amqpsPort', 'httpsPort', 'replPort', 'etcdClientPort', 'etcdPeerPort'];
const ETCD_KEYS = ['managed', 'endpoints', 'prefix', 'dataDir', 'binary'];
/** etcd member names and our key paths: keep ids plain. */
const ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isPort = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 0xffff;
const isText = (v: unknown): v is string => typeof v === 'string' && v !== '';
const unknownKey = (v: Record<string, unknown>, known: string[]): string | undefined => Object.keys(v).find((k) => !known.includes(k));

function peerProblem(p: unknown, i: number): string | undefined {
  const at = `peers[${i}]`;
  if (!isObject(p)) return `${at} must be an object {"id", "host", "amqpPort", ...}`;
  const extra = unknownKey(p, PEER_KEYS);
  if (extra !== undefined) return `${at} has unknown key '${extra}' (known: ${PEER_KEYS.join(', ')})`;
  if (typeof p['id'] !== 'string' || !ID.test(p['id'])) return `${at}.id must be letters, digits, '.', '_' or '-'`;
  if (!isText(p['host'])) return `${at}.host must be a non-empty string`;
  for (const k of PEER_KEYS.slice(2)) if (p[k] !== undefined && !isPort(p[k])) return `${at}.${k} must be a port number (1-65535)`;
  return undefined;
}

function etcdProblem(e: unknown): string | undefined {
  if (!isObject(e)) return 'etcd must be an object {"managed", "endpoints", "prefix", "dataDir"}';
  const extra = unknownKey(e, ETCD_KEYS);
  if (extra !== undefined) return `etcd has unknown key '${extra}' (known: ${ETCD_KEYS.join(', ')})`;
  if (e['managed'] !== undefined && typeof e['managed'] !== 'boolean') return 'etcd.managed must be true or false';
  const endpoints = e['endpoints'];
  if (endpoints != null && !(Array.isArray(endpoints) && endpoints.length > 0 && endpoints.every((u) => typeof u === 'string' && /^https?:\/\/./.test(u)))) {
    return 'etcd.endpoints must be a non-empty array of URLs (http://host:port) or null';
  }
  if (e['managed'] === false && endpoints == null) return 'etcd.endpoints must list the external etcd when etcd.managed is false';
  if (e['prefix'] !== undefined && !(isText(e['prefix']) && e['prefix'].startsWith('/') && !e['prefix'].endsWith('/'))) {
    return "etcd.prefix must start with '/' and not end with '/'";
  }
  for (const k of ['dataDir', 'binary']) if (e[k] !== undefined && !isText(e[k])) return `etcd.${k} must be a non-empty string`;
  return undefined;
}

/** Why a `cluster` value is wrong, or undefined. A disabled section is checked too. */
export function checkCluster(v: unknown): string | undefined {
  if (!isObject(v)) return 'must be an object (see CLUSTER.md 6.8)';
  const extra = unknownKey(v, KEYS);
  if (extra !== undefined) return `has unknown key '${extra}' (known: ${KEYS.join(', ')})`;
  if (v['enabled'] !== undefined && typeof v['enabled'] !== 'boolean') return 'field enabled must be true or false';
  if (v['name'] !== undefined && !(typeof v['name'] === 'string' && ID.test(v['name']))) return "field name must be letters, digits, '.', '_' or '-'";
  if (v['nodeId'] !== undefined && !(typeof v['nodeId'] === 'string' && ID.test(v['nodeId']))) return "field nodeId must be letters, digits, '.', '_' or '-'";
  const peers = v['peers'];
  if (peers !== undefined) {
    if (!Array.isArray(peers) || peers.length === 0) return 'field peers must be a non-empty array';
    for (const [i, p] of peers.entries()) {
      const problem = peerProblem(p, i);
      if (problem !== undefined) return `field ${problem}`;
    }
    const ids = peers.map((p) => (p as ClusterPeer).id);
    const dup = ids.find((id, i) => ids.indexOf(id) !== i);
    if (dup !== undefined) return `field peers lists '${dup}' twice`;
  }
  if (v['etcd'] !== undefined) {
    const problem = etcdProblem(v['etcd']);
    if (problem !== undefined) return `field ${problem}`;
  }
  const ttl = v['leaseTtlMs'];
  if (ttl !== undefined && !(typeof ttl === 'number' && Number.isInteger(ttl) && ttl >= 2000 && ttl % 1000 === 0)) {
    return 'field leaseTtlMs must be whole seconds in ms, at least 2000 (etcd leases count seconds)';
  }
  const ack = v['followerAckTimeoutMs'];
  if (ack !== undefined && !(typeof ack === 'number' && Number.isInteger(ack) && ack >= 1)) return 'field followerAckTimeoutMs must be an integer >= 1';
  if (v['secretFile'] !== undefined && !isText(v['secretFile'])) return 'field secretFile must be a non-empty string';
  if (v['confirmLog'] != null && !isText(v['confirmLog'])) return 'field confirmLog must be a file path (a non-empty string) or null';
  if (v['enabled'] === true) {
    if (v['name'] === undefined) return 'field name is required when enabled';
    if (v['nodeId'] === undefined) return 'field nodeId is required when enabled';
    if (peers === undefined) return 'field peers is required when enabled';
    if (!(peers as ClusterPeer[]).some((p) => p.id === v['nodeId'])) return `field peers must list this node's nodeId '${String(v['nodeId'])}'`;
  }
  return undefined;
}

const peer = (p: ClusterPeer): ResolvedPeer => ({
  id: p.id,
  host: p.host,
  amqpPort: p.amqpPort ?? 5672,
  httpPort: p.httpPort ?? 15672,
  amqpsPort: p.amqpsPort ?? 5671,
  httpsPort: p.httpsPort ?? 15671,
  replPort: p.replPort ?? 25672,
  etcdClientPort: p.etcdClientPort ?? 2379,
  etcdPeerPort: p.etcdPeerPort ?? 2380,
});

/** The broker's own listeners, as the top-level keys give them. */
export interface NodeAddress {
  host?: string | undefined;
  port?: number | undefined;
  managementPort?: number | undefined;
  /** the AMQPS and HTTPS ports, when the node has TLS */
  tls?: { port?: number | undefined; managementPort?: number | undefined } | undefined;
}

/**
 * Defaults filled from `dataDir` and the peer list. The top-level host/port/managementPort and
 * tls.port/tls.managementPort, when given, must agree with this node's peer entry (the address
 * peers reach it on); a reason string (completing "'cluster' ...") is thrown as an Error
 * otherwise. Call after checkCluster.
 */
export function resolveCluster(c: ClusterOptions, dataDir: string, node: NodeAddress): ResolvedCluster {
  const peers = (c.peers ?? []).map(peer);
  const self = peers.find((p) => p.id === c.nodeId);
  if (c.name === undefined || c.nodeId === undefined || self === undefined) throw new Error(checkCluster({ ...c, enabled: true }) ?? 'is incomplete');
  const clash = (key: string, peerKey: string, given: unknown, own: unknown): Error =>
    new Error(`peer entry of ${c.nodeId} has ${peerKey} ${String(own)} but the top-level '${key}' is ${String(given)}; make them agree`);
  if (node.host !== undefined && node.host !== self.host) throw clash('host', 'host', node.host, self.host);
  if (node.port !== undefined && node.port !== self.amqpPort) throw clash('port', 'amqpPort', node.port, self.amqpPort);
  if (node.managementPort !== undefined && node.managementPort !== self.httpPort) {
    throw clash('managementPort', 'httpPort', node.managementPort, self.httpPort);
  }
  if (node.tls?.port !== undefined && node.tls.port !== self.amqpsPort) throw clash('tls.port', 'amqpsPort', node.tls.port, self.amqpsPort);
  if (node.tls?.managementPort !== undefined && node.tls.managementPort !== self.httpsPort) {
    throw clash('tls.managementPort', 'httpsPort', node.tls.managementPort, self.httpsPort);
  }
  const e = c.etcd ?? {};
  const managed = e.managed ?? true;
  const endpoints = managed ? peers.map((p) => `http://${p.host}:${p.etcdClientPort}`) : (e.endpoints ?? []);
  return {
    name: c.name,
    nodeId: c.nodeId,
    self,
    peers,
    etcd: {
      managed,
      endpoints,
      prefix: e.prefix ?? `/warren/${c.name}`,
      dataDir: e.dataDir ?? join(dataDir, 'etcd'),
      binary: e.binary ?? '/usr/bin/etcd',
    },
    leaseTtlMs: c.leaseTtlMs ?? 5000,
    followerAckTimeoutMs: c.followerAckTimeoutMs ?? 3000,
    secretFile: c.secretFile ?? join(dataDir, 'cluster.secret'),
    confirmLog: c.confirmLog == null ? null : resolve(c.confirmLog),
  };
}
