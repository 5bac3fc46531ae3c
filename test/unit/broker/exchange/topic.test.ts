import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TopicRoutingTable } from '../../../../src/broker/exchange/topic.js';
import { hashWord } from '../../../../src/broker/exchange/topic-trie.js';

/** Reference matcher: recursion over split words; "" has zero words, as RabbitMQ splits it. */
function words(key: string): string[] {
  return key === '' ? [] : key.split('.');
}
function refMatch(p: string[], w: string[]): boolean {
  if (p.length === 0) return w.length === 0;
  const [head, ...rest] = p;
  if (head === '#') return refMatch(rest, w) || (w.length > 0 && refMatch(p, w.slice(1)));
  if (w.length === 0) return false;
  return (head === '*' || head === w[0]) && refMatch(rest, w.slice(1));
}

function matches(pattern: string, key: string): boolean {
  const t = new TopicRoutingTable<string>();
  t.add(pattern, {}, 'q');
  const out = new Set<string>();
  t.route(key, undefined, out);
  return out.has('q');
}

const CASES: [pattern: string, key: string, expected: boolean][] = [
  ['a.b', 'a.b', true],
  ['a.b', 'a.b.c', false],
  ['a.b', 'a', false],
  ['a', 'ab', false],
  ['ab.c', 'a.c', false],
  ['*', 'a', true],
  ['*', '', false],
  ['*', 'a.b', false],
  ['*', '.', false],
  ['*.*', '.', true],
  ['#', '', true],
  ['#', 'a.b.c', true],
  ['#', '.', true],
  ['#.#', '', true],
  ['#.#', 'a.b', true],
  ['', '', true],
  ['', 'a', false],
  ['', '.', false],
  ['a.*', 'a.', true],
  ['a.*', 'a', false],
  ['a.*', 'a.b.c', false],
  ['a.#', 'a', true],
  ['a.#', 'a.', true],
  ['a.#', 'a.b.c', true],
  ['a.#', 'ab', false],
  ['a.#', 'b.a', false],
  ['#.a', 'a', true],
  ['#.a', 'b.a', true],
  ['#.a', 'x.y.a', true],
  ['#.a', 'a.b', false],
  ['#.a.#', 'a', true],
  ['#.a.#', 'x.a.y', true],
  ['#.a.#', 'x.y', false],
  ['a.#.#.b', 'a.b', true],
  ['a.#.#.b', 'a.x.y.b', true],
  ['a.#.#.b', 'a.b.c', false],
  ['a.#.b.#.c', 'a.b.c', true],
  ['a.#.b.#.c', 'a.x.b.y.z.c', true],
  ['a.#.b.#.c', 'a.c.b', false],
  ['a..b', 'a..b', true],
  ['a.*.b', 'a..b', true],
  ['a.*.b', 'a.b', false],
  ['a.#.b', 'a..b', true],
  ['.a', '.a', true],
  ['*.a', '.a', true],
  ['#.a', '.a', true],
  ['.a', 'a', false],
  ['a.', 'a.', true],
  ['a.', 'a', false],
  ['a.*', 'a..', false],
  ['a.#', 'a..', true],
  ['..', '..', true],
  ['*.*.*', '..', true],
  ['*.#', '', false],
  ['*.#', 'a', true],
  ['#.*', '', false],
  ['#.*', 'x.y', true],
  ['#.b.*', 'a.b.c', true],
  ['#.b.*', 'b.c', true],
  ['#.b.*', 'a.b', false],
  ['*.*.#', 'a', false],
  ['*.*.#', 'a.b', true],
  ['a.*', 'a.*', true],
  ['a.b', 'a.*', false],
  ['a.#', 'a.#', true],
  ['a*.b', 'ab.b', false],
  ['a*.b', 'a*.b', true],
  ['a#', 'a', false],
  ['a#', 'a#', true],
  ['#', 'a..b.', true],
];

