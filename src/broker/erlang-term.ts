/**
 * Erlang terms as RabbitMQ prints them with ~p / ~tp (io_lib_pretty layout: a term that does not
 * fit the line is broken one element per line, indented under its opening bracket). RabbitMQ puts
 * such terms in error texts, e.g. "{value_negative,-1}" or "[{<<\"foo\">>,1}] are not recognised
 * policy settings", and clients compare those texts.
 */

export class ErlAtom {
  constructor(readonly name: string) {}
}
export class ErlTuple {
  readonly items: readonly ErlTerm[];
  constructor(...items: ErlTerm[]) {
    this.items = items;
  }
}
/** An Erlang string: a list of character codes, printed "..." when printable. */
export class ErlCharList {
  constructor(readonly text: string) {}
}
/** A float that prints as one even when integral (100.0). Non-integer JS numbers are floats anyway. */
export class ErlFloat {
  constructor(readonly value: number) {}
}
/** A map; entries print in the given order (Erlang's order for small maps is key order). */
export class ErlMap {
  constructor(readonly entries: readonly (readonly [ErlTerm, ErlTerm])[]) {}
}
/** string is a binary (<<"...">>), boolean and null are atoms, an array is a list. */
export type ErlTerm =
  | number
  | bigint
  | string
  | boolean
  | null
  | ErlAtom
  | ErlTuple
  | ErlCharList
  | ErlFloat
  | ErlMap
  | readonly ErlTerm[];

export const atom = (name: string): ErlAtom => new ErlAtom(name);
export const tuple = (...items: ErlTerm[]): ErlTuple => new ErlTuple(...items);
export const charlist = (text: string): ErlCharList => new ErlCharList(text);

export interface ErlFormatOptions {
  /** ~tp (true, as RabbitMQ 3.13's policy texts) or ~p (false: strings are bytes, latin1). */
  unicode?: boolean;
  /** The ~Np field width; 80 for plain ~p. */
  lineLength?: number;
}

/**
 * `prefix` followed by `term` printed as io_lib:format(Prefix ++ "~p", [Term]) would: the term
 * starts at the column after the prefix, which decides where it breaks. In ~p mode strings are
 * handled as their UTF-8 bytes, as RabbitMQ handles binaries, and the result is decoded back.
 */
export function formatErlang(prefix: string, term: ErlTerm, opts: ErlFormatOptions = {}): string {
  const unicode = opts.unicode ?? false;
  const pre = unicode ? prefix : latin1Bytes(prefix);
  const node = build(term, unicode);
  const out = pre + print(node, charLength(pre) + 1, opts.lineLength ?? 80);
  return unicode ? out : Buffer.from(out, 'latin1').toString('utf8');
}

interface Leaf { k: 'leaf'; s: string; len: number; atom: boolean }
interface Seq { k: 'list' | 'tuple'; tagged: boolean; items: Node[]; len: number }
interface MapNode { k: 'map'; pairs: Pair[]; len: number }
interface Pair { key: Node; val: Node; len: number }
type Node = Leaf | Seq | MapNode;

const latin1Bytes = (s: string): string => Buffer.from(s, 'utf8').toString('latin1');
const charLength = (s: string): number => [...s].length;
const leaf = (s: string, isAtom = false): Leaf => ({ k: 'leaf', s, len: charLength(s), atom: isAtom });

function build(t: ErlTerm, unicode: boolean): Node {
  if (typeof t === 'number') return leaf(Number.isInteger(t) ? BigInt(t).toString() : erlFloat(t));
  if (typeof t === 'bigint') return leaf(String(t));
  if (typeof t === 'boolean') return leaf(String(t), true);
  if (t === null) return leaf('null', true);
  if (typeof t === 'string') return leaf(writeBinary(t, unicode));
  if (t instanceof ErlAtom) return leaf(writeAtom(t.name), true);
  if (t instanceof ErlFloat) return leaf(erlFloat(t.value));
  if (t instanceof ErlCharList) {
    const codes = [...(unicode ? t.text : latin1Bytes(t.text))].map((c) => c.codePointAt(0) ?? 0);
    if (codes.length === 0) return leaf('[]');
    if (codes.every((c) => printable(c, unicode))) return leaf(quote(String.fromCodePoint(...codes)));
    return seq('list', codes.map((c) => leaf(String(c))));
  }
  if (t instanceof ErlTuple) return t.items.length === 0 ? leaf('{}') : seq('tuple', t.items.map((i) => build(i, unicode)));
  if (t instanceof ErlMap) {
    if (t.entries.length === 0) return leaf('#{}');
    const pairs = t.entries.map(([k, v]) => {
      const key = build(k, unicode);
      const val = build(v, unicode);
      return { key, val, len: key.len + 4 + val.len };
    });
    return { k: 'map', pairs, len: pairs.reduce((n, p) => n + p.len, 2 + pairs.length) };
  }
  return t.length === 0 ? leaf('[]') : seq('list', t.map((i) => build(i, unicode)));
}

