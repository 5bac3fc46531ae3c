/**
 * Delivery acknowledgement timeout per queue (x-consumer-timeout): a delivery left unacked past the
 * timeout closes the consumer's channel with 406, and its messages are requeued.
 *
 * The per-queue argument arrived in RabbitMQ 3.12; RabbitMQ 3.10 accepts and ignores it (its
 * only timeout is the global consumer_timeout, checked once a minute), so the timeout tests are
 * Warren-only. The close text is RabbitMQ's, as 3.10 sends it for the global consumer_timeout
 * (measured on a separate 3.10.8 node with consumer_timeout = 200).
 */
import { afterAll, describe, expect, it } from 'vitest';
import amqp from 'amqplib';
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import { startTestBroker, uniqueName, waitFor, withChannel, withConfirmChannel, type TestBroker, roundTrip } from '../helpers/broker.js';

const broker: TestBroker = await startTestBroker();
afterAll(async () => {
  await broker.close();
});

const timedOut = (channel: number, ms: number) => ({
  code: 406,
  message:
    `Channel closed by server: 406 (PRECONDITION-FAILED) with message "PRECONDITION_FAILED - ` +
    `delivery acknowledgement on channel ${channel} timed out. Timeout value used: ${ms} ms. ` +
    `This timeout value can be configured, see consumers doc guide to learn more"`,
});

interface Watched {
  conn: ChannelModel;
  ch: Channel;
  got: ConsumeMessage[];
  /** when each message arrived (Date.now()) */
  at: number[];
  /** the channel's close error, once it happens */
  error: { code: number; message: string; at: number } | undefined;
}

/**
 * A consumer on its own connection; `channelNumber` channels are opened and the last one consumes
 * (so its number is known). With `autoAck`, each delivery is acked as it arrives.
 */
async function watchedConsumer(q: string, opts: { channelNumber?: number; autoAck?: boolean; noAck?: boolean } = {}): Promise<Watched> {
  const conn = await amqp.connect(broker.url);
  conn.on('error', () => {});
  let ch: Channel | undefined;
  for (let i = 0; i < (opts.channelNumber ?? 1); i++) ch = await conn.createChannel();
  const w: Watched = { conn, ch: ch!, got: [], at: [], error: undefined };
  w.ch.on('error', (err: { code?: number; message?: string }) => {
    w.error ??= { code: err.code ?? -1, message: err.message ?? '', at: Date.now() };
  });
  await w.ch.consume(
    q,
    (m) => {
      if (!m) return;
      w.got.push(m);
      w.at.push(Date.now());
      if (opts.autoAck) w.ch.ack(m);
    },
    { noAck: opts.noAck ?? false },
  );
  return w;
}

/** A shared (non-exclusive) queue with the timeout, deleted by `use`'s end. */
async function withTimeoutQueue(ch: Channel, ms: number, use: (q: string) => Promise<void>): Promise<void> {
  const q = uniqueName('ctimeout');
  await ch.assertQueue(q, { arguments: { 'x-consumer-timeout': ms } });
  try {
    await use(q);
  } finally {
    await ch.deleteQueue(q).catch(() => {});
  }
}

