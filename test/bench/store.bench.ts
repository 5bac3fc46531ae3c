/**
 * Store benchmarks: `npx vitest bench --run test/bench/store.bench.ts`.
 * Temp databases go under $WARREN_BENCH_DIR (default: the OS temp dir, a real disk here).
 * Messages/s = hz × batch size.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, bench, describe } from 'vitest';
import type { MessageStorage } from '../../src/store/storage.js';
import { Store } from '../../src/store/store.js';
import { setLogLevel } from '../../src/util/logger.js';

setLogLevel('warn');
const dirs: string[] = [];
function openStore(maxOps?: number): { store: Store; queueId: number } {
  const dir = mkdtempSync(join(process.env['WARREN_BENCH_DIR'] ?? tmpdir(), 'warren-bench-'));
  dirs.push(dir);
  const store = Store.open(dir, maxOps === undefined ? {} : { maxOps, maxBytes: 1 << 30 });
  const queue = { vhost: '/', name: 'q', durable: true, autoDelete: false, arguments: Buffer.alloc(0) };
  const queueId = store.definitions.putQueue(queue);
  return { store, queueId };
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const PROPS = Buffer.from([0x10, 0x00, 0x02]);
const BODY = Buffer.alloc(16, 0x61);
const committed = (m: MessageStorage): Promise<void> =>
  new Promise((resolve, reject) => m.commitSoon((err) => (err === null ? resolve() : reject(err))));

function publish(m: MessageStorage, queueId: number, n: number): number[] {
  const ids: number[] = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const id = m.nextMessageId();
    m.insertMessage(id, 'amq.direct', 'rk', PROPS, BODY, 1);
    m.enqueue(queueId, id, id, 0, -1);
    ids[i] = id;
  }
  return ids;
}

describe('insert + enqueue + commit, 16-byte messages (msgs/s = hz × batch)', () => {
  const { store, queueId } = openStore();
  for (const batch of [1, 100, 1000]) {
    bench(`batch of ${batch}`, async () => {
      publish(store.messages, queueId, batch);
      await committed(store.messages);
    }, { time: 2000 });
  }
});

describe('publish then ack, batches of 1000 (does in-batch cancellation matter?)', () => {
  const { store, queueId } = openStore();
  const m = store.messages;
  bench('acked in the same turn (cancelled in the batch, no SQLite work)', async () => {
    const ids = publish(m, queueId, 1000);
    for (const id of ids) m.remove(queueId, id, id);
    await committed(m);
  }, { time: 2000 });
  bench('acked in the next turn (insert commit + delete commit)', async () => {
    const ids = publish(m, queueId, 1000);
    await committed(m);
    for (const id of ids) m.remove(queueId, id, id);
    await committed(m);
  }, { time: 2000 });
});

describe('recovery of a 1M-entry queue', () => {
  const N = 1_000_000;
  const { store, queueId } = openStore(1 << 30);
  const started = performance.now();
  for (let done = 0; done < N; done += 50_000) {
    publish(store.messages, queueId, 50_000);
    store.messages.flushSync();
  }
  const dir = store.dataDir;
  store.close();
  const mb = statSync(store.file).size / 1e6;
  console.log(`built ${N} entries in ${((performance.now() - started) / 1000).toFixed(1)} s; warren.db ${mb.toFixed(0)} MB`);
  let reopened: Store | undefined;

  bench('Store.open (includes PRAGMA quick_check)', () => {
    Store.open(dir).close();
  }, { iterations: 3, warmupIterations: 0 });

  bench('loadQueueEntries, all 1M rows (pages of 64k)', () => {
    reopened ??= Store.open(dir);
    let after = 0;
    let total = 0;
    for (;;) {
      const page = reopened.messages.loadQueueEntries(queueId, after, 65_536);
      if (page.length === 0) break;
      total += page.length;
      after = page.seq[page.length - 1] as number;
    }
    if (total !== N) throw new Error(`loaded ${total}`);
  }, { iterations: 5, warmupIterations: 1 });

  afterAll(() => reopened?.close());
});
