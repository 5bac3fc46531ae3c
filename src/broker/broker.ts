import { notFound, preconditionFailed } from '../amqp/errors.js';
import { ResourceAlarms } from './alarms.js';
import { parseLimits, VHOST_LIMIT_KEYS, USER_LIMIT_KEYS, type UserLimits, type VhostLimits } from './auth/limits.js';
import { Permissions } from './auth/permissions.js';
import { Sessions } from './auth/sessions.js';
import { Users } from './auth/users.js';
import { Scheduler } from '../util/scheduler.js';
import type { PropertiesCodec } from './properties-codec.js';
import type { Persistence } from './persistence.js';
import { DEFAULT_MEMORY_BUDGET, Vhost, type VhostMetadata } from './vhost.js';
import type { MemoryBudget } from './queue/queue.js';
import { PolicyRegistry, type Policy } from './policy.js';
import type { BrokerObserver, DefinitionObserver } from './events.js';
import { GlobalParameters } from './global-parameters.js';
import { AuthAttempts } from './stats/auth-attempts.js';
import { Churn } from './stats/churn.js';
import { MessageStats } from './stats/message-stats.js';
import { logger } from '../util/logger.js';

const log = logger('broker');

export interface BrokerConfig {
  /** largest message body accepted, bytes */
  maxMessageSize: number;
  /** name reported as cluster_name */
  clusterName: string;
  /** users that may log in only from loopback (RabbitMQ's loopback_users) */
  loopbackUsers: readonly string[];
  /** consumer_timeout: ms a delivery may stay unacknowledged before its channel is closed */
  consumerTimeout: number;
  /** per queue: messages and bytes kept in memory before new ones are paged to the store */
  queueMemoryBudget: MemoryBudget;
  /** created on first start, with full permissions on defaultVhost (RabbitMQ's default_user / default_pass) */
  defaultUser: string;
  defaultPass: string;
  defaultVhost: string;
  /** server-wide connection limit (RabbitMQ's connection_max); 0: none */
  maxConnections: number;
  /** consumers one channel may have (RabbitMQ's consumer_max_per_channel); 0: none */
  maxConsumersPerChannel: number;
}

export const DEFAULT_BROKER_CONFIG: BrokerConfig = {
  maxMessageSize: 128 * 1024 * 1024,
  clusterName: 'warren@localhost',
  loopbackUsers: ['guest'],
  consumerTimeout: 30 * 60 * 1000,
  queueMemoryBudget: DEFAULT_MEMORY_BUDGET,
  defaultUser: 'guest',
  defaultPass: 'guest',
  defaultVhost: '/',
  maxConnections: 0,
  maxConsumersPerChannel: 0,
};

/** Queue types a vhost may default to (RabbitMQ also knows 'stream'; Warren has no streams). */
const DEFAULT_QUEUE_TYPES: readonly string[] = ['classic', 'quorum'];

/** RabbitMQ's default_permissions for the default user. */
const FULL = { configure: '.*', write: '.*', read: '.*' };

/** The description RabbitMQ gives the vhost it creates on first start. */
export const DEFAULT_VHOST_DESCRIPTION = 'Default virtual host';

/**
 * The broker core: vhosts, users, permissions and the open sessions. Knows nothing of the wire
 * protocol. Every administrative change (vhost, user, permission, limit, policy) is one method
 * here, used alike by AMQP, the HTTP API and replication; each is written to the store before it
 * returns and told to the observers.
 */
export class Broker {
  readonly vhosts = new Map<string, Vhost>();
  readonly users = new Users();
  readonly permissions = new Permissions();
  readonly sessions: Sessions;
  readonly policies = new PolicyRegistry();
  /** global runtime parameters (cluster_name) */
  readonly globalParameters = new GlobalParameters();
  /** every broker timer (TTL, x-expires, delays); connections poll it after each input chunk */
  readonly scheduler = new Scheduler();
  readonly config: BrokerConfig;
  /** told of definition changes in every vhost, after persistence (management events, replication) */
  private readonly observers: DefinitionObserver[] = [];
  /** told of vhosts and users going away (the server closes their connections) */
  private readonly brokerObservers: BrokerObserver[] = [];
  /** message counts and rates for the management API; sampling starts with the API (stats.start) */
  readonly stats: MessageStats;
  /** connections, channels and queues opened and closed since start (Prometheus churn metrics) */
  readonly churn = new Churn();
  /** logins by protocol, succeeded and failed (Prometheus auth_attempt_metrics) */
  readonly authAttempts = new AuthAttempts();
  /**
   * A cluster leader's self-fencing (CLUSTER.md 6.2): no publisher confirm leaves this broker after
   * this time (Date.now()). The cluster moves it forward on every etcd keepalive (the last
   * success's send time plus TTL − 2 × interval) and sets it to -Infinity when the term ends, so
   * a leader paused past its lease confirms nothing when it resumes, whatever runs first.
   * Infinity (never) on a single node; read by the confirm path on every flush.
   */
  confirmsUntil = Infinity;
  /**
   * Told the count of every basic.ack sent to a publisher (the cluster's confirm log, set by a
   * leader when `cluster.confirmLog` is configured); null, the default, costs one check per ack.
   */
  onConfirmed: ((n: number) => void) | null = null;

