import type BetterSqlite3 from 'better-sqlite3';
import { positionWriter, type ChangeLog } from './change-log.js';
import { encodeDefinition } from './log-codec.js';
import type {
  BindingKey,
  BindingRecord,
  DefinitionStorage,
  Definitions,
  DestinationKind,
  ExchangeRecord,
  JsonObject,
  ParameterRecord,
  PermissionRecord,
  PolicyRecord,
  QueueDefinition,
  QueueRecord,
  TopicPermissionRecord,
  UserRecord,
  VhostRecord,
} from './storage.js';

type Row = Record<string, unknown>;
type Stmt = BetterSqlite3.Statement;

const b = (v: boolean): number => (v ? 1 : 0);

/** Every statement, prepared once. */
function prepareAll(db: BetterSqlite3.Database) {
  const p = (sql: string): Stmt => db.prepare(sql);
  return {
    putVhost: p('INSERT OR REPLACE INTO vhosts (name, metadata, limits) VALUES (?, ?, ?)'),
    putUser: p('INSERT OR REPLACE INTO users (name, password_hash, hashing_algorithm, tags, limits) VALUES (?, ?, ?, ?, ?)'),
    deleteUser: p('DELETE FROM users WHERE name = ?'),
    deleteUserPermissions: p('DELETE FROM permissions WHERE user = ?'),
    deleteUserTopicPermissions: p('DELETE FROM topic_permissions WHERE user = ?'),
    putTopicPermission: p('INSERT OR REPLACE INTO topic_permissions (user, vhost, exchange, write, read) VALUES (?, ?, ?, ?, ?)'),
    deleteTopicPermission: p('DELETE FROM topic_permissions WHERE user = ? AND vhost = ? AND exchange = ?'),
    putPermission: p('INSERT OR REPLACE INTO permissions (user, vhost, configure, write, read) VALUES (?, ?, ?, ?, ?)'),
    deletePermission: p('DELETE FROM permissions WHERE user = ? AND vhost = ?'),
    putExchange: p(
      `INSERT OR REPLACE INTO exchanges (vhost, name, type, durable, auto_delete, internal, arguments)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ),
    deleteExchange: p('DELETE FROM exchanges WHERE vhost = ? AND name = ?'),
    deleteExchangeBindings: p(
      `DELETE FROM bindings
       WHERE vhost = @vhost AND (source = @name OR (destination_kind = 'exchange' AND destination = @name))`,
    ),
    putQueue: p(
      `INSERT INTO queues (vhost, name, durable, auto_delete, arguments) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (vhost, name) DO UPDATE
       SET durable = excluded.durable, auto_delete = excluded.auto_delete, arguments = excluded.arguments
       RETURNING id`,
    ).pluck(),
    putQueueWithId: p(
      `INSERT INTO queues (id, vhost, name, durable, auto_delete, arguments) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (vhost, name) DO UPDATE
       SET durable = excluded.durable, auto_delete = excluded.auto_delete, arguments = excluded.arguments
       RETURNING id`,
    ).pluck(),
    deleteQueue: p('DELETE FROM queues WHERE vhost = ? AND name = ? RETURNING id').pluck(),
    deleteQueueBindings: p(`DELETE FROM bindings WHERE vhost = ? AND destination_kind = 'queue' AND destination = ?`),
    deleteVhostQueues: p('DELETE FROM queues WHERE vhost = ? RETURNING id').pluck(),
    deleteInVhost: ['permissions', 'topic_permissions', 'exchanges', 'bindings', 'policies', 'parameters']
      .map((t) => p(`DELETE FROM ${t} WHERE vhost = ?`))
      .concat(p('DELETE FROM vhosts WHERE name = ?')),
    putBinding: p(
      `INSERT OR REPLACE INTO bindings
       (vhost, source, destination_kind, destination, routing_key, arguments_key, arguments)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ),
    deleteBinding: p(
      `DELETE FROM bindings WHERE vhost = ? AND source = ? AND destination_kind = ? AND destination = ?
       AND routing_key = ? AND arguments_key = ?`,
    ),
    putPolicy: p(
      `INSERT OR REPLACE INTO policies (vhost, operator, name, pattern, apply_to, priority, definition)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ),
    deletePolicy: p('DELETE FROM policies WHERE vhost = ? AND name = ? AND operator = ?'),
    putParameter: p('INSERT OR REPLACE INTO parameters (component, vhost, name, value) VALUES (?, ?, ?, ?)'),
    deleteParameter: p('DELETE FROM parameters WHERE component = ? AND vhost = ? AND name = ?'),
    vhosts: p('SELECT name, metadata, limits FROM vhosts ORDER BY name'),
    users: p('SELECT name, password_hash, hashing_algorithm, tags, limits FROM users ORDER BY name'),
    permissions: p('SELECT user, vhost, configure, write, read FROM permissions ORDER BY user, vhost'),
    topicPermissions: p('SELECT user, vhost, exchange, write, read FROM topic_permissions ORDER BY user, vhost, exchange'),
    exchanges: p('SELECT * FROM exchanges ORDER BY vhost, name'),
    queues: p('SELECT * FROM queues ORDER BY id'),
    bindings: p('SELECT * FROM bindings ORDER BY vhost, source, destination_kind, destination, routing_key'),
    policies: p('SELECT * FROM policies ORDER BY vhost, operator, name'),
    parameters: p('SELECT * FROM parameters ORDER BY component, vhost, name'),
  };
}

/**
 * Definitions in SQLite. Each call is one autocommit statement or one small transaction,
 * fsynced before it returns (synchronous=FULL). With a ChangeLog, each call is one transaction
 * that also records the log position, and becomes one record of the log once committed.
 */
export class DefinitionsStore implements DefinitionStorage {
  private readonly s: ReturnType<typeof prepareAll>;
  private readonly deleteVhostTx: (name: string) => void;
  private readonly deleteQueueTx: (vhost: string, name: string) => void;
  private readonly deleteExchangeTx: (vhost: string, name: string) => void;
  private readonly deleteUserTx: (name: string) => void;

  private readonly inTx: (run: () => void) => void;
  private readonly writePosition: ReturnType<typeof positionWriter>;

  constructor(
    db: BetterSqlite3.Database,
    /** called with the id of each deleted queue, so its entries go too (MessageStorage.deleteQueue) */
    private readonly onQueueDeleted: (queueId: number) => void,
    private readonly log?: ChangeLog,
  ) {
    const s = (this.s = prepareAll(db));
    this.inTx = db.transaction((run: () => void) => run());
    this.writePosition = positionWriter(db);
    this.deleteVhostTx = db.transaction((name: string) => {
      for (const stmt of s.deleteInVhost) stmt.run(name);
      for (const id of s.deleteVhostQueues.all(name) as number[]) this.onQueueDeleted(id);
    });
    this.deleteQueueTx = db.transaction((vhost: string, name: string) => {
      const id = s.deleteQueue.get(vhost, name) as number | undefined;
      if (id === undefined) return;
      s.deleteQueueBindings.run(vhost, name);
      this.onQueueDeleted(id);
    });
    this.deleteExchangeTx = db.transaction((vhost: string, name: string) => {
      s.deleteExchange.run(vhost, name);
      s.deleteExchangeBindings.run({ vhost, name });
    });
    this.deleteUserTx = db.transaction((name: string) => {
      s.deleteUser.run(name);
      s.deleteUserPermissions.run(name);
      s.deleteUserTopicPermissions.run(name);
    });
  }

  putVhost(v: VhostRecord): void {
    this.logged('putVhost', [v], () => {
      this.s.putVhost.run(v.name, JSON.stringify(v.metadata), JSON.stringify(v.limits));
    });
  }
  deleteVhost(name: string): void {
    this.logged('deleteVhost', [name], () => {
      this.deleteVhostTx(name);
    });
  }
  putUser(u: UserRecord): void {
    this.logged('putUser', [u], () => {
      this.s.putUser.run(u.name, u.passwordHash, u.hashingAlgorithm, JSON.stringify(u.tags), JSON.stringify(u.limits));
    });
  }
  deleteUser(name: string): void {
    this.logged('deleteUser', [name], () => {
      this.deleteUserTx(name);
    });
  }
  putPermission(p: PermissionRecord): void {
    this.logged('putPermission', [p], () => {
      this.s.putPermission.run(p.user, p.vhost, p.configure, p.write, p.read);
    });
  }
  deletePermission(user: string, vhost: string): void {
    this.logged('deletePermission', [user, vhost], () => {
      this.s.deletePermission.run(user, vhost);
    });
  }
  putTopicPermission(p: TopicPermissionRecord): void {
    this.logged('putTopicPermission', [p], () => {
      this.s.putTopicPermission.run(p.user, p.vhost, p.exchange, p.write, p.read);
    });
  }
  deleteTopicPermission(user: string, vhost: string, exchange: string): void {
    this.logged('deleteTopicPermission', [user, vhost, exchange], () => {
      this.s.deleteTopicPermission.run(user, vhost, exchange);
    });
  }
  putExchange(x: ExchangeRecord): void {
    this.logged('putExchange', [x], () => {
      this.s.putExchange.run(x.vhost, x.name, x.type, b(x.durable), b(x.autoDelete), b(x.internal), x.arguments);
    });
  }
  deleteExchange(vhost: string, name: string): void {
    this.logged('deleteExchange', [vhost, name], () => {
      this.deleteExchangeTx(vhost, name);
    });
  }
  putQueue(q: QueueDefinition): number {
    // The record carries the id, so a replica's row gets the same one (putQueueWithId).
    return this.logged('putQueue', [q], () => this.s.putQueue.get(q.vhost, q.name, b(q.durable), b(q.autoDelete), q.arguments) as number, true);
  }
  /** A replica's putQueue: the id the leader gave it (returns the id the row has). */
  putQueueWithId(q: QueueDefinition, id: number): number {
    return this.s.putQueueWithId.get(id, q.vhost, q.name, b(q.durable), b(q.autoDelete), q.arguments) as number;
  }

  deleteQueue(vhost: string, name: string): void {
    this.logged('deleteQueue', [vhost, name], () => {
      this.deleteQueueTx(vhost, name);
    });
  }
  putBinding(k: BindingRecord): void {
    this.logged('putBinding', [k], () => {
      this.s.putBinding.run(k.vhost, k.source, k.destinationKind, k.destination, k.routingKey, k.argumentsKey, k.arguments);
    });
  }
  deleteBinding(k: BindingKey): void {
    this.logged('deleteBinding', [k], () => {
      this.s.deleteBinding.run(k.vhost, k.source, k.destinationKind, k.destination, k.routingKey, k.argumentsKey);
    });
  }
  putPolicy(p: PolicyRecord): void {
    this.logged('putPolicy', [p], () => {
      const def = JSON.stringify(p.definition);
      this.s.putPolicy.run(p.vhost, b(p.operator), p.name, p.pattern, p.applyTo, p.priority, def);
    });
  }
  deletePolicy(vhost: string, name: string, operator: boolean): void {
    this.logged('deletePolicy', [vhost, name, operator], () => {
      this.s.deletePolicy.run(vhost, name, b(operator));
    });
  }
  putParameter(p: ParameterRecord): void {
    this.logged('putParameter', [p], () => {
      this.s.putParameter.run(p.component, p.vhost, p.name, JSON.stringify(p.value ?? null));
    });
  }
  deleteParameter(component: string, vhost: string, name: string): void {
    this.logged('deleteParameter', [component, vhost, name], () => {
      this.s.deleteParameter.run(component, vhost, name);
    });
  }

  /**
   * Run a write; with a log, in one transaction with the position, then recorded (with the
   * write's result as the record's id when `withId`).
   */
  private logged<T>(op: string, args: unknown[], run: () => T, withId = false): T {
    const log = this.log;
    if (log === undefined) return run();
    let result!: T;
    this.inTx(() => {
      result = run();
      this.writePosition(log.next());
    });
    log.committed(encodeDefinition(withId ? { op, args, id: result as number } : { op, args }), true);
    return result;
  }

  loadDefinitions(): Definitions {
    const all = (name: keyof Definitions): Row[] => this.s[name].all() as Row[];
    return {
      vhosts: all('vhosts').map((r) => ({
        name: str(r['name']),
        metadata: JSON.parse(str(r['metadata'])) as JsonObject,
        limits: JSON.parse(str(r['limits'])) as JsonObject,
      })),
      users: all('users').map((r) => ({
        name: str(r['name']),
        passwordHash: r['password_hash'] as Buffer,
        hashingAlgorithm: str(r['hashing_algorithm']),
        tags: JSON.parse(str(r['tags'])) as string[],
        limits: JSON.parse(str(r['limits'])) as JsonObject,
      })),
      permissions: all('permissions') as unknown as PermissionRecord[],
      topicPermissions: all('topicPermissions') as unknown as TopicPermissionRecord[],
      exchanges: all('exchanges').map(
        (r): ExchangeRecord => ({
          vhost: str(r['vhost']),
          name: str(r['name']),
          type: str(r['type']),
          durable: r['durable'] === 1,
          autoDelete: r['auto_delete'] === 1,
          internal: r['internal'] === 1,
          arguments: r['arguments'] as Buffer,
        }),
      ),
      queues: all('queues').map(
        (r): QueueRecord => ({
          id: r['id'] as number,
          vhost: str(r['vhost']),
          name: str(r['name']),
          durable: r['durable'] === 1,
          autoDelete: r['auto_delete'] === 1,
          arguments: r['arguments'] as Buffer,
        }),
      ),
      bindings: all('bindings').map(
        (r): BindingRecord => ({
          vhost: str(r['vhost']),
          source: str(r['source']),
          destinationKind: r['destination_kind'] as DestinationKind,
          destination: str(r['destination']),
          routingKey: str(r['routing_key']),
          argumentsKey: str(r['arguments_key']),
          arguments: r['arguments'] as Buffer,
        }),
      ),
      policies: all('policies').map(
        (r): PolicyRecord => ({
          vhost: str(r['vhost']),
          name: str(r['name']),
          pattern: str(r['pattern']),
          applyTo: str(r['apply_to']),
          priority: r['priority'] as number,
          definition: JSON.parse(str(r['definition'])) as JsonObject,
          operator: r['operator'] === 1,
        }),
      ),
      parameters: all('parameters').map(
        (r): ParameterRecord => ({
          component: str(r['component']),
          vhost: str(r['vhost']),
          name: str(r['name']),
          value: JSON.parse(str(r['value'])) as unknown,
        }),
      ),
    };
  }
}

function str(v: unknown): string {
  return v as string;
}
