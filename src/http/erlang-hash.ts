/**
 * erlang:phash2/1 (make_hash2 in erts' erl_term_hashing.c) for the terms RabbitMQ hashes in the
 * management API: binding arguments, whose hash is part of a binding's properties_key. Covers
 * binaries, atoms, integers (small and big), floats, lists and tuples; no maps, pids or funs.
 * Written from the algorithm's description (Bob Jenkins' mix over 32-bit words with per-type
 * constants) and checked against erlang:phash2 in the unit tests.
 */
import { ErlAtom, ErlCharList, ErlFloat, ErlMap, ErlTuple, type ErlTerm } from '../broker/erlang-term.js';

const HCONST = 0x9e3779b9;
const HCONST_2 = 0x3c6ef372;
const HCONST_3 = 0xdaa66d2b;
const HCONST_4 = 0x78dde6e4;
const HCONST_9 = 0x8ff34781;
const HCONST_10 = 0x2e2ac13a;
const HCONST_11 = 0xcc623af3;
const HCONST_12 = 0x6a99b4ac;
const HCONST_13 = 0x08d12e65;
/** phash2([]) at the top of a term */
const NIL_FIRST = 3468870702;
/** erts' NIL_DEF tag value, mixed in for a list's end */
const NIL_DEF = 2;

const hash2 = (x: number, y: number, k: number, hash: number): number => mix3((k + x) >>> 0, (k + y) >>> 0, hash)[2];

/** The hash of a binary's bytes, seeded with initval (block_hash). */
function blockHash(k: Buffer, initval: number): number {
  let a = HCONST;
  let b = HCONST;
  let c = initval;
  let i = 0;
  for (; k.length - i >= 12; i += 12) {
    a = (a + k.readUInt32LE(i)) >>> 0;
    b = (b + k.readUInt32LE(i + 4)) >>> 0;
    c = (c + k.readUInt32LE(i + 8)) >>> 0;
    [a, b, c] = mix3(a, b, c);
  }
  c = (c + k.length) >>> 0;
  const rest = k.length - i;
  const at = (n: number): number => k[i + n] ?? 0;
  if (rest > 8) c = (c + (rest > 10 ? at(10) << 24 : 0) + (rest > 9 ? at(9) << 16 : 0) + (at(8) << 8)) >>> 0;
  if (rest > 4) b = (b + (rest > 7 ? at(7) * 2 ** 24 : 0) + (rest > 6 ? at(6) << 16 : 0) + (rest > 5 ? at(5) << 8 : 0) + at(4)) >>> 0;
  if (rest > 0) a = (a + (rest > 3 ? at(3) * 2 ** 24 : 0) + (rest > 2 ? at(2) << 16 : 0) + (rest > 1 ? at(1) << 8 : 0) + at(0)) >>> 0;
  return mix3(a, b, c)[2];
}

/** Bob Jenkins' 96-bit mix on unsigned 32-bit words (block hashing carries a and b on). */
function mix3(a: number, b: number, c: number): [number, number, number] {
  a = ((a - b - c) ^ (c >>> 13)) >>> 0;
  b = ((b - c - a) ^ (a << 8)) >>> 0;
  c = ((c - a - b) ^ (b >>> 13)) >>> 0;
  a = ((a - b - c) ^ (c >>> 12)) >>> 0;
  b = ((b - c - a) ^ (a << 16)) >>> 0;
  c = ((c - a - b) ^ (b >>> 5)) >>> 0;
  a = ((a - b - c) ^ (c >>> 3)) >>> 0;
  b = ((b - c - a) ^ (a << 10)) >>> 0;
  c = ((c - a - b) ^ (b >>> 15)) >>> 0;
  return [a, b, c];
}

/** The atom table's hash of an atom's name (hashpjw over its bytes). */
export function atomHash(name: string): number {
  let h = 0;
  for (const v of Buffer.from(name, 'latin1')) {
    h = ((h << 4) + v) >>> 0;
    const g = h & 0xf0000000;
    if (g !== 0) h = (h ^ (g >>> 24) ^ g) >>> 0;
  }
  return h;
}

