// Conformance scenarios for amqplib (the Node client), patterned on the RabbitMQ tutorials.
// Usage: node client.mjs <scenario> <amqp-url> <prefix>
// Exit 0 on success; otherwise the last stderr line says what went wrong.
// Shared (non-exclusive) queues and exchanges are named exactly <prefix>.
import amqp from 'amqplib';

const WAIT_MS = 10_000;
const connections = [];

function check(condition, message) {
  if (!condition) throw new Error(message);
}

function expectEqual(actual, expected, what) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  check(a === e, `${what}: expected ${e}, got ${a}`);
}

/** Collects items pushed by callbacks; `until` waits for a condition with a deadline. */
class Inbox {
  items = [];
  #waiters = [];

  push(item) {
    this.items.push(item);
    this.#waiters = this.#waiters.filter((waiter) => !waiter());
  }

  until(predicate, what) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`timed out waiting for ${what} (have ${this.items.length})`));
      }, WAIT_MS);
      const waiter = () => {
        if (!predicate(this.items)) return false;
        clearTimeout(timer);
        resolve(this.items);
        return true;
      };
      if (!waiter()) this.#waiters.push(waiter);
    });
  }

  count(n, what) {
    return this.until((items) => items.length >= n, `${n} ${what}`);
  }
}

async function connect(url) {
  const connection = await amqp.connect(url);
  connection.on('error', () => {}); // surfaced through the failing operation instead
  connections.push(connection);
  return connection;
}

const bodies = (messages) => messages.map((message) => message.content.toString());

// Tutorial 2: a durable task queue shared by two workers with prefetch 1 and manual acks.
// Worker A holds its first task unacked; with prefetch 1 every other task must go to worker B.
async function workQueue(url, prefix) {
  const tasks = Array.from({ length: 10 }, (_, i) => `task-${i}`);
  const producer = await (await connect(url)).createChannel();
  await producer.assertQueue(prefix, { durable: true });
  for (const task of tasks) producer.sendToQueue(prefix, Buffer.from(task), { persistent: true });

  const startWorker = async (ackAtOnce) => {
    const channel = await (await connect(url)).createChannel();
    await channel.prefetch(1);
    const inbox = new Inbox();
    await channel.consume(prefix, (message) => {
      inbox.push(message);
      if (ackAtOnce) channel.ack(message);
    });
    return { channel, inbox };
  };
  const a = await startWorker(false);
  await a.inbox.count(1, 'task on worker A');
  const b = await startWorker(true);
  await b.inbox.count(tasks.length - 1, 'tasks on worker B');

  expectEqual(bodies(a.inbox.items), ['task-0'], 'worker A (busy, prefetch 1)');
  expectEqual(bodies(b.inbox.items), tasks.slice(1), 'worker B');
  const all = [...a.inbox.items, ...b.inbox.items];
  check(all.every((m) => m.properties.deliveryMode === 2), 'tasks lost their persistent delivery mode');
  check(all.every((m) => !m.fields.redelivered), 'a task was redelivered');

  a.channel.ack(a.inbox.items[0]);
  await a.channel.close(); // an unacked task would be requeued here
  await b.channel.close();
  const state = await producer.checkQueue(prefix);
  expectEqual([state.messageCount, state.consumerCount], [0, 0], 'queue [messages, consumers] after work');
  const deleted = await producer.deleteQueue(prefix);
  expectEqual(deleted.messageCount, 0, 'queue.delete-ok message count');
}

// Tutorial 3: a fanout exchange copies every message to each bound queue, ignoring routing keys.
async function publishSubscribe(url, prefix) {
  const subscriber = await (await connect(url)).createChannel();
  await subscriber.assertExchange(prefix, 'fanout', { durable: false });
  const inboxes = [];
  for (let i = 0; i < 2; i += 1) {
    const { queue } = await subscriber.assertQueue('', { exclusive: true });
    check(queue.length > 0, 'server-named queue has an empty name');
    await subscriber.bindQueue(queue, prefix, '');
    const inbox = new Inbox();
    await subscriber.consume(queue, (message) => inbox.push(message), { noAck: true });
    inboxes.push({ queue, inbox });
  }
  check(inboxes[0].queue !== inboxes[1].queue, 'server-named queues share a name');

  const logs = Array.from({ length: 6 }, (_, i) => `log-${i}`);
  const publisher = await (await connect(url)).createChannel();
  logs.forEach((log, i) => publisher.publish(prefix, `key.${i}`, Buffer.from(log)));
  for (const [i, { inbox }] of inboxes.entries()) {
    const got = await inbox.count(logs.length, `logs on subscriber ${i}`);
    expectEqual(bodies(got), logs, `subscriber ${i}`);
    check(got.every((m) => m.fields.exchange === prefix), `subscriber ${i}: wrong exchange on delivery`);
  }
  await subscriber.deleteExchange(prefix);
}

