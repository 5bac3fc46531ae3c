/**
 * Exchange declaration, deletion, exchange-to-exchange bindings, alternate exchanges and the
 * auto-delete rule, with the reply codes and texts RabbitMQ 3.10 sends.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Channel, Options } from 'amqplib';
import { expectClose, startTestBroker, uniqueName, withChannel, type TestBroker } from '../helpers/broker.js';

let broker: TestBroker;

beforeAll(async () => {
  broker = await startTestBroker();
});

afterAll(async () => {
  await broker?.close();
});

/** The server's reply text, as amqplib embeds it in the error message. */
function replyText(message: string): string | undefined {
  return /with message "(.*)"$/s.exec(message)?.[1];
}

const noExchange = (name: string): string => `NOT_FOUND - no exchange '${name}' in vhost '/'`;

async function expectChannelError(fn: () => Promise<unknown>, code: number, text: string): Promise<void> {
  const err = await expectClose(fn);
  expect({ code: err.code, text: replyText(err.message) }).toEqual({ code, text });
}

/**
 * Everything routed to `queue` before this call: publishes a sentinel straight to the queue and
 * reads (basic.get) up to it. Publishes from one channel reach a queue in order, so no sleeping is
 * needed to show that a message was NOT routed.
 */
async function routedTo(ch: Channel, queue: string, timeoutMs = 5000): Promise<string[]> {
  ch.sendToQueue(queue, Buffer.from('sentinel'));
  const deadline = Date.now() + timeoutMs;
  const out: string[] = [];
  for (;;) {
    const msg = await ch.get(queue, { noAck: true });
    if (msg !== false) {
      if (msg.content.toString() === 'sentinel') return out;
      out.push(msg.content.toString());
    } else if (Date.now() > deadline) {
      throw new Error(`sentinel never arrived in ${queue}; got ${JSON.stringify(out)}`);
    }
  }
}

describe('exchange.declare', () => {
  it.each(['direct', 'fanout', 'topic', 'headers'])('declares a %s exchange, passive-declares and deletes it', async (type) => {
    await withChannel(broker.url, async (ch) => {
      const name = uniqueName(`ex-${type}`);
      expect(await ch.assertExchange(name, type, { durable: false })).toEqual({ exchange: name });
      // redeclaring with the same properties is fine
      await ch.assertExchange(name, type, { durable: false });
      await ch.checkExchange(name);
      await ch.deleteExchange(name);
      await expectChannelError(() => ch.checkExchange(name), 404, noExchange(name));
    });
  });

  it('passive declare of a missing exchange closes the channel with 404', async () => {
    await withChannel(broker.url, async (ch) => {
      const name = uniqueName('missing-ex');
      await expectChannelError(() => ch.checkExchange(name), 404, noExchange(name));
    });
  });

  describe('redeclaring with different properties closes the channel with 406', () => {
    const cases: Array<[arg: string, type: string, options: Options.AssertExchange, detail: string]> = [
      ['type', 'fanout', { durable: false }, "received 'fanout' but current is 'direct'"],
      ['durable', 'direct', { durable: true }, "received 'true' but current is 'false'"],
      ['auto_delete', 'direct', { durable: false, autoDelete: true }, "received 'true' but current is 'false'"],
      ['internal', 'direct', { durable: false, internal: true }, "received 'true' but current is 'false'"],
      [
        'alternate-exchange',
        'direct',
        { durable: false, arguments: { 'alternate-exchange': 'foo' } },
        "received the value 'foo' of type 'longstr' but current is none",
      ],
    ];
    it.each(cases)('%s', async (arg, type, options, detail) => {
      await withChannel(broker.url, async (ch) => {
        const name = uniqueName('ex-redeclare');
        await ch.assertExchange(name, 'direct', { durable: false });
        const text = `PRECONDITION_FAILED - inequivalent arg '${arg}' for exchange '${name}' in vhost '/': ${detail}`;
        await expectChannelError(() => ch.assertExchange(name, type, options), 406, text);
        // the exchange is unchanged
        await withChannel(broker.url, async (ch2) => {
          await ch2.assertExchange(name, 'direct', { durable: false });
          await ch2.deleteExchange(name);
        });
      });
    });
  });

  it('an unknown exchange type closes the connection with 503', async () => {
    await withChannel(broker.url, async (ch, conn) => {
      const connectionError = new Promise<{ code?: number; message: string }>((resolve) => conn.once('error', resolve));
      const name = uniqueName('ex-badtype');
      // RabbitMQ words this "invalid exchange type" when the name happens to be an Erlang atom
      // ('foo') and "unknown exchange type" otherwise; a name that is no atom gives the general case.
      await expect(ch.assertExchange(name, 'bogus-exchange-type')).rejects.toThrow();
      const err = await connectionError;
      expect(err.code).toBe(503);
      expect(replyText(err.message)).toBe("COMMAND_INVALID - unknown exchange type 'bogus-exchange-type'");
    });
  });

  it("names starting with 'amq.' are reserved (403), and passive declare of one that does not exist is 404", async () => {
    await withChannel(broker.url, async (ch) => {
      const name = `amq.${uniqueName('x')}`;
      const expected = `ACCESS_REFUSED - exchange name '${name}' contains reserved prefix 'amq.*'`;
      await expectChannelError(() => ch.assertExchange(name, 'direct'), 403, expected);
    });
    await withChannel(broker.url, async (ch) => {
      const name = `amq.${uniqueName('x')}`;
      await expectChannelError(() => ch.checkExchange(name), 404, noExchange(name));
    });
  });

  it('the pre-declared amq.* exchanges exist with their types, durable', async () => {
    await withChannel(broker.url, async (ch) => {
      const predeclared = { 'amq.direct': 'direct', 'amq.fanout': 'fanout', 'amq.topic': 'topic', 'amq.headers': 'headers', 'amq.match': 'headers' };
      for (const [name, type] of Object.entries(predeclared)) {
        await ch.checkExchange(name);
        // an equivalent redeclare is allowed even with the reserved prefix
        expect(await ch.assertExchange(name, type, { durable: true })).toEqual({ exchange: name });
      }
      const expected = "PRECONDITION_FAILED - inequivalent arg 'type' for exchange 'amq.direct' in vhost '/': received 'fanout' but current is 'direct'";
      await expectChannelError(() => ch.assertExchange('amq.direct', 'fanout', { durable: true }), 406, expected);
    });
  });
});

