/**
 * `npm run test:faults`: the fault-injection run of issue 12 (CLUSTER.md 7). Each fault runs on a
 * fresh three-node cluster (three etcd members, three brokers, fault proxies) under a confirm
 * workload on an `ha-mode: all` queue and a quorum queue; the checker (test/cluster/checker.ts)
 * judges each recorded history. Prints the checker's summary per fault and exits 1 when any
 * invariant fails or a scenario could not finish.
 *
 *   npx tsx test/cluster/faults/run.ts [fault names...]     (default: all; needs a built dist/)
 *
 * WARREN_FAULTS_REPORT=<dir> writes each scenario's history (JSON) and broker logs there; on a
 * failure they go to a fresh temp dir, whose path is printed.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatSummary } from '../checker.js';
import { historyToJson } from '../history.js';
import { NEMESES } from './nemeses.js';
import { runScenario, type ScenarioOptions, type ScenarioResult } from './scenario.js';
import { ETCD, type Topology } from './topology.js';
import { BUILT_CLI } from '../../helpers/built-cli.js';

const OPTIONS: ScenarioOptions = {
  leaseTtlMs: 3000,
  followerAckTimeoutMs: 2000,
  ratePerSec: 300,
  consumeShare: 0.5,
  warmupMs: 5000,
  afterMs: 3000,
};
/** CLUSTER.md 7.2's budget for the run on a 2-core machine. */
const BUDGET_MS = 10 * 60_000;

let current: Topology | null = null;

async function abort(why: string): Promise<never> {
  console.error(`test:faults: ${why}; stopping the cluster`);
  await Promise.race([current?.stop(), new Promise((r) => setTimeout(r, 20_000))]);
  process.exit(1);
}

function print(r: ScenarioResult): void {
  const o = r.outcome;
  console.log(`\n=== ${r.nemesis.name}: ${r.nemesis.description}`);
  if (r.summary !== null) console.log(formatSummary(r.summary));
  if (r.error !== null) console.log(`ERROR: ${r.error}`);
  const first = r.firstLeader === null ? '-' : `${r.firstLeader.leader}@${r.firstLeader.epoch}`;
  const next = o?.newLeader == null ? '-' : `${o.newLeader.leader}@${o.newLeader.epoch}`;
  console.log(`leader ${first} -> ${next}; new leader agreed ${o?.electedMs == null ? '-' : `${o.electedMs} ms`} after the fault`);
  console.log(`first confirm of a publish sent after the fault: ${r.firstConfirmAfterFaultMs ?? '-'} ms; longest confirm gap: ${r.longestConfirmGapMs ?? '-'} ms`);
  for (const note of [...(o?.notes ?? []), ...r.notes]) console.log(`  ${note}`);
  console.log(`scenario time ${(r.durationMs / 1000).toFixed(1)} s`);
}

async function keepReport(dir: string, results: readonly ScenarioResult[]): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const r of results) {
    if (r.history !== null) await writeFile(join(dir, `${r.nemesis.name}.history.json`), historyToJson(r.history));
    for (const [id, log] of Object.entries(r.logs)) await writeFile(join(dir, `${r.nemesis.name}.${id}.log`), log);
  }
  console.log(`histories and broker logs: ${dir}`);
}

async function main(): Promise<void> {
  if (!existsSync(ETCD)) await abort(`${ETCD} is not installed (apt-get install etcd-server)`);
  if (!existsSync(BUILT_CLI)) await abort('dist/ is missing: npm run build first');
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((w) => !NEMESES.some((n) => n.name === w));
  if (unknown.length > 0) await abort(`unknown fault ${unknown.join(', ')} (known: ${NEMESES.map((n) => n.name).join(', ')})`);
  const nemeses = wanted.length === 0 ? NEMESES : NEMESES.filter((n) => wanted.includes(n.name));
  const began = Date.now();
  const budget = setTimeout(() => void abort(`over the ${BUDGET_MS / 60_000} min budget`), BUDGET_MS);
  process.once('SIGINT', () => void abort('interrupted'));
  process.once('SIGTERM', () => void abort('terminated'));
  const results: ScenarioResult[] = [];
  for (const nemesis of nemeses) {
    console.log(`--- ${nemesis.name} (${((Date.now() - began) / 1000).toFixed(0)} s into the run)`);
    const result = await runScenario(nemesis, OPTIONS, (t) => (current = t));
    print(result);
    results.push(result);
  }
  clearTimeout(budget);
  const failed = results.filter((r) => r.error !== null || r.summary?.ok !== true);
  console.log(`\n=== test:faults: ${results.length - failed.length} of ${results.length} faults passed, total ${((Date.now() - began) / 1000).toFixed(1)} s`);
  for (const r of results) console.log(`  ${r.error === null && r.summary?.ok === true ? 'PASS' : 'FAIL'} ${r.nemesis.name}${r.summary !== null && !r.summary.ok ? `: ${r.summary.violations.join('; ')}` : ''}${r.error === null ? '' : ` (${r.error})`}`);
  const reportDir = process.env['WARREN_FAULTS_REPORT'];
  if (reportDir !== undefined && reportDir !== '') await keepReport(reportDir, results);
  else if (failed.length > 0) await keepReport(await mkdtemp(join(tmpdir(), 'warren-faults-report-')), failed);
  process.exit(failed.length === 0 ? 0 : 1);
}

main().catch((err: unknown) => abort(err instanceof Error ? (err.stack ?? err.message) : String(err)));
