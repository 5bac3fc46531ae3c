import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GROUP_BYTES } from '../../../src/store/message-range.js';
import { Store } from '../../../src/store/store.js';
import { setLogLevel } from '../../../src/util/logger.js';

/** Bytes that a text round trip would damage: NUL, lone continuation bytes, a UTF-16 surrogate. */
const AWKWARD = Buffer.from([0x00, 0xff, 0xc0, 0x80, 0xed, 0xa0, 0x80, 0x00, 0xfe]);

describe('MessageStore.loadMessages over an id range (a page of a queue)', () => {
  let dir: string;
  let store: Store;
  let queueId: number;

  beforeAll(() => setLogLevel('warn'));
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'warren-range-'));
    store = Store.open(dir);
    queueId = store.definitions.putQueue({ vhost: '/', name: 'q', durable: true, autoDelete: false, arguments: Buffer.alloc(4) });
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Stores each [properties, body] as a message of the queue; returns their ids. */
  function put(messages: [Buffer, Buffer][]): number[] {
    const m = store.messages;
    const ids = messages.map(([properties, body], i) => {
      const id = m.nextMessageId();
      m.insertMessage(id, i % 2 === 0 ? '' : 'amq.direct', `key-${i}`, properties, body, 1);
      m.enqueue(queueId, id, id, 0, -1);
      return id;
    });
    m.flushSync();
    return ids;
  }

  it('returns every byte of properties and bodies exactly, whatever their sizes and contents', () => {
    const messages: [Buffer, Buffer][] = [];
    for (let i = 0; i < 3000; i++) {
      const size = i % 500 === 7 ? GROUP_BYTES + i : i % 100 === 3 ? 0 : 1 + (i % 37);
      const body = Buffer.alloc(size, i % 251);
      AWKWARD.copy(body, 0, 0, Math.min(size, AWKWARD.length));
      const properties = i % 3 === 0 ? Buffer.alloc(0) : Buffer.concat([Buffer.from([0x10, 0x00]), AWKWARD.subarray(0, i % 9)]);
      messages.push([properties, body]);
    }
    const ids = put(messages);
    const loaded = store.messages.loadMessages(ids);
    expect(loaded).toHaveLength(messages.length);
    for (let i = 0; i < messages.length; i++) {
      const [properties, body] = messages[i] as [Buffer, Buffer];
      const got = loaded[i];
      expect(got?.id).toBe(ids[i]);
      expect(got?.exchange).toBe(i % 2 === 0 ? '' : 'amq.direct');
      expect(got?.routingKey).toBe(`key-${i}`);
      expect(got?.properties.equals(properties)).toBe(true);
      expect(got?.body.equals(body)).toBe(true);
    }
  });

  it('reads small neighbours as views into shared blobs of bounded size, not a Buffer each', () => {
    // 16 B bodies, as in a 1 M message backlog: a Buffer of its own per row and column is a
    // native allocation each, which fragmented the heap and stayed in RSS after the queue drained.
    const ids = put(Array.from({ length: 5000 }, (_, i) => [Buffer.from([0, 0]), Buffer.alloc(16, i)]));
    const loaded = store.messages.loadMessages(ids);
    const blobs = new Set(loaded.map((s) => s?.body.buffer));
    for (const s of loaded) expect(s?.properties.buffer).toBe(s?.body.buffer);
    expect(blobs.size).toBeLessThanOrEqual(Math.ceil((5000 * 18) / GROUP_BYTES) + 1);
    for (const b of blobs) expect(b?.byteLength).toBeLessThanOrEqual(GROUP_BYTES);
  });

  it('reads scattered ids (queues filled side by side) and ids out of order with one statement, aligned', () => {
    // Five queues' messages interleaved: one queue's ids are five apart, too sparse for a range scan.
    const ids = put(Array.from({ length: 2000 }, (_, i) => [Buffer.from([0x10, 0, i % 256]), Buffer.from(`m${i}`)]));
    const every5th = ids.filter((_, i) => i % 5 === 2);
    const scattered = store.messages.loadMessages(every5th);
    expect(scattered.map((s) => s?.body.toString())).toEqual(every5th.map((id) => `m${ids.indexOf(id)}`));
    expect(scattered.every((s, i) => s?.properties.equals(Buffer.from([0x10, 0, (5 * i + 2) % 256])))).toBe(true);
    expect(new Set(scattered.map((s) => s?.body.buffer)).size).toBeLessThan(10);

    const shuffled = [ids[7] as number, 999_999, ids[3] as number, ids[7] as number, ids[1999] as number];
    const got = store.messages.loadMessages(shuffled);
    expect(got.map((s) => s?.body.toString())).toEqual(['m7', undefined, 'm3', 'm7', 'm1999']);
    expect(got.map((s) => s?.routingKey)).toEqual(['key-7', undefined, 'key-3', 'key-7', 'key-1999']);
  });

  it('skips ids that are gone from a range and reads a large message on its own', () => {
    const big = Buffer.alloc(GROUP_BYTES * 2, 7);
    const ids = put([
      [Buffer.alloc(0), Buffer.from('a')],
      [Buffer.alloc(0), Buffer.from('b')],
      [Buffer.from([1]), big],
      [Buffer.alloc(0), Buffer.from('d')],
    ]);
    store.messages.remove(queueId, ids[1] as number, ids[1] as number);
    store.messages.flushSync();
    const loaded = store.messages.loadMessages(ids);
    expect(loaded.map((s) => s?.body.toString('latin1').slice(0, 1))).toEqual(['a', undefined, '\x07', 'd']);
    expect(loaded[2]?.body.equals(big)).toBe(true);
    expect(loaded[2]?.body.buffer).not.toBe(loaded[3]?.body.buffer);
  });
});
