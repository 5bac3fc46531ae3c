/**
 * Reading message_stats in management-API tests. RabbitMQ emits statistics every 5 s, so tests
 * poll with a deadline of a few intervals instead of reading once.
 */
import { expect } from 'vitest';
import { waitFor } from './broker.js';

/** RabbitMQ emits stats every 5 s: allow a few intervals. */
export const STATS_TIMEOUT = 25_000;

type Json = Record<string, unknown>;

/** The counts of a message_stats object (no *_details). */
export function counts(stats: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries((stats ?? {}) as Json)) if (!k.endsWith('_details')) out[k] = v as number;
  return out;
}

/** `<key>_details.rate` of a stats object, 0 when absent. */
export const rateOf = (stats: unknown, key: string): number =>
  (stats as Record<string, { rate?: number }> | undefined)?.[`${key}_details`]?.rate ?? 0;

/**
 * Wait until `read` gives an object whose message_stats counts equal `expected`, keys in order
 * (RabbitMQ's come late); on the deadline, fail with the last counts against the expected ones.
 */
export async function statsReach<T extends Json>(read: () => Promise<T>, expected: Record<string, number>): Promise<T> {
  let last = {} as T;
  try {
    return await waitFor(async () => {
      last = await read();
      return JSON.stringify(counts(last['message_stats'])) === JSON.stringify(expected) ? last : undefined;
    }, STATS_TIMEOUT, 200);
  } catch {
    expect(counts(last['message_stats'])).toEqual(expected);
    return last;
  }
}
