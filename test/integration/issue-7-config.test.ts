/**
 * Issue 7, bug 7: `warren server` settings come from built-in defaults < --config file < WARREN_*
 * environment < flags actually given, and every value is checked. A bad value or unknown key is a
 * one-line error naming the key and where it came from, with a non-zero exit.
 *
 * The CLI runs from source through tsx, so these tests need no `npm run build` and never test a
 * stale dist/. Each test runs the broker with a temporary cwd, so a stray `./data` would show.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkConfig, configFromEnv } from '../../src/cli/config.js';

const CLI = join(import.meta.dirname, '../../src/cli/index.ts');
/** tsx's loader by absolute URL: the broker runs in a temporary cwd, where `--import tsx` would not resolve. */
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const DEADLINE_MS = 10_000;
const LISTENING = /AMQP listening on port (\d+) \(data in (.+), ready in/;

interface Warren {
  readonly child: ChildProcess;
  output(): string;
}

/** The environment of the test process without any WARREN_* variable, plus `extra`. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('WARREN_')) env[name] = value;
  return { ...env, ...extra };
}

let cwd: string;
let busy: Server;
let busyPort: number;
const started: Warren[] = [];

function warren(args: string[], env: Record<string, string> = {}): Warren {
  const child = spawn(process.execPath, ['--import', TSX, CLI, 'server', ...args], {
    cwd,
    env: cleanEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const w = { child, output: () => out };
  started.push(w);
  return w;
}

const running = (child: ChildProcess): boolean => child.exitCode === null && child.signalCode === null;

/** Resolves on the first output event after which `test` matches, or when the child exits. */
function until<T>(w: Warren, test: () => T | undefined): Promise<T> {
  return new Promise<T>((done, fail) => {
    const timer = setTimeout(() => finish(new Error(`no answer within ${DEADLINE_MS} ms: ${w.output()}`)), DEADLINE_MS);
    const check = (): void => {
      const result = test();
      if (result !== undefined) finish(undefined, result);
    };
    const onExit = (): void => {
      check();
      finish(new Error(`warren exited with ${w.child.exitCode ?? w.child.signalCode}: ${w.output()}`));
    };
    const finish = (err: Error | undefined, result?: T): void => {
      clearTimeout(timer);
      w.child.stdout?.off('data', check);
      w.child.stderr?.off('data', check);
      w.child.off('exit', onExit);
      if (err === undefined) done(result as T);
      else fail(err);
    };
    w.child.stdout?.on('data', check);
    w.child.stderr?.on('data', check);
    w.child.once('exit', onExit);
    if (!running(w.child)) onExit();
    else check();
  });
}

/** Waits for the "listening" log line: the bound port and the data directory in use. */
async function listening(w: Warren): Promise<{ port: number; dataDir: string }> {
  const m = await until(w, () => LISTENING.exec(w.output()) ?? undefined);
  return { port: Number(m[1]), dataDir: String(m[2]) };
}

/** Waits for the process to exit; its code and stderr+stdout. */
async function exited(w: Warren): Promise<{ code: number | null; output: string }> {
  return until(w, () => (running(w.child) ? undefined : { code: w.child.exitCode, output: w.output() }));
}

async function stop(w: Warren): Promise<void> {
  if (!running(w.child) || w.child.pid === undefined) return;
  const gone = new Promise((done) => w.child.once('exit', done));
  process.kill(w.child.pid, 'SIGTERM');
  const timer = setTimeout(() => w.child.pid !== undefined && running(w.child) && process.kill(w.child.pid, 'SIGKILL'), DEADLINE_MS);
  await gone;
  clearTimeout(timer);
}

function configFile(config: Record<string, unknown>): string {
  const path = join(cwd, 'warren.json');
  writeFileSync(path, JSON.stringify(config));
  return path;
}

beforeEach(async () => {
  cwd = mkdtempSync(join(tmpdir(), 'warren-issue7-'));
  // A port known to be taken: a layer that should have lost would make the broker fail on it.
  busy = createServer();
  await new Promise<void>((done) => busy.listen(0, '127.0.0.1', done));
  busyPort = (busy.address() as { port: number }).port;
});

afterEach(async () => {
  for (const w of started.splice(0)) await stop(w);
  await new Promise((done) => busy.close(done));
  rmSync(cwd, { recursive: true, force: true });
});

describe('issue 7: warren server settings, by precedence', () => {
  it('uses the config file port 0 and dataDir instead of 5672 and ./data', async () => {
    const dataDir = join(cwd, 'from-file');
    const file = configFile({ port: 0, dataDir, logLevel: 'info' });
    const w = warren(['--config', file]);
    const got = await listening(w);
    expect(got.port).toBeGreaterThan(0);
    expect(got.port).not.toBe(5672);
    expect(got.dataDir).toBe(resolve(dataDir));
    expect(readdirSync(dataDir).length).toBeGreaterThan(0);
    expect(existsSync(join(cwd, 'data'))).toBe(false);
  });

  it('lets WARREN_* environment variables override the config file', async () => {
    const file = configFile({ port: busyPort, dataDir: join(cwd, 'from-file'), logLevel: 'silent' });
    const dataDir = join(cwd, 'from-env');
    const w = warren(['--config', file], { WARREN_PORT: '0', WARREN_DATA_DIR: dataDir, WARREN_LOG_LEVEL: 'info' });
    const got = await listening(w);
    expect(got.port).not.toBe(busyPort);
    expect(got.dataDir).toBe(resolve(dataDir));
    expect(existsSync(join(cwd, 'from-file'))).toBe(false);
  });

  it('lets flags given on the command line override the environment, which still fills the rest', async () => {
    const file = configFile({ dataDir: join(cwd, 'from-file') });
    const dataDir = join(cwd, 'from-env');
    const env = { WARREN_PORT: String(busyPort), WARREN_DATA_DIR: dataDir, WARREN_LOG_LEVEL: 'silent' };
    const w = warren(['--config', file, '--port', '0', '--log-level', 'info'], env);
    const got = await listening(w);
    expect(got.port).not.toBe(busyPort);
    expect(got.dataDir).toBe(resolve(dataDir));
  });
});

describe('issue 7: bad settings are a one-line error naming the key and its source', () => {
  /** Flags that keep a broker which wrongly starts off port 5672 and out of ./data. */
  const safe = (): string[] => ['--port', '0', '--data-dir', join(cwd, 'd')];

  async function refused(w: Warren, ...parts: string[]): Promise<void> {
    const { code, output } = await exited(w);
    expect(code).not.toBe(0);
    const lines = output.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^warren: /);
    for (const part of parts) expect(lines[0]).toContain(part);
  }

  it('refuses an unknown key in the config file', async () => {
    const file = configFile({ port: 0, prot: 5673 });
    await refused(warren(['--config', file, ...safe()]), file, "unknown key 'prot'");
  });

  it('refuses a wrong type in the config file even when a flag overrides the key', async () => {
    const file = configFile({ port: '5672', heartbeat: 60 });
    await refused(warren(['--config', file, ...safe()]), file, "'port'", 'port number');
  });

  it('refuses a wrong value in the config file', async () => {
    const file = configFile({ frameMax: 1024 });
    await refused(warren(['--config', file, ...safe()]), file, "'frameMax'", '4096');
  });

  it('refuses a wrong type in an environment variable', async () => {
    await refused(warren(safe(), { WARREN_HEARTBEAT: 'often' }), 'WARREN_HEARTBEAT', "'heartbeat'", '"often"');
  });

  it('refuses an unknown key inside an environment variable value', async () => {
    const env = { WARREN_QUEUE_MEMORY_BUDGET: '{"messages":10,"bytes":1000,"pages":3}' };
    await refused(warren(safe(), env), 'WARREN_QUEUE_MEMORY_BUDGET', "'pages'");
  });
});

