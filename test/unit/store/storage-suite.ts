/**
 * The one shared suite for the Storage interface (aedes-persistence's abstract.js): every
 * implementation must pass it. A harness opens and reopens the same data and can tell, from
 * an independent reader, whether a message has reached durable storage.
 */
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { setLogLevel } from '../../../src/util/logger.js';
import type { Storage, BindingRecord, MessageStorage } from '../../../src/store/storage.js';
import { registerModelTests } from './storage-model.js';

export interface StorageHarness {
  /** open the storage; after close(), opening again must see what was committed */
  open(): Storage;
  /** does an independent reader see message `id` as durably stored? */
  committedMessage(id: number): boolean;
  cleanup(): void;
}

export const ARGS = Buffer.from([0, 0, 0, 0]);
const GUEST = {
  name: 'guest',
  passwordHash: Buffer.from('0102030405', 'hex'),
  hashingAlgorithm: 'rabbit_password_hashing_sha512',
  tags: ['administrator'],
  limits: {},
};
const PROPS = Buffer.from([0x10, 0x00, 0x02]);

/** Resolves once everything appended so far is committed. */
export function committed(m: MessageStorage): Promise<void> {
  return new Promise((resolve, reject) => m.commitSoon((err) => (err === null ? resolve() : reject(err))));
}

/** Insert one message and enqueue it on each queue with seq = message id. */
export function publish(m: MessageStorage, queueIds: readonly number[], body = 'hello'): number {
  const id = m.nextMessageId();
  m.insertMessage(id, 'amq.direct', 'rk', PROPS, Buffer.from(body), queueIds.length);
  for (const q of queueIds) m.enqueue(q, id, id, 0, -1);
  return id;
}

