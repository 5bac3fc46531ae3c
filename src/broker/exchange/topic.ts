/**
 * Topic exchange. Binding keys are words separated by '.'; `*` matches exactly one word and `#`
 * zero or more. Words may be empty ("a..b", "a."), and the key "" has zero words, as RabbitMQ
 * splits it: so "#" matches "", "*" does not, and "" matches only "".
 *
 * Three paths: patterns without wildcards sit in a Map by their key (one lookup per publish),
 * patterns that reduce to a lone `#` in one bucket, and everything else in a TopicTrie.
 */
import type { FieldTable } from '../../amqp/field-types.js';
import { BindingBucket } from './routing-table.js';
import type { RoutingTable } from './routing-table.js';
import { TopicTrie } from './topic-trie.js';

/** Split a binding key into words, collapsing runs of `#` ("#.#" matches exactly what "#" does). */
export function topicPatternWords(bindingKey: string): string[] {
  if (bindingKey === '') return [];
  const words: string[] = [];
  for (const word of bindingKey.split('.')) {
    if (word === '#' && words[words.length - 1] === '#') continue;
    words.push(word);
  }
  return words;
}

const PatternKind = { Exact: 0, HashOnly: 1, Wildcard: 2 } as const;
type PatternKind = (typeof PatternKind)[keyof typeof PatternKind];

function kindOf(words: readonly string[]): PatternKind {
  if (words.length === 1 && words[0] === '#') return PatternKind.HashOnly;
  for (const w of words) if (w === '*' || w === '#') return PatternKind.Wildcard;
  return PatternKind.Exact;
}

export class TopicRoutingTable<T> implements RoutingTable<T> {
  private readonly exact = new Map<string, BindingBucket<T>>();
  private readonly hashOnly = new BindingBucket<T>();
  private readonly trie = new TopicTrie<T>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(routingKey: string, args: FieldTable, destination: T): boolean {
    const words = topicPatternWords(routingKey);
    let added: boolean;
    switch (kindOf(words)) {
      case PatternKind.Exact: {
        let bucket = this.exact.get(routingKey);
        if (bucket === undefined) {
          bucket = new BindingBucket<T>();
          this.exact.set(routingKey, bucket);
        }
        added = bucket.add(routingKey, args, destination);
        break;
      }
      case PatternKind.HashOnly:
        added = this.hashOnly.add(routingKey, args, destination);
        break;
      case PatternKind.Wildcard:
        added = this.trie.add(words, routingKey, args, destination);
        break;
    }
    if (added) this.count++;
    return added;
  }

  remove(routingKey: string, args: FieldTable, destination: T): boolean {
    const words = topicPatternWords(routingKey);
    let removed: boolean;
    switch (kindOf(words)) {
      case PatternKind.Exact: {
        const bucket = this.exact.get(routingKey);
        removed = bucket !== undefined && bucket.remove(routingKey, args, destination);
        if (removed && (bucket as BindingBucket<T>).isEmpty) this.exact.delete(routingKey);
        break;
      }
      case PatternKind.HashOnly:
        removed = this.hashOnly.remove(routingKey, args, destination);
        break;
      case PatternKind.Wildcard:
        removed = this.trie.remove(words, routingKey, args, destination);
        break;
    }
    if (removed) this.count--;
    return removed;
  }

  route(routingKey: string, _headers: FieldTable | undefined, out: Set<T>): void {
    this.exact.get(routingKey)?.routeTo(out);
    this.hashOnly.routeTo(out);
    this.trie.match(routingKey, out);
  }
}
