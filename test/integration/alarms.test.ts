/**
 * Resource alarms (RabbitMQ's memory and disk alarms): while one is raised, a connection that
 * publishes is blocked — the broker stops reading it and, if the client supports it, sends
 * connection.blocked ("low on memory", "low on disk", "low on disk & memory"); connections that
 * only consume keep running. When all alarms clear, reading resumes, connection.unblocked is sent
 * and the held publishes go through, none lost, in order.
 *
 * Warren-only: the alarms are forced through the in-process broker's `broker.alarms` (an
 * external RabbitMQ would need rabbitmqctl set_vm_memory_high_watermark).
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import amqp from 'amqplib';
import type { Channel, ChannelModel } from 'amqplib';
import amqpConnectionManager from 'amqp-connection-manager';
import type { ResourceAlarms } from '../../src/broker/alarms.js';
import { setLogLevel } from '../../src/util/logger.js';
import { startTestBroker, uniqueName, waitFor, type TestBroker } from '../helpers/broker.js';
import {
  FRAME_HEARTBEAT,
  RawClient,
  bodyFrame,
  contentHeaderFrame,
  decodeMethod,
  methodFrame,
  octet,
  short,
  shortstr,
  type Frame,
} from '../helpers/raw-client.js';

const broker: TestBroker = await startTestBroker();
setLogLevel('error'); // the alarms log each set and clear at warn
afterAll(async () => {
  await broker.close();
});

const alarms = (): ResourceAlarms => broker.broker!.broker.alarms;

async function raiseMemory(): Promise<void> {
  alarms().setMemoryHighWatermark(2); // bytes: RSS is certainly above
  expect((await alarms().check()).memory).toBe(true);
}
async function clearMemory(): Promise<void> {
  alarms().setMemoryHighWatermark(2 ** 50);
  expect((await alarms().check()).memory).toBe(false);
}
async function raiseDisk(): Promise<void> {
  alarms().setDiskFreeLimit(Number.MAX_SAFE_INTEGER);
  expect((await alarms().check()).disk).toBe(true);
}
async function clearDisk(): Promise<void> {
  alarms().setDiskFreeLimit(0);
  expect((await alarms().check()).disk).toBe(false);
}

afterEach(async () => {
  if (broker.external) return;
  await clearMemory();
  await clearDisk();
});

/** An amqplib connection that records its blocked / unblocked events. */
async function connect(): Promise<{ conn: ChannelModel; events: string[] }> {
  const conn = await amqp.connect(broker.url);
  conn.on('error', () => {});
  const events: string[] = [];
  conn.on('blocked', (reason: string) => events.push(`blocked: ${reason}`));
  conn.on('unblocked', () => events.push('unblocked'));
  return { conn, events };
}

const publishFrames = (channel: number, routingKey: string, body: string): Buffer =>
  Buffer.concat([
    methodFrame(channel, 60, 40, Buffer.concat([short(0), shortstr(''), shortstr(routingKey), octet(0)])),
    contentHeaderFrame(channel, Buffer.byteLength(body)),
    bodyFrame(channel, Buffer.from(body)),
  ]);

