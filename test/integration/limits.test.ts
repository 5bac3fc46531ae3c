/**
 * Limits: a vhost's max-connections and max-queues, a user's max-connections and max-channels
 * (rabbitmqctl set_vhost_limits / set_user_limits), the channel_max a client negotiates, and the
 * counts going down again when connections and channels close, however they close. Each refusal
 * is checked with RabbitMQ's code and text. These run against Warren and RabbitMQ 3.10 alike.
 *
 * The last block is Warren-only: the node's own limits (maxConnections, maxConsumersPerChannel,
 * channelMax) are startup options of a separate Warren; RabbitMQ 3.10's connection_max and
 * channel_max cannot be changed on the shared node, and it has no consumer_max_per_channel.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { accessSuite, channelOpens, closeMessage, connectionClosed, FULL, opens, refusedChannel, refusedOpen, tryOpen } from '../helpers/access.js';
import { expectClose, uniqueName, withChannel } from '../helpers/broker.js';
import { RawClient, short, shortstr } from '../helpers/raw-client.js';

const { broker, admin, made, slow } = await accessSuite();

const queueLimit = (q: string, vhost: string, n: number): string =>
  `Operation failed: QueueDeclare; 406 (PRECONDITION-FAILED) with message ` +
  `"PRECONDITION_FAILED - cannot declare queue '${q}': queue limit in vhost '${vhost}' (${n}) is reached"`;

describe('vhost limits', slow, () => {
  it('max-connections: a second connection to the vhost is refused with 530 at connection.open; the first closing frees the slot', async () => {
    const { user, vhost, url } = await made.userAndVhost();
    await admin.setVhostLimits(vhost, { 'max-connections': 1 });
    const login = { user, password: 'pw', vhost };
    const first = await amqp.connect(url);
    expect(await refusedOpen(broker.port, login)).toEqual({
      replyCode: 530,
      replyText: `NOT_ALLOWED - access to vhost '${vhost}' refused for user '${user}': connection limit (1) is reached`,
      classId: 10,
      methodId: 40,
    });
    await expect(amqp.connect(url)).rejects.toThrow('Expected ConnectionOpenOk; got <ConnectionClose channel:0>');
    await first.close();
    await opens(broker.port, login);
  });

  it('max-connections 0 refuses every connection; -1 lifts the limit', async () => {
    const { user, vhost } = await made.userAndVhost();
    const login = { user, password: 'pw', vhost };
    await admin.setVhostLimits(vhost, { 'max-connections': 0 });
    expect((await tryOpen(broker.port, login)) as { replyText: string }).toMatchObject({
      replyText: `NOT_ALLOWED - access to vhost '${vhost}' refused for user '${user}': connection limit (0) is reached`,
    });
    await admin.setVhostLimits(vhost, { 'max-connections': -1 });
    await opens(broker.port, login);
  });

  it('max-queues: a new queue beyond the limit is 406; redeclaring or checking an existing one is fine; a delete frees the slot', async () => {
    const { vhost, url } = await made.userAndVhost();
    await admin.setVhostLimits(vhost, { 'max-queues': 1 });
    await withChannel(url, async (ch, conn) => {
      const [q1, q2] = [uniqueName('q'), uniqueName('q')];
      await ch.assertQueue(q1, { durable: false });
      await ch.assertQueue(q1, { durable: false });
      await ch.checkQueue(q1);
      expect(await expectClose(() => ch.assertQueue(q2, { durable: false }))).toEqual({ code: 406, message: queueLimit(q2, vhost, 1) });
      const ch2 = await conn.createChannel();
      ch2.on('error', () => {});
      // Exclusive and server-named queues count the same.
      expect(await expectClose(() => ch2.assertQueue('', { exclusive: true }))).toMatchObject({ code: 406 });
      const ch3 = await conn.createChannel();
      await ch3.deleteQueue(q1);
      await ch3.assertQueue(q2, { durable: false });
      await ch3.deleteQueue(q2);
    });
  });
});

describe('user limits', slow, () => {
  it("max-connections: the user's second connection is refused in any vhost; the first closing frees the slot", async () => {
    const { user, vhost, url } = await made.userAndVhost();
    const other = await made.vhost();
    await admin.setPermissions(user, other, FULL);
    await admin.setUserLimits(user, { 'max-connections': 1 });
    const first = await amqp.connect(url);
    const login = { user, password: 'pw', vhost: other };
    expect(await refusedOpen(broker.port, login)).toEqual({
      replyCode: 530,
      replyText: `NOT_ALLOWED - connection refused for user '${user}': user connection limit (1) is reached`,
      classId: 10,
      methodId: 40,
    });
    // Other users are not concerned.
    const someoneElse = await made.user();
    await admin.setPermissions(someoneElse, vhost, FULL);
    expect(await tryOpen(broker.port, { user: someoneElse, password: 'pw', vhost })).toBe('open');
    await first.close();
    await opens(broker.port, login);
  });

  it("max-channels: counted across the user's connections; the next channel.open closes its connection with 530; closing a channel frees the slot", async () => {
    const { user, url } = await made.userAndVhost();
    await admin.setUserLimits(user, { 'max-channels': 1 });
    const first = await amqp.connect(url);
    try {
      const ch = await first.createChannel();
      expect(await refusedChannel(url)).toBe(
        connectionClosed(
          530,
          'NOT-ALLOWED',
          `NOT_ALLOWED - number of channels opened for user '${user}' has reached the maximum allowed user limit of (1)`,
        ),
      );
      await ch.close();
      await channelOpens(url);
      await first.createChannel();
    } finally {
      await first.close().catch(() => {});
    }
  });
});

describe('counts go down however a connection ends', slow, () => {
  it('closed by the broker (530 on a reused consumer tag): its connection and channel slots are free again', async () => {
    const { user, vhost, url } = await made.userAndVhost();
    await admin.setUserLimits(user, { 'max-connections': 1, 'max-channels': 1 });
    const conn = await amqp.connect(url);
    conn.on('error', () => {});
    const closed = closeMessage(conn);
    const ch = await conn.createChannel();
    const { queue } = await ch.assertQueue('', { exclusive: true });
    await ch.consume(queue, () => {}, { consumerTag: 'twice' });
    await expect(ch.consume(queue, () => {}, { consumerTag: 'twice' })).rejects.toThrow();
    expect(await closed).toBe(connectionClosed(530, 'NOT-ALLOWED', "NOT_ALLOWED - attempt to reuse consumer tag 'twice'"));
    await opens(broker.port, { user, password: 'pw', vhost });
    await channelOpens(url);
  });

  it('dropped without connection.close (socket destroyed): its connection and channel slots are free again', async () => {
    const { user, vhost, url } = await made.userAndVhost();
    await admin.setVhostLimits(vhost, { 'max-connections': 1 });
    await admin.setUserLimits(user, { 'max-channels': 1 });
    const raw = await RawClient.open(broker.port, { user, password: 'pw', vhost });
    await raw.openChannel(1);
    raw.destroy();
    await channelOpens(url);
  });
});

describe('channel_max negotiated by the client', slow, () => {
  it('channels beyond it close the connection with 530; a closed channel number can be opened again', async () => {
    const c = await RawClient.open(broker.port, { channelMax: 2 });
    try {
      await c.openChannel(1);
      await c.openChannel(2);
      c.sendMethod(1, 20, 40, Buffer.concat([short(200), shortstr('bye'), short(0), short(0)]));
      await c.expectMethod(20, 41);
      await c.openChannel(1);
      c.sendMethod(3, 20, 10, shortstr(''));
      expect(await c.expectConnectionClose()).toMatchObject({
        replyCode: 530,
        replyText: 'NOT_ALLOWED - number of channels opened (2) has reached the negotiated channel_max (2)',
      });
    } finally {
      c.destroy();
    }
  });
});

describe.skipIf(broker.external)('node limits (Warren-only startup options)', () => {
  let node: RunningBroker;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'warren-limits-'));
    node = await startBroker({ port: 0, dataDir, logLevel: 'warn', maxConnections: 2, maxConsumersPerChannel: 2, channelMax: 3 });
  });
  afterAll(async () => {
    await node?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const guest = { user: 'guest', password: 'guest', vhost: '/' };

  it('maxConnections: the node refuses connections beyond it, whoever the user, until one closes', async () => {
    const [a, b] = await Promise.all([amqp.connect(node.url), amqp.connect(node.url)]);
    expect(await tryOpen(node.port, guest)).toEqual({
      replyCode: 530,
      replyText: 'NOT_ALLOWED - connection refused: node connection limit (2) is reached',
      classId: 10,
      methodId: 40,
    });
    await a.close();
    expect(await tryOpen(node.port, guest)).toBe('open');
    await b.close();
  });

  it('maxConsumersPerChannel: each channel has its own count; a cancel frees a slot; one more is 530', async () => {
    const conn = await amqp.connect(node.url);
    conn.on('error', () => {});
    const closed = closeMessage(conn);
    const [ch1, ch2] = await Promise.all([conn.createChannel(), conn.createChannel()]);
    const { queue } = await ch1.assertQueue('', { exclusive: true });
    const tags: string[] = [];
    for (const ch of [ch1, ch1, ch2, ch2]) tags.push((await ch.consume(queue, () => {})).consumerTag);
    await ch1.cancel(tags[0] as string);
    await ch1.consume(queue, () => {});
    await expect(ch1.consume(queue, () => {})).rejects.toThrow();
    expect(await closed).toBe(connectionClosed(530, 'NOT-ALLOWED', 'NOT_ALLOWED - reached maximum (2) of consumers per channel'));
  });

  it('channelMax: proposed in connection.tune, and a channel beyond it is 530', async () => {
    const c = await RawClient.open(node.port);
    try {
      expect(c.tune.channelMax).toBe(3);
      for (const n of [1, 2, 3]) await c.openChannel(n);
      c.sendMethod(4, 20, 10, shortstr(''));
      expect(await c.expectConnectionClose()).toMatchObject({
        replyCode: 530,
        replyText: 'NOT_ALLOWED - number of channels opened (3) has reached the negotiated channel_max (3)',
      });
    } finally {
      c.destroy();
    }
  });
});