function seq(k: 'list' | 'tuple', items: Node[]): Seq {
  const first = items[0];
  const tagged = k === 'tuple' && items.length > 1 && first?.k === 'leaf' && first.atom;
  return { k, tagged, items, len: items.reduce((n, i) => n + i.len, 1 + items.length) };
}

/** Erlang's shortest round-trip float text: the shorter of 1500.0 / 1.5e3, fixed on a tie. */
function erlFloat(x: number): string {
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mant = '', expText = '0'] = x.toExponential().split('e');
  const sign = mant.startsWith('-') ? '-' : '';
  const digits = mant.replace('-', '').replace('.', '');
  const exp = Number(expText);
  const sci = `${sign}${digits[0]}.${digits.slice(1) || '0'}e${exp}`;
  let fixed: string;
  if (exp < 0) fixed = `0.${'0'.repeat(-exp - 1)}${digits}`;
  else if (digits.length <= exp + 1) fixed = `${digits}${'0'.repeat(exp + 1 - digits.length)}.0`;
  else fixed = `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
  fixed = sign + fixed;
  return fixed.length <= sci.length ? fixed : sci;
}

const RESERVED = new Set('after and andalso band begin bnot bor bsl bsr bxor case catch cond div end fun if let maybe else not of or orelse receive rem try when xor'.split(' '));
function writeAtom(name: string): string {
  if (/^[a-z][A-Za-z0-9_@]*$/.test(name) && !RESERVED.has(name)) return name;
  return `'${name.replace(/[\\']/g, (c) => `\\${c}`)}'`;
}

const ESCAPES: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v', '\b': '\\b', '\f': '\\f', '\x1b': '\\e' };
// eslint-disable-next-line no-control-regex -- ESC (\x1b) is one of the characters Erlang escapes, as \e
const quote = (s: string): string => `"${s.replace(/["\\\n\r\t\v\b\f\x1b]/g, (c) => ESCAPES[c] ?? c)}"`;

function printable(c: number, unicode: boolean): boolean {
  if (c === 10 || c === 13 || c === 9 || c === 11 || c === 8 || c === 12 || c === 27) return true;
  if ((c >= 32 && c <= 126) || (c >= 0xa0 && c <= 0xff)) return true;
  return unicode && c > 0xff && (c < 0xd800 || (c > 0xdfff && c < 0xfffe) || (c > 0xffff && c <= 0x10ffff));
}

/** A binary: <<"abc">>, <<"é"/utf8>> (~tp), or its bytes <<226,130,172>> when not printable. */
function writeBinary(s: string, unicode: boolean): string {
  if (s === '') return '<<>>';
  const bytes = Buffer.from(s, 'utf8');
  if (unicode) {
    const cps = [...s].map((c) => c.codePointAt(0) ?? 0);
    if (cps.every((c) => printable(c, true))) return cps.length === bytes.length ? `<<${quote(s)}>>` : `<<${quote(s)}/utf8>>`;
  } else if (bytes.every((b) => printable(b, false))) {
    return `<<${quote(bytes.toString('latin1'))}>>`;
  }
  return `<<${bytes.join(',')}>>`;
}

function write(n: Node): string {
  if (n.k === 'leaf') return n.s;
  if (n.k === 'map') return `#{${n.pairs.map(writePair).join(',')}}`;
  const inner = n.items.map(write).join(',');
  return n.k === 'list' ? `[${inner}]` : `{${inner}}`;
}
const writePair = (p: Pair): string => `${write(p.key)} => ${write(p.val)}`;
const isAtm = (n: Node): boolean => n.k === 'leaf';
const atmPair = (p: Pair): boolean => isAtm(p.key) && isAtm(p.val);
const lastDepth = (rest: readonly unknown[], ld: number): number => (rest.length > 0 ? 0 : ld + 1);
const sp = (n: number): string => ' '.repeat(Math.max(0, n));
/** Whether the next element still fits on the current line (io_lib_pretty's tail rule). */
const fitsTail = (len: number, col: number, ll: number, m: number, ld: number, w: number): boolean =>
  ld === 0 ? len + 1 < ll - col && w + len + 1 <= m : len < ll - col - ld && w + len + ld <= m;
