// Conformance runner: drives real AMQP clients (amqplib, pika, the RabbitMQ Java client) through
// tutorial-style scenarios against Warren, or against any broker named by WARREN_CONFORMANCE_URL
// (differential mode, e.g. a local RabbitMQ).
//
// Each scenario runs in its own child process: `<client command> <scenario> <url> <prefix>`.
// Exit code 0 means pass; otherwise the last line the child wrote is the reason.
// Output: one line per client and scenario, then exactly `N passed, M failed`.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const SCENARIO_TIMEOUT_MS = 15_000;
const CLEANUP_TIMEOUT_MS = 3_000;
const SCENARIOS = ['work-queue', 'publish-subscribe', 'routing', 'topics', 'rpc', 'confirms', 'returns'];

const PYTHON = process.env.WARREN_CONFORMANCE_PYTHON || '/usr/bin/python3';
const JAVA_JARS = ['amqp-client.jar', 'slf4j-api.jar'].map((jar) => join('/usr/share/java', jar));
// Optional: silences slf4j's "no binding" warning when present.
const SLF4J_NOP = join('/usr/share/java', 'slf4j-nop.jar');

/**
 * A client is a name and a prepare() that checks its runtime is present (throwing a reason with an
 * install hint if not), does any one-time build, and returns the command that runs one scenario.
 * To add a client, add an entry here and a directory next to this file (see README.md).
 */
const CLIENTS = [
  {
    name: 'amqplib',
    async prepare() {
      const probe = spawnSync(process.execPath, ['-e', "import('amqplib').then(() => {})"], {
        cwd: HERE,
        encoding: 'utf8',
      });
      if (probe.status !== 0) throw new Error('amqplib is not installed (run npm ci)');
      return { command: process.execPath, args: [join(HERE, 'amqplib', 'client.mjs')] };
    },
  },
  {
    name: 'pika',
    async prepare() {
      if (!existsSync(PYTHON)) throw new Error(`${PYTHON} not found (install python3-pika)`);
      const probe = spawnSync(PYTHON, ['-c', 'import pika'], { encoding: 'utf8' });
      if (probe.status !== 0) throw new Error(`pika is not importable by ${PYTHON} (install python3-pika)`);
      return { command: PYTHON, args: [join(HERE, 'pika', 'client.py')] };
    },
  },
  {
    name: 'java',
    async prepare(tempDirs) {
      for (const tool of ['javac', 'java']) {
        if (spawnSync(tool, ['-version'], { encoding: 'utf8' }).error) {
          throw new Error(`${tool} not found (install default-jdk-headless)`);
        }
      }
      const missing = JAVA_JARS.filter((jar) => !existsSync(jar));
      if (missing.length) throw new Error(`missing ${missing.join(', ')} (install librabbitmq-client-java)`);
      const classpath = [...JAVA_JARS, ...(existsSync(SLF4J_NOP) ? [SLF4J_NOP] : [])].join(':');
      const classes = await mkdtemp(join(tmpdir(), 'warren-conformance-java-'));
      tempDirs.push(classes);
      const sources = (await readdir(join(HERE, 'java')))
        .filter((file) => file.endsWith('.java'))
        .map((file) => join(HERE, 'java', file));
      const started = Date.now();
      const javac = spawnSync('javac', ['-nowarn', '-d', classes, '-cp', classpath, ...sources], {
        encoding: 'utf8',
      });
      if (javac.status !== 0) {
        throw new Error(`javac failed: ${lastLine(javac.stderr + javac.stdout) || `exit ${javac.status}`}`);
      }
      process.stderr.write(`# java: compiled in ${Date.now() - started} ms\n`);
      return { command: 'java', args: ['-cp', `${classes}:${classpath}`, 'Conformance'] };
    },
  },
];

function lastLine(text) {
  const lines = String(text).split('\n').map((line) => line.trim()).filter(Boolean);
  return lines[lines.length - 1] ?? '';
}

function redact(url) {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}

function loadSkipList() {
  const entries = JSON.parse(readFileSync(join(HERE, 'skip.json'), 'utf8'));
  // Keys are "<client>/<scenario>"; values are the reason, shown on the skip line.
  return new Map(Object.entries(entries));
}

function runScenario(launch, scenario, url, prefix) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(launch.command, [...launch.args, scenario, url, prefix], {
      cwd: HERE,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, SCENARIO_TIMEOUT_MS);
    const finish = (code, error) => {
      clearTimeout(timer);
      const ms = Date.now() - started;
      if (code === 0 && !error) return resolve({ ok: true, ms, output });
      const reason = timedOut
        ? `timed out after ${SCENARIO_TIMEOUT_MS / 1000} s`
        : error
          ? `could not start: ${error.message}`
          : lastLine(output) || `exit code ${code}`;
      resolve({ ok: false, ms, output, reason });
    };
    child.on('error', (error) => finish(null, error));
    child.on('close', (code) => finish(code));
  });
}

