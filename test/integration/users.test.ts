/**
 * Users changed at run time (rabbitmqctl add_user, change_password, set_user_tags,
 * clear_password, delete_user) and password logins: what a client sees, against Warren and
 * RabbitMQ 3.10 alike. Refused logins close with 403 ACCESS_REFUSED and RabbitMQ's safe text
 * when the client announces authentication_failure_close (amqplib does), else the socket closes.
 *
 * Warren-only at the end: connection.update-secret re-checks the user's access to its vhost
 * (RabbitMQ 3.10's internal backend accepts any secret), and a passwordless user made with
 * users.add(name, null). Loopback users and the login log are in users-login.test.ts.
 */
import amqp, { type ChannelModel } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { accessSuite, closeMessage, connectionClosed, FULL, LOGIN_REFUSED, tryOpen } from '../helpers/access.js';
import { roundTrip, uniqueName } from '../helpers/broker.js';
import { longstr, RawClient, shortstr, table } from '../helpers/raw-client.js';

const { broker, admin, made, slow } = await accessSuite();

/** Publish with a user_id on a new channel: the user_id delivered, or the channel's close message. */
async function publishAs(conn: ChannelModel, userId: string): Promise<string> {
  const ch = await conn.createChannel();
  let closed = '';
  ch.on('error', (err: Error) => (closed = err.message));
  const { queue } = await ch.assertQueue('', { exclusive: true });
  ch.sendToQueue(queue, Buffer.from('x'), { userId });
  if ((await roundTrip(ch)) === 'closed') return closed;
  const m = await ch.get(queue, { noAck: true });
  await ch.close();
  return m === false ? 'nothing' : String(m.properties.userId);
}

const userIdRefused = (userId: string, user: string): string =>
  'Channel closed by server: 406 (PRECONDITION-FAILED) with message ' +
  `"PRECONDITION_FAILED - user_id property set to '${userId}' but authenticated user was '${user}'"`;

describe('users changed at run time', slow, () => {
  it('a new user logs in at once; after a password change the old password is refused, the new one works, and open connections stay', async () => {
    const { user, vhost, url } = await made.userAndVhost();
    const open = await amqp.connect(url);
    await admin.changePassword(user, 'new-pw');
    await expect(amqp.connect(url)).rejects.toThrow(LOGIN_REFUSED);
    const again = await amqp.connect(admin.url(user, 'new-pw', vhost));
    await again.close();
    await (await open.createChannel()).checkExchange('amq.direct');
    await open.close();
  });

  it('tags: a connection made after set_user_tags impersonator may publish a foreign user_id; one made before keeps the tags it logged in with', async () => {
    const { user, url } = await made.userAndVhost();
    const before = await amqp.connect(url);
    try {
      const other = uniqueName('someone');
      expect(await publishAs(before, other)).toBe(userIdRefused(other, user));
      expect(await publishAs(before, user)).toBe(user);
      await admin.setTags(user, ['impersonator']);
      const after = await amqp.connect(url);
      expect(await publishAs(after, other)).toBe(other);
      await after.close();
      expect(await publishAs(before, other)).toBe(userIdRefused(other, user));
      await admin.setTags(user, []);
      const cleared = await amqp.connect(url);
      expect(await publishAs(cleared, other)).toBe(userIdRefused(other, user));
      await cleared.close();
    } finally {
      await before.close().catch(() => {});
    }
  });

  it("deleting a user closes all its connections with 320 CONNECTION_FORCED, leaves other users' alone, and it logs in no more", async () => {
    const { user, vhost, url } = await made.userAndVhost();
    const second = await made.vhost();
    await admin.setPermissions(user, second, FULL);
    const bystander = await made.user();
    await admin.setPermissions(bystander, vhost, FULL);
    const conns = await Promise.all([amqp.connect(url), amqp.connect(admin.url(user, 'pw', second))]);
    const closes = conns.map(closeMessage);
    const other = await amqp.connect(admin.url(bystander, 'pw', vhost));
    await admin.deleteUser(user);
    const forced = connectionClosed(320, 'CONNECTION-FORCED', `CONNECTION_FORCED - user '${user}' is deleted`);
    expect(await Promise.all(closes)).toEqual([forced, forced]);
    await (await other.createChannel()).checkExchange('amq.direct');
    await other.close();
    await expect(amqp.connect(url)).rejects.toThrow(LOGIN_REFUSED);
  });
});