describe.skipIf(broker.external)('resource alarms (Warren only)', () => {
  it('blocks a publisher with "low on memory" while a consumer connection keeps receiving and acking; on clear the held publishes arrive in order, confirmed', async () => {
    const p = await connect();
    const c = await connect();
    const pub = await p.conn.createConfirmChannel();
    const con: Channel = await c.conn.createChannel();
    const q = uniqueName('alarm-q');
    try {
      await con.assertQueue(q, { durable: false });
      for (let i = 0; i < 5; i++) pub.sendToQueue(q, Buffer.from(`pre-${i}`));
      await pub.waitForConfirms();
      await raiseMemory();
      expect(alarms().state).toEqual({ memory: true, disk: false });

      // Published before the alarm but not during it: not blocked yet (RabbitMQ's "blocking").
      expect((await pub.checkQueue(q)).messageCount).toBe(5);
      expect(p.events).toEqual([]);

      const confirmed: string[] = [];
      const send = (body: string): void => {
        pub.sendToQueue(q, Buffer.from(body), {}, (err: unknown) => {
          if (err === null || err === undefined) confirmed.push(body);
        });
      };
      // The publish that meets the alarm is still handled (as in RabbitMQ); then the connection is blocked.
      send('trigger');
      await waitFor(() => p.events.length > 0);
      expect(p.events).toEqual(['blocked: low on memory']);
      await waitFor(() => confirmed.length === 1);
      const held = Array.from({ length: 20 }, (_, i) => `held-${i}`);
      for (const body of held) send(body);

      // The consumer-only connection runs: with prefetch 2, six deliveries need its acks.
      await con.prefetch(2);
      const got: string[] = [];
      await con.consume(q, (m) => {
        if (m === null) return;
        got.push(m.content.toString());
        con.ack(m);
      });
      await waitFor(() => got.length === 6);
      expect(got).toEqual(['pre-0', 'pre-1', 'pre-2', 'pre-3', 'pre-4', 'trigger']);
      // Round trips on the running connection; the blocked one's publishes stay unread meanwhile.
      for (let i = 0; i < 3; i++) expect((await con.checkQueue(q)).messageCount).toBe(0);
      expect(got.length).toBe(6);
      expect(confirmed).toEqual(['trigger']);
      expect(c.events).toEqual([]);

      await clearMemory();
      await waitFor(() => got.length === 26);
      expect(got.slice(6)).toEqual(held);
      await pub.waitForConfirms();
      expect(confirmed).toEqual(['trigger', ...held]);
      expect(p.events).toEqual(['blocked: low on memory', 'unblocked']);
      expect(c.events).toEqual([]);
      await con.deleteQueue(q);
    } finally {
      await clearMemory();
      await p.conn.close().catch(() => {});
      await c.conn.close().catch(() => {});
    }
  });

  it('disk alarm says "low on disk"; a connection stays blocked while any alarm remains; both alarms say "low on disk & memory"', async () => {
    const a = await connect();
    const b = await connect();
    const c = await connect();
    try {
      const [cha, chb, chc] = await Promise.all([a.conn.createChannel(), b.conn.createChannel(), c.conn.createChannel()]);
      await raiseDisk();
      cha.sendToQueue(uniqueName('nowhere'), Buffer.from('a'));
      await waitFor(() => a.events.length > 0);
      expect(a.events).toEqual(['blocked: low on disk']);

      // memory raised, then disk cleared: still one alarm, so a stays blocked
      await raiseMemory();
      await clearDisk();
      chb.sendToQueue(uniqueName('nowhere'), Buffer.from('b'));
      await waitFor(() => b.events.length > 0);
      expect(b.events).toEqual(['blocked: low on memory']);
      expect(a.events).toEqual(['blocked: low on disk']);

      await raiseDisk();
      chc.sendToQueue(uniqueName('nowhere'), Buffer.from('c'));
      await waitFor(() => c.events.length > 0);
      expect(c.events).toEqual(['blocked: low on disk & memory']);

      await clearDisk();
      await clearMemory();
      await waitFor(() => a.events.length === 2 && b.events.length === 2 && c.events.length === 2);
      for (const x of [a, b, c]) expect(x.events[1]).toBe('unblocked');
      // all three run again
      await Promise.all([cha, chb, chc].map((ch) => ch.checkExchange('amq.direct')));
    } finally {
      await clearDisk();
      await clearMemory();
      await Promise.all([a, b, c].map((x) => x.conn.close().catch(() => {})));
    }
  });

  it('a client without the connection.blocked capability is paused silently; missed heartbeats do not close it; what it sent meanwhile is handled after the clear', async () => {
    // RawClient's start-ok advertises only authentication_failure_close.
    const client = await RawClient.open(broker.port, { heartbeat: 1 });
    try {
      await client.openChannel(1);
      await raiseMemory();
      client.send(publishFrames(1, uniqueName('nowhere'), 'abc'));
      const heartbeats = async (n: number): Promise<Frame[]> => {
        const frames: Frame[] = [];
        while (frames.filter((f) => f.type === FRAME_HEARTBEAT).length < n) {
          frames.push(await client.readFrame({ skipHeartbeats: false, timeoutMs: 2000 }));
        }
        return frames;
      };
      // Two server heartbeats (>= 0.5 s) so the publish has surely been read before the next bytes.
      let frames = await heartbeats(2);
      client.sendMethod(2, 20, 10, shortstr('')); // channel.open: unread while blocked
      // Six more ticks of 0.5 s: three seconds of silence, past the two-interval timeout.
      frames = frames.concat(await heartbeats(6));
      expect(frames.every((f) => f.type === FRAME_HEARTBEAT)).toBe(true);
      expect(client.closed).toBe(false);

      await clearMemory();
      // No connection.unblocked: the first method is the delayed channel.open-ok.
      const m = decodeMethod(await client.readFrame());
      expect({ channel: m.channel, classId: m.classId, methodId: m.methodId }).toEqual({ channel: 2, classId: 20, methodId: 11 });
      await client.close();
    } finally {
      client.destroy();
    }
  });

  it("a blocked client's connection.close is answered once the alarm clears", async () => {
    const p = await connect();
    const ch = await p.conn.createChannel();
    await raiseMemory();
    ch.sendToQueue(uniqueName('nowhere'), Buffer.from('x'));
    await waitFor(() => p.events.length > 0);
    let closed = false;
    const closing = p.conn.close().then(() => {
      closed = true;
    });
    // the close is not read while blocked; a round trip elsewhere shows the broker is alive
    const other = await connect();
    await (await other.conn.createChannel()).checkExchange('amq.direct');
    expect(closed).toBe(false);
    await clearMemory();
    await closing;
    // (amqplib, closing, ignores the connection.unblocked sent before the close-ok)
    expect(p.events[0]).toBe('blocked: low on memory');
    await other.conn.close();
  });

  it('a blocked client that drops its socket is cleaned up after the clear (its exclusive queue goes)', async () => {
    const p = await connect();
    const ch = await p.conn.createChannel();
    const { queue } = await ch.assertQueue('', { exclusive: true });
    const vhost = broker.broker!.broker.vhost('/')!;
    expect(vhost.queues.has(queue)).toBe(true);
    await raiseMemory();
    ch.sendToQueue(queue, Buffer.from('x'));
    await waitFor(() => p.events.length > 0);
    (p.conn.connection as unknown as { stream: { destroy(): void } }).stream.destroy();
    await clearMemory();
    await waitFor(() => !vhost.queues.has(queue));
  });

  it('amqp-connection-manager surfaces blocked and unblocked; its confirmed publish completes after the clear', async () => {
    const manager = amqpConnectionManager.connect([broker.url], { reconnectTimeInSeconds: 0.1 });
    const events: string[] = [];
    manager.on('blocked', ({ reason }: { reason: string }) => events.push(`blocked: ${reason}`));
    manager.on('unblocked', () => events.push('unblocked'));
    const queue = uniqueName('q-acm-alarm');
    const wrapper = manager.createChannel({
      setup: async (ch: Channel) => {
        await ch.assertQueue(queue, { exclusive: true });
      },
    });
    try {
      await wrapper.waitForConnect();
      await raiseMemory();
      let sent = false;
      const sending = wrapper.sendToQueue(queue, Buffer.from('during the alarm')).then(() => {
        sent = true;
      });
      await waitFor(() => events.length > 0);
      expect(events).toEqual(['blocked: low on memory']);
      await clearMemory();
      await sending;
      expect(sent).toBe(true);
      await waitFor(() => events.length === 2);
      expect(events[1]).toBe('unblocked');
      expect(await wrapper.checkQueue(queue)).toMatchObject({ messageCount: 1 });
    } finally {
      await clearMemory();
      await wrapper.close();
      await manager.close();
    }
  });
});
