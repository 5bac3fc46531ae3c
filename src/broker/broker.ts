import { ResourceAlarms } from './alarms.js';
import { Users } from './auth/users.js';
import { Scheduler } from '../util/scheduler.js';
import type { PropertiesCodec } from './properties-codec.js';
import type { Persistence } from './persistence.js';
import { DEFAULT_MEMORY_BUDGET, Vhost } from './vhost.js';
import type { MemoryBudget } from './queue/queue.js';
import { PolicyRegistry, type Policy } from './policy.js';
import type { DefinitionObserver } from './events.js';

export interface BrokerConfig {
  /** largest message body accepted, bytes */
  maxMessageSize: number;
  /** name reported as cluster_name */
  clusterName: string;
  /** the default user (guest) may log in only from loopback */
  loopbackUsers: readonly string[];
  /** consumer_timeout: ms a delivery may stay unacknowledged before its channel is closed */
  consumerTimeout: number;
  /** per queue: messages and bytes kept in memory before new ones are paged to the store */
  queueMemoryBudget: MemoryBudget;
}

export const DEFAULT_BROKER_CONFIG: BrokerConfig = {
  maxMessageSize: 128 * 1024 * 1024,
  clusterName: 'warren@localhost',
  loopbackUsers: ['guest'],
  consumerTimeout: 30 * 60 * 1000,
  queueMemoryBudget: DEFAULT_MEMORY_BUDGET,
};

/** The broker core: vhosts and users. Knows nothing of the wire protocol. */
export class Broker {
  readonly vhosts = new Map<string, Vhost>();
  readonly users = new Users();
  readonly policies = new PolicyRegistry();
  /** every broker timer (TTL, x-expires, delays); connections poll it after each input chunk */
  readonly scheduler = new Scheduler();
  readonly config: BrokerConfig;
  /** told of definition changes in every vhost, after persistence (management events, replication) */
  private readonly observers: DefinitionObserver[] = [];

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
    this.addVhost('/');
    this.users.add('guest', 'guest', ['administrator']);
  }

  addVhost(name: string): Vhost {
    let v = this.vhosts.get(name);
    if (v === undefined) {
      v = new Vhost(name, this.codec, this.persistence, this.policies, this.config.queueMemoryBudget, this.scheduler);
      v.observers.push(...this.observers);
      this.vhosts.set(name, v);
    }
    return v;
  }

  /** Watch definition changes (declare, delete, bind, unbind) in every vhost, present and future. */
  observe(observer: DefinitionObserver): void {
    this.observers.push(observer);
    for (const v of this.vhosts.values()) v.observers.push(observer);
  }

  /** Set (add or replace) a policy or operator policy; it applies to existing queues at once. */
  setPolicy(policy: Policy): void {
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

  /** Shutdown: stop the timers of every vhost (the store is closed next). */
  stop(): void {
    for (const v of this.vhosts.values()) v.stop();
    this.scheduler.stop();
  }

  vhost(name: string): Vhost | undefined {
    return this.vhosts.get(name);
  }

  /** May this user open this vhost? (All users have full permissions on every vhost for now.) */
  canAccess(_user: string, vhost: string): boolean {
    return this.vhosts.has(vhost);
  }
}