/** Declares `bindings.length` exclusive queues bound to `prefix`; returns their inboxes. */
async function bindConsumers(channel, prefix, bindings) {
  const inboxes = [];
  for (const keys of bindings) {
    const { queue } = await channel.assertQueue('', { exclusive: true });
    for (const key of keys) await channel.bindQueue(queue, prefix, key);
    const inbox = new Inbox();
    await channel.consume(queue, (message) => inbox.push(message), { noAck: true });
    inboxes.push(inbox);
  }
  return inboxes;
}

/** Publishes body = `key:i` per key, then waits until every inbox has seen the last key. */
async function publishAndCollect(url, prefix, keys, inboxes) {
  const publisher = await (await connect(url)).createChannel();
  keys.forEach((key, i) => publisher.publish(prefix, key, Buffer.from(`${key}:${i}`)));
  const last = `${keys[keys.length - 1]}:${keys.length - 1}`;
  const results = [];
  for (const [i, inbox] of inboxes.entries()) {
    const got = await inbox.until((items) => bodies(items).includes(last), `end marker on queue ${i}`);
    check(got.every((m) => m.content.toString().startsWith(`${m.fields.routingKey}:`)), 'routing key mismatch');
    results.push(got.map((m) => m.fields.routingKey));
  }
  return results;
}

// Tutorial 4: a direct exchange routes by exact key; one queue takes errors, one takes all but debug.
async function routing(url, prefix) {
  const channel = await (await connect(url)).createChannel();
  await channel.assertExchange(prefix, 'direct', { durable: false });
  const inboxes = await bindConsumers(channel, prefix, [['error'], ['info', 'warning', 'error']]);
  const keys = ['info', 'warning', 'error', 'debug', 'error', 'info', 'debug', 'error'];
  const [errors, all] = await publishAndCollect(url, prefix, keys, inboxes);
  expectEqual(errors, ['error', 'error', 'error'], 'error-only queue');
  expectEqual(all, ['info', 'warning', 'error', 'error', 'info', 'error'], 'info/warning/error queue');
  await channel.deleteExchange(prefix);
}

// Tutorial 5: a topic exchange; '*' is exactly one word, '#' is zero or more.
async function topics(url, prefix) {
  const channel = await (await connect(url)).createChannel();
  await channel.assertExchange(prefix, 'topic', { durable: false });
  const inboxes = await bindConsumers(channel, prefix, [['*.orange.*'], ['*.*.rabbit', 'lazy.#']]);
  const keys = [
    'quick.orange.rabbit', 'lazy.orange.elephant', 'quick.orange.fox', 'lazy.brown.fox',
    'lazy.pink.rabbit', 'quick.brown.fox', 'orange', 'quick.orange.new.rabbit',
    'lazy.orange.new.rabbit', 'lazy', 'end.orange.rabbit',
  ];
  const [orange, rabbitOrLazy] = await publishAndCollect(url, prefix, keys, inboxes);
  expectEqual(orange, ['quick.orange.rabbit', 'lazy.orange.elephant', 'quick.orange.fox', 'end.orange.rabbit'],
    "queue bound to '*.orange.*'");
  expectEqual(rabbitOrLazy, [
    'quick.orange.rabbit', 'lazy.orange.elephant', 'lazy.brown.fox', 'lazy.pink.rabbit',
    'lazy.orange.new.rabbit', 'lazy', 'end.orange.rabbit',
  ], "queue bound to '*.*.rabbit' and 'lazy.#'");
  await channel.deleteExchange(prefix);
}

function fib(n) {
  let [a, b] = [0, 1];
  for (let i = 0; i < n; i += 1) [a, b] = [b, a + b];
  return a;
}

// Tutorial 6: RPC over a request queue, an exclusive reply queue and correlation ids.
async function rpc(url, prefix) {
  const server = await (await connect(url)).createChannel();
  await server.assertQueue(prefix, { durable: false, autoDelete: true });
  await server.prefetch(1);
  await server.consume(prefix, (request) => {
    const { replyTo, correlationId } = request.properties;
    const n = Number.parseInt(request.content.toString(), 10);
    server.sendToQueue(replyTo, Buffer.from(String(fib(n))), { correlationId });
    server.ack(request);
  });

  const client = await (await connect(url)).createChannel();
  const { queue: replyQueue } = await client.assertQueue('', { exclusive: true });
  const replies = new Inbox();
  await client.consume(replyQueue, (message) => replies.push(message), { noAck: true });
  const calls = [0, 1, 2, 10, 30].map((n, i) => ({ n, id: `${prefix}.call-${i}` }));
  for (const { n, id } of calls) {
    client.sendToQueue(prefix, Buffer.from(String(n)), { replyTo: replyQueue, correlationId: id });
  }
  const got = await replies.count(calls.length, 'replies');
  check(got.length === calls.length, `expected ${calls.length} replies, got ${got.length}`);
  const byId = new Map(got.map((m) => [m.properties.correlationId, m.content.toString()]));
  expectEqual(calls.map(({ id }) => byId.get(id)), calls.map(({ n }) => String(fib(n))), 'fib replies by correlation id');
}