describe('x-consumer-timeout', () => {
  it('the argument is accepted, and a consumer that acks works as usual', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      await withTimeoutQueue(ch, 200, async (q) => {
        const c = await watchedConsumer(q, { autoAck: true });
        try {
          ch.sendToQueue(q, Buffer.from('1'));
          await ch.waitForConfirms();
          await waitFor(() => c.got.length === 1);
          expect(await roundTrip(c.ch)).toBe('open');
        } finally {
          await c.conn.close().catch(() => {});
        }
      });
    });
  });

  it.skipIf(broker.external)('an unacked delivery past the timeout closes the channel with 406', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      await withTimeoutQueue(ch, 200, async (q) => {
        const c = await watchedConsumer(q);
        try {
          ch.sendToQueue(q, Buffer.from('slow'));
          await ch.waitForConfirms();
          await waitFor(() => c.got.length === 1);
          const err = await waitFor(() => c.error, 3000);
          expect({ code: err.code, message: err.message }).toEqual(timedOut(1, 200));
          expect(err.at - c.at[0]!).toBeGreaterThanOrEqual(190);
          // only the channel is closed, not the connection
          const other = await c.conn.createChannel();
          expect(await roundTrip(other)).toBe('open');
        } finally {
          await c.conn.close().catch(() => {});
        }
      });
    });
  });

  it.skipIf(broker.external)('the close names the channel the delivery was made on', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      await withTimeoutQueue(ch, 100, async (q) => {
        const c = await watchedConsumer(q, { channelNumber: 3 });
        try {
          ch.sendToQueue(q, Buffer.from('slow'));
          await ch.waitForConfirms();
          const err = await waitFor(() => c.error, 3000);
          expect({ code: err.code, message: err.message }).toEqual(timedOut(3, 100));
        } finally {
          await c.conn.close().catch(() => {});
        }
      });
    });
  });

  it.skipIf(broker.external)("the timed-out channel's messages are requeued and redelivered to another consumer", async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      await withTimeoutQueue(ch, 200, async (q) => {
        const slow = await watchedConsumer(q);
        let fast: Watched | undefined;
        try {
          ch.sendToQueue(q, Buffer.from('1'));
          ch.sendToQueue(q, Buffer.from('2'));
          await ch.waitForConfirms();
          await waitFor(() => slow.got.length === 2);
          // a second consumer, registered once the first holds both messages
          fast = await watchedConsumer(q, { autoAck: true });
          await waitFor(() => slow.error, 3000);
          const f = fast;
          await waitFor(() => f.got.length === 2, 3000);
          expect(f.got.map((m) => [m.content.toString(), m.fields.redelivered])).toEqual([
            ['1', true],
            ['2', true],
          ]);
          expect(await ch.checkQueue(q)).toEqual({ queue: q, messageCount: 0, consumerCount: 1 });
          expect(f.error).toBeUndefined();
        } finally {
          await slow.conn.close().catch(() => {});
          await fast?.conn.close().catch(() => {});
        }
      });
    });
  });

  it.skipIf(broker.external)('acking in time keeps the channel open (no-ack consumers are never timed out)', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      await withTimeoutQueue(ch, 200, async (acked) => {
        await withTimeoutQueue(ch, 200, async (noAck) => {
          await withTimeoutQueue(ch, 200, async (witnessQ) => {
            const good = await watchedConsumer(acked, { autoAck: true });
            const auto = await watchedConsumer(noAck, { noAck: true });
            const witness = await watchedConsumer(witnessQ);
            try {
              ch.sendToQueue(acked, Buffer.from('a'));
              ch.sendToQueue(noAck, Buffer.from('n'));
              ch.sendToQueue(witnessQ, Buffer.from('w'));
              await ch.waitForConfirms();
              // the witness got its delivery with the others and kept it: once it is timed out,
              // the others' timeouts have passed too
              await waitFor(() => witness.error, 3000);
              expect(witness.error?.code).toBe(406);
              expect(await roundTrip(good.ch)).toBe('open');
              expect(await roundTrip(auto.ch)).toBe('open');
              expect([good.error, auto.error]).toEqual([undefined, undefined]);
              // and they keep consuming
              ch.sendToQueue(acked, Buffer.from('b'));
              await ch.waitForConfirms();
              await waitFor(() => good.got.length === 2);
            } finally {
              for (const c of [good, auto, witness]) await c.conn.close().catch(() => {});
            }
          });
        });
      });
    });
  });

  it.skipIf(broker.external)('a delivery acked late but before the timeout keeps the channel open', async () => {
    await withChannel(broker.url, async (ch) => {
      await withTimeoutQueue(ch, 300, async (q) => {
        await withTimeoutQueue(ch, 300, async (witnessQ) => {
          const c = await watchedConsumer(q);
          const witness = await watchedConsumer(witnessQ);
          try {
            // hold 'held' for about 100 ms, measured by a TTL'd message of the test's own
            const clock = uniqueName('ctimeout-clock');
            await ch.assertQueue(clock, { exclusive: true, arguments: { 'x-message-ttl': 100 } });
            ch.sendToQueue(q, Buffer.from('held'));
            ch.sendToQueue(witnessQ, Buffer.from('w'));
            ch.sendToQueue(clock, Buffer.from('tick'));
            await waitFor(() => c.got.length === 1);
            await waitFor(async () => (await ch.checkQueue(clock)).messageCount === 0);
            c.ch.ack(c.got[0]!);
            // the witness, delivered with 'held' and never acked, is timed out: 'held' would have been
            await waitFor(() => witness.error, 3000);
            expect(await roundTrip(c.ch)).toBe('open');
            expect(c.error).toBeUndefined();
          } finally {
            await c.conn.close().catch(() => {});
            await witness.conn.close().catch(() => {});
          }
        });
      });
    });
  });
});

describe.skipIf(broker.external)('broker-wide consumer_timeout', () => {
  it('applies to queues without x-consumer-timeout', async () => {
    const own = await startTestBroker({ consumerTimeout: 150 });
    try {
      const conn = await amqp.connect(own.url);
      conn.on('error', () => {});
      const ch = await conn.createChannel();
      const closed = new Promise<{ code?: number; message?: string }>((resolve) => ch.once('error', resolve));
      const q = uniqueName('ct-global');
      await ch.assertQueue(q, { exclusive: true });
      ch.sendToQueue(q, Buffer.from('held'));
      await ch.consume(q, () => {}); // never acks
      const err = await closed;
      expect({ code: err.code, message: err.message }).toEqual(timedOut(1, 150));
      await conn.close().catch(() => {});
    } finally {
      await own.close();
    }
  });
});
