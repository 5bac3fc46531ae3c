/**
 * The 14 basic properties and header field values round-trip unchanged through the broker (via
 * basic.deliver, basic.get-ok and basic.return), compared as amqplib decodes them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfirmChannel, ConsumeMessage, Message, MessageProperties } from 'amqplib';
import { startTestBroker, uniqueName, waitFor, withConfirmChannel, type TestBroker } from '../helpers/broker.js';

let broker: TestBroker;
let user: string;
beforeAll(async () => {
  broker = await startTestBroker();
  user = decodeURIComponent(new URL(broker.url).username); // user_id must equal the login user
});
afterAll(async () => {
  await broker?.close();
});

/**
 * amqplib's publish() never sends cluster_id; its lower-level sendMessage(fields, properties, body)
 * takes the properties as given. On a confirm channel the confirm slot has to be registered by hand.
 */
function publishRaw(ch: ConfirmChannel, routingKey: string, properties: Record<string, unknown>, body: Buffer): Promise<void> {
  const raw = ch as unknown as {
    sendMessage(fields: object, properties: object, content: Buffer): boolean;
    pushConfirmCallback(cb: (err: Error | null) => void): void;
  };
  return new Promise((resolve, reject) => {
    raw.pushConfirmCallback((err) => (err ? reject(err) : resolve()));
    raw.sendMessage({ exchange: '', routingKey, mandatory: false, immediate: false }, properties, body);
  });
}

/** Header values of every type amqplib can encode, keyed by name, with the value amqplib decodes. */
const headerCases: Record<string, { sent: unknown; received: unknown }> = {
  string: { sent: 'hello', received: 'hello' },
  emptyString: { sent: '', received: '' },
  unicodeString: { sent: 'grüße, 世界 🐇', received: 'grüße, 世界 🐇' },
  longString: { sent: 'x'.repeat(10_000), received: 'x'.repeat(10_000) }, // amqplib encodes properties into 64 KiB
  int8: { sent: 5, received: 5 }, // encoded as 'b'
  int8Negative: { sent: -128, received: -128 },
  int16: { sent: -300, received: -300 }, // 's'
  int32: { sent: -70_000, received: -70_000 }, // 'I'
  int32Max: { sent: 2_147_483_647, received: 2_147_483_647 },
  int64: { sent: 2 ** 52 + 1, received: 2 ** 52 + 1 }, // 'l'
  int64MaxSafe: { sent: Number.MAX_SAFE_INTEGER, received: Number.MAX_SAFE_INTEGER },
  int64MinSafe: { sent: Number.MIN_SAFE_INTEGER, received: Number.MIN_SAFE_INTEGER },
  double: { sent: 1.5, received: 1.5 }, // 'd'
  doubleInexact: { sent: 0.1 + 0.2, received: 0.1 + 0.2 },
  doubleNegative: { sent: -2.75e-10, received: -2.75e-10 },
  true: { sent: true, received: true }, // 't'
  false: { sent: false, received: false },
  null: { sent: null, received: null }, // 'V'
  bytes: { sent: Buffer.from([0, 1, 2, 254, 255]), received: Buffer.from([0, 1, 2, 254, 255]) }, // 'x'
  emptyBytes: { sent: Buffer.alloc(0), received: Buffer.alloc(0) },
  table: { sent: { a: 1, b: 'two', c: { d: [true, null] } }, received: { a: 1, b: 'two', c: { d: [true, null] } } }, // 'F'
  emptyTable: { sent: {}, received: {} },
  array: { sent: [1, 'two', 3.5, false, null, { k: 'v' }, [1, [2]]], received: [1, 'two', 3.5, false, null, { k: 'v' }, [1, [2]]] }, // 'A'
  emptyArray: { sent: [], received: [] },
  // typed values, amqplib's {'!': type, value} notation
  typedTimestamp: { sent: { '!': 'timestamp', value: 1_700_000_000 }, received: { '!': 'timestamp', value: 1_700_000_000 } }, // 'T'
  typedDecimal: {
    sent: { '!': 'decimal', value: { places: 2, digits: 12_345 } },
    received: { '!': 'decimal', value: { places: 2, digits: 12_345 } },
  }, // 'D'
  typedFloat: { sent: { '!': 'float', value: 0.5 }, received: 0.5 }, // 'f'
  typedDouble: { sent: { '!': 'double', value: 3 }, received: 3 }, // 'd'
  typedUnsignedByte: { sent: { '!': 'unsignedbyte', value: 200 }, received: 200 }, // 'B'
  typedUnsignedShort: { sent: { '!': 'unsignedshort', value: 60_000 }, received: 60_000 }, // 'u'
  typedUnsignedInt: { sent: { '!': 'unsignedint', value: 4_000_000_000 }, received: 4_000_000_000 }, // 'i'
  typedByte: { sent: { '!': 'byte', value: -5 }, received: -5 },
  typedShort: { sent: { '!': 'short', value: 7 }, received: 7 },
  typedInt: { sent: { '!': 'int', value: 7 }, received: 7 },
  typedLong: { sent: { '!': 'long', value: -(2 ** 40) }, received: -(2 ** 40) },
};

