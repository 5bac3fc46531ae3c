/**
 * Topic permissions, as RabbitMQ 3.10's internal backend applies them: on a topic exchange for
 * which the user has topic permissions, publishing needs the routing key to match the `write`
 * regex, and binding from it (queue.bind/unbind, exchange.bind/unbind with it as the source)
 * needs the binding key to match `read`; `{username}` and `{vhost}` in a regex are the user's
 * name and the vhost. No topic permission for the exchange means every key is allowed, and
 * exchanges of other types are never checked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roundTrip, uniqueName, waitFor } from '../helpers/broker.js';
import { ALL, Scene, expectRefused } from '../helpers/permissions.js';

let s: Scene;
let user: string;
/** topic exchange with plain topic permissions for `user`: write ^allowed\., read ^allowed\. */
const plain = uniqueName('topic-plain');
/** topic exchange with topic permissions using the variables: write ^{username}\., read ^{vhost}\. */
const vars = uniqueName('topic-vars');
/** topic exchange for which `user` has no topic permission */
const open = uniqueName('topic-open');
/** direct exchange with topic permissions that match nothing: they do not apply */
const direct = uniqueName('direct');

beforeAll(async () => {
  s = await Scene.start();
  user = await s.user('topic-user', ALL);
  for (const x of [plain, vars, open]) await s.g.assertExchange(x, 'topic', { durable: false });
  await s.g.assertExchange(direct, 'direct', { durable: false });
  await s.admin.setTopicPermissions(user, s.vhost, plain, '^allowed\\.', '^allowed\\.');
  await s.admin.setTopicPermissions(user, s.vhost, vars, '^{username}\\.', '^{vhost}\\.');
  await s.admin.setTopicPermissions(user, s.vhost, direct, '^nothing$', '^nothing$');
}, 60_000);

afterAll(async () => {
  await s?.close();
}, 60_000);

/** A queue of guest's, bound to `exchange` with `key` (every key: '#') */
async function boundQueue(exchange: string, key = '#'): Promise<string> {
  const q = uniqueName('topic-q');
  await s.g.assertQueue(q, { durable: false });
  await s.g.bindQueue(q, exchange, key);
  return q;
}

/** Everything in `q` (guest takes it), routing keys only */
async function keysIn(q: string): Promise<string[]> {
  const out: string[] = [];
  for (let m = await s.g.get(q, { noAck: true }); m !== false; m = await s.g.get(q, { noAck: true })) out.push(m.fields.routingKey);
  return out;
}

describe('basic.publish to a topic exchange: write topic permission on the routing key', () => {
  const cases = [
    { exchange: plain, allowed: 'allowed.a', refused: 'refused.a' },
    { exchange: vars, allowed: '{user}.a', refused: 'someone-else.a' },
  ];
  it.each(cases)('$exchange: $allowed is routed, $refused refused with 403', async ({ exchange, allowed, refused }) => {
    const key = allowed.replace('{user}', user);
    const q = await boundQueue(exchange);
    await s.as(user, async (ch) => {
      ch.publish(exchange, key, Buffer.from('ok'));
      const refusal = await expectRefused(ch, () => ch.publish(exchange, refused, Buffer.from('no')));
      expect(refusal).toEqual({ code: 403, text: s.topicRefused(refused, exchange, user) });
    });
    // Publishes on one channel are handled in order: the refused one came after the routed one.
    await waitFor(async () => (await s.stat(q)).messageCount === 1);
    expect(await keysIn(q)).toEqual([key]);
  });

  it('{username} is the publishing user: another user with the same topic permission is held to its own name', async () => {
    const other = await s.user('topic-other', ALL);
    await s.admin.setTopicPermissions(other, s.vhost, vars, '^{username}\\.', '^{vhost}\\.');
    const key = `${user}.a`;
    await s.as(other, async (ch) => {
      const refusal = await expectRefused(ch, () => ch.publish(vars, key, Buffer.from('no')));
      expect(refusal).toEqual({ code: 403, text: s.topicRefused(key, vars, other) });
    });
  });
});