describe('topic matching', () => {
  it.each(CASES)('%j vs key %j -> %s', (pattern, key, expected) => {
    expect(matches(pattern, key)).toBe(expected);
    expect(refMatch(words(pattern), words(key))).toBe(expected);
  });

  it('routes a destination once when several patterns match', () => {
    const t = new TopicRoutingTable<string>();
    t.add('a.*', {}, 'q');
    t.add('#', {}, 'q');
    t.add('a.b', {}, 'q');
    t.add('#.b', {}, 'q2');
    const out = new Set<string>();
    t.route('a.b', undefined, out);
    expect([...out].sort()).toEqual(['q', 'q2']);
  });

  it('is idempotent on add/remove, keeps args in identity and prunes the trie', () => {
    const t = new TopicRoutingTable<string>();
    for (const key of ['a.b', '#', 'a.*', '#.#', '*.#.c']) {
      expect(t.add(key, {}, 'q')).toBe(true);
      expect(t.add(key, {}, 'q')).toBe(false);
      expect(t.add(key, { x: 1 }, 'q')).toBe(true);
    }
    expect(t.size).toBe(10);
    expect(t.remove('a.#', {}, 'q')).toBe(false);
    expect(t.remove('*.c', {}, 'q')).toBe(false);
    for (const key of ['a.b', '#', 'a.*', '#.#', '*.#.c']) {
      expect(t.remove(key, {}, 'q')).toBe(true);
      expect(t.remove(key, {}, 'q')).toBe(false);
      expect(t.remove(key, { x: 1 }, 'q')).toBe(true);
    }
    expect(t.size).toBe(0);
    const out = new Set<string>();
    t.route('a.b', undefined, out);
    expect(out.size).toBe(0);
  });

  it('"#.#" and "#" are distinct bindings that route alike', () => {
    const t = new TopicRoutingTable<string>();
    expect(t.add('#', {}, 'q')).toBe(true);
    expect(t.add('#.#', {}, 'q')).toBe(true);
    expect(t.remove('#', {}, 'q')).toBe(true);
    const out = new Set<string>();
    t.route('', undefined, out);
    expect([...out]).toEqual(['q']);
  });

  it('keeps literal words whose hashes collide apart', () => {
    const pair: [string, string] = ['w358524', 'w788200']; // found by a birthday search over `w${i}`
    expect(hashWord(pair[0], 0, pair[0].length)).toBe(hashWord(pair[1], 0, pair[1].length));
    const [w1, w2] = pair;
    const t = new TopicRoutingTable<string>();
    t.add(`*.${w1}`, {}, 'q1');
    t.add(`*.${w2}`, {}, 'q2');
    const route = (key: string): string[] => {
      const out = new Set<string>();
      t.route(key, undefined, out);
      return [...out];
    };
    expect(route(`x.${w1}`)).toEqual(['q1']);
    expect(route(`x.${w2}`)).toEqual(['q2']);
    t.remove(`*.${w1}`, {}, 'q1');
    expect(route(`x.${w1}`)).toEqual([]);
    expect(route(`x.${w2}`)).toEqual(['q2']);
    t.add(`*.${w1}`, {}, 'q1');
    t.remove(`*.${w2}`, {}, 'q2');
    expect(route(`x.${w1}`)).toEqual(['q1']);
    expect(route(`x.${w2}`)).toEqual([]);
  });

  it('does not blow up on many # against long keys', () => {
    const t = new TopicRoutingTable<string>();
    t.add('#.a.#.a.#.a.#.a.#.a.#.b', {}, 'miss');
    t.add('#.a.#.a.#.a.#.a.#.a.#', {}, 'hit');
    t.add('a.#.#.#.#.#.a', {}, 'ends');
    const key = Array.from({ length: 120 }, () => 'a').join('.');
    const started = performance.now();
    const out = new Set<string>();
    t.route(key, undefined, out);
    expect([...out].sort()).toEqual(['ends', 'hit']);
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('agrees with the reference matcher (property)', () => {
    const word = fc.constantFrom('a', 'b', '', 'ab');
    const patternWord = fc.constantFrom('a', 'b', '', 'ab', '*', '#', '#');
    const key = fc.array(word, { maxLength: 6 }).map((w) => w.join('.'));
    const pattern = fc.array(patternWord, { maxLength: 5 }).map((w) => w.join('.'));
    fc.assert(
      fc.property(
        fc.array(pattern, { minLength: 1, maxLength: 12 }),
        fc.array(key, { minLength: 1, maxLength: 8 }),
        fc.array(fc.boolean(), { maxLength: 12 }),
        (patterns, keys, removals) => {
          const t = new TopicRoutingTable<number>();
          patterns.forEach((p, i) => t.add(p, {}, i));
          const live = new Set(patterns.map((_, i) => i));
          removals.forEach((remove, i) => {
            if (remove && i < patterns.length) {
              expect(t.remove(patterns[i] as string, {}, i)).toBe(true);
              live.delete(i);
            }
          });
          expect(t.size).toBe(live.size);
          const out = new Set<number>();
          for (const k of keys) {
            out.clear();
            t.route(k, undefined, out);
            const expected = [...live].filter((i) => refMatch(words(patterns[i] as string), words(k)));
            expect([...out].sort((x, y) => x - y)).toEqual(expected);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
