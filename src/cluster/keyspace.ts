/**
 * The cluster's etcd keyspace (CLUSTER.md 6.2) and every transaction on it:
 *
 *   <prefix>/nodes/<id>     {"amqp","http","repl","version"}   under the node's session lease
 *   <prefix>/leader         "<id>"  created by txn(create_revision(leader)==0) under the session lease;
 *                                   EPOCH := its create_revision
 *   <prefix>/isr            {"epoch","members"}  written ONLY by fencedPut (the leader of that epoch)
 *   <prefix>/progress/<id>  {"epoch","seq"}      the node's last applied record; ranks candidates
 *   <prefix>/secret         the replication secret: created once by the first node that needs it
 *
 * The one writer of `isr` is `fencedPut`: txn(create_revision(leader)==E AND value(leader)==me), so
 * a deposed leader's write fails instead of overwriting its successor's (Jepsen's advice: fence).
 */
import { Etcd3, type IKeyValue, type IOptions, type Watcher } from 'etcd3';

export interface NodeRecord {
  readonly amqp: string;
  readonly http: string;
  readonly repl: string;
  readonly version: string;
}

export interface Progress {
  readonly epoch: number;
  readonly seq: number;
}

export interface LeaderRecord {
  readonly id: string;
  /** the leader key's create_revision */
  readonly epoch: number;
}

export interface IsrRecord {
  readonly epoch: number;
  readonly members: readonly string[];
}

/** One consistent read of the whole keyspace (one range request). */
export interface ClusterSnapshot {
  readonly leader: LeaderRecord | null;
  readonly isr: IsrRecord | null;
  /** registered nodes: their session lease is alive */
  readonly nodes: ReadonlyMap<string, NodeRecord>;
  readonly progress: ReadonlyMap<string, Progress>;
}

/** The circuit breaker etcd3 puts on each host by default would refuse calls for 5 s after three failures (etcd starting, a member down): pass every call through instead. */
const passThrough = {
  onSuccess: () => ({ dispose: () => undefined }),
  onFailure: () => ({ dispose: () => undefined }),
  execute: <T>(fn: (context: { signal: AbortSignal }) => PromiseLike<T> | T): Promise<T> =>
    Promise.resolve().then(() => fn({ signal: new AbortController().signal })),
};

/** An etcd client that fails fast: unary calls time out after `timeoutMs`, no host is ever shunned. */
export function etcdClient(endpoints: readonly string[], timeoutMs: number): Etcd3 {
  const options: IOptions = {
    hosts: [...endpoints],
    dialTimeout: timeoutMs,
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + timeoutMs }),
    faultHandling: { host: () => passThrough as unknown as NonNullable<NonNullable<IOptions['faultHandling']>['global']> },
  };
  return new Etcd3(options);
}

function json<T>(kv: IKeyValue): T | null {
  try {
    return JSON.parse(kv.value.toString('utf8')) as T;
  } catch {
    return null;
  }
}

export class Keyspace {
  readonly leaderKey: string;
  readonly isrKey: string;

  constructor(
    readonly client: Etcd3,
    readonly prefix: string,
  ) {
    this.leaderKey = `${prefix}/leader`;
    this.isrKey = `${prefix}/isr`;
  }

  nodeKey(id: string): string {
    return `${this.prefix}/nodes/${id}`;
  }

  async read(): Promise<ClusterSnapshot> {
    const res = await this.client.getAll().prefix(`${this.prefix}/`).exec();
    let leader: LeaderRecord | null = null;
    let isr: IsrRecord | null = null;
    const nodes = new Map<string, NodeRecord>();
    const progress = new Map<string, Progress>();
    const nodesAt = `${this.prefix}/nodes/`;
    const progressAt = `${this.prefix}/progress/`;
    for (const kv of res.kvs) {
      const key = kv.key.toString('utf8');
      if (key === this.leaderKey) leader = { id: kv.value.toString('utf8'), epoch: Number(kv.create_revision) };
      else if (key === this.isrKey) isr = json<IsrRecord>(kv);
      else if (key.startsWith(nodesAt)) {
        const record = json<NodeRecord>(kv);
        if (record !== null) nodes.set(key.slice(nodesAt.length), record);
      } else if (key.startsWith(progressAt)) {
        const p = json<Progress>(kv);
        if (p !== null) progress.set(key.slice(progressAt.length), p);
      }
    }
    return { leader, isr, nodes, progress };
  }

  /** Register this node under its session lease. */
  async register(id: string, leaseId: string, record: NodeRecord): Promise<void> {
    await this.client.put(this.nodeKey(id)).value(JSON.stringify(record)).lease(leaseId).exec();
  }

  /** Publish this node's last applied record (under its session lease). */
  async putProgress(id: string, leaseId: string, p: Progress): Promise<void> {
    await this.client.put(`${this.prefix}/progress/${id}`).value(JSON.stringify(p)).lease(leaseId).exec();
  }

  /** The cluster's replication secret: `proposed` becomes it unless a node already stored one. */
  async secret(proposed: string): Promise<string> {
    const key = `${this.prefix}/secret`;
    await this.client.if(key, 'Create', '==', 0).then(this.client.put(key).value(proposed)).commit();
    const stored = await this.client.get(key).string();
    if (stored === null) throw new Error('the cluster secret vanished from etcd');
    return stored;
  }

  /** Create the leader key if absent; the new epoch, or null when someone else holds it. */
  async campaign(id: string, leaseId: string): Promise<number | null> {
    const res = await this.client
      .if(this.leaderKey, 'Create', '==', 0)
      .then(this.client.put(this.leaderKey).value(id).lease(leaseId))
      .commit();
    // The txn made one write, so its revision is the key's create_revision: the epoch.
    return res.succeeded ? Number(res.header.revision) : null;
  }

  /** Put `key` only while `me` holds the leader key of `epoch`. False when fenced off. */
  async fencedPut(epoch: number, me: string, key: string, value: string): Promise<boolean> {
    const res = await this.client
      .if(this.leaderKey, 'Create', '==', epoch)
      .and(this.leaderKey, 'Value', '==', me)
      .then(this.client.put(key).value(value))
      .commit();
    return res.succeeded;
  }

  /** The in-sync set, written by the leader of `epoch` only. */
  writeIsr(epoch: number, me: string, members: readonly string[]): Promise<boolean> {
    return this.fencedPut(epoch, me, this.isrKey, JSON.stringify({ epoch, members } satisfies IsrRecord));
  }

  /** Delete the leader key if it is still `me`'s of `epoch` (resign, or a stale key of ours). */
  async resign(epoch: number, me: string): Promise<boolean> {
    const res = await this.client
      .if(this.leaderKey, 'Create', '==', epoch)
      .and(this.leaderKey, 'Value', '==', me)
      .then(this.client.delete().key(this.leaderKey))
      .commit();
    return res.succeeded;
  }

  /**
   * Watch the leader key; `changed` runs on every put and delete, `failed` when etcd cancels the
   * watch (the watcher is dead then; the control loop's periodic read covers the gap).
   */
  watchLeader(changed: () => void, failed: (err: Error) => void): Promise<Watcher> {
    return this.client
      .watch()
      .key(this.leaderKey)
      .create()
      .then((w) => w.on('put', changed).on('delete', changed).on('error', failed));
  }
}
