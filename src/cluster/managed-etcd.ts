/**
 * A managed etcd member (cluster.etcd.managed = true, CLUSTER.md 6.1/6.8): this broker spawns its
 * own member with flags derived from the peer list, restarts it when it dies, and on shutdown
 * stops that one child by its pid, never anything by name. Where util-linux `setpriv` exists the
 * member is started with a parent-death signal, so a broker killed with SIGKILL does not leave an
 * orphan etcd holding the ports. The member's pid is kept in `<dataDir>/etcd.pid` for operators
 * and tests, its output in `<dataDir>/etcd.log`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, closeSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { logger } from '../util/logger.js';
import type { ResolvedCluster } from './cluster-config.js';

const log = logger('cluster.etcd');
const SETPRIV = '/usr/bin/setpriv';
const STOP_GRACE_MS = 5000;
const RESTART_MIN_MS = 500;
const RESTART_MAX_MS = 10_000;

/** etcd's command-line flags for this node's member. */
export function etcdArgs(c: ResolvedCluster): string[] {
  const { self } = c;
  const client = `http://${self.host}:${self.etcdClientPort}`;
  const peer = `http://${self.host}:${self.etcdPeerPort}`;
  return [
    `--name=${c.nodeId}`,
    `--data-dir=${c.etcd.dataDir}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=${c.peers.map((p) => `${p.id}=http://${p.host}:${p.etcdPeerPort}`).join(',')}`,
    '--initial-cluster-state=new',
    `--initial-cluster-token=warren-${c.name}`,
    '--logger=zap',
    '--log-outputs=stderr',
  ];
}

export class ManagedEtcd {
  private child: ChildProcess | null = null;
  private stopping = false;
  private restartDelay = RESTART_MIN_MS;
  private restartTimer: NodeJS.Timeout | null = null;
  private startedAt = 0;
  /** how many times the member was started */
  starts = 0;

  constructor(
    private readonly cluster: ResolvedCluster,
    /** the node's data dir: etcd.pid and etcd.log go here */
    private readonly dataDir: string,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  start(): void {
    if (this.stopping) return;
    const binary = this.cluster.etcd.binary;
    const args = etcdArgs(this.cluster);
    const [cmd, argv] = existsSync(SETPRIV) ? [SETPRIV, ['--pdeathsig', 'KILL', binary, ...args]] : [binary, args];
    const out = openSync(join(this.dataDir, 'etcd.log'), 'a');
    let child: ChildProcess;
    try {
      child = spawn(cmd, argv, { stdio: ['ignore', out, out] });
    } finally {
      closeSync(out);
    }
    this.child = child;
    this.starts++;
    this.startedAt = Date.now();
    child.once('error', (err) => log.error(`cannot start ${binary}`, err));
    child.once('exit', (code, signal) => this.exited(child, code, signal));
    if (child.pid !== undefined) {
      writeFileSync(join(this.dataDir, 'etcd.pid'), `${child.pid}\n`);
      log.info(`etcd member ${this.cluster.nodeId} started (pid ${child.pid}, client http://${this.cluster.self.host}:${this.cluster.self.etcdClientPort})`);
    }
  }

  private exited(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child !== child) return;
    this.child = null;
    if (this.stopping) return;
    // Supervise: restart, backing off while it keeps dying young.
    this.restartDelay = Date.now() - this.startedAt > 30_000 ? RESTART_MIN_MS : Math.min(this.restartDelay * 2, RESTART_MAX_MS);
    log.error(`etcd member exited (${signal ?? `code ${String(code)}`}); restarting in ${this.restartDelay} ms (see etcd.log)`);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      this.start();
    }, this.restartDelay);
  }

  /** Stop our child only, by its pid: SIGTERM, then SIGKILL after a grace period. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer !== null) clearTimeout(this.restartTimer);
    const child = this.child;
    if (child === null || !this.running) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
    rmSync(join(this.dataDir, 'etcd.pid'), { force: true });
    log.info(`etcd member ${this.cluster.nodeId} stopped`);
  }
}
