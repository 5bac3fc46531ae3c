#!/usr/bin/env node
/**
 * End-to-end benchmark: Warren side by side with RabbitMQ (when rabbitmq-server is installed),
 * driven by forked load-generator processes that write pre-encoded frames. The broker runs on
 * core 0, this runner and its workers on core 1 (when taskset exists).
 *
 *   npm run bench -- [--scenario a,b,...] [--seconds 10] [--rounds 3] [--broker warren|rabbitmq|both]
 *                    [--client raw|amqplib] [--json FILE] [--warmup 2] [--rates 1000,10000]
 *                    [--connections 1000,10000] [--backlog 1000000] [--restart-messages 1000000]
 *                    [--max-rss 4096]  (MiB: a steady-state window ends early when the broker passes it)
 *
 * Prints a markdown table (median over rounds; ratio Warren/RabbitMQ) to stdout, progress to
 * stderr, and everything (each round too) to --json.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { killAll, pin, rabbitmqServer } from './brokers.mjs';
import { SCENARIOS } from './scenarios.mjs';

const { values: args } = parseArgs({
  options: {
    scenario: { type: 'string', default: Object.keys(SCENARIOS).join(',') },
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '3' },
    broker: { type: 'string' },
    client: { type: 'string', default: 'raw' },
    json: { type: 'string' },
    rates: { type: 'string', default: '1000,10000' },
    connections: { type: 'string', default: '1000,10000' },
    backlog: { type: 'string', default: '1000000' },
    'restart-messages': { type: 'string', default: '1000000' },
    'max-rss': { type: 'string', default: '4096' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

function usage(problem) {
  const lines = Object.entries(SCENARIOS).map(([id, s]) => `  ${id}  ${s.title}`);
  process.stderr.write(`${problem ? `${problem}\n\n` : ''}scenarios:\n${lines.join('\n')}\n(see the header of test/bench/e2e/run.mjs for flags)\n`);
  process.exit(problem ? 2 : 0);
}
if (args.help) usage();

const positive = (name, text) => {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) usage(`--${name} must be a positive number`);
  return n;
};
const list = (name) => args[name].split(',').map((t) => Math.round(positive(name, t)));

const haveRabbit = rabbitmqServer() !== null;
const brokerArg = args.broker ?? (haveRabbit ? 'both' : 'warren');
const kinds = { warren: ['warren'], rabbitmq: ['rabbitmq'], both: ['warren', 'rabbitmq'] }[brokerArg];
if (kinds === undefined) usage(`--broker must be warren, rabbitmq or both`);
if (kinds.includes('rabbitmq') && !haveRabbit) usage('rabbitmq-server is not installed');
if (!['raw', 'amqplib'].includes(args.client)) usage('--client must be raw or amqplib');
const ids = args.scenario.split(',').map((s) => s.trim());
for (const id of ids) {
  if (SCENARIOS[id] === undefined) usage(`unknown scenario ${id}`);
  if (args.client === 'amqplib' && !SCENARIOS[id].amqplib) usage(`--client amqplib runs scenarios a and b only`);
}
const opts = {
  seconds: positive('seconds', args.seconds),
  warmup: Number(args.warmup),
  client: args.client,
  rates: list('rates'),
  connections: list('connections'),
  backlog: Math.round(positive('backlog', args.backlog)),
  restartMessages: Math.round(positive('restart-messages', args['restart-messages'])),
  maxRssMiB: positive('max-rss', args['max-rss']),
  limitMs: 1_800_000, // upper bound on any single fill or drain
};
const rounds = Math.round(positive('rounds', args.rounds));

process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    process.stderr.write(`\n${signal}: stopping brokers and workers\n`);
    killAll();
    process.exit(130);
  });
}

const pinned = availableParallelism() >= 2 && pin(process.pid, 1);
const log = (line) => process.stderr.write(`${line}\n`);
log(`bench: ${kinds.join(' + ')}, scenarios ${ids.join(',')}, ${rounds} round(s), ${opts.seconds} s measured after ${opts.warmup} s warm-up`);
log(pinned ? 'pinning: broker on core 0, load generator on core 1' : 'pinning: off (no taskset or one core)');

function median(values) {
  const s = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

const label = (id) => (args.client === 'amqplib' ? `${id} (amqplib)` : id);
const results = {};
for (const id of ids) {
  const entry = { title: SCENARIOS[id].title };
  for (const kind of kinds) entry[kind] = { rounds: [], median: {} };
  results[label(id)] = entry;
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? kinds : [...kinds].reverse();
    for (const kind of order) {
      const t0 = performance.now();
      log(`[${label(id)}] round ${r + 1}/${rounds} ${kind}...`);
      try {
        const metrics = await SCENARIOS[id].run(kind, opts);
        entry[kind].rounds.push(metrics);
        log(`[${label(id)}] ${kind} done in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${brief(metrics)}`);
      } catch (err) {
        entry[kind].rounds.push({ error: err instanceof Error ? err.message : String(err) });
        log(`[${label(id)}] ${kind} FAILED: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
  for (const kind of kinds) {
    const ok = entry[kind].rounds.filter((m) => m.error === undefined);
    for (const key of new Set(ok.flatMap((m) => Object.keys(m)))) entry[kind].median[key] = median(ok.map((m) => m[key]));
  }
}

function brief(metrics) {
  return Object.entries(metrics)
    .slice(0, 3)
    .map(([k, v]) => `${k} ${fmt(v)}`)
    .join(', ');
}

function fmt(v) {
  if (v === undefined) return '';
  if (!Number.isFinite(v)) return 'n/a';
  const a = Math.abs(v);
  if (a >= 100) return Math.round(v).toLocaleString('en-US');
  if (a >= 10) return v.toFixed(1);
  return v.toFixed(a >= 1 ? 2 : 3);
}

const NAMES = { warren: 'Warren', rabbitmq: 'RabbitMQ' };
const both = kinds.length === 2;
const header = ['scenario', 'metric', ...kinds.map((k) => NAMES[k]), ...(both ? ['Warren/RabbitMQ'] : [])];
const rows = [];
for (const [name, entry] of Object.entries(results)) {
  const keys = [...new Set(kinds.flatMap((k) => Object.keys(entry[k].median)))];
  if (keys.length === 0) {
    rows.push([name, 'error', ...kinds.map((k) => entry[k].rounds.find((m) => m.error)?.error.split('\n')[0] ?? '')]);
    continue;
  }
  for (const key of keys) {
    const values = kinds.map((k) => entry[k].median[key]);
    const row = [name, key, ...values.map((v, i) => (entry[kinds[i]].rounds.every((m) => m.error) ? 'error' : fmt(v)))];
    if (both) row.push(values[1] > 0 && Number.isFinite(values[0]) ? (values[0] / values[1]).toFixed(2) : 'n/a');
    rows.push(row);
  }
}
const table = [header, header.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
process.stdout.write(`\n${table}\n`);
// The workers share one core: near 100% there, the load generator may be what limits the rate.
const saturated = rows.filter((r) => r[1].startsWith('load generator CPU %') && r.slice(2, 2 + kinds.length).some((v) => parseFloat(v.replace(/,/g, '')) >= 90));
if (saturated.length > 0) process.stdout.write(`\nload generator at >= 90% of its core in: ${saturated.map((r) => r[0]).join(', ')}\n`);

if (args.json) {
  let commit = null;
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: import.meta.dirname, encoding: 'utf8' }).trim();
  } catch {
    // not a git checkout
  }
  const meta = { date: new Date().toISOString(), commit, node: process.version, cpus: availableParallelism(), pinned, rounds, ...opts };
  writeFileSync(args.json, JSON.stringify({ meta, scenarios: results }, null, 2) + '\n');
  log(`JSON written to ${args.json}`);
}
