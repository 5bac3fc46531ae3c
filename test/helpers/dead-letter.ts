/**
 * Helpers for the dead-lettering tests (dead-letter.test.ts, dead-letter-deaths.test.ts): taking
 * messages, a fanout DLX, and comparing x-death headers without their timestamps.
 */
import { expect } from 'vitest';
import type { Channel, GetMessage, MessageProperties } from 'amqplib';
import { readyCount, uniqueName, waitFor } from './broker.js';

export async function getOne(ch: Channel, q: string): Promise<GetMessage> {
  const m = await ch.get(q, { noAck: true });
  if (m === false) throw new Error(`queue ${q} is empty`);
  return m;
}

/** Wait until `q` holds `n` ready messages, then take them all (no-ack). */
export async function takeN(ch: Channel, q: string, n: number): Promise<GetMessage[]> {
  await waitFor(async () => (await readyCount(ch, q)) === n);
  const out: GetMessage[] = [];
  for (let i = 0; i < n; i++) out.push(await getOne(ch, q));
  expect(await ch.get(q)).toBe(false);
  return out;
}

export const bodies = (ms: { content: Buffer }[]) => ms.map((m) => m.content.toString());

/** A fanout DLX (auto-deleted with its exclusive queue) and the queue it feeds. */
export async function fanoutDlx(ch: Channel, prefix: string): Promise<{ dlx: string; dlq: string }> {
  const dlx = uniqueName(`${prefix}-dlx`);
  const dlq = uniqueName(`${prefix}-dlq`);
  await ch.assertExchange(dlx, 'fanout', { autoDelete: true });
  await ch.assertQueue(dlq, { exclusive: true });
  await ch.bindQueue(dlq, dlx, '');
  return { dlx, dlq };
}

export interface Death {
  count: number;
  reason: string;
  queue: string;
  exchange: string;
  'routing-keys': string[];
  'original-expiration'?: string;
}

/**
 * The headers with every x-death `time` checked (an AMQP timestamp, in seconds, within
 * [fromMs, now]) and removed, so the rest can be compared exactly.
 */
export function withoutDeathTimes(properties: MessageProperties, fromMs: number): Record<string, unknown> {
  const headers = { ...(properties.headers ?? {}) } as Record<string, unknown>;
  const deaths = headers['x-death'];
  if (!Array.isArray(deaths)) return headers;
  const now = Date.now();
  headers['x-death'] = deaths.map((entry: Record<string, unknown>) => {
    const { time, ...rest } = entry;
    expect(time).toEqual({ '!': 'timestamp', value: expect.any(Number) });
    const seconds = (time as { value: number }).value;
    expect(seconds).toBeGreaterThanOrEqual(Math.floor(fromMs / 1000));
    expect(seconds).toBeLessThanOrEqual(Math.ceil(now / 1000));
    return rest;
  });
  return headers;
}

/**
 * x-first-death-* (RabbitMQ 3.10 and Warren) and, on Warren only, x-last-death-* (RabbitMQ 3.13;
 * 3.10 does not set them, so against it their absence is asserted).
 */
export function deathSummary(external: boolean, first: Omit<Death, 'count' | 'routing-keys'>, last = first): Record<string, string> {
  return {
    'x-first-death-queue': first.queue,
    'x-first-death-reason': first.reason,
    'x-first-death-exchange': first.exchange,
    ...(external
      ? {}
      : {
          'x-last-death-queue': last.queue,
          'x-last-death-reason': last.reason,
          'x-last-death-exchange': last.exchange,
        }),
  };
}
