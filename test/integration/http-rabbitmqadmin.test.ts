/**
 * Debian's rabbitmqadmin (v1, shipped with rabbitmq-server) driving exchanges, queues, bindings,
 * publish, get and purge over the management API, as an operator would. Skipped when it is not
 * installed. Runs against RabbitMQ 3.10 too, with WARREN_TEST_MGMT_URL.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { managementSuite } from '../helpers/management.js';

const RABBITMQADMIN = '/usr/bin/rabbitmqadmin';
const run = promisify(execFile);

const tm = managementSuite();
let vhost: string;

beforeAll(async () => {
  vhost = await tm.vhost('http-admin');
});

/** rabbitmqadmin's output for `args` in the test's vhost (async: the in-process broker keeps serving). */
async function admin(...args: string[]): Promise<string> {
  const u = new URL(tm.url);
  const base = ['-H', u.hostname, '-P', u.port, '-u', tm.api.user, '-p', tm.api.password, '-V', vhost];
  const { stdout } = await run(RABBITMQADMIN, [...base, ...args], { timeout: 20_000 });
  return stdout.trim();
}

/**
 * A list or get as raw JSON. For a list, the columns after `list <what>` are picked here: raw_json
 * prints what the server sends, and column selection (?columns=) belongs to the list parameters.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function json(...args: string[]): Promise<any[]> {
  const out = JSON.parse(await admin('-f', 'raw_json', ...args)) as Record<string, unknown>[];
  if (args[0] !== 'list') return out;
  const columns = args.slice(2);
  return out.map((o) => Object.fromEntries(columns.map((c) => [c, o[c]])));
}

describe.skipIf(!existsSync(RABBITMQADMIN))('rabbitmqadmin', () => {
  it('declares an exchange, queues and bindings, and lists them', async () => {
    expect(await admin('declare', 'exchange', 'name=ex1', 'type=topic', 'durable=true')).toBe('exchange declared');
    expect(await admin('declare', 'queue', 'name=q1', 'durable=true', 'arguments={"x-max-length":10}')).toBe('queue declared');
    expect(await admin('declare', 'queue', 'name=q2', 'durable=false')).toBe('queue declared');
    expect(await admin('declare', 'binding', 'source=ex1', 'destination=q1', 'routing_key=a.*')).toBe('binding declared');
    const args = 'arguments={"k":"v"}';
    expect(await admin('declare', 'binding', 'source=ex1', 'destination=q2', 'destination_type=queue', 'routing_key=b.#', args)).toBe('binding declared');
    const exchanges = await json('list', 'exchanges', 'name', 'type', 'durable');
    expect(exchanges).toContainEqual({ name: 'ex1', type: 'topic', durable: true });
    expect(await json('list', 'queues', 'name', 'durable', 'arguments')).toEqual([
      { name: 'q1', durable: true, arguments: { 'x-max-length': 10 } },
      { name: 'q2', durable: false, arguments: {} },
    ]);
    expect(await json('list', 'bindings', 'source', 'destination', 'routing_key', 'properties_key')).toEqual([
      { source: '', destination: 'q1', routing_key: 'q1', properties_key: 'q1' },
      { source: '', destination: 'q2', routing_key: 'q2', properties_key: 'q2' },
      { source: 'ex1', destination: 'q1', routing_key: 'a.*', properties_key: 'a.%2A' },
      { source: 'ex1', destination: 'q2', routing_key: 'b.#', properties_key: 'b.%23~8IXMRA' },
    ]);
  });

  it('publishes, gets and purges', async () => {
    const properties = 'properties={"content_type":"text/plain","headers":{"h":1}}';
    expect(await admin('publish', 'exchange=ex1', 'routing_key=a.x', 'payload=hello', properties)).toBe('Message published');
    expect(await admin('publish', 'exchange=ex1', 'routing_key=b.y', 'payload=world')).toBe('Message published');
    expect(await admin('publish', 'exchange=ex1', 'routing_key=zzz', 'payload=lost')).toBe('Message published but NOT routed');
    const first = await json('get', 'queue=q1', 'ackmode=ack_requeue_true', 'count=5');
    expect(first).toMatchObject([{ routing_key: 'a.x', exchange: 'ex1', payload: 'hello', redelivered: false, properties: { content_type: 'text/plain', headers: { h: 1 } } }]);
    expect(await json('get', 'queue=q1', 'ackmode=ack_requeue_false')).toMatchObject([{ payload: 'hello', redelivered: true, message_count: 0 }]);
    expect(await admin('get', 'queue=q1', 'ackmode=ack_requeue_false')).toBe('No items');
    expect(await admin('purge', 'queue', 'name=q2')).toBe('queue purged');
    expect(await admin('get', 'queue=q2')).toBe('No items');
  });

  it('deletes a binding by its properties_key, then the queues and the exchange', async () => {
    expect(await admin('delete', 'binding', 'source=ex1', 'destination=q1', 'destination_type=queue', 'properties_key=a.*')).toBe('binding deleted');
    expect(await admin('delete', 'binding', 'source=ex1', 'destination=q2', 'destination_type=queue', 'properties_key=b.#~8IXMRA')).toBe('binding deleted');
    expect(await json('list', 'bindings', 'source', 'destination')).toEqual([
      { source: '', destination: 'q1' },
      { source: '', destination: 'q2' },
    ]);
    expect(await admin('delete', 'queue', 'name=q1')).toBe('queue deleted');
    expect(await admin('delete', 'queue', 'name=q2')).toBe('queue deleted');
    expect(await admin('delete', 'exchange', 'name=ex1')).toBe('exchange deleted');
    expect(await admin('list', 'queues', 'name')).toBe('No items');
    expect((await json('list', 'exchanges', 'name')).map((x: { name: string }) => x.name)).not.toContain('ex1');
  });
});
