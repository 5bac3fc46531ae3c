/**
 * Property test of the message path against a plain model: random publishes (to 1-3 queues),
 * removes, redeliveries, purges with kept seqs, queue deletes, commits and reopens, in any
 * interleaving; afterwards, and after a reopen, the stored entries and bodies equal the model.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import type { Storage } from '../../../src/store/storage.js';
import type { StorageHarness } from './storage-suite.js';

type Cmd =
  | { t: 'pub'; mask: number }
  | { t: 'rm'; pick: number }
  | { t: 'red'; pick: number }
  | { t: 'purge'; q: number; keepMask: number }
  | { t: 'del'; q: number }
  | { t: 'commit' }
  | { t: 'reopen' };

const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  { arbitrary: fc.record({ t: fc.constant('pub' as const), mask: fc.integer({ min: 1, max: 7 }) }), weight: 6 },
  { arbitrary: fc.record({ t: fc.constant('rm' as const), pick: fc.nat() }), weight: 4 },
  { arbitrary: fc.record({ t: fc.constant('red' as const), pick: fc.nat() }), weight: 1 },
  { arbitrary: fc.record({ t: fc.constant('purge' as const), q: fc.nat(2), keepMask: fc.nat(15) }), weight: 1 },
  { arbitrary: fc.record({ t: fc.constant('del' as const), q: fc.nat(2) }), weight: 1 },
  { arbitrary: fc.constant({ t: 'commit' as const }), weight: 2 },
  { arbitrary: fc.constant({ t: 'reopen' as const }), weight: 1 },
);

interface ModelEntry {
  messageId: number;
  redelivered: boolean;
}

const committed = (s: Storage): Promise<void> =>
  new Promise((resolve, reject) => s.messages.commitSoon((err) => (err === null ? resolve() : reject(err))));

export function registerModelTests(
  get: () => { harness: StorageHarness; storage: Storage; reopen: () => Storage },
): void {
  it('matches a model under random operation sequences', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(cmd, { minLength: 1, maxLength: 40 }), async (cmds) => {
        const ctx = get();
        let s = ctx.storage;
        run++;
        const names = [0, 1, 2].map((i) => `model-${run}-${i}`);
        const qids = names.map((name) =>
          s.definitions.putQueue({ vhost: '/', name, durable: true, autoDelete: false, arguments: Buffer.alloc(0) }),
        );
        const deleted = [false, false, false];
        const model = qids.map(() => new Map<number, ModelEntry>());
        const refs = new Map<number, number>();
        const published: number[] = [];
        const live = (): [number, number, ModelEntry][] =>
          model.flatMap((m, qi) => [...m].map(([seq, e]): [number, number, ModelEntry] => [qi, seq, e]));
        const deref = (id: number): void => {
          const n = (refs.get(id) ?? 0) - 1;
          if (n <= 0) refs.delete(id);
          else refs.set(id, n);
        };

        for (const c of cmds) {
          const m = s.messages;
          if (c.t === 'pub') {
            const targets = [0, 1, 2].filter((qi) => (c.mask & (1 << qi)) !== 0 && !deleted[qi]);
            if (targets.length === 0) continue;
            const id = m.nextMessageId();
            m.insertMessage(id, '', 'k', Buffer.alloc(1), Buffer.from(`body-${id}`), targets.length);
            for (const qi of targets) {
              m.enqueue(qids[qi] as number, id, id, 0, -1);
              model[qi]?.set(id, { messageId: id, redelivered: false });
            }
            refs.set(id, targets.length);
            published.push(id);
          } else if (c.t === 'rm' || c.t === 'red') {
            const all = live();
            const picked = all[c.pick % Math.max(1, all.length)];
            if (picked === undefined) continue;
            const [qi, seq, e] = picked;
            if (c.t === 'red') {
              m.setRedelivered(qids[qi] as number, seq);
              e.redelivered = true;
            } else {
              m.remove(qids[qi] as number, seq, e.messageId);
              model[qi]?.delete(seq);
              deref(e.messageId);
            }
          } else if (c.t === 'purge' || c.t === 'del') {
            if (deleted[c.q]) continue;
            const entries = model[c.q] as Map<number, ModelEntry>;
            const seqs = [...entries.keys()];
            const keep = c.t === 'purge' ? seqs.filter((_, i) => (c.keepMask & (1 << i % 4)) !== 0) : [];
            if (c.t === 'purge') m.purge(qids[c.q] as number, keep);
            else {
              s.definitions.deleteQueue('/', names[c.q] as string);
              deleted[c.q] = true;
            }
            for (const seq of seqs) {
              if (keep.includes(seq)) continue;
              deref((entries.get(seq) as ModelEntry).messageId);
              entries.delete(seq);
            }
          } else if (c.t === 'commit') {
            await committed(s);
          } else {
            s = ctx.reopen();
          }
        }

        const check = (st: Storage): void => {
          qids.forEach((qid, qi) => {
            const page = st.messages.loadQueueEntries(qid, 0, 10_000);
            const expected = [...(model[qi] as Map<number, ModelEntry>)].sort((a, b) => a[0] - b[0]);
            expect(Array.from(page.seq)).toEqual(expected.map(([seq]) => seq));
            expect(Array.from(page.messageId)).toEqual(expected.map(([, e]) => e.messageId));
            expect(Array.from(page.redelivered)).toEqual(expected.map(([, e]) => (e.redelivered ? 1 : 0)));
          });
          for (const [id] of refs) expect(st.messages.loadMessage(id)?.body.toString()).toBe(`body-${id}`);
        };
        check(s);
        await committed(s);
        s = ctx.reopen();
        check(s);
        // every body no longer referenced is gone from durable storage too
        for (const id of published) expect(ctx.harness.committedMessage(id)).toBe(refs.has(id));
      }),
      { numRuns: 40 },
    );
  }, 120_000);
}
