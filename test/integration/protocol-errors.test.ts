/**
 * Protocol violations amqplib cannot produce, driven through the raw-socket client: each must close
 * the connection with RabbitMQ's reply code (and text), and must not disturb other connections.
 *
 * Several RabbitMQ texts embed Erlang terms (the frame's payload printed as an Erlang binary, and
 * a reason tuple such as {frame_too_large,10000,4088}). Those are asserted by code and by the stable
 * part of the text before the Erlang term; the full text RabbitMQ 3.10.8 sends is in a comment.
 *
 * After a frame error RabbitMQ stops reading and drops the socket only after a fixed 3 s delay, so
 * those tests answer close-ok and then close the socket themselves (waitForSocketClose: false).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import amqp from 'amqplib';
import { startTestBroker, uniqueName, waitFor, type TestBroker } from '../helpers/broker.js';
import {
  RawClient,
  bodyFrame,
  contentHeaderFrame,
  decodeTune,
  frame,
  heartbeatFrame,
  octet,
  short,
  shortstr,
  table,
  type CloseMethod,
  type HandshakeOptions,
} from '../helpers/raw-client.js';

let broker: TestBroker;

beforeAll(async () => {
  broker = await startTestBroker();
});

afterAll(async () => {
  await broker?.close();
});

/** Open a raw connection (handshake done), run `fn`, always destroy the socket. */
async function withRaw<T>(fn: (c: RawClient) => Promise<T>, options: HandshakeOptions = {}): Promise<T> {
  const c = await RawClient.open(broker.port, options);
  try {
    return await fn(c);
  } finally {
    c.destroy();
  }
}

/** queue.declare arguments: bits are passive=1, durable=2, exclusive=4, auto-delete=8, no-wait=16. */
function queueDeclare(queue: string, bits: number, args: Record<string, unknown> = {}): Buffer {
  return Buffer.concat([short(0), shortstr(queue), octet(bits), table(args)]);
}

function basicPublish(exchange: string, routingKey: string): Buffer {
  return Buffer.concat([short(0), shortstr(exchange), shortstr(routingKey), octet(0)]);
}

/** Expect a connection.close with `code` and a text starting with `prefix`. */
function expectPrefix(close: CloseMethod, code: number, prefix: string): void {
  expect(close.replyCode).toBe(code);
  expect(close.replyText.startsWith(prefix), `"${close.replyText}" should start with "${prefix}"`).toBe(true);
}

