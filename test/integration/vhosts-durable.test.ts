/**
 * Warren-only (it restarts the broker): a deleted vhost leaves nothing in the store. After a
 * restart on the same data directory none of its queues (classic and quorum), stored messages,
 * exchanges, bindings, policies, permissions, topic permissions, limits or metadata come back,
 * and other vhosts keep theirs. vhosts.test.ts checks the same without a restart against
 * RabbitMQ too.
 */
import amqp from 'amqplib';
import { describe, expect, it } from 'vitest';
import type { Definitions } from '../../src/store/storage.js';
import { FULL, tryOpen } from '../helpers/access.js';
import { expectClose, uniqueName, withConfirmChannel } from '../helpers/broker.js';
import { DurableBroker, storedCounts } from '../helpers/durable.js';

const external = Boolean(process.env['WARREN_TEST_URL']);

/** Every stored record that names the vhost. */
function recordsOf(defs: Definitions, vhost: string): unknown[] {
  const { vhosts, users: _users, ...perVhost } = defs;
  return [...vhosts.filter((v) => v.name === vhost), ...Object.values(perVhost).flatMap((rows: { vhost: string }[]) => rows.filter((r) => r.vhost === vhost))];
}

describe.skipIf(external)('a deleted vhost, after a restart on the same data directory', () => {
  it('comes back with nothing; another vhost keeps its queue and messages; recreated, it is empty', async () => {
    const node = await DurableBroker.start();
    try {
      const [vhost, user, keep] = [uniqueName('v'), uniqueName('u'), uniqueName('keep')];
      const [q, classic, x, fan] = [uniqueName('q'), uniqueName('classic'), uniqueName('x'), uniqueName('fan')];
      const b = node.running.broker;
      b.putVhost(vhost, { description: 'first life', tags: ['old'], defaultQueueType: 'quorum' });
      b.setVhostLimits(vhost, { 'max-queues': 10, 'max-connections': 10 });
      b.users.add(user, 'pw');
      b.permissions.set(user, vhost, FULL);
      b.permissions.setTopic(user, vhost, { exchange: 'amq.topic', write: '.*', read: '.*' });
      b.setPolicy({ vhost, name: 'cap', pattern: '.*', applyTo: 'queues', priority: 0, definition: { 'max-length': 100 }, operator: false });
      const url = `amqp://${user}:pw@127.0.0.1:${node.running.port}/${vhost}`;
      await withConfirmChannel(url, async (ch) => {
        await ch.assertQueue(q, { durable: true }); // quorum, by the vhost's default
        await ch.assertQueue(classic, { durable: true, arguments: { 'x-queue-type': 'classic' } });
        await ch.assertExchange(x, 'direct', { durable: true });
        await ch.assertExchange(fan, 'fanout', { durable: true });
        await ch.bindExchange(x, fan, '');
        await ch.bindQueue(q, x, 'k');
        await ch.bindQueue(classic, x, 'k');
        for (let i = 0; i < 5; i++) ch.publish(fan, 'k', Buffer.from(`m${i}`), { persistent: true });
        await ch.waitForConfirms();
      });
      await withConfirmChannel(node.url, async (ch) => {
        await ch.assertQueue(keep, { durable: true });
        for (let i = 0; i < 2; i++) ch.sendToQueue(keep, Buffer.from(`k${i}`), { persistent: true });
        await ch.waitForConfirms();
      });
      const definitions = (node.running.broker.persistence as NonNullable<typeof b.persistence>).definitions;
      expect(recordsOf(definitions.loadDefinitions(), vhost).length).toBeGreaterThan(8);

      expect(b.deleteVhost(vhost)).toBe(true);
      expect(recordsOf(definitions.loadDefinitions(), vhost)).toEqual([]);
      await node.stop();
      // Only the other vhost's two messages are left in the store.
      expect(storedCounts(node.dataDir)).toEqual({ messages: 2, entries: 2 });

      await node.restart();
      const after = node.running.broker;
      expect(after.vhost(vhost)).toBeUndefined();
      expect(after.permissions.get(user, vhost)).toBeUndefined();
      expect(after.permissions.topicsOf(user, vhost)).toBeUndefined();
      expect(after.policies.list(vhost)).toEqual([]);
      expect(after.users.get(user)?.name).toBe(user); // users are not the vhost's
      expect(await tryOpen(node.running.port, { user, password: 'pw', vhost })).toMatchObject({
        replyCode: 530,
        replyText: `NOT_ALLOWED - vhost ${vhost} not found`,
      });
      await withConfirmChannel(node.url, async (ch) => expect((await ch.checkQueue(keep)).messageCount).toBe(2));

      after.putVhost(vhost);
      expect(after.vhost(vhost)?.metadata).toEqual({});
      expect(after.vhost(vhost)?.limits).toEqual({});
      after.permissions.set(user, vhost, FULL);
      const conn = await amqp.connect(`amqp://${user}:pw@127.0.0.1:${node.running.port}/${vhost}`);
      try {
        for (const name of [q, classic]) {
          const ch = await conn.createChannel();
          ch.on('error', () => {});
          expect((await expectClose(() => ch.checkQueue(name))).code).toBe(404);
        }
        for (const name of [x, fan]) {
          const ch = await conn.createChannel();
          ch.on('error', () => {});
          expect((await expectClose(() => ch.checkExchange(name))).code).toBe(404);
        }
      } finally {
        await conn.close();
      }
    } finally {
      await node.destroy();
    }
  });
});
