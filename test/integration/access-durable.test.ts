/**
 * Warren-only (it restarts the broker on the same data directory): the access-control
 * definitions are stored. Users with their password hash and hashing algorithm, tags and limits,
 * permissions, topic permissions, and vhost metadata and limits come back as they were and are
 * enforced as before; changes made after a restart are stored too. The first start writes the
 * configured default user and vhost (RabbitMQ's default_user / default_pass / default_vhost);
 * later starts, whatever their defaults, change nothing.
 */
import amqp from 'amqplib';
import { describe, expect, it } from 'vitest';
import type { Broker } from '../../src/broker/broker.js';
import { FULL, LOGIN_REFUSED, tryOpen } from '../helpers/access.js';
import { expectClose, nextError, uniqueName, withChannel } from '../helpers/broker.js';
import { DurableBroker, tempDataDir } from '../helpers/durable.js';
import { writeSchema3DataDir } from '../helpers/schema-3.js';

const external = Boolean(process.env['WARREN_TEST_URL']);

/** Everything access control keeps about `users` and `vhost`, in plain values. */
function accessOf(b: Broker, users: string[], vhost: string): unknown {
  const v = b.vhost(vhost);
  return {
    users: users.map((name) => {
      const u = b.users.get(name);
      return u && { name, hash: u.passwordHash.toString('hex'), algorithm: u.hashingAlgorithm, tags: u.tags, limits: u.limits };
    }),
    permissions: users.map((u) => b.permissions.get(u, vhost)).map((p) => p && { configure: p.configure, write: p.write, read: p.read }),
    topics: users.map((u) => [...(b.permissions.topicsOf(u, vhost)?.values() ?? [])]),
    vhost: v && { metadata: v.metadata, limits: v.limits },
  };
}

const url = (node: DurableBroker, user: string, password: string, vhost: string): string =>
  `amqp://${user}:${password}@127.0.0.1:${node.running.port}/${encodeURIComponent(vhost)}`;

describe.skipIf(external)('access control across restarts', () => {
  it('users, hashes and algorithms, tags, limits, permissions, topic permissions and vhost metadata and limits come back and are enforced', async () => {
    const node = await DurableBroker.start();
    try {
      const b = node.running.broker;
      const vhost = uniqueName('v');
      const [u256, u512, umd5, nopw] = [uniqueName('sha256'), uniqueName('sha512'), uniqueName('md5'), uniqueName('nopw')];
      b.putVhost(vhost, { description: 'kept', tags: ['a', 'b'], defaultQueueType: 'quorum' });
      b.setVhostLimits(vhost, { 'max-queues': 2 });
      b.users.add(u256, 'pw-256', ['monitoring']);
      b.users.add(u512, 'pw-512', ['impersonator'], 'rabbit_password_hashing_sha512');
      b.users.add(umd5, 'pw-md5', [], 'rabbit_password_hashing_md5');
      b.users.add(nopw, null);
      b.setUserLimits(u256, { 'max-connections': 1, 'max-channels': 5 });
      b.permissions.set(u256, vhost, { configure: '^mine-', write: '.*', read: '.*' });
      for (const u of [u512, umd5, nopw]) b.permissions.set(u, vhost, FULL);
      b.permissions.setTopic(u256, vhost, { exchange: 'amq.topic', write: '^allowed\\.', read: '.*' });
      const users = [u256, u512, umd5, nopw];
      const before = accessOf(b, users, vhost);

      await node.restart();
      expect(accessOf(node.running.broker, users, vhost)).toEqual(before);

      // Passwords, of each algorithm; the passwordless user still has none.
      for (const [user, password] of [[u512, 'pw-512'], [umd5, 'pw-md5']] as const) {
        await (await amqp.connect(url(node, user, password, vhost))).close();
        await expect(amqp.connect(url(node, user, 'wrong', vhost))).rejects.toThrow(LOGIN_REFUSED);
      }
      for (const password of ['', 'x']) await expect(amqp.connect(url(node, nopw, password, vhost))).rejects.toThrow(LOGIN_REFUSED);

      // u256: its permissions, topic permissions, its connection limit, the vhost's queue limit.
      await withChannel(url(node, u256, 'pw-256', vhost), async (ch, conn) => {
        expect(await tryOpen(node.running.port, { user: u256, password: 'pw-256', vhost })).toMatchObject({
          replyText: `NOT_ALLOWED - connection refused for user '${u256}': user connection limit (1) is reached`,
        });
        expect((await expectClose(() => ch.assertQueue('other'))).message).toContain(
          `ACCESS_REFUSED - access to queue 'other' in vhost '${vhost}' refused for user '${u256}'`,
        );
        const ch2 = await conn.createConfirmChannel();
        ch2.on('error', () => {});
        await ch2.assertQueue('mine-1', { durable: true });
        await ch2.assertQueue('mine-2', { durable: true });
        expect((await expectClose(() => ch2.assertQueue('mine-3', { durable: true }))).message).toContain(
          `queue limit in vhost '${vhost}' (2) is reached`,
        );
        const ch3 = await conn.createConfirmChannel();
        ch3.on('error', () => {});
        ch3.publish('amq.topic', 'allowed.k', Buffer.from('ok'));
        await ch3.waitForConfirms();
        const refused = nextError(ch3);
        ch3.publish('amq.topic', 'denied.k', Buffer.from('no'));
        expect((await refused).message).toContain(
          `ACCESS_REFUSED - access to topic 'denied.k' in exchange 'amq.topic' in vhost '${vhost}' refused for user '${u256}'`,
        );
      });
    } finally {
      await node.destroy();
    }
  });

  it('changes made after a restart are stored as well: a new password, a deleted user, cleared permissions', async () => {
    const node = await DurableBroker.start();
    try {
      const vhost = uniqueName('v');
      const [keeper, leaver] = [uniqueName('keeper'), uniqueName('leaver')];
      let b = node.running.broker;
      b.putVhost(vhost);
      for (const u of [keeper, leaver]) {
        b.users.add(u, 'old', [], 'rabbit_password_hashing_sha512');
        b.permissions.set(u, vhost, FULL);
      }
      await node.restart();
      b = node.running.broker;
      b.users.setPassword(keeper, 'new');
      b.users.setTags(keeper, ['policymaker']);
      b.deleteUser(leaver);
      b.permissions.clear(keeper, '/');
      b.setVhostLimits(vhost, { 'max-connections': 5 });
      await node.restart();
      b = node.running.broker;
      expect(b.users.get(leaver)).toBeUndefined();
      expect(b.users.get(keeper)).toMatchObject({ hashingAlgorithm: 'rabbit_password_hashing_sha512', tags: ['policymaker'] });
      expect(b.vhost(vhost)?.limits).toEqual({ 'max-connections': 5 });
      await (await amqp.connect(url(node, keeper, 'new', vhost))).close();
      await expect(amqp.connect(url(node, keeper, 'old', vhost))).rejects.toThrow(LOGIN_REFUSED);
      await expect(amqp.connect(url(node, leaver, 'old', vhost))).rejects.toThrow(LOGIN_REFUSED);
    } finally {
      await node.destroy();
    }
  });
});

