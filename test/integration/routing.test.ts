/**
 * Routing over the wire: direct, fanout, topic and headers exchanges and the default exchange,
 * as RabbitMQ 3.10 routes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Channel } from 'amqplib';
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

/**
 * Everything routed to `queue` so far: publishes a sentinel straight to the queue and reads up to
 * it. Publishes from one channel reach a queue in order, so no sleeping is needed to show that a
 * message was NOT routed.
 */
async function routedTo(ch: Channel, queue: string, timeoutMs = 5000): Promise<string[]> {
  ch.sendToQueue(queue, Buffer.from('\u0000sentinel'));
  const deadline = Date.now() + timeoutMs;
  const out: string[] = [];
  for (;;) {
    const msg = await ch.get(queue, { noAck: true });
    if (msg !== false) {
      const body = msg.content.toString();
      if (body === '\u0000sentinel') return out;
      out.push(body);
    } else if (Date.now() > deadline) {
      throw new Error(`sentinel never arrived in ${queue}; got ${JSON.stringify(out)}`);
    }
  }
}

async function tempQueue(ch: Channel): Promise<string> {
  return (await ch.assertQueue('', { exclusive: true })).queue;
}

describe('direct exchange', () => {
  it('routes on exact, case-sensitive routing key equality to every matching binding', async () => {
    await withChannel(broker.url, async (ch) => {
      const ex = uniqueName('ex-direct');
      await ch.assertExchange(ex, 'direct', { durable: false, autoDelete: true });
      const q1 = await tempQueue(ch);
      const q2 = await tempQueue(ch);
      const q3 = await tempQueue(ch);
      await ch.bindQueue(q1, ex, 'k');
      await ch.bindQueue(q2, ex, 'k');
      await ch.bindQueue(q3, ex, '');
      for (const key of ['k', 'K', 'k.x', '', 'other']) ch.publish(ex, key, Buffer.from(`key:${key}`));
      expect(await routedTo(ch, q1)).toEqual(['key:k']);
      expect(await routedTo(ch, q2)).toEqual(['key:k']);
      expect(await routedTo(ch, q3)).toEqual(['key:']);
    });
  });

  it('amq.direct routes the same way', async () => {
    await withChannel(broker.url, async (ch) => {
      const q = await tempQueue(ch);
      const key = uniqueName('key');
      await ch.bindQueue(q, 'amq.direct', key);
      ch.publish('amq.direct', key, Buffer.from('yes'));
      ch.publish('amq.direct', `${key}-no`, Buffer.from('no'));
      expect(await routedTo(ch, q)).toEqual(['yes']);
    });
  });
});

describe('fanout exchange', () => {
  it('routes to every bound queue whatever the routing key', async () => {
    await withChannel(broker.url, async (ch) => {
      const ex = uniqueName('ex-fanout');
      await ch.assertExchange(ex, 'fanout', { durable: false, autoDelete: true });
      const q1 = await tempQueue(ch);
      const q2 = await tempQueue(ch);
      await ch.bindQueue(q1, ex, '');
      await ch.bindQueue(q2, ex, 'ignored');
      ch.publish(ex, '', Buffer.from('a'));
      ch.publish(ex, 'anything.at.all', Buffer.from('b'));
      expect(await routedTo(ch, q1)).toEqual(['a', 'b']);
      expect(await routedTo(ch, q2)).toEqual(['a', 'b']);
    });
  });
});

