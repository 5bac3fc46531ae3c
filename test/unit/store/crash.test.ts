import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { StoreReader } from '../../../src/store/reader.js';
import { Store } from '../../../src/store/store.js';
import { setLogLevel } from '../../../src/util/logger.js';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'crash-writer.ts');

/** Run the writer; call `onLine` per complete stdout line; resolves with its exit signal. */
function runWriter(mode: string, dir: string, onLine: (line: string, kill: () => void) => void): Promise<string | null> {
  return new Promise((resolve, reject) => {
    // node --import tsx: one process, so the SIGKILL reaches the writer itself
    const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, mode, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let buffered = '';
    let stderr = '';
    const kill = (): void => {
      child.kill('SIGKILL');
    };
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        onLine(buffered.slice(0, nl), kill);
        buffered = buffered.slice(nl + 1);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal === null) reject(new Error(`writer exited with ${code}: ${stderr}`));
      else resolve(signal);
    });
  });
}

describe('crash safety (SIGKILLed writer)', () => {
  let dir: string;
  beforeAll(() => setLogLevel('error'));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps every message whose commit callback ran', async () => {
    dir = mkdtempSync(join(tmpdir(), 'warren-crash-'));
    const committed: number[] = [];
    let queueId = 0;
    const signal = await runWriter('loop', dir, (line, kill) => {
      if (line.startsWith('queue ')) queueId = Number(line.slice(6));
      else if (line.startsWith('committed ')) committed.push(...line.slice(10).split(',').map(Number));
      if (committed.length >= 5000) kill();
    });
    expect(signal).toBe('SIGKILL');
    expect(committed.length).toBeGreaterThanOrEqual(5000);

    // the dead writer's lock is stale and is taken over; its WAL is recovered
    const store = Store.open(dir);
    try {
      const m = store.messages;
      const present = new Set(m.loadQueueEntries(queueId, 0, 10_000_000).messageId);
      const missing = committed.filter((id) => !present.has(id));
      expect(missing).toEqual([]);
      for (const id of committed.slice(-100)) expect(m.loadMessage(id)?.body).toEqual(Buffer.alloc(16, id & 0xff));
      expect(m.nextMessageId()).toBeGreaterThan(Math.max(...committed));
    } finally {
      store.close();
    }
  }, 60_000);

  it('drops the entries of a queue deleted just before a crash', async () => {
    dir = mkdtempSync(join(tmpdir(), 'warren-crash-'));
    let queueId = 0;
    await runWriter('delete-queue', dir, (line) => {
      queueId = Number(/^queue (\d+)/.exec(line)?.[1]);
    });
    const before = StoreReader.open(dir);
    expect(before.entryCount(queueId)).toBe(10); // left behind by the crash
    before.close();

    const store = Store.open(dir);
    store.close();
    const after = StoreReader.open(dir);
    expect(after.counts()).toEqual({ messages: 0, entries: 0 });
    after.close();
  }, 60_000);
});
