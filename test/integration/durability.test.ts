/**
 * Durability across a clean restart (RabbitMQ's rules): durable exchanges, queues and the bindings
 * between durable ends come back, non-durable ones do not; persistent messages in durable queues
 * come back byte-exact, in order, with their redelivered flags; transient ones are lost except in
 * quorum queues; settled, purged, expired and deleted messages stay gone; policies come back;
 * confirms and tx.commit-ok follow the commit to the database. Each test stops the in-process
 * broker and starts a new one on the same data directory.
 */
import { afterEach, describe, expect, it } from 'vitest';
import amqp from 'amqplib';
import type { Channel, ConsumeMessage, Options } from 'amqplib';
import { waitFor, withChannel, withConfirmChannel } from '../helpers/broker.js';
import {
  bodies, drain, drained, DurableBroker, everyPropertyRaw, exists, getOne, PERSISTENT, publishAll, rawGet, rawPublish,
  readyCount as count, replyCode, storedCounts, tx, withStoreReader,
} from '../helpers/durable.js';
import { RawClient } from '../helpers/raw-client.js';

let broker: DurableBroker | undefined;
afterEach(async () => {
  await broker?.destroy();
  broker = undefined;
});
async function start(): Promise<DurableBroker> {
  broker = await DurableBroker.start();
  return broker;
}

describe('definitions across a restart', () => {
  it('durable exchanges, queues and bindings come back; non-durable ones and their bindings do not', async () => {
    const b = await start();
    await withChannel(b.url, async (ch) => {
      await ch.assertExchange('dx', 'direct', { durable: true });
      await ch.assertExchange('tx', 'direct', { durable: false });
      await ch.assertQueue('dq', { durable: true });
      await ch.assertQueue('tq', { durable: false });
      await ch.assertQueue('xq', { durable: true, exclusive: true }); // exclusive: gone with its connection
      await ch.bindQueue('dq', 'dx', 'k');
      await ch.bindQueue('dq', 'amq.direct', 'dq-key');
      await ch.bindQueue('dq', 'tx', 'k');
      await ch.bindQueue('tq', 'dx', 'k');
    });
    await b.restart();
    expect(await exists(b.url, 'exchange', 'dx')).toBe(true);
    expect(await exists(b.url, 'queue', 'dq')).toBe(true);
    expect(await exists(b.url, 'exchange', 'tx')).toBe(false);
    expect(await exists(b.url, 'queue', 'tq')).toBe(false);
    expect(await exists(b.url, 'queue', 'xq')).toBe(false);
    await withChannel(b.url, (ch) => ch.assertExchange('tx', 'direct', { durable: false }));
    await publishAll(b.url, [['dx', 'k', 'via dx'], ['amq.direct', 'dq-key', 'via amq.direct'], ['tx', 'k', 'via tx']]);
    expect(bodies(await drained(b.url, 'dq'))).toEqual(['via dx', 'via amq.direct']);
  });

  it('an exchange-to-exchange binding between durable exchanges comes back', async () => {
    const b = await start();
    await withChannel(b.url, async (ch) => {
      await ch.assertExchange('e-src', 'fanout', { durable: true });
      await ch.assertExchange('e-dst', 'topic', { durable: true });
      await ch.assertExchange('e-tmp', 'fanout', { durable: false });
      await ch.assertQueue('e2e-q', { durable: true });
      await ch.bindExchange('e-dst', 'e-src', '');
      await ch.bindExchange('e-tmp', 'e-src', '');
      await ch.bindQueue('e2e-q', 'e-dst', 'a.#');
    });
    await b.restart();
    expect(await exists(b.url, 'exchange', 'e-tmp')).toBe(false);
    await publishAll(b.url, [['e-src', 'a.b', 'routed'], ['e-src', 'z', 'not routed']]);
    expect(bodies(await drained(b.url, 'e2e-q'))).toEqual(['routed']);
  });

  it('types, flags and x-arguments are kept: the same redeclare passes, a different one is refused, limits still apply', async () => {
    const b = await start();
    const qArgs = { 'x-max-length': 3, 'x-message-ttl': 600000, 'x-dead-letter-exchange': 'nowhere', 'x-max-priority': 5 };
    await withChannel(b.url, async (ch) => {
      await ch.assertExchange('ax', 'topic', { durable: true, autoDelete: false, arguments: { 'alternate-exchange': 'alt' } });
      await ch.assertExchange('ix', 'direct', { durable: true, internal: true });
      await ch.assertQueue('aq', { durable: true, arguments: qArgs });
    });
    await b.restart();
    const ok = (fn: (ch: Channel) => Promise<unknown>) => replyCode(b.url, fn);
    expect(await ok((ch) => ch.assertExchange('ax', 'topic', { durable: true, arguments: { 'alternate-exchange': 'alt' } }))).toBe(200);
    expect(await ok((ch) => ch.assertExchange('ax', 'direct', { durable: true }))).toBe(406);
    expect(await ok((ch) => ch.assertExchange('ax', 'topic', { durable: false }))).toBe(406);
    expect(await ok((ch) => ch.assertExchange('ix', 'direct', { durable: true, internal: true }))).toBe(200);
    expect(await ok((ch) => ch.assertExchange('ix', 'direct', { durable: true, internal: false }))).toBe(406);
    expect(await ok((ch) => ch.assertQueue('aq', { durable: true, arguments: qArgs }))).toBe(200);
    expect(await ok((ch) => ch.assertQueue('aq', { durable: true, arguments: { ...qArgs, 'x-max-length': 4 } }))).toBe(406);
    // max-priority: p3, p2, p1 in priority order; then max-length 3 drops the head (p3) for p0
    await publishAll(b.url, [1, 3, 2, 0].map((p) => ['', 'aq', `p${p}`, { persistent: true, priority: p }]));
    expect(bodies(await drained(b.url, 'aq'))).toEqual(['p2', 'p1', 'p0']);
  });

  it('a policy comes back and applies to a recovered queue; a deleted one stays deleted', async () => {
    const b = await start();
    const policy = { vhost: '/', name: 'p', pattern: '^pol', applyTo: 'queues', priority: 0, definition: { 'message-ttl': 100000 }, operator: false } as const;
    b.running.broker.setPolicy({ ...policy, definition: { ...policy.definition } });
    b.running.broker.setPolicy({ ...policy, name: 'gone', pattern: '^never', definition: { 'max-length': 1 } });
    expect(b.running.broker.deletePolicy('/', 'gone', false)).toBe(true);
    await withChannel(b.url, (ch) => ch.assertQueue('pol-q', { durable: true }));
    await b.restart();
    expect(b.running.broker.policies.list()).toEqual([policy]);
    expect(b.running.broker.vhost('/')?.queues.get('pol-q')?.settings.messageTtl).toBe(100000);
  });
});