const sentHeaders = () => Object.fromEntries(Object.entries(headerCases).map(([k, v]) => [k, v.sent]));
const expectedHeaders = () => Object.fromEntries(Object.entries(headerCases).map(([k, v]) => [k, v.received]));

/** All 14 properties. */
function allProperties(replyTo: string): Record<string, unknown> {
  return {
    contentType: 'application/json; charset=utf-8',
    contentEncoding: 'gzip',
    headers: { ...sentHeaders(), 'ключ': 'значение' },
    deliveryMode: 2,
    priority: 7,
    correlationId: 'corr-' + 'c'.repeat(200),
    replyTo,
    expiration: '3600000', // one hour: never expires during the test
    messageId: 'm'.repeat(255), // the longest shortstr
    timestamp: 1_700_000_123,
    type: 'order.created',
    userId: user,
    appId: 'warren-tests',
    clusterId: 'cluster-1',
  };
}

function expectAllProperties(p: MessageProperties, replyTo: string): void {
  const { headers, ...rest } = allProperties(replyTo);
  void headers;
  expect(p).toMatchObject(rest);
  expect(p.headers).toEqual({ ...expectedHeaders(), 'ключ': 'значение' });
  // Buffers come back as Buffers
  expect(Buffer.isBuffer(p.headers?.['bytes'])).toBe(true);
}

const NAMES = [
  'contentType',
  'contentEncoding',
  'headers',
  'deliveryMode',
  'priority',
  'correlationId',
  'replyTo',
  'expiration',
  'messageId',
  'timestamp',
  'type',
  'userId',
  'appId',
  'clusterId',
] as const;

describe('basic properties', () => {
  it('all 14 properties and every header value type round-trip through basic.get', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const q = uniqueName('props-get');
      await ch.assertQueue(q, { exclusive: true });
      const body = Buffer.from('{"ok":true}');
      await publishRaw(ch, q, allProperties('reply-here'), body);
      const m = await ch.get(q, { noAck: true });
      if (m === false) throw new Error('no message');
      expect(m.content.equals(body)).toBe(true);
      expectAllProperties(m.properties, 'reply-here');
    });
  });

  it('all 14 properties round-trip through basic.deliver', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const q = uniqueName('props-deliver');
      await ch.assertQueue(q, { exclusive: true });
      const got: ConsumeMessage[] = [];
      await ch.consume(q, (m) => m && got.push(m), { noAck: true });
      await publishRaw(ch, q, allProperties('reply-deliver'), Buffer.from('d'));
      await waitFor(() => got.length === 1);
      expectAllProperties(got[0]!.properties, 'reply-deliver');
    });
  });

  it('all 14 properties round-trip through basic.return', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const returned: Message[] = [];
      ch.on('return', (m: Message) => returned.push(m));
      const raw = ch as unknown as {
        sendMessage(fields: object, properties: object, content: Buffer): boolean;
        pushConfirmCallback(cb: (err: Error | null) => void): void;
      };
      const acked = new Promise<void>((resolve, reject) => raw.pushConfirmCallback((err) => (err ? reject(err) : resolve())));
      const rk = uniqueName('props-unroutable');
      raw.sendMessage({ exchange: 'amq.direct', routingKey: rk, mandatory: true, immediate: false }, allProperties('r'), Buffer.from('r'));
      await acked;
      expect(returned).toHaveLength(1);
      expectAllProperties(returned[0]!.properties, 'r');
    });
  });

  it('a message without any properties is delivered without any', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const q = uniqueName('props-none');
      await ch.assertQueue(q, { exclusive: true });
      await publishRaw(ch, q, {}, Buffer.from('bare'));
      const m = await ch.get(q, { noAck: true });
      if (m === false) throw new Error('no message');
      for (const name of NAMES) expect(m.properties[name], name).toBeUndefined();
    });
  });

  it('the usual amqplib publish options round-trip (persistent, numeric expiration, empty headers)', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const q = uniqueName('props-amqplib');
      await ch.assertQueue(q, { exclusive: true });
      ch.sendToQueue(q, Buffer.from('p'), { persistent: true, expiration: 60_000, priority: 0, contentType: 'text/plain' });
      ch.sendToQueue(q, Buffer.from('np'), { persistent: false });
      await ch.waitForConfirms();
      const a = await ch.get(q, { noAck: true });
      const b = await ch.get(q, { noAck: true });
      if (a === false || b === false) throw new Error('missing message');
      expect(a.properties).toMatchObject({ deliveryMode: 2, expiration: '60000', priority: 0, contentType: 'text/plain', headers: {} });
      expect(b.properties.deliveryMode).toBe(1);
      expect(b.properties.expiration).toBeUndefined();
    });
  });

  it('some properties can be set independently of the others', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const q = uniqueName('props-sparse');
      await ch.assertQueue(q, { exclusive: true });
      await publishRaw(ch, q, { priority: 1, appId: 'only-these', clusterId: 'c' }, Buffer.from('s'));
      const m = await ch.get(q, { noAck: true });
      if (m === false) throw new Error('no message');
      const present = NAMES.filter((n) => m.properties[n] !== undefined);
      expect(present).toEqual(['priority', 'appId', 'clusterId']);
      expect([m.properties.priority, m.properties.appId, m.properties.clusterId]).toEqual([1, 'only-these', 'c']);
    });
  });
});