describe('binding from a topic exchange: read topic permission on the binding key', () => {
  const cases = [
    { exchange: plain, allowed: 'allowed.#', refused: 'refused.#' },
    { exchange: vars, allowed: '{vhost}.*', refused: 'elsewhere.*' },
  ];

  it.each(cases)('queue.bind to $exchange: $allowed is bound, $refused refused with 403', async ({ exchange, allowed, refused }) => {
    const key = allowed.replace('{vhost}', s.vhost);
    const q = uniqueName('topic-bind-q');
    await s.g.assertQueue(q, { durable: false });
    await s.as(user, async (ch) => {
      await ch.bindQueue(q, exchange, key);
      const refusal = await expectRefused(ch, () => ch.bindQueue(q, exchange, refused));
      expect(refusal).toEqual({ code: 403, text: s.topicRefused(refused, exchange, user) });
    });
    const probe = (k: string): string => k.replace('#', 'x').replace('*', 'x');
    expect(await s.routes(exchange, q, probe(key))).toBe(true);
    expect(await s.routes(exchange, q, probe(refused))).toBe(false);
  });

  it('queue.unbind is checked the same way: the binding stays', async () => {
    const q = await boundQueue(plain, 'refused.#');
    await s.as(user, async (ch) => {
      const refusal = await expectRefused(ch, () => ch.unbindQueue(q, plain, 'refused.#'));
      expect(refusal).toEqual({ code: 403, text: s.topicRefused('refused.#', plain, user) });
    });
    expect(await s.routes(plain, q, 'refused.x')).toBe(true);
  });

  it('exchange.bind and exchange.unbind with the topic exchange as source', async () => {
    const dst = uniqueName('topic-dst');
    await s.g.assertExchange(dst, 'fanout', { durable: false });
    const q = await boundQueue(dst, '');
    await s.g.bindExchange(dst, plain, 'refused.b');
    await s.as(user, async (ch) => {
      await ch.bindExchange(dst, plain, 'allowed.b');
      const bind = await expectRefused(ch, () => ch.bindExchange(dst, plain, 'refused.c'));
      expect(bind).toEqual({ code: 403, text: s.topicRefused('refused.c', plain, user) });
    });
    await s.as(user, async (ch) => {
      const unbind = await expectRefused(ch, () => ch.unbindExchange(dst, plain, 'refused.b'));
      expect(unbind).toEqual({ code: 403, text: s.topicRefused('refused.b', plain, user) });
    });
    expect(await s.routes(plain, q, 'allowed.b')).toBe(true);
    expect(await s.routes(plain, q, 'refused.b')).toBe(true);
    expect(await s.routes(plain, q, 'refused.c')).toBe(false);
  });

  it('write and read are separate: a key may be bound and not published to, or the reverse', async () => {
    // vars: write ^{username}\., read ^{vhost}\. ; a key may be readable and not writable
    const q = uniqueName('topic-rw-q');
    await s.g.assertQueue(q, { durable: false });
    await s.as(user, async (ch) => {
      await ch.bindQueue(q, vars, `${s.vhost}.k`);
      const refusal = await expectRefused(ch, () => ch.publish(vars, `${s.vhost}.k`, Buffer.from('no')));
      expect(refusal).toEqual({ code: 403, text: s.topicRefused(`${s.vhost}.k`, vars, user) });
    });
    await s.as(user, async (ch) => {
      const refusal = await expectRefused(ch, () => ch.bindQueue(q, vars, `${user}.k`));
      expect(refusal).toEqual({ code: 403, text: s.topicRefused(`${user}.k`, vars, user) });
    });
  });
});

describe('where topic permissions do not apply', () => {
  it('a topic exchange with no topic permission for the user: every key is allowed', async () => {
    const q = uniqueName('topic-open-q');
    await s.g.assertQueue(q, { durable: false });
    await s.as(user, async (ch) => {
      await ch.bindQueue(q, open, 'anything.#');
      ch.publish(open, 'anything.at.all', Buffer.from('m'));
      expect(await roundTrip(ch)).toBe('open');
    });
    await waitFor(async () => (await s.stat(q)).messageCount === 1);
  });

  it('a user with no topic permissions at all (guest) publishes and binds any key', async () => {
    const q = await boundQueue(plain, 'refused.#');
    expect(await s.routes(plain, q, 'refused.by.user')).toBe(true);
  });

  it('a direct exchange is not checked, even with topic permissions on it', async () => {
    const q = uniqueName('topic-direct-q');
    await s.g.assertQueue(q, { durable: false });
    await s.as(user, async (ch) => {
      await ch.bindQueue(q, direct, 'anything');
      ch.publish(direct, 'anything', Buffer.from('m'));
      expect(await roundTrip(ch)).toBe('open');
    });
    await waitFor(async () => (await s.stat(q)).messageCount === 1);
  });
});
