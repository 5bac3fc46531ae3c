import { bench, describe } from 'vitest';
import { DirectRoutingTable } from '../../src/broker/exchange/direct.js';
import { FanoutRoutingTable } from '../../src/broker/exchange/fanout.js';
import { HeadersRoutingTable } from '../../src/broker/exchange/headers.js';
import { TopicRoutingTable } from '../../src/broker/exchange/topic.js';

/** Deterministic PRNG so runs are comparable. */
function rng(seed: number): () => number {
  let s = seed;
  return () => {
    s = (Math.imul(s, 1103515245) + 12345) & 0x7fffffff;
    return s / 0x80000000;
  };
}

const out = new Set<number>();
const WORDS = ['eu', 'us', 'ap', 'orders', 'payments', 'users', 'created', 'updated', 'deleted', 'v1', 'v2', 'audit'];

describe('topic, 10k bindings', () => {
  const rand = rng(1);
  const pick = (): string => WORDS[Math.floor(rand() * WORDS.length)] as string;
  const topic = new TopicRoutingTable<number>();
  for (let i = 0; i < 10_000; i++) {
    const r = rand();
    const pattern =
      r < 0.5
        ? `${pick()}.${pick()}.${pick()}.q${i}` // exact
        : r < 0.8
          ? `${pick()}.*.${pick()}.#`
          : r < 0.95
            ? `#.${pick()}.*`
            : `${pick()}.#.${pick()}`;
    topic.add(pattern, {}, i % 1000);
  }
  const keys = Array.from({ length: 256 }, () => `${pick()}.${pick()}.${pick()}.${pick()}`);
  let k = 0;
  bench('route', () => {
    out.clear();
    topic.route(keys[k++ & 255] as string, undefined, out);
  });

  const exactOnly = new TopicRoutingTable<number>();
  for (let i = 0; i < 10_000; i++) exactOnly.add(`a.b.key${i}`, {}, i);
  bench('route, exact keys only', () => {
    out.clear();
    exactOnly.route(`a.b.key${k++ % 10_000}`, undefined, out);
  });
});

describe('direct, 10k keys', () => {
  const direct = new DirectRoutingTable<number>();
  const keys: string[] = [];
  for (let i = 0; i < 10_000; i++) {
    keys.push(`rk.${i}`);
    direct.add(`rk.${i}`, {}, i);
  }
  let k = 0;
  bench('route', () => {
    out.clear();
    direct.route(keys[k++ % 10_000] as string, undefined, out);
  });
});

describe('fanout, 10 queues', () => {
  const fanout = new FanoutRoutingTable<number>();
  for (let i = 0; i < 10; i++) fanout.add('', {}, i);
  bench('route', () => {
    out.clear();
    fanout.route('ignored', undefined, out);
  });
});

describe('headers, 100 bindings', () => {
  const headers = new HeadersRoutingTable<number>();
  for (let i = 0; i < 100; i++) headers.add('', { 'x-match': i % 2 ? 'any' : 'all', region: WORDS[i % 3] as string, n: i % 7 }, i);
  const message = { region: 'us', n: 3, other: 'x' };
  bench('route', () => {
    out.clear();
    headers.route('', message, out);
  });
});
