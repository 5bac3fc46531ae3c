/**
 * The data directory: one broker at a time (warren.lock), stale locks taken over, and a database
 * Warren cannot trust (garbage, corrupt, not Warren's, a newer schema) refused with a clear message
 * while its files are left byte-for-byte as they were. Both in-process and through the CLI.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { SCHEMA_VERSION } from '../../src/store/index.js';
import { withChannel } from '../helpers/broker.js';
import { CLI, DurableBroker, publishAll, sha256, spawnWarren, tempDataDir, type WarrenChild } from '../helpers/durable.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

function dataDir(): string {
  const dir = tempDataDir('warren-datadir-');
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function running(dir: string): Promise<RunningBroker> {
  const b = await startBroker({ port: 0, dataDir: dir, logLevel: 'warn' });
  cleanup.push(() => b.close());
  return b;
}

function child(dir: string): WarrenChild {
  const c = spawnWarren(dir);
  cleanup.push(() => c.kill());
  return c;
}

/** Run the CLI to completion (it is expected to refuse); a broker that starts is killed at once. */
function runCli(dir: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, 'server', '--port', '0', '--data-dir', dir, '--log-level', 'info'], {
    encoding: 'utf8',
    timeout: 5000,
    killSignal: 'SIGKILL',
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Expect the CLI to exit non-zero with exactly one line on stderr, matching every pattern. */
function expectCliRefusal(dir: string, ...patterns: (string | RegExp)[]): string {
  const r = runCli(dir);
  expect(r.status, `stdout: ${r.stdout}\nstderr: ${r.stderr}`).not.toBe(0);
  expect(r.status).not.toBeNull();
  expect(r.stdout).toBe('');
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  expect(lines).toHaveLength(1);
  const line = lines[0] as string;
  expect(line.startsWith('warren: ')).toBe(true);
  for (const p of patterns) expect(line).toMatch(p);
  return line;
}

/** Every file in the directory with its sha256. */
function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(readdirSync(dir).sort().map((f) => [f, sha256(join(dir, f))]));
}

