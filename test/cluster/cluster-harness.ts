/**
 * A three-node Warren cluster of child processes for the cluster suite: `node dist/bundle/index.js
 * server --config <tmp config>` on 127.0.0.11-13 with ports chosen free at test time, managed
 * etcd, temp data dirs. Every process is stopped by its own pid: the brokers, and the etcd member
 * each one spawned (its pid is in <dataDir>/etcd.pid), so no orphan outlives the suite.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ResolvedPeer } from '../../src/cluster/cluster-config.js';
import { BUILT_CLI as CLI } from '../helpers/built-cli.js';

const SETPRIV = '/usr/bin/setpriv';
export const AUTH = 'Basic ' + Buffer.from('guest:guest').toString('base64');

/** One node's peer entry, as the config file lists it. */
export type NodeSpec = ResolvedPeer;

/** A free TCP port on `host` (bound, read, released). */
export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host, port: 0 }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Poll `probe` until it returns a value (not undefined), or fail after `ms`. */
export async function poll<T>(what: string, ms: number, probe: () => Promise<T | undefined>, every = 100): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms${last === undefined ? '' : ` (last error: ${String(last)})`}`);
    await sleep(every);
  }
}

/** Is process `pid` still there? */
export const alive = (pid: number | undefined): boolean => {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** SIGTERM `pid`, then SIGKILL if it is still there after `graceMs`. */
export async function stopPid(pid: number | undefined, graceMs: number): Promise<void> {
  if (pid === undefined || !alive(pid)) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (alive(pid) && Date.now() < deadline) await sleep(50);
  if (alive(pid)) process.kill(pid, 'SIGKILL');
}

/**
 * Spawn `cmd` so that it dies with this process even if this one is killed (util-linux setpriv
 * --pdeathsig; setpriv execs, so the child's pid is the command's). Without setpriv, a plain spawn.
 */
export function spawnTied(cmd: string, args: readonly string[], options: SpawnOptions): ChildProcess {
  return existsSync(SETPRIV) ? spawn(SETPRIV, ['--pdeathsig', 'KILL', cmd, ...args], options) : spawn(cmd, args, options);
}

export class ClusterNodeProcess {
  child: ChildProcess | null = null;
  output = '';

  constructor(
    readonly spec: NodeSpec,
    readonly dataDir: string,
    readonly configFile: string,
  ) {}

  get url(): string {
    return `amqp://guest:guest@${this.spec.host}:${this.spec.amqpPort}`;
  }

  get api(): string {
    return `http://${this.spec.host}:${this.spec.httpPort}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** The managed etcd member's pid, as the broker recorded it. */
  get etcdPid(): number | undefined {
    const file = join(this.dataDir, 'etcd.pid');
    return existsSync(file) ? Number(readFileSync(file, 'utf8').trim()) : undefined;
  }

  start(cwd: string): void {
    this.output = '';
    // The broker dies with this test process (its etcd member follows the broker the same way).
    const child = spawnTied(process.execPath, [CLI, 'server', '--config', this.configFile], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.child = child;
  }

  /** GET a management path on this node (null when it does not answer 200). */
  async get(path: string): Promise<unknown> {
    const res = await fetch(this.api + path, { headers: { authorization: AUTH }, signal: AbortSignal.timeout(2000) });
    if (res.status !== 200) return null;
    return res.json();
  }

  async post(path: string): Promise<Response> {
    return fetch(this.api + path, { method: 'POST', headers: { authorization: AUTH }, signal: AbortSignal.timeout(2000) });
  }

  /** SIGKILL the broker by pid (its etcd member follows it through the parent-death signal). */
  kill9(): void {
    if (this.pid !== undefined && alive(this.pid)) process.kill(this.pid, 'SIGKILL');
  }

  /** Stop the broker (SIGTERM, then SIGKILL after `graceMs`) and make sure its etcd member is gone too. */
  async stop(graceMs = 6000): Promise<void> {
    const etcd = this.etcdPid;
    await stopPid(this.pid, graceMs);
    await sleep(100);
    if (etcd !== undefined && alive(etcd)) process.kill(etcd, 'SIGKILL');
  }

  /** Is the recorded etcd member still running? */
  etcdAlive(): boolean {
    const etcd = this.etcdPid;
    return etcd !== undefined && alive(etcd);
  }

  /** Kill the recorded etcd member by pid (an orphan, if the parent-death signal did not take it). */
  killEtcd(): void {
    const etcd = this.etcdPid;
    if (etcd !== undefined && alive(etcd)) process.kill(etcd, 'SIGKILL');
  }
}

export interface Cluster {
  readonly dir: string;
  readonly nodes: readonly ClusterNodeProcess[];
  readonly leaseTtlMs: number;
  stop(): Promise<void>;
}

/**
 * Write three configs and start the three nodes (cwd: a temp dir; data dirs ./data/nX inside it).
 * `nodeConfig` adds top-level keys to a node's config (its `tls`, say).
 */
export async function startCluster(leaseTtlMs: number, nodeConfig?: (spec: NodeSpec) => Record<string, unknown>): Promise<Cluster> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: npm run build first (npm run test:cluster does)`);
  const dir = await mkdtemp(join(tmpdir(), 'warren-cluster-'));
  const specs: NodeSpec[] = [];
  for (const i of [1, 2, 3]) {
    const host = `127.0.0.1${i}`;
    specs.push({
      id: `n${i}`,
      host,
      amqpPort: await freePort(host),
      httpPort: await freePort(host),
      amqpsPort: await freePort(host),
      httpsPort: await freePort(host),
      replPort: await freePort(host),
      etcdClientPort: await freePort(host),
      etcdPeerPort: await freePort(host),
    });
  }
  const nodes: ClusterNodeProcess[] = [];
  for (const spec of specs) {
    const config = {
      host: spec.host,
      port: spec.amqpPort,
      managementPort: spec.httpPort,
      prometheusPort: await freePort(spec.host),
      dataDir: `./data/${spec.id}`,
      logLevel: 'info',
      cluster: { enabled: true, name: 'ctest', nodeId: spec.id, peers: specs, etcd: { managed: true }, leaseTtlMs },
      ...nodeConfig?.(spec),
    };
    const file = join(dir, `${spec.id}.json`);
    await writeFile(file, JSON.stringify(config, null, 2));
    nodes.push(new ClusterNodeProcess(spec, join(dir, 'data', spec.id), file));
  }
  for (const node of nodes) node.start(dir);
  return {
    dir,
    nodes,
    leaseTtlMs,
    stop: async () => {
      await Promise.all(nodes.map((n) => n.stop()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface ClusterStatus {
  name: string;
  node: string;
  role: string;
  epoch: number | null;
  leader: string | null;
  leader_epoch: number | null;
  isr: { epoch: number; members: string[] } | null;
  nodes: { id: string; role: string; running: boolean; in_sync: boolean }[];
  etcd: { healthy: boolean; member?: { pid: number | null; running: boolean } };
}

/**
 * Every listed node answers GET /api/warren/cluster, exactly one says it is the leader, and all
 * agree on who and on its epoch (`notBelow`: the epoch must be higher than that).
 */
export async function agreedLeader(nodes: readonly ClusterNodeProcess[], notBelow = 0): Promise<{ leader: string; epoch: number } | undefined> {
  const views = (await Promise.all(nodes.map((n) => n.get('/api/warren/cluster').catch(() => null)))) as (ClusterStatus | null)[];
  if (views.some((v) => v === null)) return undefined;
  const all = views as ClusterStatus[];
  const leaders = all.filter((v) => v.role === 'leader');
  if (leaders.length !== 1) return undefined;
  const leader = leaders[0] as ClusterStatus;
  const epoch = leader.epoch;
  if (epoch === null || epoch <= notBelow) return undefined;
  if (!all.every((v) => v.leader === leader.node && v.epoch === epoch && v.role === (v.node === leader.node ? 'leader' : 'follower'))) return undefined;
  return { leader: leader.node, epoch };
}
