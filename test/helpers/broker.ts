/**
 * Test helpers shared by every integration test.
 *
 * By default each test file starts its own in-process Warren on port 0 with a temporary data
 * directory. With WARREN_TEST_URL set (e.g. amqp://guest:guest@127.0.0.1:5672), the same tests run
 * against that external broker instead — used to check a test against real RabbitMQ before
 * trusting it against Warren. Tests must therefore use unique names (see `uniqueName`).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventEmitter } from 'node:events';
import amqp from 'amqplib';
import type { Channel, ChannelModel, ConfirmChannel, GetMessage } from 'amqplib';
import { startBroker, type RunningBroker } from '../../src/index.js';

export interface TestBroker {
  /** amqp://guest:guest@127.0.0.1:PORT */
  readonly url: string;
  readonly port: number;
  /** true when running against an external broker (WARREN_TEST_URL) */
  readonly external: boolean;
  /** the in-process broker, when not external */
  readonly broker: RunningBroker | undefined;
  close(): Promise<void>;
}

export async function startTestBroker(
  options: { maxMessageSize?: number; consumerTimeout?: number; queueMemoryBudget?: { messages: number; bytes: number } } = {},
): Promise<TestBroker> {
  const externalUrl = process.env['WARREN_TEST_URL'];
  if (externalUrl) {
    const port = Number(new URL(externalUrl).port || 5672);
    return { url: externalUrl, port, external: true, broker: undefined, close: async () => {} };
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'warren-test-'));
  const broker = await startBroker({ port: 0, dataDir, logLevel: 'warn', ...options });
  return {
    url: broker.url,
    port: broker.port,
    external: false,
    broker,
    close: async () => {
      await broker.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

let counter = 0;
/** A name unique across test runs and processes, so tests can share an external broker. */
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter}`;
}

/** Poll `check` until it returns a truthy value or the deadline passes. Never sleep in tests. */
export async function waitFor<T>(check: () => T | Promise<T>, timeoutMs = 5000, intervalMs = 5): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`waitFor timed out after ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Open a connection and channel, run `fn`, close both (ignoring errors from an already-closed channel). */
export async function withChannel<T>(url: string, fn: (ch: Channel, conn: ChannelModel) => Promise<T>): Promise<T> {
  const conn = await amqp.connect(url);
  conn.on('error', () => {});
  try {
    const ch = await conn.createChannel();
    ch.on('error', () => {});
    return await fn(ch, conn);
  } finally {
    await conn.close().catch(() => {});
  }
}

export async function withConfirmChannel<T>(
  url: string,
  fn: (ch: ConfirmChannel, conn: ChannelModel) => Promise<T>,
): Promise<T> {
  const conn = await amqp.connect(url);
  conn.on('error', () => {});
  try {
    const ch = await conn.createConfirmChannel();
    ch.on('error', () => {});
    return await fn(ch, conn);
  } finally {
    await conn.close().catch(() => {});
  }
}

/**
 * Expect `fn` to make the broker close the channel (or connection); resolves to the close's
 * reply code and text as amqplib reports them.
 */
export async function expectClose(
  fn: () => Promise<unknown>,
): Promise<{ code: number; message: string }> {
  try {
    await fn();
  } catch (err) {
    const e = err as { code?: number; message?: string };
    return { code: e.code ?? -1, message: e.message ?? '' };
  }
  throw new Error('expected the broker to close the channel, but the call succeeded');
}

/** A round trip after a fire-and-forget action: 'closed' if the broker closed the channel (or connection). */
export const roundTrip = (ch: Channel): Promise<'open' | 'closed'> =>
  ch.checkExchange('amq.direct').then(
    () => 'open' as const,
    () => 'closed' as const,
  );

/** Resolves with the code and message of the next 'error' the channel (or connection) reports. */
export function nextError(emitter: EventEmitter): Promise<{ code: number; message: string }> {
  return new Promise((resolve) => {
    emitter.once('error', (err: { code?: number; message?: string }) => {
      resolve({ code: err.code ?? -1, message: err.message ?? '' });
    });
  });
}

/** Ready messages in a queue (passive declare). */
export const readyCount = async (ch: Channel, q: string): Promise<number> => (await ch.checkQueue(q)).messageCount;

/** basic.get n messages (with ack pending); fails if the queue runs dry first. */
export async function getN(ch: Channel, q: string, n: number): Promise<GetMessage[]> {
  const out: GetMessage[] = [];
  for (let i = 0; i < n; i++) {
    const m = await ch.get(q);
    if (m === false) throw new Error(`queue ${q} empty after ${i} gets`);
    out.push(m);
  }
  return out;
}

/** Take everything left in the queue (no-ack) as "body", or "body*" when redelivered. */
export async function drainMarked(ch: Channel, q: string): Promise<string[]> {
  const out: string[] = [];
  for (;;) {
    const m = await ch.get(q, { noAck: true });
    if (m === false) return out;
    out.push(m.content.toString() + (m.fields.redelivered ? '*' : ''));
  }
}

/** Take everything left in the queue (no-ack), bodies only. */
export async function drainBodies(ch: Channel, q: string): Promise<string[]> {
  const out: string[] = [];
  for (;;) {
    const m = await ch.get(q, { noAck: true });
    if (m === false) return out;
    out.push(m.content.toString());
  }
}

/** A fresh queue holding n messages "1".."n", confirmed. */
export async function filledQueue(ch: ConfirmChannel, prefix: string, n: number, exclusive = true): Promise<string> {
  const q = uniqueName(prefix);
  await ch.assertQueue(q, { exclusive });
  for (let i = 1; i <= n; i++) ch.sendToQueue(q, Buffer.from(String(i)));
  await ch.waitForConfirms();
  return q;
}

/** How amqplib reports a queue.declare refused for an invalid argument (RabbitMQ's text). */
export const invalidArg = (arg: string, q: string, detail: string): { code: number; message: string } => ({
  code: 406,
  message:
    `Operation failed: QueueDeclare; 406 (PRECONDITION-FAILED) with message ` +
    `"PRECONDITION_FAILED - invalid arg '${arg}' for queue '${q}' in vhost '/': ${detail}"`,
});
