/**
 * Vhosts created and deleted at run time (rabbitmqctl add_vhost / delete_vhost): their metadata
 * (description, tags, default queue type), access to them, and what a deletion takes with it —
 * connections (320 CONNECTION_FORCED), queues and their messages, exchanges, bindings,
 * permissions and limits — so a vhost recreated under the same name starts empty. Against Warren
 * and RabbitMQ 3.10 alike; a restart after a deletion is in vhosts-durable.test.ts.
 *
 * The default queue type follows RabbitMQ 3.10's augment_declare_args: a declare without
 * x-queue-type gets the vhost's type when the queue can be of that type (a quorum queue must be
 * durable, not exclusive, not auto-delete). The type shows over AMQP as the x-queue-type a
 * redeclare must match, and in quorum behaviour (x-delivery-count on a redelivery).
 */
import amqp, { type Channel, type ChannelModel, type Options } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { accessSuite, closeMessage, connectionClosed, FULL, tryOpen } from '../helpers/access.js';
import { expectClose, uniqueName, withChannel, withConfirmChannel } from '../helpers/broker.js';

const { broker, admin, made, slow } = await accessSuite();

const typeMismatch = (q: string, vhost: string, received: string, current: string): { code: number; message: string } => ({
  code: 406,
  message:
    'Operation failed: QueueDeclare; 406 (PRECONDITION-FAILED) with message ' +
    `"PRECONDITION_FAILED - inequivalent arg 'x-queue-type' for queue '${q}' in vhost '${vhost}': received '${received}' but current is '${current}'"`,
});

/** A fresh channel whose close is not an unhandled error. */
async function channel(conn: ChannelModel): Promise<Channel> {
  const ch = await conn.createChannel();
  ch.on('error', () => {});
  return ch;
}

const notFound = (kind: 'queue' | 'exchange', name: string, vhost: string, method: string): { code: number; message: string } => ({
  code: 404,
  message: `Operation failed: ${method}; 404 (NOT-FOUND) with message "NOT_FOUND - no ${kind} '${name}' in vhost '${vhost}'"`,
});

describe('vhosts made at run time', slow, () => {
  it('keep the description, tags and default queue type they were made with; a plain one has none', async () => {
    const described = await made.vhost({ description: 'orders of the shop', tags: ['shop', 'eu'], defaultQueueType: 'quorum' });
    const plain = await made.vhost();
    expect(await admin.vhostMetadata(described)).toEqual({ description: 'orders of the shop', tags: ['shop', 'eu'], defaultQueueType: 'quorum' });
    expect(await admin.vhostMetadata(plain)).toEqual({ description: '', tags: [], defaultQueueType: '' });
  });

  it('the vhost made on first start is described as RabbitMQ describes it', async () => {
    expect(await admin.vhostMetadata('/')).toEqual({ description: 'Default virtual host', tags: [], defaultQueueType: '' });
  });

  it('let a user in once it has permissions there; a missing vhost is 530 not found', async () => {
    const [user, vhost] = await Promise.all([made.user(), made.vhost()]);
    const login = { user, password: 'pw', vhost };
    expect(await tryOpen(broker.port, login)).toMatchObject({
      replyCode: 530,
      replyText: `NOT_ALLOWED - access to vhost '${vhost}' refused for user '${user}'`,
    });
    await admin.setPermissions(user, vhost, FULL);
    expect(await tryOpen(broker.port, login)).toBe('open');
    const missing = uniqueName('missing');
    expect(await tryOpen(broker.port, { ...login, vhost: missing })).toMatchObject({
      replyCode: 530,
      replyText: `NOT_ALLOWED - vhost ${missing} not found`,
    });
  });
});