describe('exchange.delete', () => {
  it('if-unused refuses an exchange that has bindings (406) and deletes one that has none', async () => {
    await withChannel(broker.url, async (ch) => {
      const name = uniqueName('ex-inuse');
      await ch.assertExchange(name, 'direct', { durable: false });
      const { queue } = await ch.assertQueue('', { exclusive: true });
      await ch.bindQueue(queue, name, 'k');
      const expected = `PRECONDITION_FAILED - exchange '${name}' in vhost '/' in use`;
      await expectChannelError(() => ch.deleteExchange(name, { ifUnused: true }), 406, expected);
    });
    await withChannel(broker.url, async (ch) => {
      const name = uniqueName('ex-unused');
      await ch.assertExchange(name, 'direct', { durable: false });
      await ch.deleteExchange(name, { ifUnused: true });
      await expectChannelError(() => ch.checkExchange(name), 404, noExchange(name));
    });
  });

  it('deleting an exchange that does not exist succeeds', async () => {
    await withChannel(broker.url, async (ch) => {
      const name = uniqueName('ex-never');
      expect(await ch.deleteExchange(name)).toEqual({});
      // the channel is still usable
      await ch.checkExchange('amq.direct');
    });
  });

  it('deleting an exchange removes its bindings', async () => {
    await withChannel(broker.url, async (ch) => {
      const name = uniqueName('ex-delbind');
      await ch.assertExchange(name, 'fanout', { durable: false });
      const { queue } = await ch.assertQueue('', { exclusive: true });
      await ch.bindQueue(queue, name, '');
      await ch.deleteExchange(name);
      await ch.assertExchange(name, 'fanout', { durable: false });
      ch.publish(name, '', Buffer.from('after'));
      expect(await routedTo(ch, queue)).toEqual([]);
      await ch.deleteExchange(name);
    });
  });

  it('system exchanges cannot be deleted (403)', async () => {
    await withChannel(broker.url, async (ch) => {
      const expected = "ACCESS_REFUSED - deletion of system exchange 'amq.direct' in vhost '/' not allowed";
      await expectChannelError(() => ch.deleteExchange('amq.direct'), 403, expected);
    });
  });
});

