/**
 * The fault-run history and checker (test/cluster/history.ts, checker.ts; CLUSTER.md 7.2, 7.4) on
 * synthetic histories: a clean run passes, and each invariant has a history that breaks it and is
 * named in the summary and its closing-note text.
 */
import { describe, expect, it } from 'vitest';
import { checkHistory, formatSummary, LIVENESS_SLACK_MS } from '../../cluster/checker.js';
import { History, historyFromJson, historyToJson, messageBody, sha256 } from '../../cluster/history.js';

const TTL = 3000;

/** A clean run on a manual clock: n1 leads epoch 10, is killed, n2 (in the ISR) leads epoch 20. */
function cleanRun(): { history: History; clock: { t: number } } {
  const clock = { t: 0 };
  const history = new History(() => clock.t);
  history.leaderChange(10, 'n1', null);
  for (const id of ['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8']) history.attempted(id);
  clock.t = 10;
  for (const id of ['m1', 'm2', 'm3']) history.confirmed(id);
  history.confirmLine(10, 1_000n, 'n1');
  history.confirmLine(10, 2_000n, 'n1');
  history.failed('m6');
  const heal = history.fault('kill -9 n1');
  clock.t = 20;
  history.unknown('m7');
  history.unknown('m8');
  history.leaderChange(20, 'n2', ['n1', 'n2', 'n3']);
  clock.t = 5_000;
  heal();
  clock.t = 6_000;
  history.confirmed('m4');
  history.confirmed('m5');
  history.confirmLine(20, 3_000n, 'n2');
  history.confirmLine(20, 4_000n, 'n2');
  for (const id of ['m1', 'm2', 'm3', 'm4', 'm5', 'm7']) history.delivered(id, messageBody(id), false, 'n2');
  history.delivered('m3', messageBody('m3'), true, 'n2'); // a duplicate, flagged redelivered
  return { history, clock };
}

