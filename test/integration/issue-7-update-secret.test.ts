/**
 * Issue 7, bug 8: connection.update-secret (10.70), RabbitMQ's extension for refreshing an
 * expiring credential, answered with update-secret-ok (10.71) on channel 0.
 *
 * RabbitMQ 3.10 with its internal (password) users accepts any secret: a password login does not
 * expire, so its internal backend is not asked again. amqplib's and pika's own test suites rely on
 * that (they send "new secret" as guest). A refusing backend would close the connection with
 * 530 "NOT_ALLOWED - New secret was refused by one of the backends". On any other channel the
 * method is 503 "unimplemented method".
 */
import { afterAll, describe, expect, it } from 'vitest';
import amqp from 'amqplib';
import callbackApi from 'amqplib/callback_api.js';
import { startTestBroker } from '../helpers/broker.js';
import { RawClient, longstr, shortstr } from '../helpers/raw-client.js';

const broker = await startTestBroker();
afterAll(() => broker.close());

const updateSecretArgs = (secret: string, reason: string): Buffer => Buffer.concat([longstr(secret), shortstr(reason)]);

describe('issue 7: connection.update-secret', () => {
  it('amqplib promise API: updateSecret resolves and the connection keeps working', async () => {
    const conn = await amqp.connect(broker.url);
    try {
      const ch = await conn.createChannel();
      const ok = new Promise<void>((resolve) => conn.connection.once('update-secret-ok', () => resolve()));
      await conn.updateSecret(Buffer.from('guest'), 'token refresh');
      await ok;
      await ch.checkExchange('amq.direct');
      await (await conn.createChannel()).checkExchange('amq.fanout');
    } finally {
      await conn.close().catch(() => {});
    }
  });

  it("amqplib callback API: updateSecret with amqplib's own test secret calls back without error", async () => {
    const err = await new Promise<unknown>((resolve) => {
      callbackApi.connect(broker.url, (connectErr: unknown, conn: callbackApi.Connection) => {
        if (connectErr) return resolve(connectErr);
        conn.updateSecret(Buffer.from('new secret'), 'no reason', (updateErr: unknown) => {
          conn.close(() => resolve(updateErr ?? null));
        });
      });
    });
    expect(err).toBeNull();
  });

  it('on the wire: update-secret-ok on channel 0, then the connection is still open', async () => {
    const c = await RawClient.open(broker.port);
    try {
      c.sendMethod(0, 10, 70, updateSecretArgs('guest', 'token refresh'));
      const ok = await c.expectMethod(10, 71);
      expect({ channel: ok.channel, args: ok.args.length }).toEqual({ channel: 0, args: 0 });
      await c.openChannel(1);
      await c.close();
    } finally {
      c.destroy();
    }
  });

  it('on a channel other than 0 it is 503 unimplemented method', async () => {
    const c = await RawClient.open(broker.port);
    try {
      await c.openChannel(1);
      c.sendMethod(1, 10, 70, updateSecretArgs('guest', 'token refresh'));
      expect(await c.expectConnectionClose()).toEqual({
        replyCode: 503,
        replyText: 'COMMAND_INVALID - unimplemented method',
        classId: 10,
        methodId: 70,
      });
    } finally {
      c.destroy();
    }
  });
});