describe('the default exchange', () => {
  const text = 'ACCESS_REFUSED - operation not permitted on the default exchange';

  it('cannot be declared, even passively (403)', async () => {
    await withChannel(broker.url, (ch) => expectChannelError(() => ch.assertExchange('', 'direct'), 403, text));
    await withChannel(broker.url, (ch) => expectChannelError(() => ch.checkExchange(''), 403, text));
  });

  it('cannot be deleted (403)', async () => {
    await withChannel(broker.url, (ch) => expectChannelError(() => ch.deleteExchange(''), 403, text));
  });

  it('cannot be bound to or unbound from (403)', async () => {
    await withChannel(broker.url, async (ch) => {
      const { queue } = await ch.assertQueue('', { exclusive: true });
      await expectChannelError(() => ch.bindQueue(queue, '', 'k'), 403, text);
    });
    await withChannel(broker.url, async (ch) => {
      const { queue } = await ch.assertQueue('', { exclusive: true });
      await expectChannelError(() => ch.unbindQueue(queue, '', queue), 403, text);
    });
  });

  it('cannot take part in exchange-to-exchange bindings (403)', async () => {
    await withChannel(broker.url, (ch) => expectChannelError(() => ch.bindExchange('', 'amq.direct', 'k'), 403, text));
    await withChannel(broker.url, (ch) => expectChannelError(() => ch.bindExchange('amq.fanout', '', 'k'), 403, text));
  });
});

describe('publishing', () => {
  it('to a missing exchange closes the channel with 404', async () => {
    await withChannel(broker.url, async (ch) => {
      const name = uniqueName('ex-nopub');
      await expectChannelError(
        async () => {
          ch.publish(name, 'k', Buffer.from('x'));
          await ch.checkExchange('amq.direct');
        },
        404,
        noExchange(name),
      );
    });
  });

  it('to an internal exchange closes the channel with 403, but it receives through e2e bindings', async () => {
    await withChannel(broker.url, async (ch) => {
      const internal = uniqueName('ex-internal');
      const front = uniqueName('ex-front');
      await ch.assertExchange(internal, 'fanout', { durable: false, internal: true });
      await ch.assertExchange(front, 'direct', { durable: false });
      const { queue } = await ch.assertQueue('', { exclusive: true });
      await ch.bindQueue(queue, internal, '');
      await ch.bindExchange(internal, front, 'k');
      ch.publish(front, 'k', Buffer.from('via-front'));
      expect(await routedTo(ch, queue)).toEqual(['via-front']);
      await expectChannelError(
        async () => {
          ch.publish(internal, '', Buffer.from('direct'));
          await ch.checkExchange(internal);
        },
        403,
        `ACCESS_REFUSED - cannot publish to internal exchange '${internal}' in vhost '/'`,
      );
      await withChannel(broker.url, async (ch2) => {
        await ch2.deleteExchange(front);
        await ch2.deleteExchange(internal);
      });
    });
  });
});

describe('alternate-exchange', () => {
  it('receives messages the exchange cannot route, and only those', async () => {
    await withChannel(broker.url, async (ch) => {
      const ae = uniqueName('ex-ae');
      const main = uniqueName('ex-main');
      await ch.assertExchange(ae, 'fanout', { durable: false });
      await ch.assertExchange(main, 'direct', { durable: false, alternateExchange: ae });
      const routed = (await ch.assertQueue('', { exclusive: true })).queue;
      const unrouted = (await ch.assertQueue('', { exclusive: true })).queue;
      await ch.bindQueue(routed, main, 'k');
      await ch.bindQueue(unrouted, ae, '');
      const returned: string[] = [];
      ch.on('return', (msg: { content: Buffer }) => returned.push(msg.content.toString()));
      ch.publish(main, 'k', Buffer.from('routed'));
      // mandatory: routed by the alternate exchange, so it is not returned
      ch.publish(main, 'other', Buffer.from('unroutable'), { mandatory: true });
      expect(await routedTo(ch, routed)).toEqual(['routed']);
      expect(await routedTo(ch, unrouted)).toEqual(['unroutable']);
      expect(returned).toEqual([]);
      await ch.deleteExchange(main);
      await ch.deleteExchange(ae);
    });
  });

  it('naming a missing alternate exchange just drops unroutable messages', async () => {
    await withChannel(broker.url, async (ch) => {
      const main = uniqueName('ex-main');
      await ch.assertExchange(main, 'direct', { durable: false, alternateExchange: uniqueName('ex-absent') });
      const { queue } = await ch.assertQueue('', { exclusive: true });
      await ch.bindQueue(queue, main, 'k');
      ch.publish(main, 'other', Buffer.from('dropped'));
      ch.publish(main, 'k', Buffer.from('kept'));
      expect(await routedTo(ch, queue)).toEqual(['kept']);
      await ch.deleteExchange(main);
    });
  });
});

