/**
 * Where the order of RabbitMQ 3.10's checks (rabbit_channel) shows, and why it matters: write
 * permission on an exchange cannot be gained through an exchange-to-exchange binding, an
 * alternate exchange or a dead-letter exchange; permissions are checked before a resource is
 * looked up (a refused user learns nothing of what exists); and the few checks RabbitMQ makes
 * before or between permissions.
 *
 * One user, `limited`, is refused exactly the (permission, name) pairs made with `deny` below,
 * and write and read on the default exchange ('amq.default'); it has every other permission.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Channel } from 'amqplib';
import { roundTrip, uniqueName } from '../helpers/broker.js';
import { Scene, allBut, escapeRe, expectRefused, type Refusal } from '../helpers/permissions.js';

type Permission = 'configure' | 'write' | 'read';
const excluded: Record<Permission, string[]> = { configure: [], write: [], read: [] };
/** A fresh name that `limited` is refused `perms` on. */
function deny(prefix: string, ...perms: Permission[]): string {
  const name = uniqueName(prefix);
  for (const p of perms) excluded[p].push(escapeRe(name));
  return name;
}
excluded.write.push('amq\\.default');
excluded.read.push('amq\\.default');

let s: Scene;
let limited: string;

beforeAll(async () => {
  s = await Scene.start();
  limited = await s.user('limited', {
    configure: allBut(excluded.configure),
    write: allBut(excluded.write),
    read: allBut(excluded.read),
  });
}, 60_000);

afterAll(async () => {
  await s?.close();
}, 60_000);

/** `op` run by `limited` on a fresh channel: the refusal. */
const refusal = (op: (ch: Channel) => unknown): Promise<Refusal> => s.as(limited, (ch) => expectRefused(ch, () => op(ch)));
const accessRefused = (kind: 'exchange' | 'queue', name: string): Refusal => ({ code: 403, text: s.refused(kind, name, limited) });

describe('write permission on an exchange cannot be bypassed', () => {
  const protectedX = deny('protected-x', 'write');
  const open = uniqueName('open-x');
  let sink: string;

  beforeAll(async () => {
    await s.g.assertExchange(protectedX, 'fanout', { durable: false });
    await s.g.assertExchange(open, 'fanout', { durable: false });
    sink = uniqueName('sink-q');
    await s.g.assertQueue(sink, { durable: false });
    await s.g.bindQueue(sink, protectedX, '');
  });

  it('publishing to it is refused', async () => {
    expect(await refusal((ch) => ch.publish(protectedX, '', Buffer.from('m')))).toEqual(accessRefused('exchange', protectedX));
    expect((await s.stat(sink)).messageCount).toBe(0);
  });

  it('nor can it be bound as the destination of an exchange the user may publish to', async () => {
    expect(await refusal((ch) => ch.bindExchange(protectedX, open, ''))).toEqual(accessRefused('exchange', protectedX));
    expect(await s.routes(open, sink)).toBe(false);
  });

  it('nor be the alternate exchange of a new exchange', async () => {
    const x = uniqueName('with-ae');
    const declare = (ch: Channel): Promise<unknown> => ch.assertExchange(x, 'fanout', { durable: false, alternateExchange: protectedX });
    expect(await refusal(declare)).toEqual(accessRefused('exchange', protectedX));
    expect(await s.exists('exchange', x)).toBe(false);
  });

  it('nor the dead-letter exchange of a new queue', async () => {
    const q = uniqueName('with-dlx');
    const declare = (ch: Channel): Promise<unknown> => ch.assertQueue(q, { durable: false, deadLetterExchange: protectedX, messageTtl: 0 });
    expect(await refusal(declare)).toEqual(accessRefused('exchange', protectedX));
    expect(await s.exists('queue', q)).toBe(false);
  });

  it("the default exchange, which reaches every queue, is 'amq.default' as an alternate or dead-letter exchange", async () => {
    const x = uniqueName('ae-default');
    const q = uniqueName('dlx-default');
    expect(await refusal((ch) => ch.assertExchange(x, 'fanout', { durable: false, alternateExchange: '' }))).toEqual(
      accessRefused('exchange', ''),
    );
    const dlx = { durable: false, deadLetterExchange: '', deadLetterRoutingKey: sink };
    expect(await refusal((ch) => ch.assertQueue(q, dlx))).toEqual(accessRefused('exchange', ''));
    expect([await s.exists('exchange', x), await s.exists('queue', q)]).toEqual([false, false]);
  });
});