const fits = (len: number, col: number, ll: number, m: number, ld: number, w: number): boolean => len < ll - col - ld && len + w + ld <= m;

function print(n: Node, col: number, ll: number): string {
  if (n.k === 'leaf' || n.len < ll - col) return write(n);
  let tind = 1;
  for (const i of [-1, 4]) {
    try {
      cind(n, col, ll, n.len, i, 0, 0);
      tind = i;
      break;
    } catch (e) {
      if (e !== NO_GOOD) throw e;
    }
  }
  return pp(n, col, ll, n.len, tind, col - 1, 0, 0);
}

// pp: lay a node out at column `col`; `ind` is the indentation of continuation lines, `ld` the
// closing brackets that follow, `w` the characters already on the line, `m` the term's length.
function pp(n: Node, col: number, ll: number, m: number, tind: number, ind: number, ld: number, w: number): string {
  if (n.k === 'leaf' || fits(n.len, col, ll, m, ld, w)) return write(n);
  if (n.k === 'map') return `#{${ppMap(n.pairs, col + 2, ll, m, tind, ind + 2, ld, w + 1)}}`;
  if (n.k === 'list') return `[${ppList(n.items, col + 1, ll, m, tind, ind + 1, ld, w + 1)}]`;
  if (!n.tagged) return `{${ppList(n.items, col + 1, ll, m, tind, ind + 1, ld, w + 1)}}`;
  const [tag, ...rest] = n.items as [Node, ...Node[]];
  const tagInd = tag.len + 2;
  if (tind > 0 && tagInd > tind) {
    return `{${write(tag)}${ppTail(rest, col + tind, col + tagInd, ll, m, tind, ind + tind, ld, w + 1 + tag.len)}}`;
  }
  return `{${write(tag)},${ppList(rest, col + tagInd, ll, m, tind, ind + tagInd, ld, w + 2 + tag.len)}}`;
}

function ppList(items: Node[], col0: number, ll: number, m: number, tind: number, ind: number, ld: number, w: number): string {
  const [e, ...es] = items as [Node, ...Node[]];
  const [s, we] = ppElement(e, col0, ll, m, tind, ind, lastDepth(es, ld), w);
  return s + ppTail(es, col0, col0 + we, ll, m, tind, ind, ld, w + we);
}

function ppTail(items: Node[], col0: number, col: number, ll: number, m: number, tind: number, ind: number, ld: number, w: number): string {
  const [e, ...es] = items;
  if (e === undefined) return '';
  const ld1 = lastDepth(es, ld);
  if (isAtm(e) && fitsTail(1 + e.len, col, ll, m, ld1, w)) {
    return `,${write(e)}${ppTail(es, col0, col + 1 + e.len, ll, m, tind, ind, ld, w + 1 + e.len)}`;
  }
  const [s, we] = ppElement(e, col0, ll, m, tind, ind, ld1, 0);
  return `,\n${sp(ind)}${s}${ppTail(es, col0, col0 + we, ll, m, tind, ind, ld, we)}`;
}

function ppElement(e: Node, col: number, ll: number, m: number, tind: number, ind: number, ld: number, w: number): [string, number] {
  if (isAtm(e) && fits(e.len, col, ll, m, ld, w)) return [write(e), e.len];
  return [pp(e, col, ll, m, tind, ind, ld, w), ll];
}

function ppMap(pairs: Pair[], col: number, ll: number, m: number, tind: number, ind: number, ld: number, w: number): string {
  const [p, ...ps] = pairs as [Pair, ...Pair[]];
  const [s, pw] = ppPair(p, col, ll, m, tind, ind, lastDepth(ps, ld), w);
  return s + ppPairsTail(ps, col, col + pw, ll, m, tind, ind, ld, pw);
}

function ppPairsTail(pairs: Pair[], col0: number, col: number, ll: number, m: number, tind: number, ind: number, ld: number, w: number): string {
  const [p, ...ps] = pairs;
  if (p === undefined) return '';
  const ld1 = lastDepth(ps, ld);
  if (atmPair(p) && fitsTail(1 + p.len, col, ll, m, ld1, w)) {
    return `,${writePair(p)}${ppPairsTail(ps, col0, col + 1 + p.len, ll, m, tind, ind, ld, w + 1 + p.len)}`;
  }
  const [s, pw] = ppPair(p, col0, ll, m, tind, ind, ld1, 0);
  return `,\n${sp(ind)}${s}${ppPairsTail(ps, col0, col0 + pw, ll, m, tind, ind, ld, pw)}`;
}

