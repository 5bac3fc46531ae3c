/**
 * The checker of CLUSTER.md 7.4: judges a recorded history (history.ts) after the final drain.
 * A run passes when no confirmed message is lost, nothing is delivered that was never published
 * (or with another body), the epochs' confirms never interleave, every leader came from the ISR,
 * and publishing resumed within the lease TTL + 10 s after each healed fault. Duplicates (at
 * least once), duplicates without `redelivered`, and recovered unknowns are reported, not failed.
 * Convergence (store dump hashes) needs the nodes, so the harness checks it, not this module.
 */
import type { ConfirmLogLine, HistoryData, LeaderChange } from './history.js';

/** The slack after the lease TTL that a healed fault may take before publishing resumes. */
export const LIVENESS_SLACK_MS = 10_000;

export interface CheckOptions {
  /** The brokers' session lease TTL (`leaseTtlMs`). */
  leaseTtlMs: number;
}

/** Epoch E confirmed at or after the first confirm of a later epoch E'. */
export interface EpochOverlap {
  epoch: number;
  lastNs: bigint;
  laterEpoch: number;
  firstNs: bigint;
}

export interface LivenessGap {
  fault: string;
  healedAt: number;
  /** The first confirm after the heal, or null when none came. */
  resumedAt: number | null;
  limitMs: number;
}

export interface Recovery {
  fault: string;
  ms: number | null;
  withinLimit: boolean;
}

export interface CheckSummary {
  ok: boolean;
  /** Names of the violated invariants, empty when ok. */
  violations: string[];
  counts: { attempted: number; confirmed: number; failed: number; unknown: number; inFlight: number; deliveries: number; distinctDelivered: number };
  /** Confirmed, never delivered. */
  lost: string[];
  /** Delivered, never attempted. */
  neverAttempted: string[];
  /** Delivered with a body other than the one attempted under that id. */
  bodyMismatch: string[];
  /** Delivered more than once (allowed, reported). */
  duplicates: string[];
  /** Delivered again with `redelivered` false (flagged: the takeover rule says it should not happen). */
  duplicatesWithoutRedelivered: string[];
  /** Unknown outcome, delivered anyway (information). */
  recovered: string[];
  epochOverlaps: EpochOverlap[];
  leadersOutsideIsr: LeaderChange[];
  livenessGaps: LivenessGap[];
  /** leaseTtlMs + LIVENESS_SLACK_MS. */
  livenessLimitMs: number;
  /** Every healed fault with the time from heal to the first confirm after it (null: none). */
  recoveries: Recovery[];
}

export function checkHistory(history: HistoryData, options: CheckOptions): CheckSummary {
  const attempted = new Map(history.publishes.map((p) => [p.id, p]));
  const byOutcome = (outcome: string): string[] => history.publishes.filter((p) => p.outcome === outcome).map((p) => p.id);
  const confirmed = byOutcome('confirmed');
  const unknown = byOutcome('unknown');

  const timesDelivered = new Map<string, number>();
  const neverAttempted = new Set<string>();
  const bodyMismatch = new Set<string>();
  const withoutRedelivered = new Set<string>();
  for (const delivery of history.deliveries) {
    const before = timesDelivered.get(delivery.id) ?? 0;
    timesDelivered.set(delivery.id, before + 1);
    if (before > 0 && !delivery.redelivered) withoutRedelivered.add(delivery.id);
    const publish = attempted.get(delivery.id);
    if (publish === undefined) neverAttempted.add(delivery.id);
    else if (publish.bodyHash !== delivery.bodyHash) bodyMismatch.add(delivery.id);
  }

  const lost = confirmed.filter((id) => !timesDelivered.has(id));
  const duplicates = [...timesDelivered].filter(([, n]) => n > 1).map(([id]) => id);
  const recovered = unknown.filter((id) => timesDelivered.has(id));
  const epochOverlaps = checkEpochs(history.confirmLog);
  const leadersOutsideIsr = history.leaders.filter((l) => l.isr !== null && !l.isr.includes(l.node));
  const livenessLimitMs = options.leaseTtlMs + LIVENESS_SLACK_MS;
  const { gaps, recoveries } = checkLiveness(history, livenessLimitMs);

  const violations: string[] = [];
  if (lost.length > 0) violations.push('lost confirmed messages');
  if (neverAttempted.size > 0 || bodyMismatch.size > 0) violations.push('unexpected deliveries');
  if (epochOverlaps.length > 0) violations.push('single-writer epochs');
  if (leadersOutsideIsr.length > 0) violations.push('leaders outside the ISR');
  if (gaps.length > 0) violations.push('liveness');

  return {
    ok: violations.length === 0,
    violations,
    counts: {
      attempted: history.publishes.length,
      confirmed: confirmed.length,
      failed: byOutcome('failed').length,
      unknown: unknown.length,
      inFlight: history.publishes.filter((p) => p.outcome === undefined).length,
      deliveries: history.deliveries.length,
      distinctDelivered: timesDelivered.size,
    },
    lost,
    neverAttempted: [...neverAttempted],
    bodyMismatch: [...bodyMismatch],
    duplicates,
    duplicatesWithoutRedelivered: [...withoutRedelivered],
    recovered,
    epochOverlaps,
    leadersOutsideIsr,
    livenessGaps: gaps,
    livenessLimitMs,
    recoveries,
  };
}