describe('issue 7: every key is checked', () => {
  const bad: [string, unknown][] = [
    ['port', 65536],
    ['port', 1.5],
    ['managementPort', -1],
    ['management', 'yes'],
    ['host', ''],
    ['dataDir', 7],
    ['logLevel', 'loud'],
    ['logLevel', 'toString'],
    ['maxMessageSize', 0],
    ['heartbeat', -1],
    ['heartbeat', 65536],
    ['frameMax', 4095],
    ['channelMax', 0],
    ['channelMax', 65536],
    ['consumerTimeout', 0],
    ['memoryHighWatermark', 0],
    ['memoryHighWatermark', '0.4'],
    ['diskFreeLimit', -1],
    ['queueMemoryBudget', { messages: 1 }],
    ['queueMemoryBudget', { messages: 1, bytes: 1.5 }],
    ['queueMemoryBudget', [1, 2]],
    ['queueMemoryBudget', null],
  ];

  it.each(bad)('refuses %s = %j', (key, value) => {
    expect(() => checkConfig({ [key]: value }, 'test')).toThrow(`test: '${key}' `);
  });

  it('accepts a full valid config and reads every key from the environment', () => {
    const config = {
      port: 0,
      host: '127.0.0.1',
      managementPort: 15672,
      dataDir: 'data',
      logLevel: 'warn',
      maxMessageSize: 1024,
      heartbeat: 0,
      frameMax: 4096,
      channelMax: 65535,
      memoryHighWatermark: 0.4,
      diskFreeLimit: 0,
      queueMemoryBudget: { messages: 0, bytes: 1 },
      consumerTimeout: 1,
    };
    expect(checkConfig(config, 'test')).toEqual(config);
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(config)) {
      const name = 'WARREN_' + key.replace(/[A-Z]/g, (c) => '_' + c).toUpperCase();
      env[name] = typeof value === 'string' ? value : JSON.stringify(value);
    }
    expect(configFromEnv(env).config).toEqual(config);
  });

  it('describes --management-port and --no-management in --help, and lists the environment', async () => {
    const w = warren(['--help']);
    const { code, output } = await exited(w);
    expect(code).toBe(0);
    expect(output).toMatch(/--management-port[\s\S]*management HTTP API port/);
    expect(output).toMatch(/--no-management[\s\S]*management HTTP API/);
    expect(output).toContain('WARREN_DATA_DIR');
    expect(output).toContain('WARREN_MANAGEMENT');
  });
});
