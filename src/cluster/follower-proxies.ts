/**
 * A follower's face (CLUSTER.md 6.1): its AMQP port piped to the leader's (tcp-proxy.ts), its
 * management port forwarded to the leader's API (http-proxy.ts), both on the node's own address.
 * Open while the node does not lead; closed, freeing the ports, while its broker runs.
 */
import type { ResolvedPeer } from './cluster-config.js';
import { HttpProxy } from './http-proxy.js';
import { TcpProxy } from './tcp-proxy.js';

export class FollowerProxies {
  private readonly amqp: TcpProxy;
  private readonly http: HttpProxy | null;
  private up = false;
  /** the leader the proxies point at */
  private leader: string | null = null;

  constructor(
    private readonly self: ResolvedPeer,
    /** how long a client that arrives with no leader known waits for one */
    waitMs: number,
    /** this node's answer to GET /api/warren/cluster; null: no management port */
    localStatus: (() => Record<string, unknown>) | null,
  ) {
    this.amqp = new TcpProxy('AMQP', waitMs);
    this.http = localStatus === null ? null : new HttpProxy(localStatus);
  }

  get listening(): boolean {
    return this.up;
  }

  async open(): Promise<void> {
    if (this.up) return;
    const { host, amqpPort, httpPort } = this.self;
    await this.amqp.listen(host, amqpPort);
    try {
      await this.http?.listen(host, httpPort);
    } catch (err) {
      await this.amqp.close();
      throw err;
    }
    this.up = true;
  }

  /** Point at `leader` (null: none known); connections to a previous leader are closed. False if unchanged. */
  follow(leader: ResolvedPeer | null): boolean {
    const id = leader?.id ?? null;
    if (id === this.leader) return false;
    this.leader = id;
    this.amqp.setTarget(leader === null ? null : { host: leader.host, port: leader.amqpPort });
    this.http?.setTarget(leader === null ? null : { host: leader.host, port: leader.httpPort });
    return true;
  }

  async close(): Promise<void> {
    this.up = false;
    this.leader = null;
    await this.amqp.close();
    await this.http?.close();
  }
}
