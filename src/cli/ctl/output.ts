/**
 * What `warren ctl` prints, in rabbitmqctl's default formatter: informational banners
 * ("Listing queues for vhost / ..."), then a header row and tab-separated rows; values in
 * Erlang-ish text (`[administrator, management]`, `[{"x-max-length",10}]`). `--quiet` drops the
 * banners, `--no-table-headers` the header row, `--json` prints rabbitmqctl's JSON formatter
 * output (`[` and `]` on their own lines, one object per line) and nothing else.
 */
import { CtlError, EXIT } from './client.js';

export interface OutputOptions {
  readonly quiet: boolean;
  readonly json: boolean;
  readonly headers: boolean;
}

export class Output {
  constructor(
    private readonly options: OutputOptions,
    private readonly write: (text: string) => void = (text) => void process.stdout.write(text),
  ) {}

  get json(): boolean {
    return this.options.json;
  }

  /** An informational line: dropped by --quiet and --json. */
  info(line: string): void {
    if (!this.options.quiet && !this.options.json) this.write(line + '\n');
  }

  /** A result line (kept by --quiet, as rabbitmqctl keeps "Trace enabled for vhost /"); dropped by --json. */
  result(line: string): void {
    if (!this.options.json) this.write(line + '\n');
  }

  /** A JSON value, for --json. */
  value(value: unknown): void {
    this.write(JSON.stringify(value) + '\n');
  }

  /** Raw text, as it is (export_definitions to stdout). */
  raw(text: string): void {
    this.write(text);
  }

  /** Rows of `columns`; no header row when there are none, as rabbitmqctl. */
  table(columns: readonly string[], rows: readonly (readonly unknown[])[]): void {
    if (this.options.json) {
      const objects = rows.map((row) => JSON.stringify(Object.fromEntries(columns.map((c, i) => [c, row[i] ?? null]))));
      this.write(objects.length === 0 ? '[\n]\n' : `[\n${objects.join(',\n')}\n]\n`);
      return;
    }
    if (rows.length === 0) return;
    const lines = rows.map((row) => row.map(cell).join('\t'));
    if (this.options.headers) lines.unshift(columns.join('\t'));
    this.write(lines.join('\n') + '\n');
  }
}

/** A value as rabbitmqctl's table formatter prints it. */
export function cell(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map((v) => (typeof v === 'string' ? v : term(v))).join(', ')}]`;
  return term(value);
}

/** An Erlang-ish term: strings quoted, objects as proplists `[{"k",v}]`, lists `[a,b]`. */
function term(value: unknown): string {
  if (value === undefined || value === null) return 'undefined';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(term).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>);
  return `[${entries.map(([k, v]) => `{${JSON.stringify(k)},${term(v)}}`).join(',')}]`;
}

/** The info keys a list verb accepts, its default columns, and how to read a key that is not a field of the API's JSON. */
export interface ColumnSpec {
  readonly keys: readonly string[];
  readonly defaults: readonly string[];
  readonly derived?: Readonly<Record<string, (row: Record<string, unknown>) => unknown>>;
}

/** The columns asked for (space- or comma-separated), or the defaults; unknown keys are a usage error as in rabbitmqctl. */
export function columnsOf(spec: ColumnSpec, asked: readonly string[]): string[] {
  const columns = asked.flatMap((a) => a.split(',')).filter((c) => c !== '');
  if (columns.length === 0) return [...spec.defaults];
  const unknown = columns.filter((c) => !spec.keys.includes(c));
  if (unknown.length > 0) throw new CtlError(EXIT.usage, `Info key(s) ${unknown.join(',')} are not supported`);
  return columns;
}

/** The rows of `items` for `columns`. */
export function rowsOf(spec: ColumnSpec, columns: readonly string[], items: readonly Record<string, unknown>[]): unknown[][] {
  return items.map((item) => columns.map((c) => (spec.derived?.[c] ? spec.derived[c](item) : item[c])));
}

/** The field at a dotted path (`channel_details.name`). */
export const at =
  (path: string) =>
  (row: Record<string, unknown>): unknown =>
    path.split('.').reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), row);