describe('messages across a restart', () => {
  it('persistent messages come back in order with every property (byte-exact on the wire); transient ones are lost', async () => {
    const b = await start();
    const headers = { s: 'str', n: 42, neg: -7, big: 2 ** 40, f: 1.25, yes: true, nested: { a: 'x', b: [1, 'two'] }, bin: Buffer.from([0, 1, 255]) };
    const props: Options.Publish = {
      persistent: true, contentType: 'application/json', contentEncoding: 'utf-8', headers, priority: 3, correlationId: 'c-1',
      replyTo: 'rq', expiration: '600000', messageId: 'm-1', timestamp: 1700000000, type: 't', userId: 'guest', appId: 'durability',
    };
    await withChannel(b.url, async (ch) => {
      await ch.assertExchange('twin', 'fanout', { durable: true });
      for (const q of ['mq', 'before', 'after']) await ch.assertQueue(q, { durable: true });
      for (const q of ['before', 'after']) await ch.bindQueue(q, 'twin', '');
    });
    const items = Array.from({ length: 10 }, (_, i) => ['', 'mq', `m${i}`, i % 2 === 0 ? props : { ...props, persistent: false }] as [string, string, string, Options.Publish]);
    await publishAll(b.url, [...items, ['twin', '', 'twin body', props]]);
    const raw = everyPropertyRaw();
    const rawBody = Buffer.from(Array.from({ length: 70000 }, (_, i) => (i * 7) % 256)); // spans frames
    let rawBefore: Awaited<ReturnType<typeof rawGet>>;
    const client = await RawClient.open(b.running.port);
    try {
      await client.openChannel(1);
      rawPublish(client, 'twin', '', raw, rawBody);
      const twinBefore = await rawGet(client, 'before');
      expect(twinBefore?.body.toString()).toBe('twin body');
      rawBefore = await rawGet(client, 'before');
      await client.close();
    } finally {
      client.destroy();
    }
    expect(rawBefore?.properties.equals(raw)).toBe(true);
    await b.restart();
    const got = await drained(b.url, 'mq');
    expect(bodies(got)).toEqual(['m0', 'm2', 'm4', 'm6', 'm8']);
    for (const m of got) {
      expect(m.fields.redelivered).toBe(false);
      const { persistent: _, ...rest } = props;
      expect(m.properties).toMatchObject({ ...rest, deliveryMode: 2, headers });
    }
    const client2 = await RawClient.open(b.running.port);
    try {
      await client2.openChannel(1);
      expect((await rawGet(client2, 'after'))?.body.toString()).toBe('twin body');
      const rawAfter = await rawGet(client2, 'after');
      expect(rawAfter?.properties.toString('hex')).toBe(raw.toString('hex'));
      expect(rawAfter?.body.equals(rawBody)).toBe(true);
      expect(rawAfter).toMatchObject({ redelivered: false, exchange: 'twin', routingKey: '' });
      await client2.close();
    } finally {
      client2.destroy();
    }
  });

  it('a persistent message in a non-durable queue is lost with its queue', async () => {
    const b = await start();
    await withChannel(b.url, (ch) => ch.assertQueue('nd', { durable: false }));
    await publishAll(b.url, [['', 'nd', 'lost']]);
    await b.restart();
    expect(await exists(b.url, 'queue', 'nd')).toBe(false);
    await withChannel(b.url, (ch) => ch.assertQueue('nd', { durable: false }));
    expect(await count(b.url, 'nd')).toBe(0);
  });

  it('a quorum queue keeps transient messages', async () => {
    const b = await start();
    await withChannel(b.url, (ch) => ch.assertQueue('qq', { durable: true, arguments: { 'x-queue-type': 'quorum' } }));
    await publishAll(b.url, [['', 'qq', 'transient', { headers: { h: 1 } }], ['', 'qq', 'persistent', PERSISTENT]]);
    await b.restart();
    const got = await drained(b.url, 'qq');
    expect(bodies(got)).toEqual(['transient', 'persistent']);
    expect(got[0]?.properties.deliveryMode).toBeUndefined();
    expect(got[0]?.properties.headers).toMatchObject({ h: 1 });
  });

  // RabbitMQ keeps a quorum queue's delivery count (in its Raft log), so x-delivery-count and
  // delivery-limit survive restarts; Warren stores it with the entry.
  it('a quorum queue keeps a returned message\'s delivery count across a restart', async () => {
    const b = await start();
    await withChannel(b.url, (ch) => ch.assertQueue('qdc', { durable: true, arguments: { 'x-queue-type': 'quorum' } }));
    await publishAll(b.url, [['', 'qdc', 'returned']]);
    await withChannel(b.url, async (ch) => {
      ch.nack(await getOne(ch, 'qdc'), false, true);
      const again = await getOne(ch, 'qdc');
      expect(again.properties.headers?.['x-delivery-count']).toBe(1);
      ch.nack(again, false, true);
      await ch.checkQueue('qdc');
    });
    await b.restart();
    const [m] = await drained(b.url, 'qdc');
    expect(m?.properties.headers?.['x-delivery-count']).toBe(2);
  });

  it('a message routed to three durable queues comes back in each; settling it in one leaves the others', async () => {
    const b = await start();
    const queues = ['fan-1', 'fan-2', 'fan-3'];
    await withChannel(b.url, async (ch) => {
      await ch.assertExchange('fan', 'fanout', { durable: true });
      for (const q of queues) {
        await ch.assertQueue(q, { durable: true });
        await ch.bindQueue(q, 'fan', '');
      }
    });
    await publishAll(b.url, [['fan', '', 'shared', { persistent: true, headers: { id: 'x' } }]]);
    await b.restart();
    for (const q of queues) expect(await count(b.url, q)).toBe(1);
    expect(bodies(await drained(b.url, 'fan-2'))).toEqual(['shared']);
    await b.restart();
    expect(await Promise.all(queues.map((q) => count(b.url, q)))).toEqual([1, 0, 1]);
    await withChannel(b.url, async (ch) => {
      const m = await getOne(ch, 'fan-1');
      expect(m.properties.headers).toMatchObject({ id: 'x' });
      ch.ack(m);
      await drain(ch, 'fan-3');
    });
    await b.stop();
    expect(storedCounts(b.dataDir)).toEqual({ messages: 0, entries: 0 });
  });

  it('acked, rejected, purged and expired messages do not come back', async () => {
    const b = await start();
    await withChannel(b.url, async (ch) => {
      for (const q of ['settle', 'purge', 'expire']) await ch.assertQueue(q, { durable: true });
    });
    await publishAll(b.url, [
      ...['a', 'r', 'n', 'keep'].map((s) => ['', 'settle', s] as [string, string, string]),
      ['', 'purge', 'p1'], ['', 'purge', 'p2'],
      ['', 'expire', 'soon', { persistent: true, expiration: '20' }], ['', 'expire', 'later', { persistent: true, expiration: '600000' }],
    ]);
    await withChannel(b.url, async (ch) => {
      const [a, r, n] = [await ch.get('settle'), await ch.get('settle'), await ch.get('settle')];
      if (a === false || r === false || n === false) throw new Error('settle is short');
      ch.ack(a);
      ch.reject(r, false);
      ch.nack(n, false, false);
      await ch.purgeQueue('purge');
      await waitFor(async () => (await ch.checkQueue('expire')).messageCount === 1);
    });
    await b.restart();
    expect(bodies(await drained(b.url, 'settle'))).toEqual(['keep']);
    expect(await count(b.url, 'purge')).toBe(0);
    expect(bodies(await drained(b.url, 'expire'))).toEqual(['later']);
  });

  it('a stopped broker leaves its store alone: an x-expires timer firing after close neither throws nor deletes the queue', async () => {
    const b = await start();
    await withChannel(b.url, (ch) => ch.assertQueue('exp', { durable: true, arguments: { 'x-expires': 500 } }));
    await b.stop();
    const stopped = Date.now();
    await waitFor(() => Date.now() > stopped + 700, 2000);
    await b.restart();
    // its x-expires clock starts again at the restart (RabbitMQ), so it is still there
    expect(await exists(b.url, 'queue', 'exp')).toBe(true);
  });

  it('a message whose TTL runs out while the broker is stopped is gone after the restart', async () => {
    const b = await start();
    await withChannel(b.url, (ch) => ch.assertQueue('ttl', { durable: true }));
    const published = Date.now();
    await publishAll(b.url, [['', 'ttl', 'short', { persistent: true, expiration: '300' }], ['', 'ttl', 'long', { persistent: true, expiration: '600000' }]]);
    await b.stop();
    await waitFor(() => Date.now() > published + 400, 2000);
    await b.restart();
    expect(bodies(await drained(b.url, 'ttl'))).toEqual(['long']);
  });

  it('deleting a queue drops its stored messages: a redeclared queue is empty after a restart', async () => {
    const b = await start();
    await withChannel(b.url, (ch) => ch.assertQueue('del', { durable: true }));
    await publishAll(b.url, [['', 'del', 'one'], ['', 'del', 'two']]);
    await withChannel(b.url, (ch) => ch.deleteQueue('del'));
    await b.restart();
    expect(await exists(b.url, 'queue', 'del')).toBe(false);
    await withChannel(b.url, (ch) => ch.assertQueue('del', { durable: true }));
    await b.restart();
    expect(await count(b.url, 'del')).toBe(0);
    await b.stop();
    expect(storedCounts(b.dataDir)).toEqual({ messages: 0, entries: 0 });
  });

  it('messages unacked at the stop come back redelivered, in their places; never-delivered ones are not marked', async () => {
    const b = await start();
    await withChannel(b.url, (ch) => ch.assertQueue('unacked', { durable: true }));
    await publishAll(b.url, ['1', '2', '3', '4', '5', '6'].map((s) => ['', 'unacked', s]));
    const conn = await amqp.connect(b.url);
    conn.on('error', () => {});
    try {
      const ch = await conn.createChannel();
      ch.on('error', () => {});
      const got = await ch.get('unacked');
      expect(got && got.content.toString()).toBe('1');
      await ch.prefetch(2);
      const consumed: ConsumeMessage[] = [];
      await ch.consume('unacked', (m) => m && consumed.push(m));
      await waitFor(() => consumed.length === 2);
      expect(bodies(consumed)).toEqual(['2', '3']);
      await b.restart(); // the connection is still open, three messages unacked
    } finally {
      await conn.close().catch(() => {});
    }
    const back = await drained(b.url, 'unacked');
    expect(back.map((m) => `${m.content.toString()}${m.fields.redelivered ? '*' : ''}`)).toEqual(['1*', '2*', '3*', '4', '5', '6']);
  });

  it('per-queue order is kept across requeues and restarts', async () => {
    const b = await start();
    const n = 500;
    await withChannel(b.url, (ch) => ch.assertQueue('order', { durable: true }));
    await publishAll(b.url, Array.from({ length: n }, (_, i) => ['', 'order', String(i)]));
    await withChannel(b.url, async (ch) => {
      const taken = [];
      for (let i = 0; i < 5; i++) taken.push(await getOne(ch, 'order'));
      for (const m of [taken[3], taken[1]]) if (m) ch.nack(m, false, true);
      for (const m of [taken[0], taken[2], taken[4]]) if (m) ch.ack(m);
      // a round trip on this channel: amqplib may write connection.close ahead of the acks
      await ch.checkQueue('order');
    });
    await b.restart();
    await publishAll(b.url, [['', 'order', 'after restart']]);
    await b.restart();
    const back = await drained(b.url, 'order');
    const expected = [1, 3, ...Array.from({ length: n - 5 }, (_, i) => i + 5)].map(String);
    expect(bodies(back)).toEqual([...expected, 'after restart']);
    expect(back.slice(0, 3).map((m) => m.fields.redelivered)).toEqual([true, true, false]);
  });

  it('a dead-lettered persistent message is stored in its new durable queue', async () => {
    const b = await start();
    await withChannel(b.url, async (ch) => {
      await ch.assertExchange('dlx', 'direct', { durable: true });
      await ch.assertQueue('dlq', { durable: true });
      await ch.bindQueue('dlq', 'dlx', 'dead');
      await ch.assertQueue('src', { durable: true, arguments: { 'x-dead-letter-exchange': 'dlx', 'x-dead-letter-routing-key': 'dead' } });
    });
    await publishAll(b.url, [['', 'src', 'rejected', { persistent: true, headers: { k: 'v' } }], ['', 'src', 'expired', { persistent: true, expiration: '10' }]]);
    await withChannel(b.url, async (ch) => {
      ch.reject(await getOne(ch, 'src'), false);
      await waitFor(async () => (await ch.checkQueue('dlq')).messageCount === 2);
    });
    await b.restart();
    expect(await count(b.url, 'src')).toBe(0);
    // in the order they died: the expiry (10 ms) may come before or after the reject
    const dead = (await drained(b.url, 'dlq')).sort((x, y) => y.content.compare(x.content));
    expect(bodies(dead)).toEqual(['rejected', 'expired']);
    expect(dead[0]?.properties.headers).toMatchObject({ k: 'v', 'x-first-death-reason': 'rejected', 'x-first-death-queue': 'src' });
    expect(dead[0]?.properties.headers?.['x-death']).toMatchObject([{ count: 1, reason: 'rejected', queue: 'src', exchange: '', 'routing-keys': ['src'] }]);
    expect(dead[1]?.properties.headers?.['x-death']).toMatchObject([{ count: 1, reason: 'expired', queue: 'src', 'original-expiration': '10' }]);
    expect(dead[1]?.properties.expiration).toBeUndefined();
    expect(dead.map((m) => m.properties.deliveryMode)).toEqual([2, 2]);
  });
});