// Tutorial 7: publisher confirms on a durable queue, then every message is there, in order.
async function confirms(url, prefix) {
  const total = 500;
  const channel = await (await connect(url)).createConfirmChannel();
  await channel.assertQueue(prefix, { durable: true });
  let acked = 0;
  let nacked = 0;
  for (let i = 0; i < total; i += 1) {
    channel.sendToQueue(prefix, Buffer.from(`msg-${i}`), { persistent: true }, (err) => {
      if (err) nacked += 1;
      else acked += 1;
    });
  }
  await channel.waitForConfirms();
  expectEqual([acked, nacked], [total, 0], '[acked, nacked]');
  const { messageCount } = await channel.checkQueue(prefix);
  expectEqual(messageCount, total, 'message count after confirms');

  const drained = new Inbox();
  await channel.consume(prefix, (message) => drained.push(message), { noAck: true });
  const got = await drained.count(total, 'drained messages');
  expectEqual(bodies(got), Array.from({ length: total }, (_, i) => `msg-${i}`), 'drained bodies');
  const deleted = await channel.deleteQueue(prefix);
  expectEqual(deleted.messageCount, 0, 'queue.delete-ok message count');
}

// Mandatory publishing: an unroutable mandatory message comes back as basic.return 312 NO_ROUTE,
// and with confirms it is still acked, after the return.
async function returns(url, prefix) {
  const channel = await (await connect(url)).createConfirmChannel();
  await channel.assertExchange(prefix, 'direct', { durable: false });
  const { queue } = await channel.assertQueue('', { exclusive: true });
  await channel.bindQueue(queue, prefix, 'known');
  const events = [];
  channel.on('return', (message) => {
    const { replyCode, replyText, exchange, routingKey } = message.fields;
    events.push(`return ${replyCode} ${replyText} ${exchange === prefix} ${routingKey} ` +
      `${message.properties.messageId} ${message.content}`);
  });
  const confirmed = (id) => (err) => events.push(err ? `nack ${id}` : `ack ${id}`);
  channel.publish(prefix, 'nowhere', Buffer.from('lost'), { mandatory: true, messageId: 'm1' }, confirmed('m1'));
  channel.publish(prefix, 'nowhere', Buffer.from('dropped'), { messageId: 'm2' }, confirmed('m2'));
  channel.publish(prefix, 'known', Buffer.from('kept'), { mandatory: true, messageId: 'm3' }, confirmed('m3'));
  await channel.waitForConfirms();

  const returned = events.filter((e) => e.startsWith('return'));
  expectEqual(returned, ['return 312 NO_ROUTE true nowhere m1 lost'], 'returned messages');
  check(events.indexOf(returned[0]) < events.indexOf('ack m1'), `ack came before the return: ${events}`);
  expectEqual(events.filter((e) => !e.startsWith('return')).sort(), ['ack m1', 'ack m2', 'ack m3'], 'confirms');

  const routed = await channel.get(queue, { noAck: true });
  check(routed !== false, 'the routable mandatory message was not delivered');
  expectEqual([routed.content.toString(), routed.fields.routingKey], ['kept', 'known'], 'routed message');
  expectEqual(await channel.get(queue, { noAck: true }), false, 'second basic.get');
  await channel.deleteExchange(prefix);
}

const SCENARIOS = {
  'work-queue': workQueue,
  'publish-subscribe': publishSubscribe,
  routing,
  topics,
  rpc,
  confirms,
  returns,
};

function fail(error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}

process.on('uncaughtException', fail);
process.on('unhandledRejection', fail);

const [scenario, url, prefix] = process.argv.slice(2);
const run = SCENARIOS[scenario];
if (!run || !url || !prefix) fail(`usage: client.mjs <${Object.keys(SCENARIOS).join('|')}> <url> <prefix>`);
try {
  await run(url, prefix);
} catch (error) {
  fail(error);
}
for (const connection of connections) await connection.close().catch(() => {});
process.exit(0);