describe('frame errors (501)', () => {
  it('an unknown frame type', async () => {
    await withRaw(async (c) => {
      c.send(frame(7, 0, Buffer.alloc(0)));
      const close = await c.expectConnectionClose({ waitForSocketClose: false });
      // RabbitMQ: "FRAME_ERROR - type 7, all octets = <<>>: unknown_frame"
      expectPrefix(close, 501, 'FRAME_ERROR - type 7, all octets = ');
      expect({ classId: close.classId, methodId: close.methodId }).toEqual({ classId: 0, methodId: 0 });
    });
  });

  it('a frame whose end octet is not 0xCE', async () => {
    await withRaw(async (c) => {
      c.send(frame(1, 1, Buffer.concat([short(20), short(10), shortstr('')]), 0xcd));
      const close = await c.expectConnectionClose({ waitForSocketClose: false });
      // RabbitMQ: "FRAME_ERROR - type 1, all octets = <<0,20,0,10,0>>: {invalid_frame_end_marker,205}"
      expectPrefix(close, 501, 'FRAME_ERROR - type 1, all octets = ');
    });
  });

  it('a heartbeat frame with a payload', async () => {
    await withRaw(async (c) => {
      c.send(frame(8, 0, Buffer.from('x')));
      const close = await c.expectConnectionClose({ waitForSocketClose: false });
      // RabbitMQ: 'FRAME_ERROR - type 8, all octets = <<"x">>: unknown_frame'
      expectPrefix(close, 501, 'FRAME_ERROR - type 8, all octets = ');
    });
  });

  it('a body frame larger than the negotiated frame_max', async () => {
    await withRaw(
      async (c) => {
        await c.openChannel(1);
        c.sendMethod(1, 60, 40, basicPublish('', uniqueName('nowhere')));
        c.send(contentHeaderFrame(1, 10000));
        c.send(bodyFrame(1, Buffer.alloc(10000)));
        const close = await c.expectConnectionClose({ waitForSocketClose: false });
        // RabbitMQ: "FRAME_ERROR - type 3, all octets = <<>>: {frame_too_large,10000,4088}"
        expectPrefix(close, 501, 'FRAME_ERROR - type 3, all octets = ');
      },
      { frameMax: 4096 },
    );
  });

  it('a method frame larger than the negotiated frame_max', async () => {
    await withRaw(
      async (c) => {
        await c.openChannel(1);
        c.sendMethod(1, 50, 10, queueDeclare(uniqueName('q'), 0, { big: 'x'.repeat(5000) }));
        const close = await c.expectConnectionClose({ waitForSocketClose: false });
        // RabbitMQ: "FRAME_ERROR - type 1, all octets = <<>>: {frame_too_large,5020,4088}"
        expectPrefix(close, 501, 'FRAME_ERROR - type 1, all octets = ');
      },
      { frameMax: 4096 },
    );
  });

  it('a frame exactly frame_max long is accepted', async () => {
    // RabbitMQ tolerates up to 8 octets more than frame_max; only the exact limit is asserted here.
    await withRaw(
      async (c) => {
        await c.openChannel(1);
        c.sendMethod(1, 50, 10, queueDeclare('', 4));
        const ok = await c.expectMethod(50, 11);
        const queue = ok.args.subarray(1, 1 + ok.args.readUInt8(0)).toString();
        c.sendMethod(1, 60, 40, basicPublish('', queue));
        c.send(contentHeaderFrame(1, 4088 * 2));
        c.send(bodyFrame(1, Buffer.alloc(4088, 1))); // 7 + 4088 + 1 = 4096 octets
        c.send(bodyFrame(1, Buffer.alloc(4088, 2)));
        await waitFor(async () => {
          c.sendMethod(1, 50, 10, queueDeclare(queue, 1));
          const passive = await c.expectMethod(50, 11);
          const nameLength = passive.args.readUInt8(0);
          return passive.args.readUInt32BE(1 + nameLength) === 1; // message-count
        });
        await c.close();
      },
      { frameMax: 4096 },
    );
  });

  it('method arguments that cannot be decoded', async () => {
    await withRaw(async (c) => {
      await c.openChannel(1);
      // queue.declare cut short inside the queue name
      c.sendMethod(1, 50, 10, Buffer.concat([short(0), octet(20)]));
      const close = await c.expectConnectionClose({ waitForSocketClose: false });
      // RabbitMQ: "FRAME_ERROR - cannot decode <<0,0,20>>"
      expectPrefix(close, 501, 'FRAME_ERROR - cannot decode ');
      expect({ classId: close.classId, methodId: close.methodId }).toEqual({ classId: 50, methodId: 10 });
    });
  });
});

describe('channel errors (504)', () => {
  it('a method on a channel that was never opened', async () => {
    await withRaw(async (c) => {
      c.sendMethod(3, 50, 10, queueDeclare('x', 1));
      expect(await c.expectConnectionClose()).toEqual({
        replyCode: 504,
        replyText: "CHANNEL_ERROR - expected 'channel.open'",
        classId: 50,
        methodId: 10,
      });
    });
  });

  it('channel.open on a channel that is already open', async () => {
    await withRaw(async (c) => {
      await c.openChannel(1);
      c.sendMethod(1, 20, 10, shortstr(''));
      expect(await c.expectConnectionClose()).toEqual({
        replyCode: 504,
        replyText: "CHANNEL_ERROR - second 'channel.open' seen",
        classId: 20,
        methodId: 10,
      });
    });
  });

  it('a channel-class method on channel 0', async () => {
    await withRaw(async (c) => {
      c.sendMethod(0, 50, 10, queueDeclare('x', 1));
      expect(await c.expectConnectionClose()).toEqual({
        replyCode: 504,
        replyText: 'CHANNEL_ERROR - unexpected method in connection state running',
        classId: 50,
        methodId: 10,
      });
    });
  });
});

