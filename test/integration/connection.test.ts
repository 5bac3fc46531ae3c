/**
 * The connection: protocol header, connection.start (server properties, capabilities, mechanisms),
 * authentication (PLAIN, AMQPLAIN, refusals), vhost access, tune negotiation, heartbeats, many
 * channels, and the two Node clients (amqplib, amqp-connection-manager).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import amqp from 'amqplib';
import amqpConnectionManager from 'amqp-connection-manager';
import type { Channel } from 'amqplib';
import { startTestBroker, uniqueName, waitFor, type TestBroker } from '../helpers/broker.js';
import {
  FRAME_BODY,
  FRAME_HEADER,
  FRAME_HEARTBEAT,
  PROTOCOL_HEADER,
  RawClient,
  bodyFrame,
  contentHeaderFrame,
  decodeTune,
  octet,
  short,
  shortstr,
  table,
  type Frame,
} from '../helpers/raw-client.js';

let broker: TestBroker;

beforeAll(async () => {
  broker = await startTestBroker();
});

afterAll(async () => {
  await broker?.close();
});

function withUrl(changes: { username?: string; password?: string; vhost?: string; query?: string }): string {
  const url = new URL(broker.url);
  if (changes.username !== undefined) url.username = changes.username;
  if (changes.password !== undefined) url.password = changes.password;
  if (changes.vhost !== undefined) url.pathname = `/${encodeURIComponent(changes.vhost)}`;
  if (changes.query !== undefined) url.search = changes.query;
  return url.toString();
}

/** Protocol header, start, start-ok with the given credentials; resolves after start-ok is sent. */
async function startHandshake(
  options: { user?: string; password?: string; mechanism?: string } = {},
): Promise<RawClient> {
  const c = await RawClient.connect(broker.port);
  c.sendProtocolHeader();
  await c.expectMethod(10, 10);
  c.sendStartOk(options);
  return c;
}

const refusedText = (mechanism: string): string =>
  `ACCESS_REFUSED - Login was refused using authentication mechanism ${mechanism}. For details see the broker logfile.`;

describe('connection.start', () => {
  it('offers AMQP 0-9, PLAIN and AMQPLAIN, en_US, and the server properties', async () => {
    const c = await RawClient.open(broker.port);
    try {
      const { start } = c;
      expect({ major: start.versionMajor, minor: start.versionMinor }).toEqual({ major: 0, minor: 9 });
      expect(start.mechanisms.split(' ').sort()).toEqual(['AMQPLAIN', 'PLAIN']);
      expect(start.locales).toBe('en_US');
      const props = start.serverProperties;
      for (const key of ['product', 'version', 'platform', 'copyright', 'information', 'cluster_name']) {
        expect(typeof props[key], key).toBe('string');
        expect((props[key] as string).length, key).toBeGreaterThan(0);
      }
      // By design the product is Warren; everything else about the table is RabbitMQ's.
      expect(props['product']).toBe(broker.external ? 'RabbitMQ' : 'Warren');
      expect(props['capabilities']).toEqual({
        publisher_confirms: true,
        exchange_exchange_bindings: true,
        'basic.nack': true,
        consumer_cancel_notify: true,
        'connection.blocked': true,
        consumer_priorities: true,
        authentication_failure_close: true,
        per_consumer_qos: true,
        direct_reply_to: true,
      });
      await c.close();
    } finally {
      c.destroy();
    }
  });

  it('amqplib connects and sees the same server properties', async () => {
    const conn = await amqp.connect(broker.url);
    try {
      const props = conn.connection.serverProperties;
      expect(props.product).toBe(broker.external ? 'RabbitMQ' : 'Warren');
      expect(typeof props.version).toBe('string');
      const ch = await conn.createChannel();
      await ch.checkExchange('amq.direct');
    } finally {
      await conn.close();
    }
  });
});

