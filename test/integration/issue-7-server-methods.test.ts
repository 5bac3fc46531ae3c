/**
 * Issue 7, bug 6: methods only a server sends (and the two-way ones RabbitMQ does not take from a
 * client), sent by a client. Each case opens a channel, sends the method, and expects RabbitMQ's
 * connection.close, as captured from RabbitMQ 3.10 with this raw client:
 *
 * - on channel 0: 504 "CHANNEL_ERROR - unexpected method in connection state running";
 * - on a channel: 503 "COMMAND_INVALID - unimplemented method";
 * - basic.return / basic.deliver / basic.get-ok carry content: the 503 comes once the content is
 *   complete; a method frame instead of the content is a 505.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { startTestBroker } from '../helpers/broker.js';
import {
  RawClient,
  bodyFrame,
  contentHeaderFrame,
  frame,
  FRAME_HEADER,
  long,
  longlong,
  longstr,
  methodFrame,
  octet,
  short,
  shortstr,
  table,
  type CloseMethod,
} from '../helpers/raw-client.js';

const broker = await startTestBroker();
afterAll(() => broker.close());

const NONE = Buffer.alloc(0);
const RUNNING = 'CHANNEL_ERROR - unexpected method in connection state running';
const UNIMPLEMENTED = 'COMMAND_INVALID - unimplemented method';

/** [name, channel, class, method, arguments] */
type Case = [string, number, number, number, Buffer];

const onChannel0: Case[] = [
  ['connection.start', 0, 10, 10, Buffer.concat([octet(0), octet(9), table({}), longstr('PLAIN'), longstr('en_US')])],
  ['connection.start-ok', 0, 10, 11, Buffer.concat([table({}), shortstr('PLAIN'), longstr('\0guest\0guest'), shortstr('en_US')])],
  ['connection.secure', 0, 10, 20, longstr('x')],
  ['connection.secure-ok', 0, 10, 21, longstr('x')],
  ['connection.tune', 0, 10, 30, Buffer.concat([short(0), long(131072), short(0)])],
  ['connection.tune-ok', 0, 10, 31, Buffer.concat([short(0), long(131072), short(0)])],
  ['connection.open', 0, 10, 40, Buffer.concat([shortstr('/'), shortstr(''), octet(0)])],
  ['connection.open-ok', 0, 10, 41, shortstr('')],
  ['connection.blocked', 0, 10, 60, shortstr('x')],
  ['connection.unblocked', 0, 10, 61, NONE],
  ['connection.update-secret-ok', 0, 10, 71, NONE],
  ['channel.open-ok on channel 0', 0, 20, 11, longstr('')],
  ['queue.declare-ok on channel 0', 0, 50, 11, Buffer.concat([shortstr('q'), long(0), long(0)])],
];

const onChannel1: Case[] = [
  ['channel.open-ok', 1, 20, 11, longstr('')],
  ['channel.flow-ok', 1, 20, 21, octet(1)],
  ['channel.close-ok on an open channel', 1, 20, 41, NONE],
  ['exchange.declare-ok', 1, 40, 11, NONE],
  ['exchange.delete-ok', 1, 40, 21, NONE],
  ['exchange.bind-ok', 1, 40, 31, NONE],
  ['exchange.unbind-ok', 1, 40, 51, NONE],
  ['queue.declare-ok', 1, 50, 11, Buffer.concat([shortstr('q'), long(0), long(0)])],
  ['queue.bind-ok', 1, 50, 21, NONE],
  ['queue.purge-ok', 1, 50, 31, long(0)],
  ['queue.delete-ok', 1, 50, 41, long(0)],
  ['queue.unbind-ok', 1, 50, 51, NONE],
  ['basic.qos-ok', 1, 60, 11, NONE],
  ['basic.consume-ok', 1, 60, 21, shortstr('t')],
  ['basic.cancel-ok', 1, 60, 31, shortstr('t')],
  ['basic.get-empty', 1, 60, 72, shortstr('')],
  ['basic.recover-ok', 1, 60, 111, NONE],
  ['confirm.select-ok', 1, 85, 11, NONE],
  ['tx.select-ok', 1, 90, 11, NONE],
  ['tx.commit-ok', 1, 90, 21, NONE],
  ['tx.rollback-ok', 1, 90, 31, NONE],
  ['connection.open-ok on channel 1', 1, 10, 41, shortstr('')],
  ['connection.blocked on channel 1', 1, 10, 60, shortstr('x')],
];

