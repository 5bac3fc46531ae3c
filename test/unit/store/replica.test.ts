/**
 * The store's change log and a replica (CLUSTER.md 6.3): every committed transaction of a store
 * opened with a log becomes one record; a replica that applies the records (in batches of any
 * size) ends with the same definitions, entries and bodies, and holds the last record's position.
 * A gap or a record that does not fit is refused with nothing applied; a snapshot image installs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { NO_POSITION, Replica, Store, StoreErrorCode, type ChangeLog, type LogPosition, type LogRecord, type StoreSnapshot } from '../../../src/store/index.js';
import { ARGS } from './storage-suite.js';

const dirs: string[] = [];
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'warren-replica-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A log that keeps its records, as a leader's ring does. */
class MemoryLog implements ChangeLog {
  records: LogRecord[] = [];
  definitionSeq = 0;
  last: LogPosition = NO_POSITION;
  snapshot: (() => StoreSnapshot) | null = null;
  constructor(readonly epoch: number) {}
  next(): LogPosition {
    return { epoch: this.epoch, seq: this.last.seq + 1 };
  }
  committed(payload: Buffer, definition: boolean): void {
    this.last = this.next();
    this.records.push({ ...this.last, payload: Buffer.from(payload) });
    if (definition) this.definitionSeq = this.last.seq;
  }
  whenDurable(done: (err: Error | null) => void): void {
    done(null);
  }
  failed(err: unknown): void {
    throw new Error(`unexpected commit failure: ${String(err)}`);
  }
  attach(position: LogPosition, snapshot: () => StoreSnapshot): void {
    this.last = position;
    this.snapshot = snapshot;
  }
}

/** Definitions, then messages: fan-out, acks, a requeue mark, a delivery count, purge and delete. */
function workload(store: Store): void {
  const d = store.definitions;
  d.putVhost({ name: 'v', metadata: { description: 'x' }, limits: {} });
  d.putUser({ name: 'u', passwordHash: Buffer.from('hash'), hashingAlgorithm: 'rabbit_password_hashing_sha256', tags: ['a'], limits: {} });
  d.putPermission({ user: 'u', vhost: 'v', configure: '.*', write: '.*', read: '.*' });
  d.putExchange({ vhost: 'v', name: 'x', type: 'fanout', durable: true, autoDelete: false, internal: false, arguments: ARGS });
  const q1 = d.putQueue({ vhost: 'v', name: 'q1', durable: true, autoDelete: false, arguments: ARGS });
  const q2 = d.putQueue({ vhost: 'v', name: 'q2', durable: true, autoDelete: false, arguments: ARGS });
  const q3 = d.putQueue({ vhost: 'v', name: 'q3', durable: true, autoDelete: false, arguments: ARGS });
  d.putBinding({ vhost: 'v', source: 'x', destinationKind: 'queue', destination: 'q1', routingKey: '', argumentsKey: '', arguments: ARGS });
  d.putPolicy({ vhost: 'v', name: 'p', pattern: '^q', applyTo: 'queues', priority: 0, definition: { 'ha-mode': 'all' }, operator: false });
  const m = store.messages;
  for (let i = 1; i <= 50; i++) {
    const id = m.nextMessageId();
    m.insertMessage(id, 'x', `k${i}`, Buffer.from([i]), Buffer.from(`body ${i}`), 2);
    m.enqueue(q1, i, id, i % 7 === 0 ? Date.now() + 60_000 : 0, i % 3);
    m.enqueue(q2, i, id, 0, -1);
    if (i % 10 === 0) m.flushSync();
  }
  for (let i = 1; i <= 20; i++) m.remove(q1, i, i);
  m.setRedelivered(q2, 30);
  m.setDeliveryCount(q2, 31, 4);
  m.flushSync();
  const id = m.nextMessageId();
  m.insertMessage(id, '', 'q3', Buffer.alloc(0), Buffer.from('only'), 1);
  m.enqueue(q3, 1, id, 0, -1);
  m.purge(q2, [40, 41]);
  m.flushSync();
  d.deleteQueue('v', 'q3');
  m.flushSync();
  d.deleteBinding({ vhost: 'v', source: 'x', destinationKind: 'queue', destination: 'q1', routingKey: '', argumentsKey: '' });
  d.deleteUser('u');
}

