/**
 * Start and stop the brokers under test, each in its own temp dir, pinned to core 0 when
 * `taskset` exists: Warren (dist/bundle/index.js) and, when installed, a private RabbitMQ node on
 * spare loopback ports with its own nodename, data, logs, cookie and no plugins. Every process
 * is stopped by its own pid; temp dirs are removed. /proc readers for RSS and CPU live here too.
 */
import { spawn, execFileSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { BUILT_CLI as WARREN_CLI } from '../built-cli.mjs';

const START_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 60_000;
const CLK_TCK = 100;

/** Live children and temp dirs, so a failure or Ctrl-C can still clean up. */
const live = new Set();
const tempDirs = new Set();

function executable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Full path of `name` on PATH, or null. */
export function which(name) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) if (dir && executable(join(dir, name))) return join(dir, name);
  return null;
}

/** The real rabbitmq-server script (Debian's /usr/sbin one is a wrapper that switches user). */
export function rabbitmqServer() {
  for (const p of ['/usr/lib/rabbitmq/bin/rabbitmq-server', '/usr/lib/rabbitmq/sbin/rabbitmq-server']) if (executable(p)) return p;
  return which('rabbitmq-server');
}

const TASKSET = which('taskset');

/** Pins `pid` (all its threads) to `cpu`; false when taskset is missing. */
export function pin(pid, cpu) {
  if (TASKSET === null) return false;
  execFileSync(TASKSET, ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' });
  return true;
}

export function makeTempDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

export function removeTempDir(dir) {
  rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

/** Last resort (process exit, signal): SIGKILL every live child by pid, remove temp dirs. */
export function killAll() {
  for (const child of live) {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  live.clear();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

/** Tracks a child process (forked worker) until it exits; `child.exited` resolves then. */
export function track(child) {
  live.add(child);
  child.exited = new Promise((resolve) => child.once('exit', (code, signal) => (live.delete(child), resolve(code ?? signal))));
  return child;
}

/** Spawns `argv` on core `cpu` (through taskset when present) and tracks it until it exits. */
export function spawnPinned(argv, cpu, options) {
  const [cmd, ...args] = TASKSET !== null && cpu !== null ? [TASKSET, '-c', String(cpu), ...argv] : argv;
  return track(spawn(cmd, args, options));
}

/** SIGTERM by pid, SIGKILL after `timeoutMs`; resolves when the process is gone. */
export async function stopChild(child, timeoutMs = STOP_TIMEOUT_MS) {
  if (child.exitCode !== null || child.signalCode !== null) return child.exited;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const how = await child.exited;
  clearTimeout(timer);
  return how;
}

/** A free TCP port on 127.0.0.1 (bound and released). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function tcpOpen(port) {
  return new Promise((resolve) => {
    const s = netConnect({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

/** Keeps the last 8 KiB a child wrote, for error messages. */
function tail(child) {
  let out = '';
  const keep = (chunk) => {
    out = (out + chunk).slice(-8192);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => out;
}

/** VmRSS / VmHWM in bytes and utime+stime in seconds of a live pid. */
export function procStats(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { rss: kib('VmRSS'), hwm: kib('VmHWM'), cpuS: (Number(fields[11]) + Number(fields[12])) / CLK_TCK };
}

/** Resets VmHWM to the current RSS (Linux clear_refs 5); false when not permitted. */
export function resetPeak(pid) {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/**
 * Node flags as `npm start` and the `warren` bin run the broker with (the shebang of
 * src/cli/index.ts): a larger initial old generation, without which V8 runs a major GC about
 * twice a second even with a 10 MB heap, and each one (5-15 ms of marking and weak callbacks)
 * is a latency tail. BENCH_WARREN_NODE_ARGS adds more, e.g. "--cpu-prof --cpu-prof-dir=prof".
 */
const WARREN_NODE_FLAGS = ['--initial-old-space-size=128'];
const nodeArgs = () => [...WARREN_NODE_FLAGS, ...(process.env.BENCH_WARREN_NODE_ARGS ?? '').split(' ').filter((a) => a !== '')];

/** Warren: `dist/bundle/index.js server --port 0`, ready when it logs its port. */
async function startWarren(dataDir) {
  const t0 = performance.now();
  const child = spawnPinned(
    // BENCH_WARREN_NODE_ARGS: extra node flags for the broker only, e.g. "--cpu-prof --cpu-prof-dir=prof".
    // --no-management --no-prometheus: the RabbitMQ side runs without plugins (no management, no
    // rabbitmq_prometheus), so Warren runs without its HTTP listeners.
    [process.execPath, ...nodeArgs(), WARREN_CLI, 'server', '--port', '0', '--no-management', '--no-prometheus', '--data-dir', dataDir, '--log-level', 'info'],
    0,
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, WARREN_HOST: '127.0.0.1' } },
  );
  const output = tail(child);
  const port = await new Promise((resolve, reject) => {
    let seen = '';
    const onData = (chunk) => {
      seen = (seen + chunk).slice(-4096);
      const m = /AMQP listening on port (\d+)/.exec(seen);
      if (m) {
        child.stderr.off('data', onData);
        resolve(Number(m[1]));
      }
    };
    child.stderr.on('data', onData);
    const timer = setTimeout(() => reject(new Error('warren did not start in time')), START_TIMEOUT_MS);
    void child.exited.then((how) => reject(new Error(`warren exited (${how}) before listening:\n${output()}`)));
    timer.unref();
  }).catch(async (err) => {
    await stopChild(child, 5000);
    throw err;
  });
  return { child, port, t0, listeningMs: performance.now() - t0, output };
}

/** A private RabbitMQ node; ready when its AMQP port accepts TCP connections. */
async function startRabbitmq(dataDir, node) {
  const t0 = performance.now();
  const port = await freePort();
  const env = {
    ...process.env,
    HOME: dataDir, // its own .erlang.cookie
    RABBITMQ_NODENAME: node.name,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(node.distPort),
    RABBITMQ_MNESIA_BASE: join(dataDir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dataDir, 'log'),
    RABBITMQ_PLUGINS_EXPAND_DIR: join(dataDir, 'plugins'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dataDir, 'enabled_plugins'),
    RABBITMQ_PID_FILE: join(dataDir, 'rabbitmq.pid'),
    RABBITMQ_CONFIG_FILE: join(dataDir, 'rabbitmq'),
    RABBITMQ_ADVANCED_CONFIG_FILE: join(dataDir, 'advanced.config'),
    RABBITMQ_CONF_ENV_FILE: join(dataDir, 'rabbitmq-env.conf'),
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
    // exec the VM in place of the script, so the pid we hold is beam's (no signal-proxy shell).
    RUNNING_UNDER_SYSTEMD: 'true',
  };
  writeFileSync(env.RABBITMQ_ENABLED_PLUGINS_FILE, '[].\n');
  const child = spawnPinned([node.bin], 0, { stdio: ['ignore', 'pipe', 'pipe'], env, cwd: dataDir });
  const output = tail(child);
  const deadline = t0 + START_TIMEOUT_MS;
  let gone = false;
  void child.exited.then(() => (gone = true));
  while (!(await tcpOpen(port))) {
    const why = gone ? 'exited before listening' : performance.now() > deadline ? 'did not start in time' : null;
    if (why !== null) {
      await stopChild(child, 5000);
      throw new Error(`rabbitmq ${why}:\n${output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { child, port, t0, listeningMs: performance.now() - t0, output };
}

/**
 * Starts a broker of `kind` ('warren' | 'rabbitmq'). Pass a previous broker's `dataDir` (and for
 * RabbitMQ its `node`) to restart on the same data. Returns {kind, pid, port, listeningMs,
 * dataDir, node, stop(), stats()}.
 */
export async function startBroker(kind, previous = null) {
  const dataDir = previous?.dataDir ?? makeTempDir(`warren-bench-${kind}-`);
  let started;
  let node = previous?.node ?? null;
  try {
    if (kind === 'warren') started = await startWarren(dataDir);
    else {
      node ??= {
        bin: rabbitmqServer(),
        name: `warren-bench-${process.pid}-${Date.now() % 100000}@localhost`,
        distPort: await freePort(),
      };
      if (node.bin === null) throw new Error('rabbitmq-server is not installed');
      started = await startRabbitmq(dataDir, node);
    }
  } catch (err) {
    removeTempDir(dataDir);
    throw err;
  }
  const { child } = started;
  return {
    kind,
    child,
    pid: child.pid,
    port: started.port,
    listeningMs: started.listeningMs,
    spawnedAt: started.t0,
    dataDir,
    node,
    output: started.output,
    stats: () => procStats(child.pid),
    resetPeak: () => resetPeak(child.pid),
    /** Stops the process; removes the data dir unless `keepData`. */
    async stop({ keepData = false } = {}) {
      const how = await stopChild(child);
      if (!keepData) removeTempDir(dataDir);
      return how;
    },
  };
}