export function storageSuite(name: string, makeHarness: () => StorageHarness): void {
  describe(`Storage contract: ${name}`, () => {
    let h: StorageHarness;
    let s: Storage;
    const reopen = (): Storage => {
      s.close();
      s = h.open();
      return s;
    };
    const queue = (name: string, vhost = '/'): number =>
      s.definitions.putQueue({ vhost, name, durable: true, autoDelete: false, arguments: ARGS });

    beforeAll(() => setLogLevel('warn'));
    beforeEach(() => {
      h = makeHarness();
      s = h.open();
    });
    afterEach(() => {
      s.close();
      h.cleanup();
    });

    it('round-trips every kind of definition across a reopen', () => {
      const d = s.definitions;
      d.putVhost({ name: '/', metadata: {}, limits: {} });
      d.putVhost({ name: 'v2', metadata: { description: 'second', tags: ['a'] }, limits: { 'max-queues': 3 } });
      d.putUser({ ...GUEST, limits: { 'max-channels': 2 } });
      d.putPermission({ user: 'guest', vhost: '/', configure: '.*', write: '.*', read: '^amq' });
      d.putTopicPermission({ user: 'guest', vhost: '/', exchange: 'amq.topic', write: '^a', read: '^{username}' });
      d.putExchange({ vhost: '/', name: 'x', type: 'topic', durable: true, autoDelete: false, internal: true, arguments: ARGS });
      const qid = queue('q1');
      const binding: BindingRecord = {
        vhost: '/',
        source: 'x',
        destinationKind: 'queue',
        destination: 'q1',
        routingKey: 'a.#',
        argumentsKey: '',
        arguments: ARGS,
      };
      d.putBinding(binding);
      d.putBinding({ ...binding, argumentsKey: '{"x":1}', arguments: Buffer.from([0, 0, 0, 1, 9]) });
      d.putPolicy({ vhost: '/', name: 'p', pattern: '^q', applyTo: 'queues', priority: 3, definition: { 'max-length': 10 }, operator: false });
      d.putPolicy({ vhost: '/', name: 'p', pattern: '.*', applyTo: 'all', priority: 0, definition: { 'message-ttl': 5 }, operator: true });
      d.putParameter({ component: 'federation-upstream', vhost: '/', name: 'up', value: { uri: 'amqp://x' } });
      d.putParameter({ component: 'cluster_name', vhost: '', name: 'name', value: 'warren' });

      const defs = reopen().definitions.loadDefinitions();
      expect(defs.vhosts).toEqual([
        { name: '/', metadata: {}, limits: {} },
        { name: 'v2', metadata: { description: 'second', tags: ['a'] }, limits: { 'max-queues': 3 } },
      ]);
      expect(defs.users).toEqual([{ ...GUEST, limits: { 'max-channels': 2 } }]);
      expect(defs.permissions).toEqual([{ user: 'guest', vhost: '/', configure: '.*', write: '.*', read: '^amq' }]);
      expect(defs.topicPermissions).toEqual([{ user: 'guest', vhost: '/', exchange: 'amq.topic', write: '^a', read: '^{username}' }]);
      expect(defs.exchanges).toEqual([
        { vhost: '/', name: 'x', type: 'topic', durable: true, autoDelete: false, internal: true, arguments: ARGS },
      ]);
      expect(defs.queues).toEqual([{ id: qid, vhost: '/', name: 'q1', durable: true, autoDelete: false, arguments: ARGS }]);
      expect(defs.bindings).toHaveLength(2);
      expect(defs.bindings).toContainEqual(binding);
      expect(defs.policies.map((p) => [p.name, p.operator, p.definition])).toEqual(
        expect.arrayContaining([
          ['p', false, { 'max-length': 10 }],
          ['p', true, { 'message-ttl': 5 }],
        ]),
      );
      expect(defs.parameters).toContainEqual({ component: 'cluster_name', vhost: '', name: 'name', value: 'warren' });
      expect(defs.parameters).toHaveLength(2);
    });

    it('updates in place and deletes with RabbitMQ cascades', () => {
      const d = s.definitions;
      const ex = { vhost: '/', type: 'direct', durable: true, autoDelete: false, internal: false, arguments: ARGS };
      d.putExchange({ ...ex, name: 'x' });
      d.putExchange({ ...ex, name: 'x', type: 'fanout' });
      d.putExchange({ ...ex, name: 'y' });
      const q1 = queue('q1');
      expect(queue('q1')).toBe(q1);
      const q2 = queue('q2');
      const bind = (source: string, destinationKind: 'queue' | 'exchange', destination: string): void =>
        d.putBinding({ vhost: '/', source, destinationKind, destination, routingKey: '', argumentsKey: '', arguments: ARGS });
      bind('x', 'queue', 'q1');
      bind('x', 'queue', 'q2');
      bind('y', 'exchange', 'x');
      bind('y', 'queue', 'q2');
      d.putUser({ ...GUEST, name: 'u', tags: [] });
      d.putPermission({ user: 'u', vhost: '/', configure: '', write: '', read: '' });
      d.putTopicPermission({ user: 'u', vhost: '/', exchange: 'amq.topic', write: '', read: '' });
      d.putTopicPermission({ user: 'guest', vhost: '/', exchange: 'amq.topic', write: '', read: '' });

      d.deleteQueue('/', 'q1');
      d.deleteExchange('/', 'x');
      d.deleteUser('u');
      d.deleteQueue('/', 'nope');
      let defs = d.loadDefinitions();
      expect(defs.exchanges.map((x) => [x.name, x.type])).toEqual([['y', 'direct']]);
      expect(defs.queues.map((q) => q.id)).toEqual([q2]);
      expect(defs.bindings.map((b) => `${b.source}->${b.destination}`)).toEqual(['y->q2']);
      expect(defs.users).toEqual([]);
      expect(defs.permissions).toEqual([]);
      expect(defs.topicPermissions.map((t) => t.user)).toEqual(['guest']);

      // queue ids are never reused
      expect(queue('q1')).toBeGreaterThan(q2);
      d.putQueue({ vhost: 'other', name: 'q9', durable: true, autoDelete: false, arguments: ARGS });
      d.putPolicy({ vhost: '/', name: 'p', pattern: '', applyTo: 'all', priority: 0, definition: {}, operator: false });
      d.deleteVhost('/');
      defs = reopen().definitions.loadDefinitions();
      expect(defs.queues.map((q) => `${q.vhost}/${q.name}`)).toEqual(['other/q9']);
      expect(defs.exchanges).toEqual([]);
      expect(defs.bindings).toEqual([]);
      expect(defs.policies).toEqual([]);
      expect(defs.topicPermissions).toEqual([]);
    });

    it('stores a body once for several queues and deletes it with its last entry', async () => {
      const [a, b, c] = [queue('a'), queue('b'), queue('c')];
      const m = s.messages;
      const id = publish(m, [a, b, c], 'shared body');
      await committed(m);
      expect(h.committedMessage(id)).toBe(true);
      m.remove(a, id, id);
      m.remove(b, id, id);
      await committed(m);
      expect(m.loadMessage(id)?.body.toString()).toBe('shared body');
      expect(h.committedMessage(id)).toBe(true);
      m.remove(c, id, id);
      m.remove(c, id, id); // a second remove of the same entry changes nothing
      await committed(m);
      expect(m.loadMessage(id)).toBeUndefined();
      expect(h.committedMessage(id)).toBe(false);
    });

    it('addReference keeps a body for one more entry, before and after its insert is committed', async () => {
      const [a, b, c] = [queue('ra'), queue('rb'), queue('rc')];
      const m = s.messages;
      const id = m.nextMessageId();
      m.insertMessage(id, 'amq.direct', 'rk', PROPS, Buffer.from('late refs'), 1);
      m.enqueue(a, 1, id, 0, -1);
      m.addReference(id); // same batch: counted on the pending insert
      m.enqueue(b, 1, id, 0, -1);
      await committed(m);
      m.addReference(id); // a later batch: one more reference on the stored row
      m.enqueue(c, 1, id, 0, -1);
      m.remove(a, 1, id);
      m.remove(b, 1, id);
      await committed(m);
      expect(h.committedMessage(id)).toBe(true);
      m.remove(c, 1, id);
      await committed(m);
      expect(h.committedMessage(id)).toBe(false);
    });

    it('forgetRange drops a range of entries at once, bodies with their last reference', async () => {
      const [a, b] = [queue('fa'), queue('fb')];
      const m = s.messages;
      const shared = publish(m, [a, b], 'shared');
      const own = [publish(m, [a]), publish(m, [a]), publish(m, [a])];
      await committed(m);
      m.forgetRange(a, shared, own[1] as number);
      await committed(m);
      expect(m.queueStats(a).count).toBe(1);
      expect(m.loadMessage(shared)?.body.toString()).toBe('shared'); // still referenced by b
      expect(h.committedMessage(own[0] as number)).toBe(false);
      expect(h.committedMessage(own[2] as number)).toBe(true);
      // pending entries in the range are cancelled in the batch
      const pending = publish(m, [a]);
      m.forgetRange(a, pending, pending);
      await committed(m);
      expect(h.committedMessage(pending)).toBe(false);
    });

    it('runs commit callbacks in order, each after its data is durable', async () => {
      const q = queue('q');
      const m = s.messages;
      const order: string[] = [];
      const seen: boolean[] = [];
      const first = publish(m, [q]);
      m.commitSoon((err) => {
        expect(err).toBeNull();
        order.push('first');
        seen.push(h.committedMessage(first));
      });
      const second = publish(m, [q]);
      m.commitSoon(() => {
        order.push('second');
        seen.push(h.committedMessage(second));
      });
      m.commitSoon(() => order.push('third'));
      expect(order).toEqual([]); // never synchronously
      await committed(m);
      expect(order).toEqual(['first', 'second', 'third']);
      expect(seen).toEqual([true, true]);
      // with nothing pending, a callback still runs (at the end of the turn)
      await committed(m);
    });

    it('recovers entries in seq order with their attributes after a reopen', async () => {
      const q = queue('q');
      const other = queue('other');
      const m = s.messages;
      const ids: number[] = [];
      for (let i = 0; i < 10; i++) {
        const id = m.nextMessageId();
        m.insertMessage(id, 'x', `k${i}`, PROPS, Buffer.alloc(i * 3, 1), 1);
        m.enqueue(q, 100 + i, id, i % 2 === 0 ? 0 : 1_700_000_000_000 + i, i === 3 ? 9 : -1);
        ids.push(id);
      }
      publish(m, [other]);
      m.setRedelivered(q, 102);
      await committed(m);
      m.setRedelivered(q, 105);
      m.setDeliveryCount(q, 104, 3);
      m.setDeliveryCount(q, 109, 5000); // capped at 1023 when read back
      m.remove(q, 101, ids[1] as number);
      const r = reopen().messages;
      const page = r.loadQueueEntries(q, 0, 1000);
      expect(Array.from(page.seq)).toEqual([100, 102, 103, 104, 105, 106, 107, 108, 109]);
      expect(Array.from(page.messageId)).toEqual(ids.filter((_, i) => i !== 1));
      expect(page.size[0]).toBe(0);
      expect(page.size[1]).toBe(6);
      expect(page.expiresAt[1]).toBe(0);
      expect(page.expiresAt[2]).toBe(1_700_000_000_003);
      expect(Array.from(page.priority)).toEqual([-1, -1, 9, -1, -1, -1, -1, -1, -1]);
      expect(Array.from(page.redelivered)).toEqual([0, 1, 0, 0, 1, 0, 0, 0, 0]);
      expect(Array.from(page.deliveryCount)).toEqual([0, 0, 0, 3, 0, 0, 0, 0, 1023]);
      expect(r.queueStats(q)).toEqual({ count: 9, bytes: 3 * (45 - 1), maxSeq: 109 });
      expect(r.queueStats(12345)).toEqual({ count: 0, bytes: 0, maxSeq: 0 });

      const tail = r.loadQueueEntries(q, 104, 3);
      expect(Array.from(tail.seq)).toEqual([105, 106, 107]);
      const bodies = r.loadMessages([ids[2] as number, 999_999, ids[9] as number]);
      expect(bodies.map((b) => b?.routingKey)).toEqual(['k2', undefined, 'k9']);
      expect(bodies[0]).toEqual({ id: ids[2], exchange: 'x', routingKey: 'k2', properties: PROPS, body: Buffer.alloc(6, 1) });
      // Ascending, dense ids (a page of one queue): read with one range scan; a removed one is undefined.
      const page3 = r.loadMessages(ids.slice(0, 4));
      expect(page3.map((b) => b?.routingKey)).toEqual(['k0', undefined, 'k2', 'k3']);
      expect(page3[3]?.body).toEqual(Buffer.alloc(9, 1));
    });

    it('continues ids after a reopen, even when the newest message was removed', async () => {
      const q = queue('q');
      const m = s.messages;
      publish(m, [q]);
      const last = publish(m, [q]);
      await committed(m);
      m.remove(q, last, last);
      await committed(m);
      const r = reopen().messages;
      expect(r.maxIds().messageId).toBe(last);
      expect(r.nextMessageId()).toBe(last + 1);
      expect(r.maxIds().queueId).toBe(q);
    });

    it('purges all but the kept seqs, and releases shared bodies only when unreferenced', async () => {
      const [a, b] = [queue('a'), queue('b')];
      const m = s.messages;
      const shared = publish(m, [a, b]);
      const onlyA = [publish(m, [a]), publish(m, [a]), publish(m, [a])];
      await committed(m);
      const pendingOnlyA = publish(m, [a]); // still in the batch when purged
      m.purge(a, [onlyA[1] as number]);
      await committed(m);
      expect(Array.from(m.loadQueueEntries(a, 0, 100).seq)).toEqual([onlyA[1]]);
      expect(h.committedMessage(shared)).toBe(true);
      expect(h.committedMessage(onlyA[0] as number)).toBe(false);
      expect(h.committedMessage(pendingOnlyA)).toBe(false);
      s.definitions.deleteQueue('/', 'b');
      await committed(m);
      expect(h.committedMessage(shared)).toBe(false);
      expect(m.queueStats(b).count).toBe(0);
      m.deleteQueue(a);
      await committed(m);
      expect(m.queueStats(a).count).toBe(0);
      expect(h.committedMessage(onlyA[1] as number)).toBe(false);
    });

    it('serves a message body before its batch is committed', () => {
      const q = queue('q');
      const id = publish(s.messages, [q], 'fresh');
      expect(s.messages.loadMessage(id)?.body.toString()).toBe('fresh');
    });

    registerModelTests(() => ({ harness: h, storage: s, reopen }));
  });
}