describe('confirms and transactions follow the commit', () => {
  it('every publisher confirm arrives after its message is in the database', async () => {
    const b = await start();
    await withChannel(b.url, (ch) => ch.assertQueue('conf', { durable: true }));
    const queueId = b.running.broker.vhost('/')?.queues.get('conf')?.storeId ?? 0;
    expect(queueId).toBeGreaterThan(0);
    const late = await withStoreReader(b.dataDir, (reader) =>
      withConfirmChannel(b.url, async (ch) => {
        const out: string[] = [];
        for (let i = 1; i <= 2000; i++) {
          ch.publish('', 'conf', Buffer.from(String(i)), PERSISTENT, (err) => {
            const stored = reader.entryCount(queueId);
            if (err || stored < i) out.push(`#${i}: ${err ? String(err) : `confirmed with ${stored} stored`}`);
          });
        }
        await ch.waitForConfirms();
        return out;
      }),
    );
    expect(late).toEqual([]);
  });

  it('tx.commit-ok arrives after the committed publishes and acks are in the database', async () => {
    const b = await start();
    await withChannel(b.url, (ch) => ch.assertQueue('txq', { durable: true }));
    const queueId = b.running.broker.vhost('/')?.queues.get('txq')?.storeId ?? 0;
    await withStoreReader(b.dataDir, (reader) =>
      withChannel(b.url, async (ch) => {
        await tx(ch, 'select');
        for (let i = 0; i < 300; i++) ch.publish('', 'txq', Buffer.from(String(i)), PERSISTENT);
        await tx(ch, 'commit');
        expect(reader.entryCount(queueId)).toBe(300);
        ch.ack(await getOne(ch, 'txq'));
        await tx(ch, 'commit');
        expect(reader.entryCount(queueId)).toBe(299);
      }),
    );
    await b.restart();
    expect(await count(b.url, 'txq')).toBe(299);
  });
});
