/**
 * Policies (internal API until the management API exposes them): they apply to existing queues
 * at once, follow RabbitMQ's precedence between arguments, policies and operator policies, and
 * the delayed-message policy holds x-delay messages in any queue. Observed over the wire.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Policy } from '../../src/broker/policy.js';
import { startTestBroker, uniqueName, waitFor, withConfirmChannel } from '../helpers/broker.js';

const broker = await startTestBroker();
afterAll(() => broker.close());
const core = broker.broker?.broker;

function policy(name: string, pattern: string, definition: Record<string, unknown>, extra: Partial<Policy> = {}): Policy {
  return { vhost: '/', name, pattern, applyTo: 'queues', priority: 0, definition, operator: false, ...extra };
}

describe.skipIf(broker.external)('policies', () => {
  it('a max-length policy applies to an existing queue at once, and stops when deleted', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const q = uniqueName('pol-maxlen');
      await ch.assertQueue(q, { exclusive: true });
      for (let i = 0; i < 5; i++) ch.sendToQueue(q, Buffer.from(String(i)));
      await ch.waitForConfirms();
      core?.setPolicy(policy(q, `^${q}$`, { 'max-length': 2 }));
      expect((await ch.checkQueue(q)).messageCount).toBe(2);
      const first = await ch.get(q, { noAck: true });
      expect(first && first.content.toString()).toBe('3'); // drop-head kept the newest two
      expect(core?.deletePolicy('/', q, false)).toBe(true);
      for (let i = 0; i < 5; i++) ch.sendToQueue(q, Buffer.from('more'));
      await ch.waitForConfirms();
      expect((await ch.checkQueue(q)).messageCount).toBe(6);
    });
  });

  it('a message-ttl policy expires messages of an existing queue', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const q = uniqueName('pol-ttl');
      await ch.assertQueue(q, { exclusive: true });
      core?.setPolicy(policy(q, `^${q}$`, { 'message-ttl': 30 }));
      ch.sendToQueue(q, Buffer.from('short-lived'));
      await ch.waitForConfirms();
      await waitFor(async () => (await ch.checkQueue(q)).messageCount === 0, 2000);
      core?.deletePolicy('/', q, false);
    });
  });

  it('the lower of policy and operator policy max-length wins; the queue argument beats a policy DLX', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const q = uniqueName('pol-op');
      const dlq = uniqueName('pol-dlq');
      await ch.assertQueue(dlq, { exclusive: true });
      await ch.assertQueue(q, { exclusive: true, arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': dlq } });
      core?.setPolicy(policy(q, `^${q}$`, { 'max-length': 3, 'dead-letter-exchange': 'nowhere' }));
      core?.setPolicy(policy(q, `^${q}$`, { 'max-length': 1 }, { operator: true }));
      for (let i = 0; i < 3; i++) ch.sendToQueue(q, Buffer.from(String(i)));
      await ch.waitForConfirms();
      expect((await ch.checkQueue(q)).messageCount).toBe(1);
      // Dropped heads were dead-lettered through the queue's own DLX, not the policy's.
      expect((await ch.checkQueue(dlq)).messageCount).toBe(2);
      core?.deletePolicy('/', q, false);
      core?.deletePolicy('/', q, true);
    });
  });

  it('an alternate-exchange policy applies to an existing exchange; the argument wins over it', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const x = uniqueName('pol-x');
      const xArg = uniqueName('pol-xarg');
      const viaPolicy = uniqueName('pol-ae-q');
      const viaArg = uniqueName('pol-arg-q');
      await ch.assertQueue(viaPolicy, { exclusive: true });
      await ch.assertQueue(viaArg, { exclusive: true });
      await ch.assertExchange(x, 'direct', { durable: false });
      await ch.assertExchange(xArg, 'direct', { durable: false, arguments: { 'alternate-exchange': 'amq.fanout' } });
      await ch.bindQueue(viaPolicy, 'amq.topic', '#');
      await ch.bindQueue(viaArg, 'amq.fanout', '');
      core?.setPolicy(policy(x, `^(${x}|${xArg})$`, { 'alternate-exchange': 'amq.topic' }, { applyTo: 'exchanges' }));
      ch.publish(x, 'nowhere', Buffer.from('to-policy-ae'));
      ch.publish(xArg, 'nowhere', Buffer.from('to-arg-ae'));
      await ch.waitForConfirms();
      const a = await ch.get(viaPolicy, { noAck: true });
      const b = await ch.get(viaArg, { noAck: true });
      expect(a !== false && a.content.toString()).toBe('to-policy-ae');
      expect(b !== false && b.content.toString()).toBe('to-arg-ae');
      core?.deletePolicy('/', x, false);
      ch.publish(x, 'nowhere', Buffer.from('dropped'));
      await ch.waitForConfirms();
      expect(await ch.get(viaPolicy)).toBe(false);
      await ch.deleteExchange(x);
      await ch.deleteExchange(xArg);
    });
  });

  it('an invalid policy is refused with RabbitMQ\'s validation text', () => {
    expect(() => core?.setPolicy(policy('bad', '.*', { 'message-ttl': -1 }))).toThrow(/-1 is not a valid message TTL/);
  });

  it('the delayed-message policy holds an x-delay message in the queue until its time', async () => {
    await withConfirmChannel(broker.url, async (ch) => {
      const q = uniqueName('pol-delay');
      await ch.assertQueue(q, { exclusive: true });
      core?.setPolicy(policy(q, `^${q}$`, { 'delayed-message': true }));
      const sent = Date.now();
      ch.sendToQueue(q, Buffer.from('later'), { headers: { 'x-delay': 150 } });
      ch.sendToQueue(q, Buffer.from('now'));
      await ch.waitForConfirms();
      const first = await ch.get(q, { noAck: true });
      expect(first && first.content.toString()).toBe('now');
      const held = core?.vhost('/')?.queues.get(q)?.delayed?.list() ?? [];
      expect(held.map((d) => d.message.body.toString())).toEqual(['later']);
      const later = await waitFor(async () => ch.get(q, { noAck: true }), 2000);
      expect(later !== false && later.content.toString()).toBe('later');
      expect(Date.now() - sent).toBeGreaterThanOrEqual(140);
      core?.deletePolicy('/', q, false);
    });
  });
});
