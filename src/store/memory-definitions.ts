import type {
  BindingKey,
  BindingRecord,
  DefinitionStorage,
  Definitions,
  ExchangeRecord,
  ParameterRecord,
  PermissionRecord,
  PolicyRecord,
  QueueDefinition,
  TopicPermissionRecord,
  QueueRecord,
  UserRecord,
  VhostRecord,
} from './storage.js';

const key = (...parts: readonly (string | boolean)[]): string => JSON.stringify(parts);

/** Definition tables of a MemoryStore; outlives the store object so tests can "reopen". */
export class MemoryDefinitionTables {
  readonly vhosts = new Map<string, VhostRecord>();
  readonly users = new Map<string, UserRecord>();
  readonly permissions = new Map<string, PermissionRecord>();
  readonly topicPermissions = new Map<string, TopicPermissionRecord>();
  readonly exchanges = new Map<string, ExchangeRecord>();
  readonly queues = new Map<string, QueueRecord>();
  readonly bindings = new Map<string, BindingRecord>();
  readonly policies = new Map<string, PolicyRecord>();
  readonly parameters = new Map<string, ParameterRecord>();
  lastQueueId = 0;
}

/** DefinitionStorage in memory, with the same cascades as the SQLite DefinitionsStore. */
export class MemoryDefinitions implements DefinitionStorage {
  constructor(
    private readonly t: MemoryDefinitionTables,
    private readonly onQueueDeleted: (queueId: number) => void,
  ) {}

  putVhost(v: VhostRecord): void {
    this.t.vhosts.set(v.name, { ...v });
  }
  deleteVhost(name: string): void {
    this.t.vhosts.delete(name);
    for (const table of [this.t.permissions, this.t.topicPermissions, this.t.exchanges, this.t.bindings, this.t.policies, this.t.parameters]) {
      for (const [k, r] of table) if (r.vhost === name) table.delete(k);
    }
    for (const [k, q] of this.t.queues) {
      if (q.vhost !== name) continue;
      this.t.queues.delete(k);
      this.onQueueDeleted(q.id);
    }
  }
  putUser(u: UserRecord): void {
    this.t.users.set(u.name, { ...u, tags: [...u.tags] });
  }
  deleteUser(name: string): void {
    this.t.users.delete(name);
    for (const [k, p] of this.t.permissions) if (p.user === name) this.t.permissions.delete(k);
    for (const [k, p] of this.t.topicPermissions) if (p.user === name) this.t.topicPermissions.delete(k);
  }
  putPermission(p: PermissionRecord): void {
    this.t.permissions.set(key(p.user, p.vhost), { ...p });
  }
  deletePermission(user: string, vhost: string): void {
    this.t.permissions.delete(key(user, vhost));
  }
  putTopicPermission(p: TopicPermissionRecord): void {
    this.t.topicPermissions.set(key(p.user, p.vhost, p.exchange), { ...p });
  }
  deleteTopicPermission(user: string, vhost: string, exchange: string): void {
    this.t.topicPermissions.delete(key(user, vhost, exchange));
  }
  putExchange(x: ExchangeRecord): void {
    this.t.exchanges.set(key(x.vhost, x.name), { ...x });
  }
  deleteExchange(vhost: string, name: string): void {
    this.t.exchanges.delete(key(vhost, name));
    for (const [k, b] of this.t.bindings) {
      const touches = b.source === name || (b.destinationKind === 'exchange' && b.destination === name);
      if (b.vhost === vhost && touches) this.t.bindings.delete(k);
    }
  }
  putQueue(q: QueueDefinition): number {
    const k = key(q.vhost, q.name);
    const id = this.t.queues.get(k)?.id ?? ++this.t.lastQueueId;
    this.t.queues.set(k, { ...q, id });
    return id;
  }
  deleteQueue(vhost: string, name: string): void {
    const k = key(vhost, name);
    const q = this.t.queues.get(k);
    if (q === undefined) return;
    this.t.queues.delete(k);
    for (const [bk, b] of this.t.bindings) {
      if (b.vhost === vhost && b.destinationKind === 'queue' && b.destination === name) this.t.bindings.delete(bk);
    }
    this.onQueueDeleted(q.id);
  }
  putBinding(b: BindingRecord): void {
    this.t.bindings.set(bindingKey(b), { ...b });
  }
  deleteBinding(b: BindingKey): void {
    this.t.bindings.delete(bindingKey(b));
  }
  putPolicy(p: PolicyRecord): void {
    this.t.policies.set(key(p.vhost, p.operator, p.name), { ...p });
  }
  deletePolicy(vhost: string, name: string, operator: boolean): void {
    this.t.policies.delete(key(vhost, operator, name));
  }
  putParameter(p: ParameterRecord): void {
    this.t.parameters.set(key(p.component, p.vhost, p.name), { ...p });
  }
  deleteParameter(component: string, vhost: string, name: string): void {
    this.t.parameters.delete(key(component, vhost, name));
  }

  loadDefinitions(): Definitions {
    const copy = <T extends object>(m: Map<string, T>): T[] => [...m.values()].map((r) => ({ ...r }));
    return {
      vhosts: copy(this.t.vhosts),
      users: copy(this.t.users),
      permissions: copy(this.t.permissions),
      topicPermissions: copy(this.t.topicPermissions),
      exchanges: copy(this.t.exchanges),
      queues: copy(this.t.queues).sort((a, b) => a.id - b.id),
      bindings: copy(this.t.bindings),
      policies: copy(this.t.policies),
      parameters: copy(this.t.parameters),
    };
  }
}

function bindingKey(b: BindingKey): string {
  return key(b.vhost, b.source, b.destinationKind, b.destination, b.routingKey, b.argumentsKey);
}