  constructor(
    /** decode/encode of raw message properties (dead-lettering rewrites headers) */
    readonly codec: PropertiesCodec,
    config: Partial<BrokerConfig> = {},
    /** where durable things are kept (null: in memory only) */
    readonly persistence: Persistence | null = null,
    /** memory and disk alarms (started by main.ts); the server blocks publishers while raised */
    readonly alarms: ResourceAlarms = new ResourceAlarms(),
  ) {
    this.config = { ...DEFAULT_BROKER_CONFIG, ...config };
    const max = this.config.maxConnections;
    this.sessions = new Sessions(this.vhosts, this.permissions, () => (max > 0 ? max : undefined), this.churn);
    // The first start's definitions, in memory; recovery keeps them only when the store is empty.
    const c = this.config;
    this.addVhost(c.defaultVhost).metadata = { description: DEFAULT_VHOST_DESCRIPTION };
    this.users.add(c.defaultUser, c.defaultPass, ['administrator']);
    this.permissions.set(c.defaultUser, c.defaultVhost, FULL);
    this.stats = new MessageStats(this);
  }

  /** From here on, changes to users and permissions are written to the store (after recovery). */
  attachStore(): void {
    const definitions = this.persistence?.definitions ?? null;
    this.users.storage = definitions;
    this.permissions.storage = definitions;
    this.globalParameters.storage = definitions;
  }

  /** A vhost in memory (recovery, first start); nothing is written. */
  addVhost(name: string): Vhost {
    let v = this.vhosts.get(name);
    if (v === undefined) {
      v = new Vhost(name, this.codec, this.persistence, this.policies, this.config.queueMemoryBudget, this.scheduler);
      v.observers.push(...this.observers);
      v.churn = this.churn;
      this.vhosts.set(name, v);
    }
    return v;
  }

  /**
   * Create a vhost, or update the metadata of an existing one (RabbitMQ's put_vhost). A vhost
   * created on behalf of an existing user (`createdBy`: the HTTP API's user) gives that user full
   * permissions on it, as RabbitMQ does; recovery and internal callers pass none.
   */
  putVhost(name: string, metadata: VhostMetadata = {}, createdBy?: string): Vhost {
    if (name === '') throw preconditionFailed('vhost name must not be empty');
    const type = metadata.defaultQueueType;
    if (type !== undefined && !DEFAULT_QUEUE_TYPES.includes(type)) throw preconditionFailed('invalid_queue_type');
    const created = !this.vhosts.has(name);
    const v = this.addVhost(name);
    v.metadata = { ...v.metadata, ...metadata };
    this.saveVhost(v);
    if (created && createdBy !== undefined && this.users.get(createdBy) !== undefined) this.permissions.set(createdBy, name, FULL);
    return v;
  }

  setVhostLimits(name: string, limits: VhostLimits): void {
    const v = this.requireVhost(name);
    v.limits = parseLimits(limits, VHOST_LIMIT_KEYS);
    this.saveVhost(v);
  }

  /**
   * Turn a vhost's firehose on or off (RabbitMQ's trace_on / trace_off, the vhost's `tracing`).
   * As in RabbitMQ it is runtime state only: a restart starts with tracing off.
   */
  setVhostTracing(name: string, on: boolean): void {
    this.requireVhost(name).tracing.setFirehose(on);
  }

