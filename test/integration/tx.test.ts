/**
 * AMQP transactions (tx.select / tx.commit / tx.rollback) on a channel: publishes and acks take
 * effect at commit only, rollback discards them, and tx and confirm modes exclude each other.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import amqp from 'amqplib';
import type { Channel, ChannelModel, Message } from 'amqplib';
import { startTestBroker, uniqueName, waitFor, withChannel, type TestBroker, getN, drainMarked } from '../helpers/broker.js';

let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker();
});
afterAll(async () => {
  await broker?.close();
});

// amqplib has no tx API; it can send any method through its channel rpc(method id, fields, reply id).
const TX_SELECT = (90 << 16) | 10;
const TX_COMMIT = (90 << 16) | 20;
const TX_ROLLBACK = (90 << 16) | 30;
const CONFIRM_SELECT = (85 << 16) | 10;

function rpc(ch: Channel, method: number, fields: object = {}): Promise<unknown> {
  const raw = ch as unknown as { rpc(method: number, fields: object, expect: number): Promise<unknown> };
  return raw.rpc(method, fields, method + 1);
}
const txSelect = (ch: Channel) => rpc(ch, TX_SELECT);
const txCommit = (ch: Channel) => rpc(ch, TX_COMMIT);
const txRollback = (ch: Channel) => rpc(ch, TX_ROLLBACK);

async function openChannel(conn: ChannelModel): Promise<Channel> {
  const ch = await conn.createChannel();
  ch.on('error', () => {});
  return ch;
}

const ready = async (ch: Channel, q: string) => (await ch.checkQueue(q)).messageCount;

/** A queue (owned by `owner`'s connection) holding '1'..'n', committed. */
async function filledQueue(owner: Channel, prefix: string, n: number): Promise<string> {
  const q = uniqueName(prefix);
  await owner.assertQueue(q, { exclusive: true });
  for (let i = 1; i <= n; i++) owner.sendToQueue(q, Buffer.from(String(i)));
  await waitFor(async () => (await ready(owner, q)) === n);
  return q;
}

describe('tx', () => {
  it('publishes become visible only at commit, in order', async () => {
    await withChannel(broker.url, async (observer, conn) => {
      const q = uniqueName('tx-publish');
      await observer.assertQueue(q, { exclusive: true });
      const ch = await openChannel(conn);
      await txSelect(ch);
      for (let i = 1; i <= 3; i++) ch.sendToQueue(q, Buffer.from(String(i)));
      // a round trip on the tx channel itself: the publishes have been received, but not committed
      expect(await ready(ch, q)).toBe(0);
      expect(await ready(observer, q)).toBe(0);
      await txCommit(ch);
      expect(await ready(observer, q)).toBe(3);
      expect(await drainMarked(observer, q)).toEqual(['1', '2', '3']);
    });
  });

  it('the channel stays transactional after a commit: each commit starts a new transaction', async () => {
    await withChannel(broker.url, async (observer, conn) => {
      const q = uniqueName('tx-again');
      await observer.assertQueue(q, { exclusive: true });
      const ch = await openChannel(conn);
      await txSelect(ch);
      ch.sendToQueue(q, Buffer.from('a'));
      await txCommit(ch);
      ch.sendToQueue(q, Buffer.from('b'));
      expect(await ready(ch, q)).toBe(1);
      await txCommit(ch);
      expect(await drainMarked(observer, q)).toEqual(['a', 'b']);
      // an empty commit is fine
      await expect(txCommit(ch)).resolves.toBeDefined();
    });
  });

  it('rollback discards the uncommitted publishes', async () => {
    await withChannel(broker.url, async (observer, conn) => {
      const q = uniqueName('tx-rollback');
      await observer.assertQueue(q, { exclusive: true });
      const ch = await openChannel(conn);
      await txSelect(ch);
      ch.sendToQueue(q, Buffer.from('discarded-1'));
      ch.sendToQueue(q, Buffer.from('discarded-2'));
      await txRollback(ch);
      ch.sendToQueue(q, Buffer.from('kept'));
      await txCommit(ch);
      expect(await drainMarked(observer, q)).toEqual(['kept']);
    });
  });

  it('closing a channel with an open transaction discards its publishes', async () => {
    await withChannel(broker.url, async (observer, conn) => {
      const q = uniqueName('tx-close');
      await observer.assertQueue(q, { exclusive: true });
      const ch = await openChannel(conn);
      await txSelect(ch);
      ch.sendToQueue(q, Buffer.from('never'));
      await ready(ch, q);
      await ch.close();
      observer.sendToQueue(q, Buffer.from('marker'));
      await waitFor(async () => (await ready(observer, q)) >= 1);
      expect(await drainMarked(observer, q)).toEqual(['marker']);
    });
  });

  it('mandatory returns of a transaction are sent at commit, before commit-ok', async () => {
    await withChannel(broker.url, async (ch) => {
      const returned: Message[] = [];
      ch.on('return', (m: Message) => returned.push(m));
      await txSelect(ch);
      const rk = uniqueName('tx-unroutable');
      ch.publish('amq.direct', rk, Buffer.from('back'), { mandatory: true });
      await ch.checkExchange('amq.direct'); // round trip: the publish has been received
      expect(returned).toHaveLength(0);
      await txCommit(ch);
      expect(returned.map((m) => m.fields)).toEqual([
        { replyCode: 312, replyText: 'NO_ROUTE', exchange: 'amq.direct', routingKey: rk },
      ]);
    });
  });

  it('acks in a transaction are applied only at commit', async () => {
    await withChannel(broker.url, async (owner, conn) => {
      const q = await filledQueue(owner, 'tx-ack', 3);
      const ch = await openChannel(conn);
      await txSelect(ch);
      const [m1, m2] = await getN(ch, q, 2);
      ch.ack(m1!);
      await txCommit(ch);
      ch.ack(m2!); // never committed
      await ready(ch, q);
      await ch.close();
      // m2's ack died with the transaction: it comes back; m1's was committed
      await waitFor(async () => (await ready(owner, q)) === 2);
      expect(await drainMarked(owner, q)).toEqual(['2*', '3']);
    });
  });

  it('rollback of acks leaves the messages unacked (not requeued); they can be acked again', async () => {
    await withChannel(broker.url, async (owner, conn) => {
      const q = await filledQueue(owner, 'tx-ack-rollback', 3);
      const ch = await openChannel(conn);
      await txSelect(ch);
      const [m1] = await getN(ch, q, 2);
      ch.ack(m1!);
      await txRollback(ch);
      // still only '3' is ready: the rolled-back ack did not requeue m1
      expect(await ready(ch, q)).toBe(1);
      // m1 is still outstanding on the channel, so acking it again is valid
      ch.ack(m1!);
      await txCommit(ch);
      expect(await ready(ch, q)).toBe(1);
      await ch.close();
      await waitFor(async () => (await ready(owner, q)) === 2);
      expect(await drainMarked(owner, q)).toEqual(['2*', '3']);
    });
  });

  it('reject with requeue inside a transaction requeues only at commit; rollback cancels it', async () => {
    await withChannel(broker.url, async (owner, conn) => {
      const q = await filledQueue(owner, 'tx-reject', 3);
      const ch = await openChannel(conn);
      await txSelect(ch);
      const [m1, m2] = await getN(ch, q, 2);
      ch.reject(m1!, true);
      expect(await ready(ch, q)).toBe(1);
      await txCommit(ch);
      // (RabbitMQ answers queue.declare before it has processed the requeue: poll)
      await waitFor(async () => (await ready(ch, q)) === 2);
      ch.nack(m2!, false, false);
      await txRollback(ch);
      expect(await ready(ch, q)).toBe(2);
      ch.ack(m2!);
      await txCommit(ch);
      expect(await drainMarked(ch, q)).toEqual(['1*', '3']);
    });
  });
});

