/**
 * Issue 7, broker bugs: a publish's confirm outcome is its own (not a shared field a nested
 * dead-letter publish overwrites), and a persistent message held by the delayed-message policy in
 * a durable queue survives a restart without leaving its body behind in the store.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Policy } from '../../src/broker/policy.js';
import { startTestBroker, uniqueName, waitFor, withConfirmChannel } from '../helpers/broker.js';
import { DurableBroker, withStoreReader } from '../helpers/durable.js';

const broker = await startTestBroker();
afterAll(() => broker.close());

/** basic.ack → 'ack', basic.nack → 'nack' for one publish on a confirm channel. */
const outcome = (publish: (cb: (err: unknown) => void) => void): Promise<'ack' | 'nack'> =>
  new Promise((resolve) => publish((err) => resolve(err === null || err === undefined ? 'ack' : 'nack')));

describe('confirm outcome of a fanned-out publish (bug 1)', () => {
  it('a full reject-publish queue nacks even when a drop-head queue dead-letters in the same publish', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const x = uniqueName('fan');
      const dlx = uniqueName('fan-dlx');
      const rejecting = uniqueName('fan-reject');
      const dropping = uniqueName('fan-drop');
      const dlq = uniqueName('fan-dlq');
      await ch.assertExchange(x, 'fanout', { autoDelete: true });
      await ch.assertExchange(dlx, 'fanout', { autoDelete: true });
      await ch.assertQueue(dlq, { exclusive: true });
      await ch.bindQueue(dlq, dlx, '');
      await ch.assertQueue(rejecting, { exclusive: true, arguments: { 'x-max-length': 1, 'x-overflow': 'reject-publish' } });
      await ch.assertQueue(dropping, {
        exclusive: true,
        arguments: { 'x-max-length': 1, 'x-overflow': 'drop-head', 'x-dead-letter-exchange': dlx },
      });
      // Bound in this order, so the drop-head queue dead-letters after the reject was counted.
      await ch.bindQueue(rejecting, x, '');
      await ch.bindQueue(dropping, x, '');
      expect(await outcome((cb) => ch.publish(x, '', Buffer.from('fills both'), {}, cb))).toBe('ack');
      expect(await outcome((cb) => ch.publish(x, '', Buffer.from('over'), {}, cb))).toBe('nack');
      // the drop-head queue did take it, and dead-lettered its old head
      const dead = await waitFor(async () => (await ch.get(dlq, { noAck: true })) || undefined, 2000);
      expect(dead.content.toString()).toBe('fills both');
      expect((await ch.checkQueue(rejecting)).messageCount).toBe(1);
      expect((await ch.checkQueue(dropping)).messageCount).toBe(1);
    });
  });

  it('the same with the queues bound the other way round', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const x = uniqueName('fan2');
      const dlx = uniqueName('fan2-dlx');
      const rejecting = uniqueName('fan2-reject');
      const dropping = uniqueName('fan2-drop');
      await ch.assertExchange(x, 'fanout', { autoDelete: true });
      await ch.assertExchange(dlx, 'fanout', { autoDelete: true });
      await ch.assertQueue(dropping, {
        exclusive: true,
        arguments: { 'x-max-length': 1, 'x-overflow': 'drop-head', 'x-dead-letter-exchange': dlx },
      });
      await ch.assertQueue(rejecting, { exclusive: true, arguments: { 'x-max-length': 1, 'x-overflow': 'reject-publish' } });
      await ch.bindQueue(dropping, x, '');
      await ch.bindQueue(rejecting, x, '');
      expect(await outcome((cb) => ch.publish(x, '', Buffer.from('1'), {}, cb))).toBe('ack');
      expect(await outcome((cb) => ch.publish(x, '', Buffer.from('2'), {}, cb))).toBe('nack');
    });
  });
});

describe('argument texts', () => {
  it('a decimal argument is printed as RabbitMQ prints it in an inequivalent-arg error', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const q = uniqueName('decimal-arg');
      await ch.assertQueue(q, { exclusive: true });
      const decimal = { '!': 'decimal', value: { places: 2, digits: 314 } };
      const err = await ch.assertQueue(q, { exclusive: true, arguments: { 'x-dead-letter-exchange': decimal } }).then(
        () => undefined,
        (e: Error) => e.message,
      );
      expect(err).toContain(
        `inequivalent arg 'x-dead-letter-exchange' for queue '${q}' in vhost '/': received the value '{2,314}' of type 'decimal' but current is none`,
      );
    });
  });
});

describe.skipIf(Boolean(process.env['WARREN_TEST_URL']))('delayed-message policy on a durable queue (bug 2)', () => {
  it('a confirmed persistent x-delay message survives a restart, and no body is left behind', async () => {
    const b = await DurableBroker.start();
    try {
      const q = uniqueName('delay-durable');
      const policy: Policy = {
        vhost: '/', name: q, pattern: `^${q}$`, applyTo: 'queues', priority: 0,
        definition: { 'delayed-message': true }, operator: false,
      };
      b.running.broker.setPolicy(policy);
      await withConfirmChannel(b.url, async (ch) => {
        await ch.assertQueue(q, { durable: true });
        ch.sendToQueue(q, Buffer.from('later'), { persistent: true, headers: { 'x-delay': 1500 } });
        await ch.waitForConfirms();
        expect((await ch.checkQueue(q)).messageCount).toBe(0); // held, not ready
      });
      await b.restart();
      expect(b.running.broker.vhost('/')?.queues.get(q)?.delayed?.size).toBe(1);
      const later = await withConfirmChannel(b.url, (ch) =>
        waitFor(async () => (await ch.get(q, { noAck: true })) || undefined, 5000),
      );
      expect(later.content.toString()).toBe('later');
      expect(later.properties.headers?.['x-delay']).toBe(1500);
      await b.stop();
      await withStoreReader(b.dataDir, (r) => {
        expect(r.counts()).toEqual({ messages: 0, entries: 0 });
        expect(r.referenceMismatches()).toEqual({ leaked: 0, dangling: 0 });
      });
    } finally {
      await b.destroy();
    }
  });
});
