/**
 * A durable x-delayed-message exchange keeps its held persistent messages across a restart (the
 * RabbitMQ plugin loses nothing only on a single node and caps delays; Warren stores them): they
 * are routed when due after the restart; transient held messages are gone.
 */
import amqp from 'amqplib';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/broker.js';
import { DurableBroker, tempDataDir } from '../helpers/durable.js';

let node: DurableBroker | undefined;

afterEach(async () => {
  await node?.destroy();
  node = undefined;
});

describe('durable delayed messages', () => {
  it('survive a restart and are routed when due; transient ones do not', async () => {
    node = await DurableBroker.start(tempDataDir('warren-delayed-'));
    let conn = await amqp.connect(node.url);
    const ch = await conn.createConfirmChannel();
    await ch.assertExchange('later', 'x-delayed-message', { durable: true, arguments: { 'x-delayed-type': 'direct' } });
    await ch.assertQueue('due', { durable: true });
    await ch.bindQueue('due', 'later', 'k');
    const sent = Date.now();
    ch.publish('later', 'k', Buffer.from('kept'), { persistent: true, headers: { 'x-delay': 600 } });
    ch.publish('later', 'k', Buffer.from('lost'), { persistent: false, headers: { 'x-delay': 600 } });
    await ch.waitForConfirms();
    expect(node.running.broker.vhost('/')?.exchanges.get('later')?.delayed?.size).toBe(2);
    await conn.close();

    await node.restart();
    const held = node.running.broker.vhost('/')?.exchanges.get('later')?.delayed?.list() ?? [];
    expect(held.map((d) => d.message.body.toString())).toEqual(['kept']);
    expect(held[0]?.dueAt).toBeGreaterThanOrEqual(sent + 600);
    conn = await amqp.connect(node.url);
    const ch2 = await conn.createChannel();
    const got = await waitFor(async () => ch2.get('due', { noAck: true }), 5000);
    expect(got !== false && got.content.toString()).toBe('kept');
    expect(Date.now() - sent).toBeGreaterThanOrEqual(590);
    expect(await ch2.get('due')).toBe(false);
    await conn.close();
  });
});
