import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { StoreErrorCode } from '../../../src/store/errors.js';
import { StoreReader } from '../../../src/store/reader.js';
import { Store, type StoreOptions } from '../../../src/store/store.js';
import { setLogLevel } from '../../../src/util/logger.js';
import { committed, publish } from './storage-suite.js';

describe('group commit (SQLite)', () => {
  let dir: string;
  let store: Store;
  let q: number;
  const open = (options: StoreOptions = {}): void => {
    dir = mkdtempSync(join(tmpdir(), 'warren-commit-'));
    store = Store.open(dir, options);
    q = store.definitions.putQueue({ vhost: '/', name: 'q', durable: true, autoDelete: false, arguments: Buffer.alloc(0) });
  };
  const durableMessages = (): number => {
    const reader = StoreReader.open(dir);
    try {
      return reader.counts().messages;
    } finally {
      reader.close();
    }
  };
  beforeAll(() => setLogLevel('silent'));
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a busy batch waits a few ms, and a message acked meanwhile is never written', async () => {
    open({ busyOps: 10, busyDelayMs: 30 });
    const m = store.messages;
    const commits = m.commits;
    const ids: number[] = [];
    for (let i = 0; i < 20; i++) ids.push(publish(m, [q]));
    const confirmed = committed(m);
    // Next turn: the busy batch has not committed yet, and an ack cancels its message in the batch.
    await new Promise((resolve) => setImmediate(resolve));
    expect(m.commits).toBe(commits);
    m.remove(q, ids[0] as number, ids[0] as number);
    await confirmed;
    expect(m.commits).toBe(commits + 1);
    expect(durableMessages()).toBe(19);
  });

  it('a quiet batch commits at the end of its turn (a lone publish is not delayed)', async () => {
    open({ busyOps: 10, busyDelayMs: 10_000 });
    const m = store.messages;
    publish(m, [q]);
    const started = Date.now();
    await committed(m);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(durableMessages()).toBe(1);
  });

  it('commits everything appended in one turn as one transaction', async () => {
    open();
    const m = store.messages;
    const commits = m.commits;
    const calls: number[] = [];
    for (let i = 0; i < 300; i++) {
      publish(m, [q]);
      if (i % 100 === 99) m.commitSoon(() => calls.push(i));
    }
    expect(durableMessages()).toBe(0);
    await committed(m);
    expect(m.commits).toBe(commits + 1);
    expect(calls).toEqual([99, 199, 299]);
    expect(durableMessages()).toBe(300);
    publish(m, [q]);
    await committed(m);
    expect(m.commits).toBe(commits + 2);
  });

  it('commits at once past maxOps, but still runs callbacks only at the end of the turn', async () => {
    open({ maxOps: 10 });
    const m = store.messages;
    const calls: string[] = [];
    for (let i = 0; i < 3; i++) publish(m, [q]); // 6 ops
    m.commitSoon(() => calls.push('a'));
    for (let i = 0; i < 3; i++) publish(m, [q]); // crosses 10: commits synchronously
    expect(durableMessages()).toBe(5);
    expect(calls).toEqual([]);
    m.commitSoon(() => calls.push('b'));
    await committed(m);
    expect(calls).toEqual(['a', 'b']);
    expect(durableMessages()).toBe(6);
  });

  it('commits at once past maxBytes', () => {
    open({ maxBytes: 1000 });
    publish(store.messages, [q], 'x'.repeat(600));
    expect(durableMessages()).toBe(0);
    publish(store.messages, [q], 'x'.repeat(600));
    expect(durableMessages()).toBe(2);
  });

  it('rolls a failing batch back whole and hands the error to its callbacks', async () => {
    open();
    const m = store.messages;
    const good = publish(m, [q]);
    m.enqueue(q, 999_999, 424_242, 0, -1); // no such message: the commit fails
    const errors: (Error | null)[] = [];
    m.commitSoon((err) => errors.push(err));
    m.commitSoon((err) => errors.push(err));
    await new Promise<void>((resolve) => m.commitSoon(() => resolve()));
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatchObject({ code: StoreErrorCode.CommitFailed });
    expect(errors[1]).toBe(errors[0]);
    expect(m.loadMessage(good)).toBeUndefined(); // nothing of the batch was applied
    expect(durableMessages()).toBe(0);
    const next = publish(m, [q]); // the store carries on
    await committed(m);
    expect(m.loadMessage(next)).toBeDefined();
  });

  it('cancels an entry published and removed within one batch without touching SQLite', async () => {
    open();
    const m = store.messages;
    const commits = m.commits;
    const a = publish(m, [q]);
    m.setRedelivered(q, a);
    m.remove(q, a, a);
    let ran = false;
    m.commitSoon((err) => (ran = err === null));
    await committed(m);
    expect(ran).toBe(true);
    expect(m.commits).toBe(commits); // nothing to commit
    expect(m.loadMessage(a)).toBeUndefined();
    expect(m.nextMessageId()).toBe(a + 1);
  });

  it('flushSync commits and runs callbacks before returning; close() flushes', () => {
    open();
    const m = store.messages;
    publish(m, [q]);
    let ran = false;
    m.commitSoon(() => (ran = true));
    m.flushSync();
    expect(ran).toBe(true);
    expect(durableMessages()).toBe(1);
    publish(m, [q]);
    store.close();
    expect(durableMessages()).toBe(2);
    store = Store.open(dir);
  });
});