const withContent: Case[] = [
  ['basic.return', 1, 60, 50, Buffer.concat([short(312), shortstr('NO_ROUTE'), shortstr(''), shortstr('q')])],
  ['basic.deliver', 1, 60, 60, Buffer.concat([shortstr('t'), longlong(1), octet(0), shortstr(''), shortstr('q')])],
  ['basic.get-ok', 1, 60, 71, Buffer.concat([longlong(1), octet(0), shortstr(''), shortstr('q'), long(0)])],
];

/** queue.declare of a server-named exclusive queue: any method the broker does take. */
const declare = (channel: number): Buffer => methodFrame(channel, 50, 10, Buffer.concat([short(0), shortstr(''), octet(4), table({})]));

/** Open a connection and channel 1, send `bytes`, return the connection.close that follows. */
async function closeAfter(bytes: Buffer): Promise<CloseMethod> {
  const c = await RawClient.open(broker.port);
  try {
    await c.openChannel(1);
    c.send(bytes);
    return await c.expectConnectionClose();
  } finally {
    c.destroy();
  }
}

describe('issue 7: server-only methods sent by a client', () => {
  it.each(onChannel0)('%s: 504 on channel 0', async (_name, channel, classId, methodId, args) => {
    expect(await closeAfter(methodFrame(channel, classId, methodId, args))).toEqual({ replyCode: 504, replyText: RUNNING, classId, methodId });
  });

  it.each(onChannel1)('%s: 503 unimplemented method', async (_name, channel, classId, methodId, args) => {
    expect(await closeAfter(methodFrame(channel, classId, methodId, args))).toEqual({ replyCode: 503, replyText: UNIMPLEMENTED, classId, methodId });
  });

  it.each(withContent)('%s with its content: 503 once the content is complete', async (_name, channel, classId, methodId, args) => {
    const bytes = Buffer.concat([
      methodFrame(channel, classId, methodId, args),
      contentHeaderFrame(channel, 3),
      bodyFrame(channel, Buffer.from('ab')),
      bodyFrame(channel, Buffer.from('c')),
    ]);
    expect(await closeAfter(bytes)).toEqual({ replyCode: 503, replyText: UNIMPLEMENTED, classId, methodId });
  });

  it.each(withContent)('%s without a content header: 505 at the next method', async (_name, channel, classId, methodId, args) => {
    const bytes = Buffer.concat([methodFrame(channel, classId, methodId, args), declare(channel)]);
    expect(await closeAfter(bytes)).toEqual({
      replyCode: 505,
      replyText: `UNEXPECTED_FRAME - expected content header for class ${classId}, got non content header frame instead`,
      classId,
      methodId,
    });
  });

  it('basic.deliver with a short body: 505 at the next method', async () => {
    const [, channel, classId, methodId, args] = withContent[1] as Case;
    const bytes = Buffer.concat([
      methodFrame(channel, classId, methodId, args),
      contentHeaderFrame(channel, 2),
      bodyFrame(channel, Buffer.from('a')),
      declare(channel),
    ]);
    expect(await closeAfter(bytes)).toEqual({
      replyCode: 505,
      replyText: 'UNEXPECTED_FRAME - expected content body, got non content body frame instead',
      classId,
      methodId,
    });
  });

  it('basic.deliver with an empty body is refused at its header', async () => {
    const [, channel, classId, methodId, args] = withContent[1] as Case;
    const header = frame(FRAME_HEADER, channel, Buffer.concat([short(60), short(0), longlong(0), short(0)]));
    expect(await closeAfter(Buffer.concat([methodFrame(channel, classId, methodId, args), header]))).toEqual({
      replyCode: 503,
      replyText: UNIMPLEMENTED,
      classId,
      methodId,
    });
  });
});