describe.skipIf(external)('default user and vhost', () => {
  it('a first start creates the configured user with full permissions on the configured vhost, and no guest nor /', async () => {
    const node = await DurableBroker.start(undefined, { defaultUser: 'admin', defaultPass: 'secret', defaultVhost: 'prod' });
    try {
      const check = async (): Promise<void> => {
        const b = node.running.broker;
        expect(b.users.list().map((u) => u.name)).toEqual(['admin']);
        expect(b.users.get('admin')?.tags).toEqual(['administrator']);
        expect([...b.vhosts.keys()]).toEqual(['prod']);
        expect(b.vhost('prod')?.metadata).toEqual({ description: 'Default virtual host' });
        expect(b.permissions.list()).toEqual([{ user: 'admin', vhost: 'prod', permissions: expect.objectContaining(FULL) }]);
        await withChannel(url(node, 'admin', 'secret', 'prod'), async (ch) => {
          const { queue } = await ch.assertQueue('', { exclusive: true });
          ch.sendToQueue(queue, Buffer.from('hi'));
          await expect.poll(async () => (await ch.checkQueue(queue)).messageCount).toBe(1);
        });
        expect(await tryOpen(node.running.port, { user: 'admin', password: 'secret', vhost: '/' })).toMatchObject({
          replyText: 'NOT_ALLOWED - vhost / not found',
        });
        await expect(amqp.connect(url(node, 'guest', 'guest', '/'))).rejects.toThrow(LOGIN_REFUSED);
      };
      await check();
      // Later starts: other defaults, or none, change nothing.
      await node.restart({ defaultUser: 'other', defaultPass: 'other', defaultVhost: 'dev' });
      await check();
      await expect(amqp.connect(url(node, 'other', 'other', 'dev'))).rejects.toThrow(LOGIN_REFUSED);
      await node.restart();
      await check();
    } finally {
      await node.destroy();
    }
  });

  it('a deleted default user stays deleted after a restart', async () => {
    const node = await DurableBroker.start();
    try {
      const b = node.running.broker;
      b.users.add('ops', 'ops-pw', ['administrator']);
      b.permissions.set('ops', '/', FULL);
      b.deleteUser('guest');
      await node.restart();
      await expect(amqp.connect(url(node, 'guest', 'guest', '/'))).rejects.toThrow(LOGIN_REFUSED);
      await (await amqp.connect(url(node, 'ops', 'ops-pw', '/'))).close();
    } finally {
      await node.destroy();
    }
  });
});

describe.skipIf(external)('upgrade from store schema 3 (before access control)', () => {
  it('the users of the data directory log in with their passwords and may do anything in every vhost', async () => {
    const dir = tempDataDir();
    writeSchema3DataDir(
      dir,
      ['/', 'orders'],
      [
        { name: 'guest', password: 'guest', tags: ['administrator'] },
        { name: 'app', password: 'app-pw', tags: [] },
      ],
    );
    const node = await DurableBroker.start(dir);
    try {
      for (const [user, password] of [['guest', 'guest'], ['app', 'app-pw']] as const) {
        for (const vhost of ['/', 'orders']) {
          await withChannel(url(node, user, password, vhost), async (ch) => {
            const q = uniqueName('q');
            await ch.assertQueue(q, { durable: true });
            await ch.assertExchange(uniqueName('x'), 'topic', { autoDelete: true });
            await ch.deleteQueue(q);
          });
        }
      }
      await expect(amqp.connect(url(node, 'app', 'wrong', '/'))).rejects.toThrow(LOGIN_REFUSED);
    } finally {
      await node.destroy();
    }
  });
});
