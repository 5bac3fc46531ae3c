/**
 * The mandatory flag (basic.return with 312 NO_ROUTE), its ordering relative to publisher confirms,
 * silent dropping of non-mandatory unroutable messages, and the unsupported immediate flag.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import amqp from 'amqplib';
import type { Channel, Message } from 'amqplib';
import { startTestBroker, uniqueName, waitFor, withChannel, withConfirmChannel, type TestBroker, roundTrip } from '../helpers/broker.js';

let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker();
});
afterAll(async () => {
  await broker?.close();
});

function recordReturns(ch: Channel): Message[] {
  const returned: Message[] = [];
  ch.on('return', (m: Message) => returned.push(m));
  return returned;
}

describe('mandatory', () => {
  it('returns an unroutable mandatory message with 312 NO_ROUTE, its exchange, key, properties and body', async () => {
    await withChannel(broker.url, async (ch) => {
      const returned = recordReturns(ch);
      const rk = uniqueName('unbound-key');
      const body = Buffer.from([0, 1, 2, 250, 255]);
      ch.publish('amq.direct', rk, body, {
        mandatory: true,
        contentType: 'application/octet-stream',
        correlationId: 'corr-1',
        messageId: 'msg-1',
        headers: { h1: 'v1', n: 42 },
        deliveryMode: 2,
        priority: 3,
        type: 't',
        appId: 'app',
        timestamp: 1_700_000_000,
      });
      await waitFor(() => returned.length === 1);
      const m = returned[0]!;
      expect(m.fields).toEqual({ replyCode: 312, replyText: 'NO_ROUTE', exchange: 'amq.direct', routingKey: rk });
      expect(m.content.equals(body)).toBe(true);
      expect(m.properties).toMatchObject({
        contentType: 'application/octet-stream',
        correlationId: 'corr-1',
        messageId: 'msg-1',
        headers: { h1: 'v1', n: 42 },
        deliveryMode: 2,
        priority: 3,
        type: 't',
        appId: 'app',
        timestamp: 1_700_000_000,
      });
    });
  });

  it('returns a mandatory message for a missing queue through the default exchange', async () => {
    await withChannel(broker.url, async (ch) => {
      const returned = recordReturns(ch);
      const q = uniqueName('no-such-queue');
      ch.sendToQueue(q, Buffer.from('hi'), { mandatory: true });
      await waitFor(() => returned.length === 1);
      expect(returned[0]!.fields).toEqual({ replyCode: 312, replyText: 'NO_ROUTE', exchange: '', routingKey: q });
      expect(returned[0]!.content.toString()).toBe('hi');
    });
  });

  it('with confirms, the basic.return arrives before the basic.ack', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const order: string[] = [];
      ch.on('return', (m: Message) => order.push(`return:${m.content.toString()}`));
      ch.on('ack', (f: { deliveryTag: number }) => order.push(`ack:${f.deliveryTag}`));
      await new Promise<void>((resolve, reject) => {
        ch.publish('amq.direct', uniqueName('unbound'), Buffer.from('r1'), { mandatory: true }, (err) =>
          err ? reject(err) : resolve(),
        );
      });
      expect(order).toEqual(['return:r1', 'ack:1']);
    });
  });

  it('does not return a routable mandatory message', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const returned = recordReturns(ch);
      const q = uniqueName('mandatory-ok');
      await ch.assertQueue(q, { exclusive: true });
      ch.sendToQueue(q, Buffer.from('delivered'), { mandatory: true });
      await ch.waitForConfirms();
      // a return would have arrived before the ack
      expect(returned).toEqual([]);
      const m = await ch.get(q, { noAck: true });
      expect(m && m.content.toString()).toBe('delivered');
    });
  });

  it('silently drops an unroutable non-mandatory message; confirms still ack it', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const returned = recordReturns(ch);
      const acks: number[] = [];
      ch.on('ack', (f: { deliveryTag: number }) => acks.push(f.deliveryTag));
      ch.publish('amq.direct', uniqueName('unbound'), Buffer.from('gone'));
      ch.publish('amq.direct', uniqueName('unbound'), Buffer.from('returned'), { mandatory: true });
      await ch.waitForConfirms();
      expect(returned.map((m) => m.content.toString())).toEqual(['returned']);
      expect(acks.length).toBeGreaterThan(0);
      expect(Math.max(...acks)).toBe(2);
      // the channel is still open
      const q = uniqueName('after-drop');
      await expect(ch.assertQueue(q, { exclusive: true })).resolves.toMatchObject({ queue: q });
    });
  });

  it('immediate=true closes the connection with 540 NOT_IMPLEMENTED', async () => {
    const conn = await amqp.connect(broker.url);
    const closed = new Promise<{ code?: number; message?: string }>((resolve) => conn.once('error', resolve));
    try {
      const ch = await conn.createChannel();
      ch.on('error', () => {});
      // amqplib's publish() always sends immediate=false; use its lower-level sendMessage(fields, properties, body)
      const raw = ch as unknown as { sendMessage(fields: object, properties: object, content: Buffer): boolean };
      raw.sendMessage(
        { exchange: '', routingKey: uniqueName('immediate'), mandatory: false, immediate: true },
        { headers: {} },
        Buffer.from('now!'),
      );
      expect(await roundTrip(ch)).toBe('closed');
      const err = await closed;
      expect(err.code).toBe(540);
      expect(err.message).toBe('Connection closed: 540 (NOT-IMPLEMENTED) with message "NOT_IMPLEMENTED - immediate=true"');
    } finally {
      await conn.close().catch(() => {});
    }
  });
});