describe('topic exchange', () => {
  // Words are separated by '.'; '' has no words, 'a.' is ['a', ''], '.a' is ['', 'a'].
  const keys = ['', 'a', 'b', 'a.b', 'a.c', 'b.c', 'a.b.c', 'a..b', '.a', 'a.', 'x.a.b', 'a.x.y.b', 'a.*', 'a.#'];
  const cases: Array<[pattern: string, matches: string[]]> = [
    ['a', ['a']],
    ['a.b', ['a.b']],
    ['a.b.c', ['a.b.c']],
    ['', ['']],
    ['*', ['a', 'b']],
    ['*.*', ['a.b', 'a.c', 'b.c', '.a', 'a.', 'a.*', 'a.#']],
    ['a.*', ['a.b', 'a.c', 'a.', 'a.*', 'a.#']],
    ['*.a', ['.a']],
    ['*.b', ['a.b']],
    ['a.*.b', ['a..b']],
    ['#', keys],
    ['#.#', keys],
    ['*.#', keys.filter((k) => k !== '')],
    ['#.*', keys.filter((k) => k !== '')],
    ['a.#', ['a', 'a.b', 'a.c', 'a.b.c', 'a..b', 'a.', 'a.x.y.b', 'a.*', 'a.#']],
    ['#.b', ['b', 'a.b', 'a..b', 'x.a.b', 'a.x.y.b']],
    ['a.#.b', ['a.b', 'a..b', 'a.x.y.b']],
    ['#.a.#', ['a', 'a.b', 'a.c', 'a.b.c', 'a..b', '.a', 'a.', 'x.a.b', 'a.x.y.b', 'a.*', 'a.#']],
    ['*.*.*', ['a.b.c', 'a..b', 'x.a.b']],
  ];

  it('matches * (exactly one word, possibly empty) and # (zero or more words)', async () => {
    await withChannel(broker.url, async (ch) => {
      const ex = uniqueName('ex-topic');
      await ch.assertExchange(ex, 'topic', { durable: false, autoDelete: true });
      const queues: string[] = [];
      for (const [pattern] of cases) {
        const q = await tempQueue(ch);
        await ch.bindQueue(q, ex, pattern);
        queues.push(q);
      }
      for (const key of keys) ch.publish(ex, key, Buffer.from(key));
      const got: Array<[string, string[]]> = [];
      for (const [i, [pattern]] of cases.entries()) got.push([pattern, await routedTo(ch, queues[i] as string)]);
      expect(got).toEqual(cases);
    });
  });

  it('amq.topic routes the same way', async () => {
    await withChannel(broker.url, async (ch) => {
      const q = await tempQueue(ch);
      const word = uniqueName('w');
      await ch.bindQueue(q, 'amq.topic', `${word}.*`);
      ch.publish('amq.topic', `${word}.x`, Buffer.from('yes'));
      ch.publish('amq.topic', `${word}.x.y`, Buffer.from('no'));
      expect(await routedTo(ch, q)).toEqual(['yes']);
    });
  });
});

describe('headers exchange', () => {
  interface Case {
    name: string;
    binding: Record<string, unknown>;
    matches: string[];
  }
  // message name -> headers
  const messages: Record<string, Record<string, unknown> | undefined> = {
    none: undefined,
    empty: {},
    'a=1': { a: 1 },
    'a=2': { a: 2 },
    'a=1,b=x': { a: 1, b: 'x' },
    'a=1,b=x,c=y': { a: 1, b: 'x', c: 'y' },
    'b=x': { b: 'x' },
    'a="1"': { a: '1' },
    'a=1(long)': { a: { '!': 'long', value: 1 } },
    'x-k=v': { 'x-k': 'v' },
    'a=1,x-k=v': { a: 1, 'x-k': 'v' },
    'a=1,x-k=w': { a: 1, 'x-k': 'w' },
  };
  const all = Object.keys(messages);
  const cases: Case[] = [
    { name: 'x-match all (explicit)', binding: { 'x-match': 'all', a: 1, b: 'x' }, matches: ['a=1,b=x', 'a=1,b=x,c=y'] },
    { name: 'x-match all is the default', binding: { a: 1, b: 'x' }, matches: ['a=1,b=x', 'a=1,b=x,c=y'] },
    {
      name: 'x-match all, one header; integer types compare by value, strings do not equal numbers',
      binding: { a: 1 },
      matches: ['a=1', 'a=1,b=x', 'a=1,b=x,c=y', 'a=1(long)', 'a=1,x-k=v', 'a=1,x-k=w'],
    },
    { name: 'x-match any', binding: { 'x-match': 'any', a: 2, b: 'x' }, matches: ['a=2', 'a=1,b=x', 'a=1,b=x,c=y', 'b=x'] },
    { name: 'x-match all with no other arguments matches everything', binding: { 'x-match': 'all' }, matches: all },
    { name: 'no arguments at all matches everything', binding: {}, matches: all },
    { name: 'x-match any with no other arguments matches nothing', binding: { 'x-match': 'any' }, matches: [] },
    { name: 'x-match all ignores x- arguments', binding: { 'x-match': 'all', a: 1, 'x-k': 'v' }, matches: ['a=1', 'a=1,b=x', 'a=1,b=x,c=y', 'a=1(long)', 'a=1,x-k=v', 'a=1,x-k=w'] },
    { name: 'x-match any ignores x- arguments', binding: { 'x-match': 'any', b: 'x', 'x-k': 'v' }, matches: ['a=1,b=x', 'a=1,b=x,c=y', 'b=x'] },
    { name: 'x-match all-with-x', binding: { 'x-match': 'all-with-x', a: 1, 'x-k': 'v' }, matches: ['a=1,x-k=v'] },
    { name: 'x-match any-with-x', binding: { 'x-match': 'any-with-x', b: 'x', 'x-k': 'v' }, matches: ['a=1,b=x', 'a=1,b=x,c=y', 'b=x', 'x-k=v', 'a=1,x-k=v'] },
    {
      name: 'a void binding value matches any value of that header',
      binding: { a: null },
      matches: ['a=1', 'a=2', 'a=1,b=x', 'a=1,b=x,c=y', 'a="1"', 'a=1(long)', 'a=1,x-k=v', 'a=1,x-k=w'],
    },
  ];

  it.each(cases)('$name', async ({ binding, matches }) => {
    await withChannel(broker.url, async (ch) => {
      const ex = uniqueName('ex-headers');
      await ch.assertExchange(ex, 'headers', { durable: false, autoDelete: true });
      const q = await tempQueue(ch);
      await ch.bindQueue(q, ex, 'routing-key-is-ignored', binding);
      for (const [name, headers] of Object.entries(messages)) {
        ch.publish(ex, 'other-key', Buffer.from(name), headers === undefined ? {} : { headers });
      }
      expect(await routedTo(ch, q)).toEqual(matches);
    });
  });

  it('unbinding needs the same arguments as the binding', async () => {
    await withChannel(broker.url, async (ch) => {
      const ex = uniqueName('ex-headers');
      await ch.assertExchange(ex, 'headers', { durable: false, autoDelete: true });
      const q = await tempQueue(ch);
      await ch.bindQueue(q, ex, '', { a: 1 });
      await ch.bindQueue(q, ex, '', { b: 'x' });
      await ch.unbindQueue(q, ex, '', { a: 1 });
      ch.publish(ex, '', Buffer.from('a'), { headers: { a: 1 } });
      ch.publish(ex, '', Buffer.from('b'), { headers: { b: 'x' } });
      expect(await routedTo(ch, q)).toEqual(['b']);
    });
  });

  it('an invalid x-match value closes the channel with 406', async () => {
    await withChannel(broker.url, async (ch) => {
      const ex = uniqueName('ex-headers');
      await ch.assertExchange(ex, 'headers', { durable: false, autoDelete: true });
      const q = await tempQueue(ch);
      const err = await expectClose(() => ch.bindQueue(q, ex, '', { 'x-match': 'some' }));
      expect({ code: err.code, text: replyText(err.message) }).toEqual({
        code: 406,
        text: 'PRECONDITION_FAILED - Invalid x-match field value <<"some">>; expected all, any, all-with-x, or any-with-x',
      });
    });
  });

  it('amq.headers and amq.match route the same way', async () => {
    await withChannel(broker.url, async (ch) => {
      const q = await tempQueue(ch);
      const tag = uniqueName('tag');
      await ch.bindQueue(q, 'amq.headers', '', { tag });
      await ch.bindQueue(q, 'amq.match', '', { tag, 'x-match': 'any', other: `${tag}-other` });
      ch.publish('amq.headers', '', Buffer.from('headers-yes'), { headers: { tag } });
      ch.publish('amq.headers', '', Buffer.from('headers-no'), { headers: { tag: `${tag}-no` } });
      ch.publish('amq.match', '', Buffer.from('match-yes'), { headers: { other: `${tag}-other` } });
      expect(await routedTo(ch, q)).toEqual(['headers-yes', 'match-yes']);
    });
  });
});