describe('authentication', () => {
  it('a wrong password is refused with 403 and the connection closed', async () => {
    const c = await startHandshake({ password: 'wrong' });
    try {
      expect(await c.expectConnectionClose()).toEqual({ replyCode: 403, replyText: refusedText('PLAIN'), classId: 0, methodId: 0 });
    } finally {
      c.destroy();
    }
  });

  it('an unknown user is refused the same way', async () => {
    const c = await startHandshake({ user: uniqueName('nobody'), password: 'guest' });
    try {
      expect(await c.expectConnectionClose()).toEqual({ replyCode: 403, replyText: refusedText('PLAIN'), classId: 0, methodId: 0 });
    } finally {
      c.destroy();
    }
  });

  it('amqplib reports the refusal', async () => {
    await expect(amqp.connect(withUrl({ password: 'wrong' }))).rejects.toThrow(
      `Handshake terminated by server: 403 (ACCESS-REFUSED) with message "${refusedText('PLAIN')}"`,
    );
  });

  it('AMQPLAIN logs in with the right credentials', async () => {
    const c = await RawClient.open(broker.port, { mechanism: 'AMQPLAIN' });
    try {
      await c.openChannel(1);
      c.sendMethod(1, 50, 10, Buffer.concat([short(0), shortstr(''), octet(4), table({})]));
      await c.expectMethod(50, 11);
      await c.close();
    } finally {
      c.destroy();
    }
  });

  it('AMQPLAIN with a wrong password is refused with 403', async () => {
    const c = await startHandshake({ mechanism: 'AMQPLAIN', password: 'wrong' });
    try {
      expect(await c.expectConnectionClose()).toEqual({ replyCode: 403, replyText: refusedText('AMQPLAIN'), classId: 0, methodId: 0 });
    } finally {
      c.destroy();
    }
  });
});

describe('connection.open', () => {
  it('an unknown vhost is refused with 530', async () => {
    const vhost = uniqueName('nope');
    const c = await startHandshake();
    try {
      const tune = decodeTune(await c.expectMethod(10, 30));
      c.sendTuneOk({ ...tune, heartbeat: 0 });
      c.sendOpen(vhost);
      expect(await c.expectConnectionClose()).toEqual({
        replyCode: 530,
        replyText: `NOT_ALLOWED - vhost ${vhost} not found`,
        classId: 10,
        methodId: 40,
      });
    } finally {
      c.destroy();
    }
  });

  it('amqplib fails to connect to an unknown vhost', async () => {
    await expect(amqp.connect(withUrl({ vhost: uniqueName('nope') }))).rejects.toThrow();
  });
});

describe('tune', () => {
  it('proposes channel_max 2047, frame_max 131072 and heartbeat 60', async () => {
    const c = await RawClient.open(broker.port);
    try {
      expect(c.tune).toEqual({ channelMax: 2047, frameMax: 131072, heartbeat: 60 });
      await c.close();
    } finally {
      c.destroy();
    }
  });

  it('accepts a client frame_max of 4096 and splits what it sends to fit', async () => {
    const c = await RawClient.open(broker.port, { frameMax: 4096 });
    try {
      await c.openChannel(1);
      c.sendMethod(1, 50, 10, Buffer.concat([short(0), shortstr(''), octet(4), table({})]));
      const ok = await c.expectMethod(50, 11);
      const queue = ok.args.subarray(1, 1 + ok.args.readUInt8(0)).toString();
      const body = Buffer.alloc(10000);
      for (let i = 0; i < body.length; i++) body[i] = i % 251;
      // basic.publish to the default exchange, body split into frames of at most 4088 octets
      c.sendMethod(1, 60, 40, Buffer.concat([short(0), shortstr(''), shortstr(queue), octet(0)]));
      c.send(contentHeaderFrame(1, body.length));
      for (let offset = 0; offset < body.length; offset += 4088) c.send(bodyFrame(1, body.subarray(offset, offset + 4088)));

      const received = await waitFor(async () => {
        // basic.get no-ack
        c.sendMethod(1, 60, 70, Buffer.concat([short(0), shortstr(queue), octet(1)]));
        const reply = await c.readFrame();
        const methodId = reply.payload.readUInt16BE(2);
        if (methodId === 72) return undefined; // get-empty: not there yet
        expect(methodId).toBe(71);
        const header = await c.readFrame();
        expect(header.type).toBe(FRAME_HEADER);
        const size = Number(header.payload.readBigUInt64BE(4));
        const frames: Frame[] = [];
        let got = 0;
        while (got < size) {
          const f = await c.readFrame();
          expect(f.type).toBe(FRAME_BODY);
          frames.push(f);
          got += f.payload.length;
        }
        return frames;
      });
      for (const f of received) expect(f.payload.length + 8).toBeLessThanOrEqual(4096);
      expect(received.length).toBe(3);
      expect(Buffer.concat(received.map((f) => f.payload)).equals(body)).toBe(true);
      await c.close();
    } finally {
      c.destroy();
    }
  });

  it('amqplib with frameMax=4096 round-trips a message larger than a frame', async () => {
    const conn = await amqp.connect(withUrl({ query: '?frameMax=4096' }));
    try {
      const ch = await conn.createChannel();
      const { queue } = await ch.assertQueue('', { exclusive: true });
      const body = Buffer.alloc(20000, 'w');
      ch.sendToQueue(queue, body);
      const msg = await waitFor(async () => {
        const m = await ch.get(queue, { noAck: true });
        return m === false ? undefined : m;
      });
      expect(msg.content.equals(body)).toBe(true);
    } finally {
      await conn.close();
    }
  });
});

