/**
 * The fault run's cluster (CLUSTER.md 7.1, topology A): three etcd members this process runs
 * itself, three brokers (`cluster.etcd.managed=false`), and a fault proxy on every directed link
 * a nemesis cuts:
 *
 * - broker i -> etcd member j (9 relays): broker i's `etcd.endpoints` list its three relays, so
 *   blackholing the three relays of i cuts i off from etcd while its replication links stay up.
 * - follower i -> leader j's replication port (6 relays): in broker i's config file the peer
 *   entry of j has `replPort` = the relay's port (on j's address), its own entry the real port,
 *   so blackholing the relays into j cuts j off from its followers while it still sees etcd.
 *
 * Client traffic (AMQP, HTTP, the followers' client proxies) goes direct. Every process is
 * started with a parent-death signal where util-linux setpriv exists and stopped by its own pid.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alive, ClusterNodeProcess, freePort, poll, spawnTied, stopPid, type NodeSpec } from '../cluster-harness.js';
import { FaultProxy, type FaultMode } from '../fault-proxy.js';

export const ETCD = '/usr/bin/etcd';
export const PREFIX = '/warren/faults';

export interface TopologyOptions {
  leaseTtlMs: number;
  followerAckTimeoutMs: number;
}


/** One etcd member, run by the harness. */
class EtcdMember {
  child: ChildProcess | null = null;

  constructor(
    readonly spec: NodeSpec,
    readonly dataDir: string,
    readonly initialCluster: string,
  ) {}

  get clientUrl(): string {
    return `http://${this.spec.host}:${this.spec.etcdClientPort}`;
  }

  start(): void {
    const peer = `http://${this.spec.host}:${this.spec.etcdPeerPort}`;
    const args = [
      `--name=${this.spec.id}`,
      `--data-dir=${this.dataDir}`,
      `--listen-client-urls=${this.clientUrl}`,
      `--advertise-client-urls=${this.clientUrl}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=${this.initialCluster}`,
      '--initial-cluster-state=new',
      '--initial-cluster-token=warren-faults',
      '--logger=zap',
    ];
    this.child = spawnTied(ETCD, args, { stdio: 'ignore' });
  }

  stop(): Promise<void> {
    return stopPid(this.child?.pid, 5000);
  }
}

/**
 * Free ports, never the same one twice per host: freePort releases the port it found, so a later
 * call (or a relay bound to port 0) can get it again before the broker that was given it binds.
 */
class Ports {
  private readonly taken = new Set<string>();

  async take(host: string): Promise<number> {
    for (;;) {
      const port = await freePort(host);
      if (this.taken.has(`${host}:${port}`)) continue;
      this.taken.add(`${host}:${port}`);
      return port;
    }
  }
}

export class Topology {
  private constructor(
    readonly dir: string,
    readonly options: TopologyOptions,
    readonly nodes: readonly ClusterNodeProcess[],
    readonly etcd: readonly EtcdMember[],
    /** `${from}->${to}`: broker `from` to etcd member `to` */
    readonly etcdLinks: ReadonlyMap<string, FaultProxy>,
    /** `${from}->${to}`: follower `from` to leader `to`'s replication port */
    readonly replLinks: ReadonlyMap<string, FaultProxy>,
  ) {}