describe('unexpected frames (505)', () => {
  const expectedMethod: CloseMethod = {
    replyCode: 505,
    replyText: 'UNEXPECTED_FRAME - expected method frame, got non method frame instead',
    classId: 0,
    methodId: 0,
  };

  it('a content header with no basic.publish before it', async () => {
    await withRaw(async (c) => {
      await c.openChannel(1);
      c.send(contentHeaderFrame(1, 3));
      expect(await c.expectConnectionClose()).toEqual(expectedMethod);
    });
  });

  it('a content body with no basic.publish before it', async () => {
    await withRaw(async (c) => {
      await c.openChannel(1);
      c.send(bodyFrame(1, Buffer.from('abc')));
      expect(await c.expectConnectionClose()).toEqual(expectedMethod);
    });
  });

  it('a content header on a channel that was never opened', async () => {
    await withRaw(async (c) => {
      c.send(contentHeaderFrame(2, 3));
      expect(await c.expectConnectionClose()).toEqual(expectedMethod);
    });
  });

  it('a method where the content header should be', async () => {
    await withRaw(async (c) => {
      await c.openChannel(1);
      c.sendMethod(1, 60, 40, basicPublish('', uniqueName('nowhere')));
      c.sendMethod(1, 50, 10, queueDeclare('', 4));
      expect(await c.expectConnectionClose()).toEqual({
        replyCode: 505,
        replyText: 'UNEXPECTED_FRAME - expected content header for class 60, got non content header frame instead',
        classId: 60,
        methodId: 40,
      });
    });
  });

  it('a content header of another class', async () => {
    await withRaw(async (c) => {
      await c.openChannel(1);
      c.sendMethod(1, 60, 40, basicPublish('', uniqueName('nowhere')));
      c.send(frame(2, 1, Buffer.concat([short(50), short(0), Buffer.alloc(8), short(0)])));
      expect(await c.expectConnectionClose()).toEqual({
        replyCode: 505,
        replyText: 'UNEXPECTED_FRAME - expected content header for class 60, got one for class 50 instead',
        classId: 60,
        methodId: 40,
      });
    });
  });

  it('a method where a content body should be', async () => {
    await withRaw(async (c) => {
      await c.openChannel(1);
      c.sendMethod(1, 60, 40, basicPublish('', uniqueName('nowhere')));
      c.send(contentHeaderFrame(1, 3));
      c.sendMethod(1, 50, 10, queueDeclare('', 4));
      expect(await c.expectConnectionClose()).toEqual({
        replyCode: 505,
        replyText: 'UNEXPECTED_FRAME - expected content body, got non content body frame instead',
        classId: 60,
        methodId: 40,
      });
    });
  });

  it('a heartbeat frame on a non-zero channel', async () => {
    // RabbitMQ 3.10 answers 505 here (not the 501 one might expect from the spec).
    await withRaw(async (c) => {
      await c.openChannel(1);
      c.send(heartbeatFrame(1));
      const close = await c.expectConnectionClose();
      // RabbitMQ: "UNEXPECTED_FRAME - type 8, all octets = <<>>"
      expectPrefix(close, 505, 'UNEXPECTED_FRAME - type 8, all octets = ');
      expect({ classId: close.classId, methodId: close.methodId }).toEqual({ classId: 0, methodId: 0 });
    });
  });

  it('a channel method before connection.open', async () => {
    const c = await RawClient.connect(broker.port);
    try {
      c.sendProtocolHeader();
      await c.expectMethod(10, 10);
      c.sendStartOk();
      const tune = decodeTune(await c.expectMethod(10, 30));
      c.sendTuneOk({ ...tune, heartbeat: 0 });
      c.sendMethod(1, 20, 10, shortstr(''));
      const close = await c.expectConnectionClose();
      // RabbitMQ: "UNEXPECTED_FRAME - type 1, all octets = <<0,20,0,10,0>>"
      expectPrefix(close, 505, 'UNEXPECTED_FRAME - type 1, all octets = ');
    } finally {
      c.destroy();
    }
  });
});

describe('isolation', () => {
  it('a connection closed for a protocol error does not affect other connections', async () => {
    const conn = await amqp.connect(broker.url);
    const bystander = await RawClient.open(broker.port);
    try {
      const ch = await conn.createChannel();
      const { queue } = await ch.assertQueue('', { exclusive: true });
      const received: string[] = [];
      await ch.consume(queue, (msg) => {
        if (msg) received.push(msg.content.toString());
      }, { noAck: true });
      await bystander.openChannel(1);

      await withRaw(async (c) => {
        c.send(frame(7, 0, Buffer.alloc(0)));
        expect((await c.expectConnectionClose({ waitForSocketClose: false })).replyCode).toBe(501);
      });
      await withRaw(async (c) => {
        c.sendMethod(5, 50, 10, queueDeclare('x', 1));
        expect((await c.expectConnectionClose()).replyCode).toBe(504);
      });

      ch.sendToQueue(queue, Buffer.from('still here'));
      await waitFor(() => received.length === 1);
      expect(received).toEqual(['still here']);
      bystander.sendMethod(1, 50, 10, queueDeclare('', 4));
      await bystander.expectMethod(50, 11);
      await bystander.close();
    } finally {
      bystander.destroy();
      await conn.close().catch(() => {});
    }
  });
});
