/**
 * Message bodies of every size class round-trip byte-exact: empty, one byte, around the body-frame
 * boundary (frame_max - 8 is the largest body that fits one frame), several frames, 1 MiB, 10 MiB.
 * Bodies above the broker's max message size are refused with 406.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import amqp from 'amqplib';
import type { ChannelModel, ConsumeMessage } from 'amqplib';
import { startTestBroker, uniqueName, waitFor, withConfirmChannel, type TestBroker, roundTrip } from '../helpers/broker.js';

const MiB = 1024 * 1024;

let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker();
});
afterAll(async () => {
  await broker?.close();
});

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** frame_max as negotiated by amqplib with the broker (131072 for RabbitMQ 3.10's default). */
function negotiatedFrameMax(conn: ChannelModel): number {
  const frameMax = (conn.connection as unknown as { frameMax: number }).frameMax;
  expect(frameMax).toBeGreaterThanOrEqual(4096);
  return frameMax;
}

describe('large messages', () => {
  it('round-trips bodies around the frame boundary byte-exact through basic.deliver', async () => {
    await withConfirmChannel(broker.url, async (ch, conn) => {
      const fm = negotiatedFrameMax(conn);
      const sizes = [0, 1, fm - 9, fm - 8, fm - 7, 2 * (fm - 8), 2 * (fm - 8) + 1, 3 * fm];
      const q = uniqueName('large-frames');
      await ch.assertQueue(q, { exclusive: true });
      const bodies = sizes.map((n) => randomBytes(n));
      const got: ConsumeMessage[] = [];
      await ch.consume(q, (m) => m && got.push(m), { noAck: true });
      bodies.forEach((b, i) => ch.sendToQueue(q, b, { messageId: String(i) }));
      await ch.waitForConfirms();
      await waitFor(() => got.length === sizes.length);
      expect(got.map((m) => m.properties.messageId)).toEqual(sizes.map((_, i) => String(i)));
      expect(got.map((m) => m.content.length)).toEqual(sizes);
      expect(got.map((m) => sha256(m.content))).toEqual(bodies.map(sha256));
    });
  });

  it('round-trips 1 MiB and 10 MiB bodies byte-exact (deliver and get)', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const q = uniqueName('large-mib');
      await ch.assertQueue(q, { exclusive: true });
      const one = randomBytes(MiB);
      const ten = randomBytes(10 * MiB);
      ch.sendToQueue(q, one);
      ch.sendToQueue(q, ten);
      await ch.waitForConfirms();
      const a = await ch.get(q, { noAck: true });
      if (a === false) throw new Error('no 1 MiB message');
      expect(a.content.length).toBe(MiB);
      expect(sha256(a.content)).toBe(sha256(one));

      const got: ConsumeMessage[] = [];
      await ch.consume(q, (m) => m && got.push(m), { noAck: true });
      await waitFor(() => got.length === 1, 10_000);
      expect(got[0]!.content.length).toBe(10 * MiB);
      expect(sha256(got[0]!.content)).toBe(sha256(ten));
    });
  });

  it('an empty body has no body frames and still carries its properties', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const q = uniqueName('large-empty');
      await ch.assertQueue(q, { exclusive: true });
      ch.sendToQueue(q, Buffer.alloc(0), { contentType: 'text/plain', headers: { k: 'v' } });
      await ch.waitForConfirms();
      const m = await ch.get(q, { noAck: true });
      if (m === false) throw new Error('no message');
      expect(m.content.length).toBe(0);
      expect(m.properties.contentType).toBe('text/plain');
      expect(m.properties.headers).toEqual({ k: 'v' });
    });
  });
});

describe('max message size', () => {
  let small: TestBroker | undefined;
  beforeAll(async () => {
    // RabbitMQ 3.10's max_message_size is 128 MiB by default and cannot be set from a test; against an
    // external broker these cases are skipped (broker.external).
    if (!broker.external) small = await startTestBroker({ maxMessageSize: MiB });
  });
  afterAll(async () => {
    await small?.close();
  });

  it('refuses a body one byte over the limit with 406, accepts one exactly at it', async (ctx) => {
    if (broker.external || !small) {
      ctx.skip();
      return;
    }
    const conn = await amqp.connect(small.url);
    conn.on('error', () => {});
    try {
      const ok = await conn.createConfirmChannel();
      const q = uniqueName('max-size');
      await ok.assertQueue(q, { exclusive: true });
      ok.sendToQueue(q, randomBytes(MiB));
      await ok.waitForConfirms();
      expect((await ok.checkQueue(q)).messageCount).toBe(1);

      const ch = await conn.createConfirmChannel();
      const closed = new Promise<{ code?: number; message?: string }>((resolve) => ch.once('error', resolve));
      const confirm = new Promise<unknown>((resolve) => ch.sendToQueue(q, randomBytes(MiB + 1), {}, (err) => resolve(err)));
      expect(await roundTrip(ch)).toBe('closed');
      const err = await closed;
      // same text as RabbitMQ (rabbit_channel:check_msg_size) when max_message_size is configured
      expect({ code: err.code, message: err.message }).toEqual({
        code: 406,
        message:
          'Channel closed by server: 406 (PRECONDITION-FAILED) with message ' +
          '"PRECONDITION_FAILED - message size 1048577 is larger than configured max size 1048576"',
      });
      expect(await confirm).toBeInstanceOf(Error);
      expect((await ok.checkQueue(q)).messageCount).toBe(1);
    } finally {
      await conn.close().catch(() => {});
    }
  });
});
