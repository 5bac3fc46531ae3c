/**
 * Sender-selected distribution: CC and BCC headers (arrays of routing keys) route the message with
 * the same exchange to extra destinations; BCC is removed before delivery, CC is kept.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import amqp from 'amqplib';
import type { ConfirmChannel, Message } from 'amqplib';
import { startTestBroker, uniqueName, withConfirmChannel, type TestBroker, roundTrip } from '../helpers/broker.js';

let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker();
});
afterAll(async () => {
  await broker?.close();
});

/** Everything in the queue (no-ack), as delivered. */
async function drain(ch: ConfirmChannel, q: string): Promise<Message[]> {
  const out: Message[] = [];
  for (;;) {
    const m = await ch.get(q, { noAck: true });
    if (m === false) return out;
    out.push(m);
  }
}

/** Three exclusive queues A, B, C bound to amq.direct with keys ka, kb, kc (A also with kb). */
async function setup(ch: ConfirmChannel) {
  const p = uniqueName('ccbcc');
  const q = { a: `${p}-A`, b: `${p}-B`, c: `${p}-C` };
  const k = { a: `${p}-ka`, b: `${p}-kb`, c: `${p}-kc`, none: `${p}-unbound` };
  for (const name of Object.values(q)) await ch.assertQueue(name, { exclusive: true });
  await ch.bindQueue(q.a, 'amq.direct', k.a);
  await ch.bindQueue(q.a, 'amq.direct', k.b);
  await ch.bindQueue(q.b, 'amq.direct', k.b);
  await ch.bindQueue(q.c, 'amq.direct', k.c);
  return { q, k };
}

const bodies = (ms: Message[]) => ms.map((m) => m.content.toString());

describe('CC / BCC', () => {
  it('CC and BCC route to extra queues; BCC is stripped and CC kept; routing key unchanged', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const { q, k } = await setup(ch);
      ch.publish('amq.direct', k.c, Buffer.from('m'), { CC: [k.b], BCC: [k.a], headers: { other: 'kept' } });
      await ch.waitForConfirms();
      const [a, b, c] = [await drain(ch, q.a), await drain(ch, q.b), await drain(ch, q.c)];
      // A matches kb (CC) and ka (BCC) but gets a single copy
      expect(bodies(a)).toEqual(['m']);
      expect(bodies(b)).toEqual(['m']);
      expect(bodies(c)).toEqual(['m']);
      for (const m of [...a, ...b, ...c]) {
        expect(m.fields.exchange).toBe('amq.direct');
        expect(m.fields.routingKey).toBe(k.c);
        expect(m.properties.headers).toEqual({ CC: [k.b], other: 'kept' });
      }
    });
  });

  it('a BCC-only route counts as routed for mandatory, and the BCC header is gone', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const { q, k } = await setup(ch);
      const returned: Message[] = [];
      ch.on('return', (m: Message) => returned.push(m));
      ch.publish('amq.direct', k.none, Buffer.from('secret'), { BCC: [k.c], mandatory: true });
      await ch.waitForConfirms();
      expect(returned).toEqual([]);
      const c = await drain(ch, q.c);
      expect(bodies(c)).toEqual(['secret']);
      expect(c[0]!.properties.headers).toEqual({});
      expect(c[0]!.fields.routingKey).toBe(k.none);
    });
  });

  it('an unroutable message is returned without its BCC header', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const { k } = await setup(ch);
      const returned: Message[] = [];
      ch.on('return', (m: Message) => returned.push(m));
      ch.publish('amq.direct', k.none, Buffer.from('nowhere'), {
        CC: [`${k.none}-2`],
        BCC: [`${k.none}-3`],
        mandatory: true,
      });
      await ch.waitForConfirms();
      expect(returned).toHaveLength(1);
      expect(returned[0]!.fields).toEqual({ replyCode: 312, replyText: 'NO_ROUTE', exchange: 'amq.direct', routingKey: k.none });
      expect(returned[0]!.properties.headers).toEqual({ CC: [`${k.none}-2`] });
    });
  });

  it('works through the default exchange with queue names as keys', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const { q } = await setup(ch);
      ch.sendToQueue(q.a, Buffer.from('x'), { CC: q.b, BCC: [q.c] });
      await ch.waitForConfirms();
      const [a, b, c] = [await drain(ch, q.a), await drain(ch, q.b), await drain(ch, q.c)];
      expect([bodies(a), bodies(b), bodies(c)]).toEqual([['x'], ['x'], ['x']]);
      expect(b[0]!.properties.headers).toEqual({ CC: [q.b] });
      expect(b[0]!.fields.routingKey).toBe(q.a);
    });
  });

  it('matches CC keys against topic patterns', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const p = uniqueName('cc-topic');
      const q1 = `${p}-1`;
      const q2 = `${p}-2`;
      await ch.assertQueue(q1, { exclusive: true });
      await ch.assertQueue(q2, { exclusive: true });
      await ch.bindQueue(q1, 'amq.topic', `${p}.orders.*`);
      await ch.bindQueue(q2, 'amq.topic', `${p}.audit.#`);
      ch.publish('amq.topic', `${p}.orders.new`, Buffer.from('o'), { CC: [`${p}.audit.orders.new`] });
      await ch.waitForConfirms();
      expect(bodies(await drain(ch, q1))).toEqual(['o']);
      expect(bodies(await drain(ch, q2))).toEqual(['o']);
    });
  });

  it('a CC or BCC header that is not an array closes the channel with 406', async () => {
    for (const [header, text] of [
      ['CC', 'PRECONDITION_FAILED - invalid message: {unacceptable_type_in_header,"CC",longstr}'],
      ['BCC', 'PRECONDITION_FAILED - invalid message: {unacceptable_type_in_header,"BCC",longstr}'],
    ] as const) {
      const conn = await amqp.connect(broker.url);
      conn.on('error', () => {});
      try {
        const ch = await conn.createChannel();
        const closed = new Promise<{ code?: number; message?: string }>((resolve) => ch.once('error', resolve));
        // amqplib's CC/BCC options always send arrays; a plain header sends a longstr
        ch.publish('amq.direct', uniqueName('cc-bad'), Buffer.from('x'), { headers: { [header]: 'not-an-array' } });
        expect(await roundTrip(ch)).toBe('closed');
        const err = await closed;
        expect({ code: err.code, message: err.message }).toEqual({
          code: 406,
          message: `Channel closed by server: 406 (PRECONDITION-FAILED) with message "${text}"`,
        });
      } finally {
        await conn.close().catch(() => {});
      }
    }
  });

  it('lower-case cc/bcc headers are ordinary headers', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const { q, k } = await setup(ch);
      ch.publish('amq.direct', k.c, Buffer.from('plain'), { headers: { cc: [k.b], bcc: [k.a] } });
      await ch.waitForConfirms();
      expect(bodies(await drain(ch, q.a))).toEqual([]);
      expect(bodies(await drain(ch, q.b))).toEqual([]);
      const c = await drain(ch, q.c);
      expect(c[0]!.properties.headers).toEqual({ cc: [k.b], bcc: [k.a] });
    });
  });
});