describe('checkHistory', () => {
  it('passes a clean run and counts it', () => {
    const summary = checkHistory(cleanRun().history.data(), { leaseTtlMs: TTL });
    expect(summary.violations).toEqual([]);
    expect(summary.ok).toBe(true);
    expect(summary.counts).toEqual({ attempted: 8, confirmed: 5, failed: 1, unknown: 2, inFlight: 0, deliveries: 7, distinctDelivered: 6 });
    expect(summary.duplicates).toEqual(['m3']);
    expect(summary.duplicatesWithoutRedelivered).toEqual([]);
    expect(summary.recovered).toEqual(['m7']);
    expect(summary.recoveries).toEqual([{ fault: 'kill -9 n1', ms: 1_000, withinLimit: true }]);
    const text = formatSummary(summary);
    expect(text.split('\n')[0]).toBe('PASS');
    expect(text).toContain('publishes: 8 attempted, 5 confirmed, 1 failed, 2 unknown, 0 in flight');
    expect(text).toContain('recovered (unknown, delivered): 1 of 2');
    expect(text).toContain('fault kill -9 n1: first confirm 1000 ms after the heal');
  });

  it('reports a confirmed message never delivered as lost', () => {
    const { history } = cleanRun();
    history.attempted('m9');
    history.confirmed('m9');
    const summary = checkHistory(history.data(), { leaseTtlMs: TTL });
    expect(summary.ok).toBe(false);
    expect(summary.violations).toEqual(['lost confirmed messages']);
    expect(summary.lost).toEqual(['m9']);
    expect(formatSummary(summary)).toContain('lost confirmed: 1 (m9)');
  });

  it('reports a delivery never attempted, and one whose body does not match its id', () => {
    const { history } = cleanRun();
    history.delivered('ghost', messageBody('ghost'), false, 'n3');
    history.delivered('m2', messageBody('m2-tampered'), true, 'n3');
    const summary = checkHistory(history.data(), { leaseTtlMs: TTL });
    expect(summary.violations).toEqual(['unexpected deliveries']);
    expect(summary.neverAttempted).toEqual(['ghost']);
    expect(summary.bodyMismatch).toEqual(['m2']);
    expect(formatSummary(summary)).toContain('unexpected: never attempted 1 (ghost), body mismatch 1 (m2)');
  });

  it('flags a duplicate without redelivered but does not fail on it', () => {
    const { history } = cleanRun();
    history.delivered('m1', messageBody('m1'), false, 'n3');
    const summary = checkHistory(history.data(), { leaseTtlMs: TTL });
    expect(summary.ok).toBe(true);
    expect(summary.duplicates).toEqual(['m1', 'm3']);
    expect(summary.duplicatesWithoutRedelivered).toEqual(['m1']);
    expect(formatSummary(summary)).toContain('duplicates 2 (m1, m3), of which without redelivered 1 (m1)');
  });

  it('fails when an older epoch confirms after a newer one began (the zombie leader)', () => {
    const { history } = cleanRun();
    history.confirmLine(10, 3_500n, 'n1');
    const summary = checkHistory(history.data(), { leaseTtlMs: TTL });
    expect(summary.violations).toEqual(['single-writer epochs']);
    expect(summary.epochOverlaps).toEqual([{ epoch: 10, lastNs: 3_500n, laterEpoch: 20, firstNs: 3_000n }]);
    expect(formatSummary(summary)).toContain('epoch 10 confirmed at 3500 ns, after epoch 20 began at 3000 ns');
  });

  it('compares every earlier epoch, not only the previous one', () => {
    const { history } = cleanRun();
    history.confirmLine(10, 9_000n, 'n1'); // overlaps epoch 30 only (and 20)
    history.confirmLine(30, 8_000n, 'n3');
    const overlaps = checkHistory(history.data(), { leaseTtlMs: TTL }).epochOverlaps;
    expect(overlaps.map((o) => [o.epoch, o.laterEpoch])).toEqual([
      [10, 20],
      [10, 30],
    ]);
    // Equal timestamps across epochs are an overlap too (max(E) < min(E') is strict).
    const { history: tie } = cleanRun();
    tie.confirmLine(20, 2_000n, 'n2');
    expect(checkHistory(tie.data(), { leaseTtlMs: TTL }).violations).toEqual(['single-writer epochs']);
  });

  it('fails when a leader was not in the ISR current at its election', () => {
    const { history } = cleanRun();
    history.leaderChange(30, 'n3', ['n1', 'n2']);
    const summary = checkHistory(history.data(), { leaseTtlMs: TTL });
    expect(summary.violations).toEqual(['leaders outside the ISR']);
    expect(summary.leadersOutsideIsr.map((l) => [l.epoch, l.node])).toEqual([[30, 'n3']]);
    expect(formatSummary(summary)).toContain('leaders outside the ISR: n3 at epoch 30 (isr n1,n2)');
  });

  it('fails when no confirm follows a heal within TTL + 10 s, or none at all', () => {
    const { history, clock } = cleanRun();
    const heal = history.fault('partition n2 from etcd');
    clock.t = 7_000;
    heal();
    history.attempted('late');
    clock.t = 7_000 + TTL + LIVENESS_SLACK_MS + 1;
    history.confirmed('late');
    history.delivered('late', messageBody('late'), false, 'n2');
    const healNever = history.fault('sigstop n2');
    clock.t = 30_000;
    healNever();
    const summary = checkHistory(history.data(), { leaseTtlMs: TTL });
    expect(summary.violations).toEqual(['liveness']);
    expect(summary.livenessGaps).toEqual([
      { fault: 'partition n2 from etcd', healedAt: 7_000, resumedAt: 7_000 + TTL + LIVENESS_SLACK_MS + 1, limitMs: TTL + LIVENESS_SLACK_MS },
      { fault: 'sigstop n2', healedAt: 30_000, resumedAt: null, limitMs: TTL + LIVENESS_SLACK_MS },
    ]);
    const text = formatSummary(summary);
    expect(text.split('\n')[0]).toBe('FAIL: liveness');
    expect(text).toContain('fault sigstop n2: no confirm after the heal (limit 13000 ms: LIVENESS GAP)');
    expect(text).toContain('fault kill -9 n1: first confirm 1000 ms after the heal\n');
  });

  it('ignores a fault that was never healed', () => {
    const { history } = cleanRun();
    history.fault('still broken');
    expect(checkHistory(history.data(), { leaseTtlMs: TTL }).ok).toBe(true);
  });
});

describe('History', () => {
  it('bodies prove their id', () => {
    expect(messageBody('m1').toString()).toBe(`m1 ${sha256('m1')}`);
  });

  it('a late ack turns unknown into confirmed; nothing turns confirmed back', () => {
    const history = new History(() => 0);
    history.attempted('a');
    history.attempted('b');
    history.unknown('a');
    history.confirmed('a');
    history.confirmed('b');
    history.unknown('b');
    history.failed('b');
    expect(history.data().publishes.map((p) => [p.id, p.outcome])).toEqual([
      ['a', 'confirmed'],
      ['b', 'confirmed'],
    ]);
    expect(() => history.attempted('a')).toThrow('attempted twice');
    expect(() => history.confirmed('z')).toThrow('never attempted');
  });

  it('round-trips through JSON with bigint nanoseconds', () => {
    const data = cleanRun().history.data();
    const back = historyFromJson(historyToJson(data));
    expect(back).toEqual(data);
    expect(checkHistory(back, { leaseTtlMs: TTL })).toEqual(checkHistory(data, { leaseTtlMs: TTL }));
  });
});
