/**
 * Sample histories on request, as RabbitMQ's management API gives them
 * (rabbit_mgmt_util:range/range_ceil, rabbit_mgmt_stats:format_range): `?lengths_age=60&lengths_incr=5`
 * (queue lengths), `?msg_rates_age=&msg_rates_incr=` (message counts) and `?data_rates_age=`
 * (bytes) add to each `*_details` the `samples` from now back `age` seconds every `incr` seconds,
 * newest first, with `avg` (their mean) and `avg_rate` (change per second from the oldest to the
 * newest). The newest time is now rounded down to `incr` (up, for queue lengths).
 */
import type { SampleHistory, SamplePoint } from '../broker/stats/sample-history.js';
import { badRequest } from './errors.js';
import type { Json } from './format.js';

/** epoch ms */
export interface Range {
  readonly first: number;
  readonly last: number;
  readonly incr: number;
}

export interface Ranges {
  readonly lengths: Range | undefined;
  readonly msgRates: Range | undefined;
  readonly dataRates: Range | undefined;
}

export const NO_RANGES: Ranges = { lengths: undefined, msgRates: undefined, dataRates: undefined };

/** RabbitMQ's MAX_RANGE: at most 500 samples a series. */
const MAX_RANGE = 500;

type Query = Readonly<Record<string, string | undefined>>;

/** Erlang's list_to_integer, or undefined (RabbitMQ ignores a parameter that is not an integer). */
function int(q: Query, key: string): number | undefined {
  const v = q[key];
  return v !== undefined && /^[+-]?\d+$/.test(v) ? Number(v) : undefined;
}

function range(q: Query, prefix: string, ceil: boolean, now: number): Range | undefined {
  const age = int(q, `${prefix}_age`);
  const incr = int(q, `${prefix}_incr`);
  if (age === undefined || incr === undefined) return undefined;
  if (!(age > 0 && incr > 0 && Math.floor(age / incr) <= MAX_RANGE)) {
    throw badRequest(`Invalid range parameters: age ${age}, incr ${incr}`);
  }
  const step = incr * 1000;
  const floor = Math.floor(now / step) * step;
  const last = ceil && floor !== now ? floor + step : floor;
  return { first: last - age * 1000, last, incr: step };
}

/** The ranges a request asks for; `ceilLengths` for queues, as RabbitMQ's range_ceil. */
export function rangesOf(q: Query, ceilLengths = false, now: number = Date.now()): Ranges {
  if (q['lengths_age'] === undefined && q['msg_rates_age'] === undefined && q['data_rates_age'] === undefined) return NO_RANGES;
  return {
    lengths: range(q, 'lengths', ceilLengths, now),
    msgRates: range(q, 'msg_rates', false, now),
    dataRates: range(q, 'data_rates', false, now),
  };
}

/** Value `index` of a history over a range (no history: zeros). */
export function pointsOf(h: SampleHistory | undefined, index: number, r: Range): SamplePoint[] {
  if (h !== undefined) return h.points(index, r.first, r.last, r.incr);
  const out: SamplePoint[] = [];
  for (let t = r.last; t >= r.first; t -= r.incr) out.push({ sample: 0, timestamp: t });
  return out;
}

/** Point-wise sums of series over the same range (the overview's sum over vhosts). */
export function sumPoints(series: readonly SamplePoint[][], r: Range): SamplePoint[] {
  const out = pointsOf(undefined, 0, r);
  for (const s of series) s.forEach((p, i) => ((out[i] as SamplePoint).sample += p.sample));
  return out;
}

/**
 * A `*_details` object: `{rate}`, or with samples `{rate, samples, avg_rate, avg}`
 * (RabbitMQ's order; `sorted` gives the alphabetical order of its queue objects).
 */
export function detailsJson(rate: number, samples: SamplePoint[] | undefined, sorted = false): Record<string, Json> {
  if (samples === undefined) return { rate };
  const n = samples.length;
  const out: Record<string, Json> = {};
  let avg: number | undefined;
  let avgRate: number | undefined;
  if (n > 1) {
    const newest = samples[0] as SamplePoint;
    const oldest = samples[n - 1] as SamplePoint;
    avgRate = ((newest.sample - oldest.sample) * 1000) / (newest.timestamp - oldest.timestamp);
    avg = samples.reduce((sum, p) => sum + p.sample, 0) / n;
  }
  const points = samples as unknown as Json;
  if (sorted) {
    if (avg !== undefined && avgRate !== undefined) Object.assign(out, { avg, avg_rate: avgRate });
    return Object.assign(out, { rate, samples: points });
  }
  Object.assign(out, { rate, samples: points });
  return avg !== undefined && avgRate !== undefined ? Object.assign(out, { avg_rate: avgRate, avg }) : out;
}
