/**
 * A follower's face (CLUSTER.md 6.1): its AMQP port piped to the leader's (tcp-proxy.ts), its
 * management port forwarded to the leader's API (http-proxy.ts), both on the node's own address.
 * Open while the node does not lead; closed, freeing the ports, while its broker runs.
 *
 * With `tls` the follower also opens its AMQPS and HTTPS ports (the peer entry's amqpsPort and
 * httpsPort, the ports its broker uses while it leads). TLS ends on the follower, with its own
 * certificate and peer verification, as every RabbitMQ node serves its own; the plaintext goes to
 * the leader's plain AMQP and management ports on the peer address. So a client checks the name
 * of the node it dialled, and the nodes need no shared certificate. The leader sees a plain
 * connection from the follower: SASL EXTERNAL (certificate login) works only on the leader itself.
 */
import { TlsContext, type TlsSettings } from '../server/tls-context.js';
import type { ResolvedPeer } from './cluster-config.js';
import { HttpProxy } from './http-proxy.js';
import { TcpProxy } from './tcp-proxy.js';

export class FollowerProxies {
  private readonly amqp: TcpProxy;
  private readonly amqps: TcpProxy | null;
  private readonly http: HttpProxy | null;
  private readonly https: HttpProxy | null;
  /** the key material of the TLS ports: read afresh at every open, reloaded by reloadTls */
  private tlsContext: TlsContext | null = null;
  private up = false;
  private opening: Promise<void> | null = null;
  /** the leader the proxies point at */
  private leader: string | null = null;

  constructor(
    private readonly self: ResolvedPeer,
    /** how long a client that arrives with no leader known waits for one */
    waitMs: number,
    /** this node's answer to GET /api/warren/cluster; null: no management port */
    localStatus: (() => Record<string, unknown>) | null,
    /** the node's `tls` (certificate, key, CA, peer verification); undefined: no TLS ports */
    private readonly tls?: TlsSettings,
  ) {
    this.amqp = new TcpProxy('AMQP', waitMs);
    this.amqps = tls === undefined ? null : new TcpProxy('AMQPS', waitMs);
    this.http = localStatus === null ? null : new HttpProxy(localStatus);
    this.https = localStatus === null || tls === undefined ? null : new HttpProxy(localStatus);
  }

  get listening(): boolean {
    return this.up;
  }

  /**
   * Open every port. Concurrent calls (a step-down and the control loop) share one attempt: a
   * second listen would fail with EADDRINUSE and its clean-up close the first one's ports.
   */
  open(): Promise<void> {
    if (this.up) return Promise.resolve();
    this.opening ??= this.openAll().finally(() => (this.opening = null));
    return this.opening;
  }

  private async openAll(): Promise<void> {
    const { host, amqpPort, httpPort, amqpsPort, httpsPort } = this.self;
    // Read the files now: a certificate replaced while this node led is the one served.
    const tls = this.tls === undefined ? null : await TlsContext.load(this.tls);
    this.tlsContext = tls;
    try {
      await this.amqp.listen(host, amqpPort);
      if (tls !== null) await this.amqps?.listen(host, amqpsPort, tls);
      await this.http?.listen(host, httpPort);
      if (tls !== null) await this.https?.listen(host, httpsPort, tls);
    } catch (err) {
      await this.closeAll();
      throw err;
    }
    this.up = true;
  }

  /** Point at `leader` (null: none known); connections to a previous leader are closed. False if unchanged. */
  follow(leader: ResolvedPeer | null): boolean {
    const id = leader?.id ?? null;
    if (id === this.leader) return false;
    this.leader = id;
    const amqp = leader === null ? null : { host: leader.host, port: leader.amqpPort };
    const http = leader === null ? null : { host: leader.host, port: leader.httpPort };
    this.amqp.setTarget(amqp);
    this.amqps?.setTarget(amqp);
    this.http?.setTarget(http);
    this.https?.setTarget(http);
    return true;
  }

  /** Re-read the certificate, key and CA of the TLS ports (SIGHUP); false without TLS, or while closed. */
  reloadTls(): Promise<boolean> {
    return this.up && this.tlsContext !== null ? this.tlsContext.reload() : Promise.resolve(false);
  }

  async close(): Promise<void> {
    await this.opening?.catch(() => undefined);
    this.up = false;
    this.leader = null;
    await this.closeAll();
  }

  private async closeAll(): Promise<void> {
    await this.amqp.close();
    await this.amqps?.close();
    await this.http?.close();
    await this.https?.close();
  }
}