/** Everything a store holds, in a comparable form. */
function dump(dir: string): unknown {
  const store = Store.open(dir);
  try {
    const defs = store.definitions.loadDefinitions();
    const queues = defs.queues.map((q) => {
      const e = store.messages.loadQueueEntries(q.id, 0, 1000);
      const bodies = store.messages.loadMessages(e.messageId).map((m) => m?.body.toString());
      return { id: q.id, name: q.name, seq: [...e.seq], redelivered: [...e.redelivered], count: [...e.deliveryCount], expires: [...e.expiresAt], bodies };
    });
    return { defs, queues, maxIds: store.messages.maxIds() };
  } finally {
    store.close();
  }
}

function leaderRun(epoch = 5): { dir: string; log: MemoryLog } {
  const dir = tempDir();
  const log = new MemoryLog(epoch);
  const store = Store.open(dir, { log });
  workload(store);
  store.close();
  return { dir, log };
}

describe('change log and replica', () => {
  it('a replica applying the records in batches of any size ends with the same store', () => {
    const { dir, log } = leaderRun();
    expect(log.records.length).toBeGreaterThan(10);
    expect(log.definitionSeq).toBe(log.records.length); // the last write was a definition
    const expected = dump(dir);
    for (const batch of [1, 3, 1000]) {
      const rdir = tempDir();
      const replica = Replica.open(rdir);
      for (let i = 0; i < log.records.length; i += batch) replica.apply(log.records.slice(i, i + batch));
      expect(replica.at).toEqual(log.last);
      replica.close();
      expect(dump(rdir)).toEqual(expected);
    }
  });

  it('records already held are skipped; a gap is refused with nothing applied', () => {
    const { log } = leaderRun();
    const replica = Replica.open(tempDir());
    try {
      replica.apply(log.records.slice(0, 4));
      replica.apply(log.records.slice(2, 6)); // 3 and 4 again, then 5 and 6
      expect(replica.at.seq).toBe(6);
      expect(() => replica.apply(log.records.slice(7, 9))).toThrow(expect.objectContaining({ code: StoreErrorCode.Diverged }));
      expect(replica.at.seq).toBe(6);
    } finally {
      replica.close();
    }
  });

  it('a record that does not fit this copy (a queue id taken by another queue) is refused whole', () => {
    const { log } = leaderRun();
    const rdir = tempDir();
    const other = Store.open(rdir);
    other.definitions.putVhost({ name: 'v', metadata: {}, limits: {} });
    other.definitions.putQueue({ vhost: 'v', name: 'elsewhere', durable: true, autoDelete: false, arguments: ARGS });
    other.close();
    const replica = Replica.open(rdir);
    try {
      const withQueue = log.records.findIndex((r) => r.payload.includes('"putQueue"'));
      replica.apply(log.records.slice(0, withQueue));
      expect(() => replica.apply(log.records.slice(withQueue, withQueue + 1))).toThrow(expect.objectContaining({ code: StoreErrorCode.Diverged }));
      expect(replica.at.seq).toBe(withQueue);
    } finally {
      replica.close();
    }
  });

  it('a snapshot image installs over an old copy, with the position it was taken at; the log goes on from there', () => {
    const dir = tempDir();
    const log = new MemoryLog(9);
    const store = Store.open(dir, { log });
    workload(store);
    const snap = (log.snapshot as () => StoreSnapshot)();
    expect(snap.position).toEqual(log.last);
    const from = log.records.length;
    store.definitions.putVhost({ name: 'after', metadata: {}, limits: {} });
    store.close();
    const rdir = tempDir();
    Replica.open(rdir).close(); // an old copy is there
    Replica.install(rdir, snap.image);
    const replica = Replica.open(rdir);
    expect(replica.at).toEqual(snap.position);
    replica.apply(log.records.slice(from));
    replica.close();
    expect(dump(rdir)).toEqual(dump(dir));
  });

  it('a store opened from a replica after promotion continues the log and hands messages out as redelivered', () => {
    const { log } = leaderRun(3);
    const rdir = tempDir();
    const replica = Replica.open(rdir);
    replica.apply(log.records);
    replica.close();
    const next = new MemoryLog(4);
    const promoted = Store.open(rdir, { log: next });
    try {
      expect(promoted.uncleanShutdown).toBe(true);
      expect(next.last).toEqual(log.last);
      promoted.definitions.putVhost({ name: 'new', metadata: {}, limits: {} });
      expect(next.records[0]).toMatchObject({ epoch: 4, seq: log.last.seq + 1 });
    } finally {
      promoted.close();
    }
  });
});
