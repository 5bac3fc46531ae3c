/**
 * Prometheus text format (0.0.4) for tests: a small parser and a scraper. Families keep their
 * # TYPE and # HELP; samples keep their name (histogram and summary samples carry suffixes),
 * labels and value.
 */

export interface PromSample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

export interface PromFamily {
  readonly name: string;
  type: string;
  help: string;
  readonly samples: PromSample[];
}

export type Exposition = Map<string, PromFamily>;

const unescapeHelp = (s: string): string => s.replace(/\\(n|\\)/g, (_m, c: string) => (c === 'n' ? '\n' : '\\'));

function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  const re = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?/gy;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    labels[m[1] as string] = (m[2] as string).replace(/\\(n|"|\\)/g, (_x, c: string) => (c === 'n' ? '\n' : c));
  }
  if (re.lastIndex !== 0 && re.lastIndex < text.length) throw new Error(`bad labels: {${text}}`);
  return labels;
}

function parseValue(text: string): number {
  if (text === 'NaN' || text === 'Nan') return NaN;
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  const n = Number(text);
  if (Number.isNaN(n)) throw new Error(`bad value: ${text}`);
  return n;
}

/** The family a sample belongs to: its own name, or its histogram/summary base name. */
function familyOf(families: Exposition, name: string): PromFamily {
  const own = families.get(name);
  if (own !== undefined) return own;
  const base = name.replace(/_(bucket|sum|count)$/, '');
  const f = families.get(base);
  if (f !== undefined) return f;
  const created: PromFamily = { name, type: 'untyped', help: '', samples: [] };
  families.set(name, created);
  return created;
}

export function parseExposition(text: string): Exposition {
  const families: Exposition = new Map();
  const declared = (name: string): PromFamily => {
    let f = families.get(name);
    if (f === undefined) families.set(name, (f = { name, type: 'untyped', help: '', samples: [] }));
    return f;
  };
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const meta = /^#\s+(TYPE|HELP)\s+(\S+)\s?(.*)$/.exec(line);
    if (meta !== null) {
      const f = declared(meta[2] as string);
      if (meta[1] === 'TYPE') f.type = meta[3] as string;
      else f.help = unescapeHelp(meta[3] as string);
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/.exec(line);
    if (m === null) throw new Error(`bad sample line: ${line}`);
    const name = m[1] as string;
    familyOf(families, name).samples.push({ name, labels: m[2] === undefined ? {} : parseLabels(m[2]), value: parseValue(m[3] as string) });
  }
  return families;
}

/** GET `base + path` and parse it; fails on any status but 200. */
export async function scrape(base: string, path = '/metrics'): Promise<Exposition> {
  const res = await fetch(base + path);
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${text}`);
  return parseExposition(text);
}

/** The value of the one sample of `name` whose labels include `labels`; undefined if none. */
export function valueOf(families: Exposition, name: string, labels: Record<string, string> = {}): number | undefined {
  const f = families.get(name);
  const s = f?.samples.find((x) => Object.entries(labels).every(([k, v]) => x.labels[k] === v));
  return s?.value;
}