describe('the default exchange', () => {
  it('routes to the queue named by the routing key, and drops other keys', async () => {
    await withChannel(broker.url, async (ch) => {
      const q = await tempQueue(ch);
      ch.publish('', q, Buffer.from('by-name'));
      ch.publish('', `${q}-missing`, Buffer.from('nowhere'));
      ch.publish('', q.toUpperCase(), Buffer.from('wrong-case'));
      expect(await routedTo(ch, q)).toEqual(['by-name']);
    });
  });
});

describe('duplicate routes', () => {
  it('a message matching several bindings of one queue is delivered to it once', async () => {
    await withChannel(broker.url, async (ch) => {
      const topic = uniqueName('ex-topic');
      const fanout = uniqueName('ex-fanout');
      const headers = uniqueName('ex-headers');
      await ch.assertExchange(topic, 'topic', { durable: false, autoDelete: true });
      await ch.assertExchange(fanout, 'fanout', { durable: false, autoDelete: true });
      await ch.assertExchange(headers, 'headers', { durable: false, autoDelete: true });
      const q = await tempQueue(ch);
      await ch.bindQueue(q, topic, 'a.*');
      await ch.bindQueue(q, topic, '#');
      await ch.bindQueue(q, topic, 'a.b');
      await ch.bindQueue(q, fanout, 'one');
      await ch.bindQueue(q, fanout, 'two');
      await ch.bindQueue(q, headers, '', { a: 1 });
      await ch.bindQueue(q, headers, '', { 'x-match': 'any', b: 2 });
      ch.publish(topic, 'a.b', Buffer.from('topic'));
      ch.publish(fanout, '', Buffer.from('fanout'));
      ch.publish(headers, '', Buffer.from('headers'), { headers: { a: 1, b: 2 } });
      expect(await routedTo(ch, q)).toEqual(['topic', 'fanout', 'headers']);
    });
  });
});
