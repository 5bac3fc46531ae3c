/**
 * Issue 7, bug 3: the server's channel.close and the client's channel.close cross.
 *
 * The client publishes to a missing exchange and sends channel.close at once. RabbitMQ sends its
 * channel.close (404), answers the client's close with close-ok, keeps the channel in its closing
 * state until the client's close-ok arrives (no reply to that), and every other channel keeps
 * working. A channel.open on the number before that close-ok is "second 'channel.open' seen".
 */
import { afterAll, describe, expect, it } from 'vitest';
import amqp from 'amqplib';
import { startTestBroker, uniqueName } from '../helpers/broker.js';
import {
  RawClient,
  bodyFrame,
  contentHeaderFrame,
  decodeClose,
  methodFrame,
  octet,
  short,
  shortstr,
  table,
} from '../helpers/raw-client.js';

const broker = await startTestBroker();
afterAll(() => broker.close());

/** basic.publish of a one-byte body to `exchange`, then channel.close, in one write. */
function publishThenClose(channel: number, exchange: string): Buffer {
  const publish = Buffer.concat([short(0), shortstr(exchange), shortstr('rk'), octet(0)]);
  const close = Buffer.concat([short(200), shortstr('bye'), short(0), short(0)]);
  return Buffer.concat([
    methodFrame(channel, 60, 40, publish),
    contentHeaderFrame(channel, 1),
    bodyFrame(channel, Buffer.from('x')),
    methodFrame(channel, 20, 40, close),
  ]);
}

/** queue.declare of a server-named exclusive queue on `channel`, answered with declare-ok. */
async function declareWorks(c: RawClient, channel: number): Promise<void> {
  c.sendMethod(channel, 50, 10, Buffer.concat([short(0), shortstr(''), octet(4), table({})]));
  expect((await c.expectMethod(50, 11)).channel).toBe(channel);
}

describe('issue 7: channel.close crossing the server channel.close', () => {
  it('amqplib: publish to a missing exchange then close; the other channel and the connection live on', async () => {
    const conn = await amqp.connect(broker.url);
    const connErrors: unknown[] = [];
    conn.on('error', (err) => connErrors.push(err));
    try {
      const ch1 = await conn.createChannel();
      const ch2 = await conn.createChannel();
      ch1.on('error', () => {});
      ch1.publish(uniqueName('issue7-missing'), 'rk', Buffer.from('x'));
      await ch1.close();
      await ch2.checkExchange('amq.direct');
      const ch3 = await conn.createChannel();
      await ch3.checkExchange('amq.fanout');
      expect(connErrors).toEqual([]);
    } finally {
      await conn.close().catch(() => {});
    }
  });

  it('on the wire: close 404, close-ok for the client close, the client close-ok is not answered', async () => {
    const c = await RawClient.open(broker.port);
    try {
      await c.openChannel(1);
      await c.openChannel(2);
      const exchange = uniqueName('issue7-missing');
      c.send(publishThenClose(1, exchange));
      const close = await c.expectMethod(20, 40);
      expect(close.channel).toBe(1);
      expect(decodeClose(close)).toEqual({
        replyCode: 404,
        replyText: `NOT_FOUND - no exchange '${exchange}' in vhost '/'`,
        classId: 60,
        methodId: 40,
      });
      expect((await c.expectMethod(20, 41)).channel).toBe(1);
      c.sendMethod(1, 20, 41);
      // Nothing answers that close-ok: the next frame is channel 2's declare-ok.
      await declareWorks(c, 2);
      await c.openChannel(1);
      await declareWorks(c, 1);
      await c.close();
    } finally {
      c.destroy();
    }
  });

  it('channel.open before the client close-ok is a second channel.open (504 on the connection)', async () => {
    const c = await RawClient.open(broker.port);
    try {
      await c.openChannel(1);
      c.send(publishThenClose(1, uniqueName('issue7-missing')));
      await c.expectMethod(20, 40);
      await c.expectMethod(20, 41);
      c.sendMethod(1, 20, 10, shortstr(''));
      expect(await c.expectConnectionClose()).toEqual({
        replyCode: 504,
        replyText: "CHANNEL_ERROR - second 'channel.open' seen",
        classId: 20,
        methodId: 10,
      });
    } finally {
      c.destroy();
    }
  });
});