describe('default queue type quorum', slow, () => {
  it('a durable queue declared without x-queue-type is a quorum queue; an explicit type wins', async () => {
    const { vhost, url } = await made.userAndVhost({ defaultQueueType: 'quorum' });
    const conn = await amqp.connect(url);
    try {
      const [q, explicit] = [uniqueName('q'), uniqueName('q')];
      const ch = await channel(conn);
      await ch.assertQueue(q, { durable: true });
      await ch.assertQueue(q, { durable: true }); // the redeclare is augmented alike
      await ch.assertQueue(q, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
      expect(await expectClose(() => ch.assertQueue(q, { durable: true, arguments: { 'x-queue-type': 'classic' } }))).toEqual(
        typeMismatch(q, vhost, 'classic', 'quorum'),
      );
      // Quorum behaviour: every redelivery is counted in x-delivery-count.
      const ch2 = await channel(conn);
      ch2.sendToQueue(q, Buffer.from('m'));
      const first = await waitGet(ch2, q);
      ch2.nack(first, false, true);
      const again = await waitGet(ch2, q);
      expect(again.properties.headers?.['x-delivery-count']).toBe(1);
      ch2.ack(again);

      await ch2.assertQueue(explicit, { durable: true, arguments: { 'x-queue-type': 'classic' } });
      expect(await expectClose(() => ch2.assertQueue(explicit, { durable: true, arguments: { 'x-queue-type': 'quorum' } }))).toEqual(
        typeMismatch(explicit, vhost, 'quorum', 'classic'),
      );
    } finally {
      await conn.close().catch(() => {});
    }
  });

  it('non-durable, auto-delete and exclusive queues, which cannot be quorum queues, are classic', async () => {
    const { url } = await made.userAndVhost({ defaultQueueType: 'quorum' });
    const shapes: Options.AssertQueue[] = [{ durable: false }, { durable: true, autoDelete: true }, { durable: true, exclusive: true }];
    await withChannel(url, async (ch) => {
      for (const shape of shapes) {
        const q = uniqueName('q');
        await ch.assertQueue(q, shape);
        await ch.assertQueue(q, { ...shape, arguments: { 'x-queue-type': 'classic' } });
        await ch.deleteQueue(q);
      }
    });
  });
});

/** basic.get until a message comes (a requeued one may take a moment in a quorum queue). */
async function waitGet(ch: Channel, q: string): Promise<amqp.GetMessage> {
  for (const deadline = Date.now() + 5000; Date.now() < deadline; ) {
    const m = await ch.get(q);
    if (m !== false) return m;
  }
  throw new Error(`no message in ${q}`);
}

describe('deleting a vhost', slow, () => {
  it("closes its connections with 320 CONNECTION_FORCED, leaves other vhosts' connections, and then the vhost is not found", async () => {
    const { user, vhost, url } = await made.userAndVhost();
    const elsewhere = await made.vhost();
    await admin.setPermissions(user, elsewhere, FULL);
    const inside = await Promise.all([amqp.connect(url), amqp.connect(url)]);
    const closes = inside.map(closeMessage);
    const outside = await amqp.connect(admin.url(user, 'pw', elsewhere));
    await admin.deleteVhost(vhost);
    const forced = connectionClosed(320, 'CONNECTION-FORCED', `CONNECTION_FORCED - vhost '${vhost}' is deleted`);
    expect(await Promise.all(closes)).toEqual([forced, forced]);
    await (await outside.createChannel()).checkExchange('amq.direct');
    await outside.close();
    expect(await tryOpen(broker.port, { user, password: 'pw', vhost })).toMatchObject({
      replyCode: 530,
      replyText: `NOT_ALLOWED - vhost ${vhost} not found`,
    });
  });

  it('takes its queues, messages, exchanges, bindings, permissions, limits and metadata: recreated, it is empty', async () => {
    const { user, vhost, url } = await made.userAndVhost({ description: 'first life', tags: ['old'] });
    const [q, x, x2] = [uniqueName('q'), uniqueName('x'), uniqueName('x')];
    await admin.setVhostLimits(vhost, { 'max-queues': 1 });
    await withConfirmChannel(url, async (ch) => {
      await ch.assertQueue(q, { durable: true });
      await ch.assertExchange(x, 'direct', { durable: true });
      await ch.assertExchange(x2, 'fanout', { durable: true });
      await ch.bindQueue(q, x, 'k');
      await ch.bindExchange(x, x2, '');
      for (let i = 0; i < 3; i++) ch.publish(x2, 'k', Buffer.from(`m${i}`), { persistent: true });
      await ch.waitForConfirms();
      expect((await ch.checkQueue(q)).messageCount).toBe(3);
    });
    await admin.deleteVhost(vhost);
    await admin.addVhost(vhost);
    expect(await admin.vhostMetadata(vhost)).toEqual({ description: '', tags: [], defaultQueueType: '' });
    // Permissions went with the vhost.
    expect(await tryOpen(broker.port, { user, password: 'pw', vhost })).toMatchObject({
      replyCode: 530,
      replyText: `NOT_ALLOWED - access to vhost '${vhost}' refused for user '${user}'`,
    });
    await admin.setPermissions(user, vhost, FULL);
    const conn = await amqp.connect(url);
    try {
      expect(await expectClose(async () => (await channel(conn)).checkQueue(q))).toEqual(notFound('queue', q, vhost, 'QueueDeclare'));
      expect(await expectClose(async () => (await channel(conn)).checkExchange(x))).toEqual(
        notFound('exchange', x, vhost, 'ExchangeDeclare'),
      );
      const ch = await conn.createConfirmChannel();
      // No queue limit any more, and no old binding or message.
      await ch.assertQueue(q, { durable: true });
      await ch.assertQueue(uniqueName('q'), { exclusive: true });
      await ch.assertExchange(x, 'direct', { durable: true });
      await ch.assertExchange(x2, 'fanout', { durable: true });
      ch.publish(x2, 'k', Buffer.from('new'));
      ch.publish(x, 'k', Buffer.from('new'));
      await ch.waitForConfirms();
      expect((await ch.checkQueue(q)).messageCount).toBe(0);
    } finally {
      await conn.close().catch(() => {});
    }
  });
});
