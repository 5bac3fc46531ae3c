/**
 * Validated user-id: a publish whose user_id property differs from the authenticated user is refused
 * with 406; equal or absent user_id is delivered unchanged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import amqp from 'amqplib';
import { startTestBroker, uniqueName, withConfirmChannel, type TestBroker, roundTrip } from '../helpers/broker.js';

let broker: TestBroker;
let user: string;
beforeAll(async () => {
  broker = await startTestBroker();
  user = decodeURIComponent(new URL(broker.url).username); // 'guest'
});
afterAll(async () => {
  await broker?.close();
});

async function expectRefused(userId: string): Promise<void> {
  const conn = await amqp.connect(broker.url);
  conn.on('error', () => {});
  try {
    const ch = await conn.createConfirmChannel();
    const closed = new Promise<{ code?: number; message?: string }>((resolve) => ch.once('error', resolve));
    const q = uniqueName('userid-refused');
    await ch.assertQueue(q, { exclusive: true });
    const confirm = new Promise<unknown>((resolve) => {
      ch.sendToQueue(q, Buffer.from('x'), { userId }, (err) => resolve(err));
    });
    expect(await roundTrip(ch)).toBe('closed');
    const err = await closed;
    expect({ code: err.code, message: err.message }).toEqual({
      code: 406,
      message:
        'Channel closed by server: 406 (PRECONDITION-FAILED) with message ' +
        `"PRECONDITION_FAILED - user_id property set to '${userId}' but authenticated user was '${user}'"`,
    });
    // the pending confirm fails rather than being acked
    expect(await confirm).toBeInstanceOf(Error);
    // nothing was enqueued
    const other = await conn.createChannel();
    expect((await other.checkQueue(q)).messageCount).toBe(0);
  } finally {
    await conn.close().catch(() => {});
  }
}

describe('user_id validation', () => {
  it('accepts a user_id equal to the authenticated user and delivers it unchanged', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const q = uniqueName('userid-ok');
      await ch.assertQueue(q, { exclusive: true });
      ch.sendToQueue(q, Buffer.from('mine'), { userId: user });
      await ch.waitForConfirms();
      const m = await ch.get(q, { noAck: true });
      expect(m && m.content.toString()).toBe('mine');
      expect(m && m.properties.userId).toBe(user);
    });
  });

  it('does not add a user_id when none was sent', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const q = uniqueName('userid-none');
      await ch.assertQueue(q, { exclusive: true });
      ch.sendToQueue(q, Buffer.from('anon'));
      await ch.waitForConfirms();
      const m = await ch.get(q, { noAck: true });
      expect(m && m.properties.userId).toBeUndefined();
    });
  });

  it("refuses another user's name with 406 PRECONDITION_FAILED", async () => {
    await expectRefused('bob');
  });

  it('compares exactly: case, whitespace and the empty string all differ', async () => {
    await expectRefused(user.toUpperCase());
    await expectRefused(`${user} `);
    await expectRefused('');
  });
});
