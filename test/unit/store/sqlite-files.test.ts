import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { StoreErrorCode } from '../../../src/store/errors.js';
import { APPLICATION_ID, checkSchema, SCHEMA_VERSION } from '../../../src/store/schema.js';
import { Store } from '../../../src/store/store.js';
import { setLogLevel } from '../../../src/util/logger.js';
import { committed, publish } from './storage-suite.js';

const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

/** A pid that certainly belonged to a process and is certainly gone. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '']);
  return r.pid as number;
}

describe('SQLite data directory: lock, schema and integrity checks', () => {
  let dir: string;
  let db: string;
  let lock: string;
  beforeAll(() => setLogLevel('error'));
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'warren-files-'));
    db = join(dir, 'warren.db');
    lock = join(dir, 'warren.lock');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('holds a lock file with its pid and refuses a second open of the same directory', () => {
    const store = Store.open(dir);
    expect(readFileSync(lock, 'utf8')).toBe(`${process.pid}\n`);
    expect(() => Store.open(dir)).toThrow(`data directory ${dir} is in use by another Warren process (pid ${process.pid})`);
    store.close();
    expect(existsSync(lock)).toBe(false);
    Store.open(dir).close();
  });

  it('refuses a directory locked by another live process', () => {
    const livePid = process.ppid; // our parent (the test runner): alive, and not us
    writeFileSync(lock, `${livePid}\n`);
    expect(() => Store.open(dir)).toThrow(
      expect.objectContaining({ code: StoreErrorCode.Locked, message: expect.stringContaining(`(pid ${livePid})`) }),
    );
    expect(readFileSync(lock, 'utf8')).toBe(`${livePid}\n`);
  });

  it('takes over a stale lock: a dead pid, an empty file, or our own pid from an earlier life', () => {
    for (const content of [`${deadPid()}\n`, '', `${process.pid}\n`]) {
      writeFileSync(lock, content);
      const store = Store.open(dir);
      expect(readFileSync(lock, 'utf8')).toBe(`${process.pid}\n`);
      store.close();
    }
  });

  it('refuses a database with a newer schema and leaves it byte for byte', async () => {
    const store = Store.open(dir);
    const q = store.definitions.putQueue({ vhost: '/', name: 'q', durable: true, autoDelete: false, arguments: Buffer.alloc(0) });
    publish(store.messages, [q]);
    await committed(store.messages);
    store.close();
    // user_version lives at offset 60 of the header (big-endian)
    const bytes = readFileSync(db);
    bytes.writeUInt32BE(SCHEMA_VERSION + 1, 60);
    writeFileSync(db, bytes);
    const before = sha256(db);
    expect(() => Store.open(dir)).toThrow(
      expect.objectContaining({
        code: StoreErrorCode.NewerSchema,
        message: expect.stringContaining(`has schema version ${SCHEMA_VERSION + 1}, newer than this Warren supports (${SCHEMA_VERSION})`),
      }),
    );
    expect(sha256(db)).toBe(before);
    expect(existsSync(`${db}-wal`)).toBe(false);
    expect(existsSync(lock)).toBe(false); // a refused open releases its lock
  });

  it('refuses a file that is not a database and leaves it untouched', () => {
    writeFileSync(db, Buffer.from('this is not a database at all, just some text '.repeat(200)));
    const before = sha256(db);
    expect(() => Store.open(dir)).toThrow(
      expect.objectContaining({ code: StoreErrorCode.Corrupt, message: expect.stringContaining('is not a valid Warren database or is corrupt') }),
    );
    expect(sha256(db)).toBe(before);
    expect(existsSync(lock)).toBe(false);
  });

  it('refuses a Warren database with damaged pages and leaves it untouched', async () => {
    const store = Store.open(dir);
    const q = store.definitions.putQueue({ vhost: '/', name: 'q', durable: true, autoDelete: false, arguments: Buffer.alloc(0) });
    for (let i = 0; i < 300; i++) publish(store.messages, [q], 'x'.repeat(1000));
    await committed(store.messages);
    store.close();
    const bytes = readFileSync(db);
    expect(statSync(db).size).toBeGreaterThan(40 * 4096);
    bytes.fill(0xab, 4 * 4096, 30 * 4096); // b-tree pages in the middle
    writeFileSync(db, bytes);
    const before = sha256(db);
    expect(() => Store.open(dir)).toThrow(expect.objectContaining({ code: StoreErrorCode.Corrupt }));
    expect(sha256(db)).toBe(before);
  });

  it('tells Warren databases from other SQLite files', () => {
    expect(() => checkSchema('f', 0, 0, 0)).not.toThrow(); // fresh
    expect(() => checkSchema('f', 1, APPLICATION_ID, 12)).not.toThrow();
    expect(() => checkSchema('f', 0, 0, 3)).toThrow(/not a Warren one/); // someone else's tables
    expect(() => checkSchema('f', 1, 0x12345678, 3)).toThrow(/not a Warren one/);
    expect(() => checkSchema('f', SCHEMA_VERSION + 5, APPLICATION_ID, 3)).toThrow(/newer than this Warren supports/);
  });
});
