/**
 * Trie of topic binding patterns that contain wildcards. Each edge is a pattern word; `*` and `#`
 * edges are kept apart from literal words. Matching walks the routing key in place with
 * indexOf('.') and finds literal children by a hash of the word's characters, so it never splits
 * or slices the key and allocates nothing.
 *
 * Word positions: a position is the index where a word starts (0..key.length; key.length is the
 * start of an empty last word as in "a."), or END = key.length + 1 once every word is consumed.
 * The key "" has zero words (RabbitMQ splits <<>> into []), so matching it starts at END.
 *
 * `#` matches zero or more words. Consecutive `#` words are collapsed when a pattern is added, and
 * each `#` node remembers (per route call, via an epoch) the lowest position it was entered at:
 * entering at p covers every position >= p, so a later entry at p' >= p is skipped and an entry
 * below it only covers the gap. Each (node, position) pair is thus visited at most once, which
 * bounds patterns like "#.a.#.a.#" to O(nodes x words) instead of exponential backtracking.
 */
import type { FieldTable } from '../../amqp/field-types.js';
import { BindingBucket } from './routing-table.js';

const EPOCH_LIMIT = 0x40000000;

export class TopicNode<T> {
  /** Literal-word children keyed by wordHash; same-hash siblings chain through `sameHash`. */
  children: Map<number, TopicNode<T>> | null = null;
  star: TopicNode<T> | null = null;
  hash: TopicNode<T> | null = null;
  bucket: BindingBucket<T> | null = null;
  sameHash: TopicNode<T> | null = null;
  /** For `#` nodes: the route call (epoch) and lowest position this node was entered at. */
  epoch = 0;
  minPos = 0;

  constructor(
    readonly parent: TopicNode<T> | null,
    readonly word: string,
    readonly wordHash: number,
  ) {}

  get isEmpty(): boolean {
    return this.bucket === null && this.children === null && this.star === null && this.hash === null;
  }
}

/** FNV-1a over key[start, end), kept within V8's small-integer range (exported for tests). */
export function hashWord(key: string, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h & 0x3fffffff;
}

function findLiteral<T>(node: TopicNode<T>, key: string, start: number, end: number): TopicNode<T> | null {
  if (node.children === null) return null;
  let c = node.children.get(hashWord(key, start, end)) ?? null;
  const len = end - start;
  while (c !== null) {
    if (c.word.length === len && key.startsWith(c.word, start)) return c;
    c = c.sameHash;
  }
  return null;
}

export class TopicTrie<T> {
  private readonly root = new TopicNode<T>(null, '', 0);
  private epoch = 0;

  get isEmpty(): boolean {
    return this.root.isEmpty;
  }

  /** Add a binding whose pattern is `words` (already split, `#` runs collapsed). */
  add(words: readonly string[], routingKey: string, args: FieldTable, destination: T): boolean {
    let node = this.root;
    for (const word of words) node = this.child(node, word, true) as TopicNode<T>;
    node.bucket ??= new BindingBucket<T>();
    return node.bucket.add(routingKey, args, destination);
  }

  remove(words: readonly string[], routingKey: string, args: FieldTable, destination: T): boolean {
    let node: TopicNode<T> | null = this.root;
    for (const word of words) {
      node = this.child(node, word, false);
      if (node === null) return false;
    }
    if (node.bucket === null || !node.bucket.remove(routingKey, args, destination)) return false;
    if (node.bucket.isEmpty) node.bucket = null;
    while (node.parent !== null && node.isEmpty) {
      detach(node.parent, node);
      node = node.parent;
    }
    return true;
  }

  /** Add the destinations of every pattern matching `key` to `out`. */
  match(key: string, out: Set<T>): void {
    if (this.root.isEmpty) return;
    if (++this.epoch === EPOCH_LIMIT) {
      this.epoch = 1;
      resetEpochs(this.root);
    }
    this.visit(this.root, key, key.length === 0 ? 1 : 0, out);
  }

  private child(node: TopicNode<T>, word: string, create: boolean): TopicNode<T> | null {
    if (word === '*') {
      if (node.star === null && create) node.star = new TopicNode<T>(node, word, 0);
      return node.star;
    }
    if (word === '#') {
      if (node.hash === null && create) node.hash = new TopicNode<T>(node, word, 0);
      return node.hash;
    }
    const found = findLiteral(node, word, 0, word.length);
    if (found !== null || !create) return found;
    const h = hashWord(word, 0, word.length);
    const created = new TopicNode<T>(node, word, h);
    node.children ??= new Map();
    created.sameHash = node.children.get(h) ?? null;
    node.children.set(h, created);
    return created;
  }

  /** Continue matching `node`'s subtree against the words of `key` from position `pos`. */
  private visit(node: TopicNode<T>, key: string, pos: number, out: Set<T>): void {
    const end = key.length + 1;
    if (pos === end) {
      if (node.bucket !== null) node.bucket.routeTo(out);
      if (node.hash !== null) this.visitHash(node.hash, key, pos, out);
      return;
    }
    const dot = key.indexOf('.', pos);
    const next = dot === -1 ? end : dot + 1;
    if (node.children !== null) {
      const c = findLiteral(node, key, pos, dot === -1 ? key.length : dot);
      if (c !== null) this.visit(c, key, next, out);
    }
    if (node.star !== null) this.visit(node.star, key, next, out);
    if (node.hash !== null) this.visitHash(node.hash, key, pos, out);
  }

  /** `#` node entered at `pos`: it may swallow zero or more words, so continue from every later position. */
  private visitHash(h: TopicNode<T>, key: string, pos: number, out: Set<T>): void {
    const end = key.length + 1;
    let limit = end + 1;
    if (h.epoch === this.epoch) {
      if (pos >= h.minPos) return;
      limit = h.minPos;
    }
    h.epoch = this.epoch;
    h.minPos = pos;
    let p = pos;
    for (;;) {
      this.visit(h, key, p, out);
      if (p === end) return;
      const dot = key.indexOf('.', p);
      p = dot === -1 ? end : dot + 1;
      if (p >= limit) return;
    }
  }
}

function detach<T>(parent: TopicNode<T>, node: TopicNode<T>): void {
  if (parent.star === node) parent.star = null;
  else if (parent.hash === node) parent.hash = null;
  else if (parent.children !== null) {
    const head = parent.children.get(node.wordHash);
    if (head === node) {
      if (node.sameHash !== null) parent.children.set(node.wordHash, node.sameHash);
      else parent.children.delete(node.wordHash);
    } else {
      let c = head ?? null;
      while (c !== null && c.sameHash !== node) c = c.sameHash;
      if (c !== null) c.sameHash = node.sameHash;
    }
    if (parent.children.size === 0) parent.children = null;
  }
}

function resetEpochs<T>(node: TopicNode<T>): void {
  node.epoch = 0;
  if (node.star !== null) resetEpochs(node.star);
  if (node.hash !== null) resetEpochs(node.hash);
  if (node.children !== null) {
    for (const head of node.children.values()) {
      for (let c: TopicNode<T> | null = head; c !== null; c = c.sameHash) resetEpochs(c);
    }
  }
}