  /**
   * Delete a vhost: its connections are closed (320 "vhost 'v' is deleted"), then its queues with
   * their messages, exchanges, bindings, policies and permissions go, from memory and the store.
   */
  deleteVhost(name: string): boolean {
    const v = this.vhosts.get(name);
    if (v === undefined) return false;
    for (const o of this.brokerObservers) o.vhostDeleted?.(name);
    for (const q of [...v.queues.values()]) v.removeQueue(q);
    for (const x of [...v.exchanges.values()]) if (x.name !== '' && !x.name.startsWith('amq.')) v.removeExchange(x);
    v.stop();
    this.vhosts.delete(name);
    for (const p of this.policies.list(name)) this.policies.delete(name, p.name, p.operator);
    this.permissions.forget({ vhost: name });
    this.persistence?.definitions.deleteVhost(name);
    return true;
  }

  /** Delete a user: its connections are closed (320 "user 'u' is deleted"), its permissions go. */
  deleteUser(name: string): boolean {
    if (!this.users.delete(name)) return false;
    this.permissions.forget({ user: name });
    for (const o of this.brokerObservers) o.userDeleted?.(name);
    return true;
  }

  setUserLimits(name: string, limits: UserLimits): void {
    if (!this.users.setLimits(name, parseLimits(limits, USER_LIMIT_KEYS, 'user-limits'))) throw notFound(`no user '${name}'`);
  }

  /** Watch definition changes (declare, delete, bind, unbind) in every vhost, present and future. */
  observe(observer: DefinitionObserver): void {
    this.observers.push(observer);
    for (const v of this.vhosts.values()) v.observers.push(observer);
  }

  /** Watch vhosts and users being deleted. */
  observeBroker(observer: BrokerObserver): void {
    this.brokerObservers.push(observer);
  }

  /** Set (add or replace) a policy or operator policy; it applies to existing queues at once. */
  setPolicy(policy: Policy): void {
    warnPromoteAlways(policy);
    this.policies.set(policy);
    this.persistence?.definitions.putPolicy(policy);
    this.vhosts.get(policy.vhost)?.reapplyPolicies();
  }

  deletePolicy(vhost: string, name: string, operator: boolean): boolean {
    const existed = this.policies.delete(vhost, name, operator);
    if (existed) {
      this.persistence?.definitions.deletePolicy(vhost, name, operator);
      this.vhosts.get(vhost)?.reapplyPolicies();
    }
    return existed;
  }

  /** A cluster leader lost its term: hold every confirm from now on and close the client connections. */
  fence(reason: string): void {
    this.confirmsUntil = -Infinity;
    for (const o of this.brokerObservers) o.fenced?.(reason);
  }

  /**
   * A planned leadership change (CLUSTER.md 6.5; a transfer, or the leader shutting down): the
   * server cancels the x-cancel-on-ha-failover consumers of clients with consumer_cancel_notify,
   * then the broker is fenced (every connection is closed with 320). A crash sends nothing.
   */
  handOver(reason: string): void {
    for (const o of this.brokerObservers) o.handingOver?.(reason);
    this.fence(reason);
  }

  /** Shutdown: stop the timers of every vhost (the store is closed next). */
  stop(): void {
    this.stats.stop();
    for (const v of this.vhosts.values()) v.stop();
    this.scheduler.stop();
  }

  /** The cluster name: the cluster_name global parameter, else the configured one. */
  get clusterName(): string {
    const name = this.globalParameters.get('cluster_name');
    return typeof name === 'string' ? name : this.config.clusterName;
  }

  vhost(name: string): Vhost | undefined {
    return this.vhosts.get(name);
  }

  private requireVhost(name: string): Vhost {
    const v = this.vhosts.get(name);
    if (v === undefined) throw notFound(`no vhost '${name}'`);
    return v;
  }

  private saveVhost(v: Vhost): void {
    this.persistence?.definitions.putVhost({ name: v.name, metadata: v.metadata, limits: v.limits });
  }
}

/** CLUSTER.md 6.6: `always` is accepted, but only in-sync nodes are ever promoted (`when-synced`). */
function warnPromoteAlways(p: Policy): void {
  const keys = ['ha-promote-on-failure', 'ha-promote-on-shutdown'].filter((k) => p.definition[k] === 'always');
  if (keys.length === 0) return;
  const set = keys.map((k) => `${k}=always`).join(' and ');
  log.warn(`policy '${p.name}' in vhost '${p.vhost}' sets ${set}: Warren always behaves as when-synced (only an in-sync node is promoted)`);
}