describe('protocol header', () => {
  it.each([
    ['not AMQP at all', Buffer.from('GET / HTTP/1.1\r\n\r\n')],
    ['AMQP 0-9-2', Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 2])],
    ['AMQP 1.0', Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 1, 0, 0])],
  ])('%s: the server answers with its own header AMQP 0-0-9-1 and closes', async (_label, header) => {
    const c = await RawClient.connect(broker.port);
    try {
      c.send(header);
      const reply = await c.readUntilClosed();
      expect(reply.equals(PROTOCOL_HEADER)).toBe(true);
      expect(reply.toString('latin1')).toBe('AMQP\x00\x00\x09\x01');
    } finally {
      c.destroy();
    }
  });
});

describe('heartbeats', () => {
  it('with heartbeat 1 the server sends heartbeats, and drops a silent client without connection.close', async () => {
    const c = await RawClient.open(broker.port, { heartbeat: 1 });
    try {
      const started = Date.now();
      const frames: Frame[] = [];
      // everything the server sends until it closes the socket
      for (;;) {
        try {
          frames.push(await c.readFrame({ skipHeartbeats: false, timeoutMs: Math.max(1, started + 6000 - Date.now()) }));
        } catch {
          break;
        }
      }
      const elapsed = Date.now() - started;
      expect(c.closed).toBe(true);
      // two missed intervals at the earliest, well before 6 s
      expect(elapsed).toBeGreaterThanOrEqual(1500);
      expect(frames.length).toBeGreaterThan(0);
      for (const f of frames) expect({ type: f.type, channel: f.channel, size: f.payload.length }).toEqual({ type: FRAME_HEARTBEAT, channel: 0, size: 0 });
    } finally {
      c.destroy();
    }
  });
});

describe('channels on one connection', () => {
  it('amqplib: 100 channels work side by side', async () => {
    const conn = await amqp.connect(broker.url);
    try {
      const channels: Channel[] = await Promise.all(Array.from({ length: 100 }, () => conn.createChannel()));
      const { queue } = await channels[0]!.assertQueue('', { exclusive: true });
      await Promise.all(channels.map((ch, i) => ch.checkQueue(queue).then(() => ch.sendToQueue(queue, Buffer.from(String(i))))));
      await waitFor(async () => (await channels[0]!.checkQueue(queue)).messageCount === 100);
      await Promise.all(channels.map((ch) => ch.close()));
    } finally {
      await conn.close();
    }
  });

  it('raw: channels up to the negotiated channel_max open', async () => {
    const c = await RawClient.open(broker.port);
    try {
      const numbers = [1, 2, 1000, 2046, 2047];
      for (const n of numbers) c.sendMethod(n, 20, 10, shortstr(''));
      const opened: number[] = [];
      for (let i = 0; i < numbers.length; i++) opened.push((await c.expectMethod(20, 11)).channel);
      expect(opened.sort((a, b) => a - b)).toEqual(numbers);
      await c.close();
    } finally {
      c.destroy();
    }
  });
});

describe('amqp-connection-manager', () => {
  it('connects, and publishes and consumes through a ChannelWrapper', async () => {
    const manager = amqpConnectionManager.connect([broker.url], { reconnectTimeInSeconds: 0.1 });
    const queue = uniqueName('q-acm');
    const received: string[] = [];
    const wrapper = manager.createChannel({
      json: true,
      setup: async (ch: Channel) => {
        await ch.assertQueue(queue, { exclusive: true });
      },
    });
    try {
      await wrapper.waitForConnect();
      expect(manager.isConnected()).toBe(true);
      await wrapper.consume(queue, (msg) => {
        received.push(msg.content.toString());
        wrapper.ack(msg);
      });
      await wrapper.sendToQueue(queue, { hello: 'warren' });
      await wrapper.publish('', queue, { n: 2 });
      await waitFor(() => received.length === 2);
      expect(received).toEqual(['{"hello":"warren"}', '{"n":2}']);
    } finally {
      await wrapper.close();
      await manager.close();
    }
  });
});