describe('refused logins', slow, () => {
  it('a wrong password and an unknown user: amqplib rejects with 403 ACCESS_REFUSED and the same safe text for both', async () => {
    const { user, vhost } = await made.userAndVhost();
    await expect(amqp.connect(admin.url(user, 'wrong', vhost))).rejects.toThrow(LOGIN_REFUSED);
    await expect(amqp.connect(admin.url(uniqueName('nobody'), 'pw', vhost))).rejects.toThrow(LOGIN_REFUSED);
    const close = await tryOpen(broker.port, { user, password: 'wrong', vhost });
    expect(close).toMatchObject({
      replyCode: 403,
      replyText: 'ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN. For details see the broker logfile.',
    });
  });

  it('without authentication_failure_close the broker says nothing and closes the socket 3 s later (no fast retries)', async () => {
    const c = await RawClient.connect(broker.port);
    try {
      c.sendProtocolHeader();
      await c.expectMethod(10, 10);
      const response = Buffer.from(`\0${uniqueName('nobody')}\0pw`);
      c.sendMethod(0, 10, 11, Buffer.concat([table({ product: 'no-capabilities' }), shortstr('PLAIN'), longstr(response), shortstr('en_US')]));
      const refusedAt = Date.now();
      expect((await c.readUntilClosed(10_000)).length).toBe(0);
      expect(Date.now() - refusedAt).toBeGreaterThanOrEqual(2900);
    } finally {
      c.destroy();
    }
  });

  it('a user whose password was cleared cannot log in with any password, blank included', async () => {
    const { user, vhost } = await made.userAndVhost();
    await admin.clearPassword(user);
    for (const password of ['pw', '', 'anything']) {
      await expect(amqp.connect(admin.url(user, password, vhost))).rejects.toThrow(LOGIN_REFUSED);
    }
  });
});

describe('connection.update-secret', slow, () => {
  it('is accepted while the user keeps access to the vhost', async () => {
    const { url } = await made.userAndVhost();
    const conn = await amqp.connect(url);
    await conn.updateSecret(Buffer.from('pw'), 'refresh');
    await (await conn.createChannel()).checkExchange('amq.direct');
    await conn.close();
  });

  it.skipIf(broker.external)(
    'Warren-only: after the permissions on the vhost are cleared it is refused with 530 and the connection closes',
    async () => {
      const { user, vhost, url } = await made.userAndVhost();
      const conn = await amqp.connect(url);
      conn.on('error', () => {});
      const closed = closeMessage(conn);
      await admin.clearPermissions(user, vhost);
      // amqplib leaves its update-secret promise pending when the connection closes instead.
      void conn.updateSecret(Buffer.from('pw'), 'refresh').catch(() => {});
      expect(await closed).toBe(connectionClosed(530, 'NOT-ALLOWED', 'NOT_ALLOWED - New secret was refused by one of the backends'));
    },
  );
});

describe.skipIf(broker.external)('passwordless users (Warren-only API)', () => {
  it('users.add(name, null) makes a user no password logs in as, blank or not', async () => {
    const b = broker.broker?.broker;
    const user = uniqueName('nopw');
    b?.users.add(user, null);
    b?.permissions.set(user, '/', FULL);
    try {
      for (const password of ['', 'x', 'null']) {
        await expect(amqp.connect(admin.url(user, password))).rejects.toThrow(LOGIN_REFUSED);
      }
      b?.users.setPassword(user, 'now-set');
      await (await amqp.connect(admin.url(user, 'now-set'))).close();
    } finally {
      b?.deleteUser(user);
    }
  });
});
