/**
 * Publisher confirms (confirm.select): delivery-tag numbering, acks (single or multiple) covering
 * every publish exactly once, channel errors failing pending confirms, independence of channels.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import amqp from 'amqplib';
import type { EventEmitter } from 'node:events';
import type { Channel, ConfirmChannel } from 'amqplib';
import { startTestBroker, uniqueName, waitFor, withConfirmChannel, type TestBroker } from '../helpers/broker.js';

let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker();
});
afterAll(async () => {
  await broker?.close();
});

interface ConfirmEvent {
  kind: 'ack' | 'nack';
  deliveryTag: number;
  multiple: boolean;
}

/** Records the raw basic.ack / basic.nack frames the broker sends on a channel. */
function recordConfirms(ch: EventEmitter): { events: ConfirmEvent[]; acked: () => number[]; nacked: () => number[] } {
  const events: ConfirmEvent[] = [];
  ch.on('ack', (f: { deliveryTag: number; multiple: boolean }) =>
    events.push({ kind: 'ack', deliveryTag: f.deliveryTag, multiple: f.multiple }),
  );
  ch.on('nack', (f: { deliveryTag: number; multiple: boolean }) =>
    events.push({ kind: 'nack', deliveryTag: f.deliveryTag, multiple: f.multiple }),
  );
  /** Tags covered by events of one kind, in the order covered; a multiple covers everything not yet covered up to its tag. */
  const covered = (kind: 'ack' | 'nack'): number[] => {
    const seen = new Set<number>();
    const out: number[] = [];
    for (const e of events) {
      const tags = e.multiple ? Array.from({ length: e.deliveryTag }, (_, i) => i + 1) : [e.deliveryTag];
      for (const t of tags) {
        if (seen.has(t)) {
          if (!e.multiple) out.push(t); // a single confirm of an already confirmed tag shows up as a duplicate
          continue;
        }
        seen.add(t);
        if (e.kind === kind) out.push(t);
      }
    }
    return out;
  };
  return { events, acked: () => covered('ack'), nacked: () => covered('nack') };
}