/** For every E < E': max(confirm ns of E) < min(confirm ns of E'). Reports each E' it fails for. */
function checkEpochs(lines: readonly ConfirmLogLine[]): EpochOverlap[] {
  const spans = new Map<number, { first: bigint; last: bigint }>();
  for (const { epoch, ns } of lines) {
    const span = spans.get(epoch);
    if (span === undefined) spans.set(epoch, { first: ns, last: ns });
    else {
      if (ns < span.first) span.first = ns;
      if (ns > span.last) span.last = ns;
    }
  }
  const overlaps: EpochOverlap[] = [];
  let latest: { epoch: number; last: bigint } | undefined;
  for (const [epoch, span] of [...spans].sort(([a], [b]) => a - b)) {
    if (latest !== undefined && latest.last >= span.first) overlaps.push({ epoch: latest.epoch, lastNs: latest.last, laterEpoch: epoch, firstNs: span.first });
    if (latest === undefined || span.last > latest.last) latest = { epoch, last: span.last };
  }
  return overlaps;
}

function checkLiveness(history: HistoryData, limitMs: number): { gaps: LivenessGap[]; recoveries: Recovery[] } {
  const confirmTimes = history.publishes
    .filter((p) => p.outcome === 'confirmed' && p.outcomeAt !== undefined)
    .map((p) => p.outcomeAt as number)
    .sort((a, b) => a - b);
  const gaps: LivenessGap[] = [];
  const recoveries: Recovery[] = [];
  for (const fault of history.faults) {
    if (fault.healedAt === undefined) continue;
    const healedAt = fault.healedAt;
    const resumedAt = confirmTimes.find((t) => t >= healedAt) ?? null;
    const withinLimit = resumedAt !== null && resumedAt - healedAt <= limitMs;
    recoveries.push({ fault: fault.name, ms: resumedAt === null ? null : resumedAt - healedAt, withinLimit });
    if (!withinLimit) gaps.push({ fault: fault.name, healedAt, resumedAt, limitMs });
  }
  return { gaps, recoveries };
}

const some = (ids: readonly string[], max = 5): string =>
  ids.length === 0 ? '0' : `${ids.length} (${ids.slice(0, max).join(', ')}${ids.length > max ? ', ...' : ''})`;

/** The summary as a few lines of text for a run's closing note. */
export function formatSummary(summary: CheckSummary): string {
  const c = summary.counts;
  const lines = [
    summary.ok ? 'PASS' : `FAIL: ${summary.violations.join('; ')}`,
    `publishes: ${c.attempted} attempted, ${c.confirmed} confirmed, ${c.failed} failed, ${c.unknown} unknown, ${c.inFlight} in flight`,
    `deliveries: ${c.deliveries} (${c.distinctDelivered} distinct); duplicates ${some(summary.duplicates)}, of which without redelivered ${some(summary.duplicatesWithoutRedelivered)}`,
    `lost confirmed: ${some(summary.lost)}`,
    `unexpected: never attempted ${some(summary.neverAttempted)}, body mismatch ${some(summary.bodyMismatch)}`,
    `recovered (unknown, delivered): ${summary.recovered.length} of ${c.unknown}`,
    `single-writer epochs: ${summary.epochOverlaps.length === 0 ? 'ok' : summary.epochOverlaps.map((o) => `epoch ${o.epoch} confirmed at ${o.lastNs} ns, after epoch ${o.laterEpoch} began at ${o.firstNs} ns`).join('; ')}`,
    `leaders outside the ISR: ${summary.leadersOutsideIsr.length === 0 ? 'none' : summary.leadersOutsideIsr.map((l) => `${l.node} at epoch ${l.epoch} (isr ${l.isr?.join(',')})`).join('; ')}`,
  ];
  for (const r of summary.recoveries) {
    const when = r.ms === null ? 'no confirm after the heal' : `first confirm ${Math.round(r.ms)} ms after the heal`;
    lines.push(`fault ${r.fault}: ${when}${r.withinLimit ? '' : ` (limit ${summary.livenessLimitMs} ms: LIVENESS GAP)`}`);
  }
  return lines.join('\n');
}