describe('exchange-to-exchange bindings', () => {
  it('route through bind and stop after unbind', async () => {
    await withChannel(broker.url, async (ch) => {
      const source = uniqueName('ex-src');
      const dest = uniqueName('ex-dst');
      await ch.assertExchange(source, 'topic', { durable: false });
      await ch.assertExchange(dest, 'fanout', { durable: false });
      const { queue } = await ch.assertQueue('', { exclusive: true });
      await ch.bindQueue(queue, dest, '');
      expect(await ch.bindExchange(dest, source, 'a.*')).toEqual({});
      ch.publish(source, 'a.b', Buffer.from('match'));
      ch.publish(source, 'b.b', Buffer.from('no-match'));
      expect(await routedTo(ch, queue)).toEqual(['match']);
      expect(await ch.unbindExchange(dest, source, 'a.*')).toEqual({});
      ch.publish(source, 'a.b', Buffer.from('after-unbind'));
      expect(await routedTo(ch, queue)).toEqual([]);
      await ch.deleteExchange(source);
      await ch.deleteExchange(dest);
    });
  });

  it('a message reaching a queue by two paths is delivered once, and cycles do not loop', async () => {
    await withChannel(broker.url, async (ch) => {
      const a = uniqueName('ex-a');
      const b = uniqueName('ex-b');
      await ch.assertExchange(a, 'fanout', { durable: false });
      await ch.assertExchange(b, 'fanout', { durable: false });
      const { queue } = await ch.assertQueue('', { exclusive: true });
      await ch.bindExchange(b, a, '');
      await ch.bindExchange(a, b, '');
      await ch.bindQueue(queue, a, '');
      await ch.bindQueue(queue, b, '');
      ch.publish(a, '', Buffer.from('once'));
      expect(await routedTo(ch, queue)).toEqual(['once']);
      await ch.deleteExchange(a);
      await ch.deleteExchange(b);
    });
  });

  it('binding to or from a missing exchange closes the channel with 404', async () => {
    const missing = uniqueName('ex-missing');
    await withChannel(broker.url, (ch) =>
      expectChannelError(() => ch.bindExchange(missing, 'amq.direct', 'k'), 404, noExchange(missing)),
    );
    await withChannel(broker.url, (ch) =>
      expectChannelError(() => ch.bindExchange('amq.direct', missing, 'k'), 404, noExchange(missing)),
    );
  });

  it('unbinding a binding that does not exist succeeds', async () => {
    await withChannel(broker.url, async (ch) => {
      expect(await ch.unbindExchange('amq.fanout', 'amq.direct', uniqueName('never-bound'))).toEqual({});
      await ch.checkExchange('amq.direct');
    });
  });
});

describe('auto-delete exchanges', () => {
  it('survive until they had a binding, and go when the last binding is removed', async () => {
    await withChannel(broker.url, async (ch) => {
      const name = uniqueName('ex-autodel');
      await ch.assertExchange(name, 'direct', { durable: false, autoDelete: true });
      const { queue } = await ch.assertQueue('', { exclusive: true });
      // never bound: still there
      await ch.checkExchange(name);
      await ch.bindQueue(queue, name, 'a');
      await ch.bindQueue(queue, name, 'b');
      await ch.unbindQueue(queue, name, 'a');
      // one binding left
      await ch.checkExchange(name);
      await ch.unbindQueue(queue, name, 'b');
      await expectChannelError(() => ch.checkExchange(name), 404, noExchange(name));
    });
  });

  it('go when the queue holding their last binding is deleted', async () => {
    await withChannel(broker.url, async (ch) => {
      const name = uniqueName('ex-autodel-q');
      await ch.assertExchange(name, 'fanout', { durable: false, autoDelete: true });
      const { queue } = await ch.assertQueue('', { exclusive: true });
      await ch.bindQueue(queue, name, '');
      await ch.deleteQueue(queue);
      await expectChannelError(() => ch.checkExchange(name), 404, noExchange(name));
    });
  });

  it('go when their last exchange-to-exchange binding (as source) is removed', async () => {
    await withChannel(broker.url, async (ch) => {
      const source = uniqueName('ex-autodel-src');
      const dest = uniqueName('ex-dest');
      await ch.assertExchange(source, 'fanout', { durable: false, autoDelete: true });
      await ch.assertExchange(dest, 'fanout', { durable: false });
      await ch.bindExchange(dest, source, '');
      await ch.unbindExchange(dest, source, '');
      await ch.checkExchange(dest);
      await expectChannelError(() => ch.checkExchange(source), 404, noExchange(source));
      await withChannel(broker.url, (ch2) => ch2.deleteExchange(dest));
    });
  });
});