/** A data directory holding a real, cleanly closed Warren database with a queue and 50 messages. */
async function realDatabase(): Promise<string> {
  const b = await DurableBroker.start(dataDir());
  await withChannel(b.url, (ch) => ch.assertQueue('kept', { durable: true }));
  await publishAll(b.url, Array.from({ length: 50 }, (_, i) => ['', 'kept', `MARKER-${String(i).padStart(4, '0')}`]));
  await b.stop();
  return b.dataDir;
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('one broker per data directory', () => {
  it('a second in-process broker is refused with a message naming the directory; the first keeps serving', async () => {
    const dir = dataDir();
    const first = await running(dir);
    const err = await startBroker({ port: 0, dataDir: dir, logLevel: 'warn' }).then(
      (b) => (cleanup.push(() => b.close()), undefined),
      (e: unknown) => e as Error & { code?: string },
    );
    expect(err?.message).toContain(`data directory ${resolve(dir)} is in use by another Warren process (pid ${process.pid})`);
    expect(err?.code).toBe('ERR_WARREN_STORE_LOCKED');
    expect(readFileSync(join(dir, 'warren.lock'), 'utf8').trim()).toBe(String(process.pid));
    await withChannel(first.url, (ch) => ch.assertQueue('still-served', { durable: true }));
    await first.close();
    expect(existsSync(join(dir, 'warren.lock'))).toBe(false);
    const second = await running(dir);
    await withChannel(second.url, (ch) => ch.checkQueue('still-served'));
  });

  it('the CLI on a directory held by this process exits non-zero with one line naming it and the holder', async () => {
    const dir = dataDir();
    await running(dir);
    expectCliRefusal(dir, new RegExp(`data directory ${escape(resolve(dir))} is in use by another Warren process \\(pid ${process.pid}\\)`));
  });

  it('a second CLI broker beside a running one exits non-zero with one line; the first keeps serving', async () => {
    const dir = dataDir();
    const first = child(dir);
    const port = await first.port;
    expectCliRefusal(dir, resolve(dir), `pid ${first.process.pid}`);
    await withChannel(`amqp://guest:guest@127.0.0.1:${port}`, (ch) => ch.assertQueue('q'));
    expect(readFileSync(join(dir, 'warren.lock'), 'utf8').trim()).toBe(String(first.process.pid));
  });

  it('a lock left by a process that is gone is taken over, as is one naming this process that it does not hold', async () => {
    const dir = dataDir();
    const gone = spawnSync(process.execPath, ['-e', 'process.pid'], { encoding: 'utf8' });
    expect(gone.status).toBe(0);
    writeFileSync(join(dir, 'warren.lock'), `${gone.pid}\n`);
    const b = await running(dir);
    expect(readFileSync(join(dir, 'warren.lock'), 'utf8').trim()).toBe(String(process.pid));
    await b.close();
    writeFileSync(join(dir, 'warren.lock'), `${process.pid}\n`); // e.g. pid 1 in a container after a crash
    await (await running(dir)).close();
    writeFileSync(join(dir, 'warren.lock'), 'garbled');
    const c = child(dir);
    await c.port;
    expect(readFileSync(join(dir, 'warren.lock'), 'utf8').trim()).toBe(String(c.process.pid));
  });
});

describe('a database Warren cannot trust is refused and left untouched', () => {
  async function expectRefusal(dir: string, ...patterns: (string | RegExp)[]): Promise<void> {
    const before = snapshot(dir);
    const err = await startBroker({ port: 0, dataDir: dir, logLevel: 'warn' }).then(
      (b) => (cleanup.push(() => b.close()), undefined),
      (e: unknown) => e as Error,
    );
    expect(err, 'the broker started').toBeInstanceOf(Error);
    for (const p of patterns) expect(err?.message).toMatch(p);
    expectUntouched(dir, before);
    expectCliRefusal(dir, ...patterns);
    expectUntouched(dir, before);
  }
  /** The same files with the same bytes, nothing added (no -wal, -shm or lock left). */
  function expectUntouched(dir: string, before: Record<string, string>): void {
    expect(snapshot(dir)).toEqual(before);
  }
  const dbFile = (dir: string): string => join(resolve(dir), 'warren.db');

  it('a garbage warren.db', async () => {
    const dir = dataDir();
    writeFileSync(join(dir, 'warren.db'), Buffer.from(Array.from({ length: 8192 }, (_, i) => (i * 31 + 7) % 251)));
    await expectRefusal(dir, dbFile(dir), /not a valid Warren database or is corrupt/, /refusing to start/);
  });

  it('a cleanly closed database has no WAL left beside it (its header is current)', async () => {
    const dir = await realDatabase();
    expect(readdirSync(dir).sort()).toEqual(['warren.db']);
    const header = readFileSync(join(dir, 'warren.db')).subarray(0, 100);
    expect(header.toString('latin1', 0, 16)).toBe('SQLite format 3\0');
    expect(header.readUInt32BE(60)).toBe(SCHEMA_VERSION); // user_version
    expect(header.readUInt32BE(68)).toBe(0x57524e31); // application_id 'WRN1'
  });

  it('a database with a newer schema version', async () => {
    const dir = await realDatabase();
    const file = join(dir, 'warren.db');
    const bytes = readFileSync(file);
    bytes.writeUInt32BE(SCHEMA_VERSION + 1, 60);
    writeFileSync(file, bytes);
    await expectRefusal(dir, dbFile(dir), `schema version ${SCHEMA_VERSION + 1}`, /newer than this Warren supports/, /refusing to start/);
  });

  it('a SQLite database that is not a Warren one', async () => {
    const dir = await realDatabase();
    const file = join(dir, 'warren.db');
    const bytes = readFileSync(file);
    bytes.writeUInt32BE(0x0f0f0f0f, 68); // application_id
    writeFileSync(file, bytes);
    await expectRefusal(dir, dbFile(dir), /not a Warren one/, /refusing to start/);
  });

  it('a database with a corrupt b-tree page', async () => {
    const dir = await realDatabase();
    const file = join(dir, 'warren.db');
    const bytes = readFileSync(file);
    const pageSize = bytes.readUInt16BE(16) === 1 ? 65536 : bytes.readUInt16BE(16);
    const at = bytes.indexOf('MARKER-0025');
    expect(at).toBeGreaterThan(0);
    const page = Math.floor(at / pageSize) * pageSize; // a leaf page of the messages table
    bytes.fill(0xee, page, page + 12); // its b-tree page header: an invalid page type
    writeFileSync(file, bytes);
    expect(statSync(file).size).toBe(bytes.length);
    await expectRefusal(dir, dbFile(dir), /not a valid Warren database or is corrupt/, /refusing to start/);
  });

  it('the untouched database still opens once the damage is undone', async () => {
    const dir = await realDatabase();
    const file = join(dir, 'warren.db');
    const original = readFileSync(file);
    const patched = Buffer.from(original);
    patched.writeUInt32BE(SCHEMA_VERSION + 7, 60);
    writeFileSync(file, patched);
    await expect(startBroker({ port: 0, dataDir: dir, logLevel: 'warn' })).rejects.toThrow(/newer than this Warren supports/);
    writeFileSync(file, original);
    const b = await running(dir);
    expect(await withChannel(b.url, async (ch) => (await ch.checkQueue('kept')).messageCount)).toBe(50);
  });
});