// A failed or killed scenario may leave its shared (non-exclusive) queue or exchange behind.
// Scenarios name those resources exactly `<prefix>`, so this removes them (best effort, bounded).
async function cleanup(url, prefix) {
  let connection;
  const work = (async () => {
    const amqp = await import('amqplib');
    connection = await amqp.connect(url, { timeout: CLEANUP_TIMEOUT_MS });
    connection.on('error', () => {});
    for (const remove of ['deleteQueue', 'deleteExchange']) {
      const channel = await connection.createChannel();
      channel.on('error', () => {});
      await channel[remove](prefix).catch(() => {});
      await channel.close().catch(() => {});
    }
  })();
  let timer;
  const deadline = new Promise((resolve) => (timer = setTimeout(resolve, CLEANUP_TIMEOUT_MS)));
  await Promise.race([work.catch(() => {}), deadline]);
  clearTimeout(timer);
  await connection?.close().catch(() => {});
}

function printLine(status, client, scenario, detail) {
  console.log(`${status.padEnd(4)} ${client.padEnd(8)} ${scenario.padEnd(17)} ${detail}`);
}

function indent(text) {
  const lines = String(text).trimEnd().split('\n').slice(-40);
  return lines.map((line) => `    | ${line}`).join('\n') + '\n';
}

async function main() {
  const runId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const skipClients = new Set(
    (process.env.WARREN_CONFORMANCE_SKIP || '').split(',').map((name) => name.trim()).filter(Boolean),
  );
  const skipList = loadSkipList();
  const tempDirs = [];
  let broker;
  let url = process.env.WARREN_CONFORMANCE_URL;
  let brokerError;
  if (!url) {
    try {
      const entry = new URL('../dist/index.js', import.meta.url);
      if (!existsSync(entry)) throw new Error('dist/index.js not found (run npm run build first)');
      const { startBroker } = await import(entry.href);
      const dataDir = await mkdtemp(join(tmpdir(), 'warren-conformance-data-'));
      tempDirs.push(dataDir);
      broker = await startBroker({ port: 0, dataDir, logLevel: 'warn' });
      url = broker.url;
    } catch (error) {
      brokerError = `Warren did not start: ${error instanceof Error ? error.message : error}`;
    }
  }
  process.stderr.write(`# target: ${url ? redact(url) : 'none'}${broker ? ' (in-process Warren)' : ''}\n`);

  let passed = 0;
  let failed = 0;
  let skipped = 0;
  try {
    for (const client of CLIENTS) {
      if (skipClients.has(client.name)) {
        for (const scenario of SCENARIOS) printLine('skip', client.name, scenario, '(WARREN_CONFORMANCE_SKIP)');
        skipped += SCENARIOS.length;
        continue;
      }
      let launch;
      let setupError = brokerError;
      if (!setupError) {
        try {
          launch = await client.prepare(tempDirs);
        } catch (error) {
          setupError = error instanceof Error ? error.message : String(error);
        }
      }
      for (const scenario of SCENARIOS) {
        const skipReason = skipList.get(`${client.name}/${scenario}`);
        if (skipReason) {
          printLine('skip', client.name, scenario, `(skip.json: ${skipReason})`);
          skipped += 1;
          continue;
        }
        if (setupError) {
          printLine('FAIL', client.name, scenario, setupError);
          failed += 1;
          continue;
        }
        const prefix = `conformance.${runId}.${client.name}.${scenario}`;
        const result = await runScenario(launch, scenario, url, prefix);
        if (result.ok) {
          printLine('ok', client.name, scenario, `(${result.ms} ms)`);
          passed += 1;
        } else {
          printLine('FAIL', client.name, scenario, `${result.reason} (${result.ms} ms)`);
          const output = result.output.trim();
          if (output && output !== result.reason) process.stderr.write(indent(result.output));
          failed += 1;
          await cleanup(url, prefix);
        }
      }
    }
  } finally {
    await broker?.close().catch((error) => process.stderr.write(`# broker.close failed: ${error}\n`));
    await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
  }
  if (skipped) console.log(`${skipped} skipped`);
  console.log(`${passed} passed, ${failed} failed`);
  // Exit explicitly: a hung client connection must not keep the runner alive.
  process.exit(failed > 0 ? 1 : 0);
}

await main();