function publishConfirmed(ch: ConfirmChannel, exchange: string, routingKey: string, body: string): Promise<void> {
  return new Promise((resolve, reject) => {
    ch.publish(exchange, routingKey, Buffer.from(body), {}, (err) => (err ? reject(err) : resolve()));
  });
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('publisher confirms', () => {
  it('numbers publishes from 1 and acks every one exactly once', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const rec = recordConfirms(ch);
      const q = uniqueName('confirm-basic');
      await ch.assertQueue(q, { exclusive: true });
      const results = await Promise.all([1, 2, 3, 4, 5].map((i) => publishConfirmed(ch, '', q, String(i))));
      expect(results).toHaveLength(5);
      expect(rec.acked()).toEqual([1, 2, 3, 4, 5]);
      expect(rec.nacked()).toEqual([]);
      expect(Math.max(...rec.events.map((e) => e.deliveryTag))).toBe(5);
      expect((await ch.checkQueue(q)).messageCount).toBe(5);
    });
  });

  it('confirm.select may be sent again on a confirm channel', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const rec = recordConfirms(ch);
      const internals = ch as unknown as { rpc(method: number, fields: object, expect: number): Promise<unknown> };
      await internals.rpc((85 << 16) | 10, { nowait: false }, (85 << 16) | 11);
      const q = uniqueName('confirm-twice');
      await ch.assertQueue(q, { exclusive: true });
      await publishConfirmed(ch, '', q, 'x');
      expect(rec.acked()).toEqual([1]);
    });
  });

  it('counts only publishes made after confirm.select', async () => {
    const conn = await amqp.connect(broker.url);
    try {
      const ch: Channel = await conn.createChannel();
      const rec = recordConfirms(ch);
      const q = uniqueName('confirm-late');
      await ch.assertQueue(q, { exclusive: true });
      ch.sendToQueue(q, Buffer.from('before-1'));
      ch.sendToQueue(q, Buffer.from('before-2'));
      const internals = ch as unknown as { rpc(method: number, fields: object, expect: number): Promise<unknown> };
      await internals.rpc((85 << 16) | 10, { nowait: false }, (85 << 16) | 11);
      ch.sendToQueue(q, Buffer.from('after'));
      await waitFor(() => rec.events.length > 0);
      expect(rec.events).toEqual([{ kind: 'ack', deliveryTag: 1, multiple: false }]);
      expect((await ch.checkQueue(q)).messageCount).toBe(3);
    } finally {
      await conn.close();
    }
  });

  it('acks unroutable messages too (nothing to route to is still a success)', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const rec = recordConfirms(ch);
      await publishConfirmed(ch, 'amq.direct', uniqueName('nobody-bound'), 'lost');
      await publishConfirmed(ch, '', uniqueName('no-such-queue'), 'lost');
      expect(rec.acked()).toEqual([1, 2]);
    });
  });

  it("publishing to a missing exchange closes the channel with 404 and fails the pending confirm", async () => {
    const conn = await amqp.connect(broker.url);
    conn.on('error', () => {});
    try {
      const ch = await conn.createConfirmChannel();
      const rec = recordConfirms(ch);
      const closed = new Promise<{ code?: number; message?: string }>((resolve) => ch.once('error', resolve));
      const q = uniqueName('confirm-404');
      await ch.assertQueue(q, { exclusive: true });
      await publishConfirmed(ch, '', q, 'fine');
      const pending = publishConfirmed(ch, 'nope', 'x', 'doomed');
      await expect(pending).rejects.toThrow('channel closed');
      const err = await closed;
      expect(err.code).toBe(404);
      expect(err.message).toBe(
        `Channel closed by server: 404 (NOT-FOUND) with message "NOT_FOUND - no exchange 'nope' in vhost '/'"`,
      );
      // neither acked nor nacked by the broker: only the first publish was confirmed
      expect(rec.events).toEqual([{ kind: 'ack', deliveryTag: 1, multiple: false }]);
      // the connection is still fine
      const other = await conn.createChannel();
      expect((await other.checkQueue(q)).messageCount).toBe(1);
    } finally {
      await conn.close().catch(() => {});
    }
  });

  it('keeps an independent tag sequence per channel', async () => {
    await withConfirmChannel(broker.url, async (a, conn) => {
      const b = await conn.createConfirmChannel();
      const recA = recordConfirms(a);
      const recB = recordConfirms(b);
      const q = uniqueName('confirm-multi-ch');
      await a.assertQueue(q, { exclusive: true });
      const pubs: Promise<void>[] = [];
      for (let i = 0; i < 3; i++) pubs.push(publishConfirmed(a, '', q, `a${i}`));
      for (let i = 0; i < 2; i++) pubs.push(publishConfirmed(b, '', q, `b${i}`));
      pubs.push(publishConfirmed(a, '', q, 'a3'));
      await Promise.all(pubs);
      expect(recA.acked()).toEqual([1, 2, 3, 4]);
      expect(recB.acked()).toEqual([1, 2]);
      expect((await a.checkQueue(q)).messageCount).toBe(6);
      await b.close();
    });
  });

  it('confirms 1000 messages, each tag exactly once (possibly with multiple acks)', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const rec = recordConfirms(ch);
      const q = uniqueName('confirm-1000');
      await ch.assertQueue(q, { exclusive: true });
      let callbacks = 0;
      for (let i = 0; i < 1000; i++) {
        ch.sendToQueue(q, Buffer.from(String(i)), {}, (err) => {
          if (!err) callbacks += 1;
        });
      }
      await ch.waitForConfirms();
      expect(callbacks).toBe(1000);
      expect(rec.acked()).toEqual(range(1, 1000));
      expect(rec.nacked()).toEqual([]);
      // tags confirmed in increasing order
      const tags = rec.events.map((e) => e.deliveryTag);
      expect([...tags].sort((x, y) => x - y)).toEqual(tags);
      expect((await ch.checkQueue(q)).messageCount).toBe(1000);
    });
  });
});
