/**
 * Access over a connection's life, as RabbitMQ 3.10: connection.open needs some permissions in
 * the vhost (530 NOT_ALLOWED otherwise); permissions changed while a connection is open apply to
 * its next operation; the impersonator tag, and only it, lets a user publish with a user_id
 * other than its own name.
 *
 * RabbitMQ caches each channel's granted checks (rabbit_channel's permission_cache, cleared only
 * when the channel hibernates), so a revoked permission reaches a channel that has already used
 * that very resource only later. Warren has no such cache. These tests revoke on operations a
 * channel has not made yet, or on a new channel, where both brokers refuse at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import amqp from 'amqplib';
import type { Channel, ChannelModel } from 'amqplib';
import { roundTrip, uniqueName, waitFor } from '../helpers/broker.js';
import { ALL, Scene, expectRefused } from '../helpers/permissions.js';

let s: Scene;

beforeAll(async () => {
  s = await Scene.start();
}, 60_000);

afterAll(async () => {
  await s?.close();
}, 60_000);

async function channelOf(conn: ChannelModel): Promise<Channel> {
  const ch = await conn.createChannel();
  ch.on('error', () => {});
  return ch;
}

describe('connection.open', () => {
  it('is refused with 530 to a user with no permissions in the vhost', async () => {
    const user = await s.user('no-perms', null);
    // permissions elsewhere do not count
    await s.admin.setPermissions(user, '/', ALL);
    expect(await s.refusedOpen(user)).toEqual({
      replyCode: 530,
      replyText: `NOT_ALLOWED - access to vhost '${s.vhost}' refused for user '${user}'`,
      classId: 10,
      methodId: 40,
    });
    await expect(amqp.connect(s.url(user))).rejects.toThrow();
  });

  it('is allowed with any permission there, even regexes that match nothing', async () => {
    const user = await s.user('empty-perms', { configure: '', write: '', read: '' });
    await s.as(user, async (ch) => {
      const q = uniqueName('empty-perms-q');
      const refusal = await expectRefused(ch, () => ch.assertQueue(q));
      expect(refusal).toEqual({ code: 403, text: s.refused('queue', q, user) });
    });
  });
});

describe('permissions changed while a connection is open', () => {
  it('a revoked permission refuses the next operation, on the same channel and on new ones', async () => {
    const user = await s.user('live', ALL);
    const [a, b] = [uniqueName('live-a'), uniqueName('live-b')];
    const conn = await amqp.connect(s.url(user));
    conn.on('error', () => {});
    try {
      const ch1 = await channelOf(conn);
      await ch1.assertQueue(a, { durable: false });
      await s.admin.setPermissions(user, s.vhost, { configure: '^$', write: '.*', read: '.*' });
      // same channel, a queue it has not declared yet
      expect(await expectRefused(ch1, () => ch1.assertQueue(b, { durable: false }))).toEqual({
        code: 403,
        text: s.refused('queue', b, user),
      });
      // a new channel, the queue the first one declared
      const ch2 = await channelOf(conn);
      expect(await expectRefused(ch2, () => ch2.assertQueue(a, { durable: false }))).toEqual({
        code: 403,
        text: s.refused('queue', a, user),
      });
      expect(await s.exists('queue', b)).toBe(false);
      // read and write were kept
      const ch3 = await channelOf(conn);
      await ch3.get(a);
      ch3.sendToQueue(a, Buffer.from('m'));
      expect(await roundTrip(ch3)).toBe('open');
    } finally {
      await conn.close().catch(() => {});
    }
  });

  it('a granted permission allows the next operation without reconnecting', async () => {
    const user = await s.user('grant', { configure: '^$', write: '.*', read: '.*' });
    const q = uniqueName('grant-q');
    const conn = await amqp.connect(s.url(user));
    conn.on('error', () => {});
    try {
      const ch1 = await channelOf(conn);
      expect((await expectRefused(ch1, () => ch1.assertQueue(q, { durable: false }))).code).toBe(403);
      await s.admin.setPermissions(user, s.vhost, ALL);
      const ch2 = await channelOf(conn);
      await ch2.assertQueue(q, { durable: false });
      expect(await s.exists('queue', q)).toBe(true);
    } finally {
      await conn.close().catch(() => {});
    }
  });

  it('cleared permissions refuse every resource; the open connection stays, a new one is refused', async () => {
    const user = await s.user('cleared', ALL);
    const x = uniqueName('cleared-x');
    await s.g.assertExchange(x, 'fanout', { durable: false });
    const conn = await amqp.connect(s.url(user));
    conn.on('error', () => {});
    try {
      const ch1 = await channelOf(conn);
      await ch1.checkExchange(x);
      await s.admin.clearPermissions(user, s.vhost);
      expect(await expectRefused(ch1, () => ch1.publish(x, '', Buffer.from('m')))).toEqual({
        code: 403,
        text: s.refused('exchange', x, user),
      });
      const ch2 = await channelOf(conn);
      expect(await roundTrip(ch2)).toBe('open');
      expect((await s.refusedOpen(user)).replyText).toBe(`NOT_ALLOWED - access to vhost '${s.vhost}' refused for user '${user}'`);
    } finally {
      await conn.close().catch(() => {});
    }
  });
});

describe('user_id and the impersonator tag', () => {
  let impersonator: string;
  let administrator: string;
  let q: string;

  beforeAll(async () => {
    impersonator = await s.user('impersonator', ALL, ['impersonator']);
    administrator = await s.user('administrator', ALL, ['administrator']);
    q = uniqueName('user-id-q');
    await s.g.assertQueue(q, { durable: false });
  }, 60_000);

  const userIdText = (claimed: string, actual: string): string =>
    `PRECONDITION_FAILED - user_id property set to '${claimed}' but authenticated user was '${actual}'`;

  it('an impersonator publishes with a foreign user_id, delivered as set', async () => {
    await s.as(impersonator, async (ch) => {
      ch.sendToQueue(q, Buffer.from('as-someone'), { userId: 'someone-else' });
      expect(await roundTrip(ch)).toBe('open');
    });
    await waitFor(async () => (await s.stat(q)).messageCount === 1);
    const m = await s.g.get(q, { noAck: true });
    expect(m !== false && [m.content.toString(), m.properties.userId]).toEqual(['as-someone', 'someone-else']);
  });

  it('any other user, an administrator too, is refused with 406 and nothing is enqueued', async () => {
    await s.as(administrator, async (ch) => {
      ch.sendToQueue(q, Buffer.from('mine'), { userId: administrator });
      const refusal = await expectRefused(ch, () => ch.sendToQueue(q, Buffer.from('forged'), { userId: 'someone-else' }));
      expect(refusal).toEqual({ code: 406, text: userIdText('someone-else', administrator) });
    });
    await waitFor(async () => (await s.stat(q)).messageCount === 1);
    const m = await s.g.get(q, { noAck: true });
    expect(m !== false && [m.content.toString(), m.properties.userId]).toEqual(['mine', administrator]);
    expect((await s.stat(q)).messageCount).toBe(0);
  });

  it('user_id is checked after write permission and before the expiration', async () => {
    const x = uniqueName('user-id-x');
    await s.g.assertExchange(x, 'fanout', { durable: false });
    const noWrite = await s.user('user-id-no-write', { configure: '.*', write: `^(?!${x}$).*`, read: '.*' });
    await s.as(noWrite, async (ch) => {
      const refusal = await expectRefused(ch, () => ch.publish(x, '', Buffer.from('m'), { userId: 'someone-else' }));
      expect(refusal).toEqual({ code: 403, text: s.refused('exchange', x, noWrite) });
    });
    await s.as(administrator, async (ch) => {
      const refusal = await expectRefused(ch, () => ch.sendToQueue(q, Buffer.from('m'), { userId: 'someone-else', expiration: 'soon' }));
      expect(refusal).toEqual({ code: 406, text: userIdText('someone-else', administrator) });
    });
  });

  it('a direct reply-to without its consumer is refused before user_id is looked at', async () => {
    await s.as(administrator, async (ch) => {
      const refusal = await expectRefused(ch, () =>
        ch.sendToQueue(q, Buffer.from('m'), { userId: 'someone-else', replyTo: 'amq.rabbitmq.reply-to' }),
      );
      expect(refusal).toEqual({ code: 406, text: 'PRECONDITION_FAILED - fast reply consumer does not exist' });
    });
  });
});