describe('tx errors', () => {
  async function expectChannelError(
    setup: (ch: Channel) => Promise<unknown>,
    failing: (ch: Channel) => Promise<unknown>,
    expected: { code: number; message: string },
  ): Promise<void> {
    const conn = await amqp.connect(broker.url);
    conn.on('error', () => {});
    try {
      const ch = await conn.createChannel();
      const closed = new Promise<{ code?: number; message?: string }>((resolve) => ch.once('error', resolve));
      await setup(ch);
      await expect(failing(ch)).rejects.toThrow();
      const err = await closed;
      expect({ code: err.code, message: err.message }).toEqual(expected);
      // only the channel was closed
      const other = await conn.createChannel();
      await expect(other.checkExchange('amq.direct')).resolves.toBeDefined();
    } finally {
      await conn.close().catch(() => {});
    }
  }

  const closedWith = (code: number, name: string, text: string) => ({
    code,
    message: `Channel closed by server: ${code} (${name}) with message "${text}"`,
  });

  it('confirm.select on a transactional channel -> 406', async () => {
    await expectChannelError(
      (ch) => txSelect(ch),
      (ch) => rpc(ch, CONFIRM_SELECT, { nowait: false }),
      closedWith(406, 'PRECONDITION-FAILED', 'PRECONDITION_FAILED - cannot switch from tx to confirm mode'),
    );
  });

  it('tx.select on a confirm channel -> 406', async () => {
    await expectChannelError(
      (ch) => rpc(ch, CONFIRM_SELECT, { nowait: false }),
      (ch) => txSelect(ch),
      closedWith(406, 'PRECONDITION-FAILED', 'PRECONDITION_FAILED - cannot switch from confirm to tx mode'),
    );
  });

  it('tx.commit without tx.select -> 406', async () => {
    await expectChannelError(
      async () => {},
      (ch) => txCommit(ch),
      closedWith(406, 'PRECONDITION-FAILED', 'PRECONDITION_FAILED - channel is not transactional'),
    );
  });

  it('tx.rollback without tx.select -> 406', async () => {
    await expectChannelError(
      async () => {},
      (ch) => txRollback(ch),
      closedWith(406, 'PRECONDITION-FAILED', 'PRECONDITION_FAILED - channel is not transactional'),
    );
  });

  it('tx.select twice is allowed', async () => {
    await withChannel(broker.url, async (ch) => {
      await txSelect(ch);
      await expect(txSelect(ch)).resolves.toBeDefined();
    });
  });
});