describe('permission before existence: a refused user learns nothing of what exists', () => {
  interface Missing {
    op: string;
    run: (ch: Channel, name: string) => unknown;
    kind: 'exchange' | 'queue';
    perm: Permission;
  }
  const missing: Missing[] = [
    { op: 'basic.publish to a missing exchange', run: (ch, n) => ch.publish(n, '', Buffer.from('m')), kind: 'exchange', perm: 'write' },
    { op: 'exchange.delete of a missing exchange', run: (ch, n) => ch.deleteExchange(n), kind: 'exchange', perm: 'configure' },
    { op: 'queue.delete of a missing queue', run: (ch, n) => ch.deleteQueue(n), kind: 'queue', perm: 'configure' },
    { op: 'basic.get from a missing queue', run: (ch, n) => ch.get(n), kind: 'queue', perm: 'read' },
    { op: 'basic.consume from a missing queue', run: (ch, n) => ch.consume(n, () => {}), kind: 'queue', perm: 'read' },
    { op: 'queue.purge of a missing queue', run: (ch, n) => ch.purgeQueue(n), kind: 'queue', perm: 'read' },
    { op: 'queue.bind of a missing queue', run: (ch, n) => ch.bindQueue(n, 'amq.direct', ''), kind: 'queue', perm: 'write' },
    { op: 'queue.bind to a missing exchange', run: (ch, n) => ch.bindQueue(uniqueName('some-q'), n, ''), kind: 'exchange', perm: 'read' },
  ];
  const cases = missing.map((c) => ({ ...c, name: deny(`missing-${c.kind}`, c.perm) }));
  const passive = deny('missing-passive', 'configure', 'write', 'read');

  it.each(cases)('$op: 403 before any lookup', async ({ run, kind, name }) => {
    expect(await refusal((ch) => run(ch, name))).toEqual(accessRefused(kind, name));
  });

  it('a passive declare checks no permission: 404', async () => {
    const text = `NOT_FOUND - no exchange '${passive}' in vhost '${s.vhost}'`;
    expect(await refusal((ch) => ch.checkExchange(passive))).toEqual({ code: 404, text });
  });
});

describe('the first of several refused checks is reported', () => {
  const [q, x, dst, src] = [deny('both-q', 'write'), deny('both-x', 'read'), deny('both-dst', 'write'), deny('both-src', 'read')];
  const [dlq, dlx, aex, ae] = [deny('both-dlq', 'read'), deny('both-dlx', 'write'), deny('both-aex', 'read'), deny('both-ae', 'write')];

  it('queue.bind and exchange.bind: write on the destination before read on the source', async () => {
    expect(await refusal((ch) => ch.bindQueue(q, x, ''))).toEqual(accessRefused('queue', q));
    expect(await refusal((ch) => ch.bindExchange(dst, src, ''))).toEqual(accessRefused('exchange', dst));
  });

  it('a dead-letter or alternate exchange: read on the new queue or exchange before write on the other', async () => {
    expect(await refusal((ch) => ch.assertQueue(dlq, { durable: false, deadLetterExchange: dlx }))).toEqual(accessRefused('queue', dlq));
    expect(await refusal((ch) => ch.assertExchange(aex, 'fanout', { durable: false, alternateExchange: ae }))).toEqual(
      accessRefused('exchange', aex),
    );
  });
});

describe('checks RabbitMQ makes before or between the permission checks', () => {
  const notPermitted = { code: 403, text: 'ACCESS_REFUSED - operation not permitted on the default exchange' };
  const toDefault = deny('to-default-q', 'write');
  const internal = deny('internal-x', 'write');
  const [amqX, amqQ, amqMissing] = [deny('amq.x', 'configure'), deny('amq.q', 'configure'), deny('amq.missing', 'configure')];
  const badType = deny('bad-type', 'configure');

  it('binding to the default exchange: write on the queue first, then the default exchange refused (before read on it)', async () => {
    expect(await refusal((ch) => ch.bindQueue(toDefault, '', toDefault))).toEqual(accessRefused('queue', toDefault));
    expect(await refusal((ch) => ch.bindQueue(uniqueName('to-default-ok'), '', 'k'))).toEqual(notPermitted);
  });

  it('publishing to an internal exchange: write on it first', async () => {
    const writable = uniqueName('internal-ok');
    for (const x of [internal, writable]) await s.g.assertExchange(x, 'fanout', { durable: false, internal: true });
    expect(await refusal((ch) => ch.publish(internal, '', Buffer.from('m')))).toEqual(accessRefused('exchange', internal));
    expect(await refusal((ch) => ch.publish(writable, '', Buffer.from('m')))).toEqual({
      code: 403,
      text: `ACCESS_REFUSED - cannot publish to internal exchange '${writable}' in vhost '${s.vhost}'`,
    });
  });

  it("an 'amq.' name: an exchange needs configure before the prefix is refused, a queue's prefix is refused first", async () => {
    expect(await refusal((ch) => ch.assertExchange(amqX, 'fanout'))).toEqual(accessRefused('exchange', amqX));
    expect(await refusal((ch) => ch.assertQueue(amqQ))).toEqual({
      code: 403,
      text: `ACCESS_REFUSED - queue name '${amqQ}' contains reserved prefix 'amq.*'`,
    });
  });

  it("exchange.delete of an 'amq.' name is refused before configure, whether it exists or not", async () => {
    for (const x of ['amq.direct', amqMissing]) {
      expect(await refusal((ch) => ch.deleteExchange(x))).toEqual({
        code: 403,
        text: `ACCESS_REFUSED - deletion of system exchange '${x}' in vhost '${s.vhost}' not allowed`,
      });
    }
    await s.probe((ch) => ch.checkExchange('amq.direct'));
  });

  it('exchange.declare of an unknown type closes the connection with 503 before configure is checked', async () => {
    await s.as(limited, async (ch, conn) => {
      // the connection's error, or the channel's if the broker wrongly closes only the channel
      const closed = new Promise<{ code?: number; message: string }>((resolve) => {
        conn.once('error', resolve);
        ch.once('error', resolve);
      });
      await expect(ch.assertExchange(badType, 'no-such-type')).rejects.toThrow();
      const err = await closed;
      expect([err.code, err.message]).toEqual([
        503,
        `Connection closed: 503 (COMMAND-INVALID) with message "COMMAND_INVALID - unknown exchange type 'no-such-type'"`,
      ]);
      expect(await roundTrip(ch)).toBe('closed');
    });
  });
});
