/**
 * Warren's extras under /api/warren, over the wire: amqplib publishes, the API browses, moves and
 * cancels, amqplib sees the result. Browsing leaves messages in place (paged-out ones too); a
 * move republishes each message, properties kept, to the destination via the default exchange;
 * a cancelled delayed message is never routed, and a durable one stays cancelled across a restart.
 * Warren only: RabbitMQ has none of these paths.
 */
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { uniqueName, waitFor } from '../helpers/broker.js';
import { DurableBroker, tempDataDir } from '../helpers/durable.js';
import { Api, managementSuite, seg } from '../helpers/management.js';

// Warren only: RabbitMQ has none of these paths, so nothing runs against WARREN_TEST_MGMT_URL.
describe.skipIf(Boolean(process.env['WARREN_TEST_MGMT_URL']))('/api/warren', () => {
  // A memory budget of 3 messages: longer queues page the rest out to the store.
  const tm = managementSuite({ queueMemoryBudget: { messages: 3, bytes: 1 << 20 } });
  const { api, cleanup } = tm;
  let vhost: string;
  let conn: ChannelModel;
  let ch: Channel;

  beforeEach(async () => {
    vhost = await tm.vhost('warren');
    conn = await amqp.connect(tm.amqpUrl('guest', 'guest', vhost));
    ch = await conn.createConfirmChannel();
  });

  afterEach(async () => {
    await conn.close().catch(() => undefined);
  });

  const messages = (q: string, query = ''): Promise<{ status: number; body: Record<string, unknown>[] }> =>
    api.get(`/api/warren/queues/${seg(vhost)}/${seg(q)}/messages${query}`);

  async function publishAll(q: string, n: number): Promise<void> {
    await ch.assertQueue(q, { durable: true });
    for (let i = 0; i < n; i++) {
      ch.sendToQueue(q, Buffer.from(`m${i}`), { persistent: true, messageId: `id-${i}`, headers: { n: i } });
    }
    await (ch as amqp.ConfirmChannel).waitForConfirms();
  }

  describe('browse', () => {
    it('lists ready messages in order without taking them, paged-out ones included', async () => {
      await publishAll('b1', 6);
      const all = await messages('b1');
      expect(all.status).toBe(200);
      expect(all.body.map((m) => m['payload'])).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5']);
      expect(all.body.map((m) => m['position'])).toEqual([0, 1, 2, 3, 4, 5]);
      expect(all.body[4]).toEqual({
        position: 4,
        payload_bytes: 2,
        redelivered: false,
        exchange: '',
        routing_key: 'b1',
        properties: { message_id: 'id-4', delivery_mode: 2, headers: { n: 4 } },
        payload: 'm4',
        payload_encoding: 'string',
      });
      const page = await messages('b1', '?offset=2&count=3&encoding=base64&truncate=1');
      expect(page.body.map((m) => [m['position'], m['payload'], m['payload_encoding'], m['payload_bytes']])).toEqual([
        [2, Buffer.from('m').toString('base64'), 'base64', 2],
        [3, Buffer.from('m').toString('base64'), 'base64', 2],
        [4, Buffer.from('m').toString('base64'), 'base64', 2],
      ]);
      expect((await messages('b1', '?offset=10')).body).toEqual([]);
      // Nothing was taken: a consumer still gets all six, in order.
      expect((await ch.checkQueue('b1')).messageCount).toBe(6);
      const got: string[] = [];
      for (let i = 0; i < 6; i++) {
        const m = await ch.get('b1', { noAck: true });
        if (m !== false) got.push(m.content.toString());
      }
      expect(got).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5']);
    });

    it('shows a requeued message back in its place, marked redelivered', async () => {
      await publishAll('b2', 3);
      const first = await ch.get('b2');
      expect(first).not.toBe(false);
      ch.nack(first as amqp.GetMessage, false, true);
      const list = await waitFor(async () => {
        const r = await messages('b2');
        return r.body.length === 3 ? r.body : undefined;
      });
      expect(list.map((m) => [m['payload'], m['redelivered']])).toEqual([
        ['m0', true],
        ['m1', false],
        ['m2', false],
      ]);
    });

    it('answers 404 for a missing queue or vhost, 400 for bad parameters, 401 without read permission', async () => {
      expect((await messages('nope')).status).toBe(404);
      expect((await api.get(`/api/warren/queues/${seg(uniqueName('nov'))}/q/messages`)).status).toBe(404);
      await ch.assertQueue('b3');
      expect((await messages('b3', '?count=-1')).status).toBe(400);
      expect((await messages('b3', '?encoding=hex')).status).toBe(400);
      const user = cleanup.user(uniqueName('reader'));
      await api.mustPut(`/api/users/${seg(user)}`, { password: 'pw', tags: 'management' });
      await api.mustPut(`/api/permissions/${seg(vhost)}/${seg(user)}`, { configure: '', write: '', read: '^other$' });
      const r = await api.as(user, 'pw').get(`/api/warren/queues/${seg(vhost)}/b3/messages`);
      expect(r.status).toBe(401);
    });
  });

  describe('move', () => {
    const move = (q: string, body: unknown, as: Api = api) => as.post(`/api/warren/queues/${seg(vhost)}/${seg(q)}/move`, body);

    it('moves ready messages to another queue, properties kept, republished via the default exchange', async () => {
      await publishAll('src', 5);
      await ch.assertQueue('dst', { durable: true });
      const r = await move('src', { destination: 'dst', count: 3 });
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ moved: 3 });
      expect((await ch.checkQueue('src')).messageCount).toBe(2);
      expect((await ch.checkQueue('dst')).messageCount).toBe(3);
      const m = await ch.get('dst', { noAck: true });
      expect(m).not.toBe(false);
      if (m === false) return;
      expect(m.content.toString()).toBe('m0');
      expect(m.fields).toMatchObject({ exchange: '', routingKey: 'dst', redelivered: false });
      expect(m.properties).toMatchObject({ messageId: 'id-0', deliveryMode: 2, headers: { n: 0 } });
      expect((await move('src', { destination: 'dst' })).body).toEqual({ moved: 2 });
      expect((await ch.checkQueue('src')).messageCount).toBe(0);
      const rest: string[] = [];
      for (let i = 0; i < 4; i++) {
        const x = await ch.get('dst', { noAck: true });
        if (x !== false) rest.push(x.content.toString());
      }
      expect(rest).toEqual(['m1', 'm2', 'm3', 'm4']);
      expect((await move('src', { destination: 'dst' })).body).toEqual({ moved: 0 });
    });

    it('stops at a destination that refuses (reject-publish) and leaves the rest in the source', async () => {
      await publishAll('src2', 3);
      await ch.assertQueue('full', { arguments: { 'x-max-length': 1, 'x-overflow': 'reject-publish' } });
      expect((await move('src2', { destination: 'full' })).body).toEqual({ moved: 1 });
      expect((await ch.checkQueue('src2')).messageCount).toBe(2);
      expect((await ch.checkQueue('full')).messageCount).toBe(1);
    });

    it('refuses a missing destination (404), itself (400), and a user without read on the source or write on the destination (401)', async () => {
      await publishAll('src3', 1);
      await ch.assertQueue('dst3');
      expect((await move('src3', { destination: 'missing' })).status).toBe(404);
      expect((await move('missing', { destination: 'dst3' })).status).toBe(404);
      expect((await move('src3', { destination: 'src3' })).status).toBe(400);
      expect((await move('src3', {})).status).toBe(400);
      const user = cleanup.user(uniqueName('mover'));
      await api.mustPut(`/api/users/${seg(user)}`, { password: 'pw', tags: 'management' });
      await api.mustPut(`/api/permissions/${seg(vhost)}/${seg(user)}`, { configure: '', write: '^other$', read: '^src3$' });
      const as = api.as(user, 'pw');
      expect((await move('src3', { destination: 'dst3' }, as)).status).toBe(401);
      await api.mustPut(`/api/permissions/${seg(vhost)}/${seg(user)}`, { configure: '', write: '^dst3$', read: '^other$' });
      expect((await move('src3', { destination: 'dst3' }, as)).status).toBe(401);
      await api.mustPut(`/api/permissions/${seg(vhost)}/${seg(user)}`, { configure: '', write: '^dst3$', read: '^src3$' });
      expect((await move('src3', { destination: 'dst3' }, as)).body).toEqual({ moved: 1 });
      expect((await ch.checkQueue('dst3')).messageCount).toBe(1);
    });
  });

  describe('delayed messages', () => {
    const delayedPath = (rest = ''): string => `/api/warren/delayed/${seg(vhost)}${rest}`;

    it('lists held messages and cancels one, which is then never routed', async () => {
      await ch.assertExchange('later', 'x-delayed-message', { arguments: { 'x-delayed-type': 'direct' } });
      await ch.assertQueue('due');
      await ch.bindQueue('due', 'later', 'k');
      const before = Date.now();
      ch.publish('later', 'k', Buffer.from('cancel me'), { headers: { 'x-delay': 60_000 }, messageId: 'c' });
      // Due soon, but not before the list below is read, even on a loaded machine.
      ch.publish('later', 'k', Buffer.from('keep'), { headers: { 'x-delay': 2_000 } });
      await (ch as amqp.ConfirmChannel).waitForConfirms();
      const list = (await api.get(delayedPath())).body as Record<string, unknown>[];
      expect(list.map((d) => d['payload_bytes'])).toEqual([4, 9]);
      const held = list[1] as Record<string, unknown>;
      expect(held).toMatchObject({ vhost, exchange: 'later', routing_key: 'k', delay: 60_000, payload_bytes: 9 });
      expect(held['properties']).toEqual({ message_id: 'c', headers: { 'x-delay': 60_000 } });
      expect(held['due']).toBeGreaterThanOrEqual(before + 60_000);
      expect((await api.get(delayedPath('/later'))).body).toEqual(list);
      expect((await api.get(delayedPath('/amq.direct'))).status).toBe(404);
      expect((await api.delete(delayedPath(`/later/${String(held['id'])}`))).status).toBe(204);
      expect((await api.delete(delayedPath(`/later/${String(held['id'])}`))).status).toBe(404);
      expect((await api.delete(delayedPath('/later/x'))).status).toBe(404);
      const got = await waitFor(async () => (await ch.get('due', { noAck: true })) || undefined, 15_000);
      expect(got.content.toString()).toBe('keep');
      expect((await api.get(delayedPath())).body).toEqual([]);
      expect(await ch.get('due')).toBe(false);
    });

    it('needs write on the exchange to cancel; lists only exchanges the user may read', async () => {
      await ch.assertExchange('later2', 'x-delayed-message', { arguments: { 'x-delayed-type': 'fanout' } });
      ch.publish('later2', '', Buffer.from('x'), { headers: { 'x-delay': 60_000 } });
      await (ch as amqp.ConfirmChannel).waitForConfirms();
      const [held] = (await api.get(delayedPath())).body as { id: number }[];
      const user = cleanup.user(uniqueName('canceller'));
      await api.mustPut(`/api/users/${seg(user)}`, { password: 'pw', tags: 'management' });
      await api.mustPut(`/api/permissions/${seg(vhost)}/${seg(user)}`, { configure: '', write: '', read: '^other$' });
      const as = api.as(user, 'pw');
      expect((await as.get(delayedPath())).body).toEqual([]);
      expect((await as.delete(delayedPath(`/later2/${String(held?.id)}`))).status).toBe(401);
      await api.mustPut(`/api/permissions/${seg(vhost)}/${seg(user)}`, { configure: '', write: '^later2$', read: '^later2$' });
      expect(((await as.get(delayedPath())).body as unknown[]).length).toBe(1);
      expect((await as.delete(delayedPath(`/later2/${String(held?.id)}`))).status).toBe(204);
    });
  });

  describe('durable delayed messages', () => {
    let node: DurableBroker | undefined;
    /** The guest client of the running broker's management API. */
    const admin = (): Api => new Api(node?.running.managementUrl as string, 'guest', 'guest');

    afterEach(async () => {
      await node?.destroy();
      node = undefined;
    });

    it('a cancelled one is gone from the store: it does not come back after a restart', async () => {
      node = await DurableBroker.start(tempDataDir('warren-http-delayed-'), { managementPort: 0 });
      let c = await amqp.connect(node.url);
      const cc = await c.createConfirmChannel();
      await cc.assertExchange('dlater', 'x-delayed-message', { durable: true, arguments: { 'x-delayed-type': 'direct' } });
      await cc.assertQueue('ddue', { durable: true });
      await cc.bindQueue('ddue', 'dlater', 'k');
      // Long delays: nothing falls due during the test, whatever the machine's load.
      cc.publish('dlater', 'k', Buffer.from('cancelled'), { persistent: true, headers: { 'x-delay': 600_000 } });
      cc.publish('dlater', 'k', Buffer.from('kept'), { persistent: true, headers: { 'x-delay': 600_000 } });
      await cc.waitForConfirms();
      await c.close();
      const list = (await admin().get('/api/warren/delayed/%2F/dlater')).body as { id: number; payload_bytes: number }[];
      const victim = list.find((d) => d.payload_bytes === 9);
      const kept = list.find((d) => d.payload_bytes === 4);
      expect((await admin().delete(`/api/warren/delayed/%2F/dlater/${String(victim?.id)}`)).status).toBe(204);

      await node.restart({ managementPort: 0 });
      const after = (await admin().get('/api/warren/delayed/%2F')).body as { id: number; payload_bytes: number }[];
      expect(after.map((d) => [d.id, d.payload_bytes])).toEqual([[kept?.id, 4]]);
      // The one left can still be cancelled, for good.
      expect((await admin().delete(`/api/warren/delayed/%2F/dlater/${String(kept?.id)}`)).status).toBe(204);
      await node.restart({ managementPort: 0 });
      expect((await admin().get('/api/warren/delayed/%2F')).body).toEqual([]);
      c = await amqp.connect(node.url);
      const ch2 = await c.createChannel();
      expect((await ch2.checkQueue('ddue')).messageCount).toBe(0);
      await c.close();
    });
  });
});