function ppPair(p: Pair, col: number, ll: number, m: number, tind: number, ind: number, ld: number, w: number): [string, number] {
  if (fits(p.len, col, ll, m, ld, w)) return [writePair(p), atmPair(p) ? p.len : ll];
  const i = tind > 0 ? tind : 4;
  const key = pp(p.key, col, ll, m, tind, ind, ld, w);
  return [`${key} =>\n${sp(ind + i)}${pp(p.val, col + i, ll, m, tind, ind + i, ld, 0)}`, ll];
}

// cind: whether indentation `ind` for tagged tuples keeps every line within bounds (else NO_GOOD).
const NO_GOOD = Symbol('no_good');

function cind(n: Node, col: number, ll: number, m: number, ind: number, ld: number, w: number): void {
  if (n.k === 'leaf' || fits(n.len, col, ll, m, ld, w)) return;
  if (n.k === 'map') return cindMap(n.pairs, col + 2, ll, m, ind, ld, w + 2);
  if (n.k === 'list' || !n.tagged) return cindList(n.items, col + 1, ll, m, ind, ld, w + 1);
  const [tag, ...rest] = n.items as [Node, ...Node[]];
  const tcol = col + tag.len + 2;
  if (ind > 0 && tag.len + 2 > ind) {
    const col1 = col + ind;
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- sentinel (io_lib_pretty's throw(no_good)), caught in print()
    if (!(m + col1 <= ll || col1 <= Math.floor(ll / 2))) throw NO_GOOD;
    return cindTail(rest, col1, tcol, ll, m, ind, ld, w + 1 + tag.len);
  }
  // eslint-disable-next-line @typescript-eslint/only-throw-error -- sentinel (io_lib_pretty's throw(no_good)), caught in print()
  if (!(m + tcol < ll || tcol < Math.floor(ll / 2))) throw NO_GOOD;
  cindList(rest, tcol, ll, m, ind, ld, w + 2 + tag.len);
}

function cindList(items: Node[], col0: number, ll: number, m: number, ind: number, ld: number, w: number): void {
  const [e, ...es] = items as [Node, ...Node[]];
  const we = cindElement(e, col0, ll, m, ind, lastDepth(es, ld), w);
  cindTail(es, col0, col0 + we, ll, m, ind, ld, w + we);
}

function cindTail(items: Node[], col0: number, col: number, ll: number, m: number, ind: number, ld: number, w: number): void {
  const [e, ...es] = items;
  if (e === undefined) return;
  const ld1 = lastDepth(es, ld);
  if (isAtm(e) && fitsTail(1 + e.len, col, ll, m, ld1, w)) return cindTail(es, col0, col + 1 + e.len, ll, m, ind, ld, w + 1 + e.len);
  const we = cindElement(e, col0, ll, m, ind, ld1, 0);
  cindTail(es, col0, col0 + we, ll, m, ind, ld, we);
}

function cindElement(e: Node, col: number, ll: number, m: number, ind: number, ld: number, w: number): number {
  if (isAtm(e) && fits(e.len, col, ll, m, ld, w)) return e.len;
  cind(e, col, ll, m, ind, ld, w);
  return ll;
}

function cindMap(pairs: Pair[], col: number, ll: number, m: number, ind: number, ld: number, w: number): void {
  const [p, ...ps] = pairs as [Pair, ...Pair[]];
  const pw = cindPair(p, col, ll, m, ind, lastDepth(ps, ld), w);
  cindPairsTail(ps, col, col + pw, ll, m, ind, ld, w + pw);
}

function cindPairsTail(pairs: Pair[], col0: number, col: number, ll: number, m: number, ind: number, ld: number, w: number): void {
  const [p, ...ps] = pairs;
  if (p === undefined) return;
  const ld1 = lastDepth(ps, ld);
  if (atmPair(p) && fitsTail(1 + p.len, col, ll, m, ld1, w)) return cindPairsTail(ps, col0, col + 1 + p.len, ll, m, ind, ld, w + 1 + p.len);
  const pw = cindPair(p, col0, ll, m, ind, ld1, 0);
  cindPairsTail(ps, col0, col0 + pw, ll, m, ind, ld, pw);
}

function cindPair(p: Pair, col: number, ll: number, m: number, ind: number, ld: number, w: number): number {
  if (fits(p.len, col, ll, m, ld, w)) return atmPair(p) ? p.len : ll;
  cind(p.key, col, ll, m, ind, ld, w);
  cind(p.val, col + (ind > 0 ? ind : 4), ll, m, ind, ld, 0);
  return ll;
}