  static async start(options: TopologyOptions): Promise<Topology> {
    const dir = await mkdtemp(join(tmpdir(), 'warren-faults-'));
    const ports = new Ports();
    const specs: NodeSpec[] = [];
    for (const i of [1, 2, 3]) {
      const host = `127.0.0.1${i}`;
      const port = (): Promise<number> => ports.take(host);
      specs.push({
        id: `n${i}`,
        host,
        amqpPort: await port(),
        httpPort: await port(),
        amqpsPort: await port(),
        httpsPort: await port(),
        replPort: await port(),
        etcdClientPort: await port(),
        etcdPeerPort: await port(),
      });
    }
    const initialCluster = specs.map((s) => `${s.id}=http://${s.host}:${s.etcdPeerPort}`).join(',');
    const etcd = specs.map((s) => new EtcdMember(s, join(dir, 'etcd', s.id), initialCluster));
    const etcdLinks = new Map<string, FaultProxy>();
    const replLinks = new Map<string, FaultProxy>();
    const nodes: ClusterNodeProcess[] = [];
    for (const self of specs) {
      const endpoints: string[] = [];
      for (const member of specs) {
        const listen = { host: self.host, port: await ports.take(self.host) };
        const relay = await FaultProxy.start({ target: { host: member.host, port: member.etcdClientPort }, listen });
        etcdLinks.set(`${self.id}->${member.id}`, relay);
        endpoints.push(`http://${relay.address}`);
      }
      const peers: NodeSpec[] = [];
      for (const other of specs) {
        if (other === self) {
          peers.push(other);
          continue;
        }
        const listen = { host: other.host, port: await ports.take(other.host) };
        const relay = await FaultProxy.start({ target: { host: other.host, port: other.replPort }, listen });
        replLinks.set(`${self.id}->${other.id}`, relay);
        peers.push({ ...other, replPort: relay.port });
      }
      const dataDir = join(dir, 'data', self.id);
      await mkdir(dataDir, { recursive: true });
      const config = {
        host: self.host,
        port: self.amqpPort,
        managementPort: self.httpPort,
        prometheusPort: await ports.take(self.host),
        dataDir,
        logLevel: 'info',
        cluster: {
          enabled: true,
          name: 'faults',
          nodeId: self.id,
          peers,
          etcd: { managed: false, endpoints, prefix: PREFIX },
          leaseTtlMs: options.leaseTtlMs,
          followerAckTimeoutMs: options.followerAckTimeoutMs,
          confirmLog: confirmLogFile(dir, self.id),
        },
      };
      const file = join(dir, `${self.id}.json`);
      await writeFile(file, JSON.stringify(config, null, 2));
      nodes.push(new ClusterNodeProcess(self, dataDir, file));
    }
    const topology = new Topology(dir, options, nodes, etcd, etcdLinks, replLinks);
    try {
      for (const member of etcd) member.start();
      await poll('etcd healthy', 30_000, async () => {
        const health = await Promise.all(etcd.map((m) => fetch(`${m.clientUrl}/health`, { signal: AbortSignal.timeout(1000) }).then((r) => r.json() as Promise<{ health?: string }>)));
        return health.every((h) => h.health === 'true') ? true : undefined;
      }, 200);
      for (const node of nodes) node.start(dir);
    } catch (err) {
      await topology.stop();
      throw err;
    }
    return topology;
  }

  get etcdEndpoints(): string[] {
    return this.etcd.map((m) => m.clientUrl);
  }

  node(id: string): ClusterNodeProcess {
    const node = this.nodes.find((n) => n.spec.id === id);
    if (node === undefined) throw new Error(`no node ${id}`);
    return node;
  }

  /** Set every relay from `id` to etcd (cut: blackhole; heal: pass). */
  setEtcdLinks(id: string, mode: FaultMode): void {
    for (const [link, relay] of this.etcdLinks) if (link.startsWith(`${id}->`)) relay.setMode(mode);
  }

  /** Set every follower's replication relay into `id`. */
  setReplLinksInto(id: string, mode: FaultMode): void {
    for (const [link, relay] of this.replLinks) if (link.endsWith(`->${id}`)) relay.setMode(mode);
  }

  confirmLogFile(id: string): string {
    return confirmLogFile(this.dir, id);
  }

  /** Stop the brokers, the relays and etcd, each by its own handle, then remove the temp dir. */
  async stop(): Promise<void> {
    for (const node of this.nodes) if (alive(node.pid)) sendCont(node.pid as number);
    await Promise.all(this.nodes.map((n) => n.stop()));
    await Promise.all([...this.etcdLinks.values(), ...this.replLinks.values()].map((r) => r.close()));
    await Promise.all(this.etcd.map((m) => m.stop()));
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** A broker left SIGSTOPped by a failed run would ignore SIGTERM until the grace ran out. */
function sendCont(pid: number): void {
  try {
    process.kill(pid, 'SIGCONT');
  } catch {
    // gone already
  }
}

/** The file a node's leader appends its confirms to (cluster.confirmLog). */
const confirmLogFile = (dir: string, id: string): string => join(dir, `confirms-${id}.log`);