function integerHash(n: bigint, hash: number): number {
  if (n >= -(2n ** 27n) && n < 2n ** 27n) {
    const y = Number(n);
    if (y < 0) hash = hash2(-y, 0, HCONST, hash);
    return hash2(y >>> 0, 0, HCONST, hash);
  }
  const con = n < 0n ? HCONST_10 : HCONST_11;
  let t = n < 0n ? -n : n;
  do {
    const digit = t & 0xffffffffffffffffn;
    hash = hash2(Number(digit & 0xffffffffn), Number(digit >> 32n), con, hash);
    t >>= 64n;
  } while (t > 0n);
  return hash;
}

function floatHash(v: number, hash: number): number {
  const buf = Buffer.alloc(8);
  buf.writeDoubleLE(v === 0 ? 0 : v);
  return hash2(buf.readUInt32LE(4), buf.readUInt32LE(0), HCONST_12, hash);
}

/** A term to hash: an Erlang term, where a Buffer is a binary of raw bytes (a string is UTF-8). */
export type HashTerm = ErlTerm | Buffer | HashTuple | readonly HashTerm[];

/** A tuple whose elements may be raw binaries. */
export class HashTuple {
  readonly items: readonly HashTerm[];
  constructor(...items: HashTerm[]) {
    this.items = items;
  }
}

/** A list's remaining elements, from `index`. */
class ListRest {
  constructor(
    readonly items: readonly HashTerm[],
    readonly index: number,
  ) {}
}

const isByte = (t: HashTerm | undefined): t is number => typeof t === 'number' && Number.isInteger(t) && t >= 0 && t <= 255;

/** erlang:phash2(Term) (= erlang:phash2(Term, 1 bsl 32)). */
export function phash2(top: HashTerm): number {
  let hash = 0;
  const stack: (HashTerm | ListRest)[] = [top];
  while (stack.length > 0) {
    let term = stack.pop() as HashTerm | ListRest;
    if (Array.isArray(term)) term = new ListRest(term, 0);
    if (term instanceof ErlCharList) term = new ListRest([...Buffer.from(term.text, 'latin1')], 0);
    if (term instanceof ListRest) {
      const { items } = term;
      let i = term.index;
      if (i >= items.length) {
        hash = hash === 0 ? NIL_FIRST : hash2(NIL_DEF, 0, HCONST_2, hash);
        continue;
      }
      let c = 0;
      let sh = 0;
      for (; i < items.length && isByte(items[i]); i++) {
        sh = ((sh << 8) + (items[i] as number)) >>> 0;
        if (c === 3) {
          hash = hash2(sh, 0, HCONST_4, hash);
          c = sh = 0;
        } else c++;
      }
      if (c > 0) hash = hash2(sh, 0, HCONST_4, hash);
      if (i < items.length) {
        stack.push(new ListRest(items, i + 1));
        stack.push(items[i] as HashTerm);
      } else stack.push([]);
      continue;
    }
    if (term instanceof ErlTuple || term instanceof HashTuple) {
      hash = hash2(term.items.length, 0, HCONST_9, hash);
      for (let i = term.items.length - 1; i >= 0; i--) stack.push(term.items[i] as HashTerm);
      continue;
    }
    if (typeof term === 'string' || Buffer.isBuffer(term)) {
      const bytes = Buffer.isBuffer(term) ? term : Buffer.from(term, 'utf8');
      const con = (HCONST_13 + hash) >>> 0;
      hash = bytes.length === 0 ? con : blockHash(bytes, con);
      continue;
    }
    if (typeof term === 'boolean' || term === null || term instanceof ErlAtom) {
      const name = term instanceof ErlAtom ? term.name : term === null ? 'undefined' : String(term);
      hash = hash === 0 ? atomHash(name) : hash2(atomHash(name), 0, HCONST_3, hash);
      continue;
    }
    if (typeof term === 'bigint') hash = integerHash(term, hash);
    else if (term instanceof ErlFloat) hash = floatHash(term.value, hash);
    else if (typeof term === 'number') hash = Number.isInteger(term) ? integerHash(BigInt(term), hash) : floatHash(term, hash);
    else if (term instanceof ErlMap) throw new Error('phash2: maps are not supported');
  }
  return hash;
}
