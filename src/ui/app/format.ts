/** Numbers as RabbitMQ's UI shows them. */

/** A count with thousands separators; '' for undefined. */
export function num(n: number | undefined | null): string {
  if (n === undefined || n === null || Number.isNaN(n)) return '';
  return n.toLocaleString('en-US');
}

/** A rate per second, one decimal place below 100 ("0.0/s", "12.3/s", "1,234/s"). */
export function rate(n: number | undefined | null): string {
  if (n === undefined || n === null || Number.isNaN(n)) return '';
  return (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1)) + '/s';
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function bytes(n: number | undefined | null): string {
  if (n === undefined || n === null || Number.isNaN(n)) return '';
  let v = n;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(v < 10 ? 1 : 0)} ${UNITS[u]}`;
}

/** Seconds as "3d 4h", "5m 2s". */
export function duration(seconds: number): string {
  const s = Math.floor(seconds);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s % 60}s`;
  return `${s}s`;
}

export const time = (ms: number): string => new Date(ms).toLocaleTimeString('en-GB');

/** Tags arrive as an array (current RabbitMQ) or a comma-separated string (older). */
export const tagList = (tags: string[] | string | undefined): string[] =>
  Array.isArray(tags) ? tags : (tags ?? '').split(',').map((t) => t.trim()).filter((t) => t !== '');

/** A JSON value short enough for a table cell. */
export function brief(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}
