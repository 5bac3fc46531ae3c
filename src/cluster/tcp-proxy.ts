/**
 * A follower's AMQP port (CLUSTER.md 6.1): each client TCP connection is piped to the leader's
 * AMQP port, so a client may connect to any node. The pipe is bytes only; the leader runs the
 * whole AMQP session. With a TlsContext the port is the follower's AMQPS port: TLS ends here,
 * with this node's own certificate and peer verification (as RabbitMQ, where every node serves
 * its own), and the plaintext goes to the leader's plain AMQP port on the peer address. When the leader changes every piped connection is closed (the client
 * reconnects and lands on the new leader); a client that arrives while no leader is known, or
 * while the new leader's port does not answer yet, waits, paused, up to `waitMs`.
 */
import { listenExclusive } from '../util/listen.js';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer, type TLSSocket } from 'node:tls';
import type { TlsContext } from '../server/tls-context.js';
import { logger } from '../util/logger.js';

const log = logger('cluster.proxy');
const RETRY_MS = 100;
/** as the broker's own AMQPS listener: a client that has not finished its TLS handshake by then is dropped */
const HANDSHAKE_MS = 10_000;

export interface ProxyTarget {
  readonly host: string;
  readonly port: number;
}

export class TcpProxy {
  private server: Server | null = null;
  private target: ProxyTarget | null = null;
  /** every client socket we hold: piped or waiting */
  private readonly clients = new Set<Socket>();
  /** clients not yet piped, with the timer that gives up on them */
  private readonly waiting = new Map<Socket, NodeJS.Timeout>();
  /** the upstream connection being attempted for a waiting client */
  private readonly attempts = new Map<Socket, Socket>();
  /** detaches the listener from its TlsContext's reloads */
  private detach: (() => void) | null = null;

  constructor(
    private readonly name: string,
    private readonly waitMs: number,
  ) {}

  get connections(): number {
    return this.clients.size;
  }

  /** Listen on host:port (the node's own address); with `tls`, clients speak TLS to this node. */
  async listen(host: string, port: number, tls?: TlsContext): Promise<void> {
    const secure = tls === undefined ? null : this.tlsServer(tls);
    const server = secure ?? createServer({ noDelay: true, pauseOnConnect: true }, (socket) => this.accept(socket));
    await listenExclusive(server, host, port);
    // Reloads (SIGHUP) reach the listener from now on; one that failed to bind was never attached.
    if (tls !== undefined && secure !== null) this.detach = tls.attach(secure);
    server.on('error', (err) => log.error(`${this.name} proxy listener error`, err));
    this.server = server;
  }

  /** A TLS listener: a client is taken once its handshake is done and its certificate, if any, accepted. */
  private tlsServer(tls: TlsContext): TlsServer {
    const server = createTlsServer({ ...tls.serverOptions(), handshakeTimeout: HANDSHAKE_MS }, (socket: TLSSocket) => {
      const refusal = tls.refusal(socket);
      if (refusal !== undefined) {
        log.warn(`${this.name} connection from ${socket.remoteAddress ?? 'a client'} refused: ${refusal}`);
        socket.destroy();
        return;
      }
      socket.setNoDelay(true);
      // Not flowing until piped: what the client sends while it waits for a leader stays buffered.
      this.accept(socket);
    });
    server.on('tlsClientError', (err, socket) => {
      const why = socket.authorizationError == null ? err.message : `client certificate refused: ${String(socket.authorizationError)}`;
      log.warn(`${this.name} TLS handshake with ${socket.remoteAddress ?? 'a client'} failed: ${why}`);
    });
    return server;
  }

  /** Point at a new leader (null: none known). Connections piped to another leader are closed. */
  setTarget(target: ProxyTarget | null): void {
    const same = target !== null && this.target !== null && target.host === this.target.host && target.port === this.target.port;
    if (same) return;
    this.target = target;
    for (const socket of this.clients) if (!this.waiting.has(socket)) socket.destroy();
    for (const socket of [...this.waiting.keys()]) {
      if (target !== null) this.connect(socket, target);
      else {
        this.attempts.get(socket)?.destroy();
        this.attempts.delete(socket);
      }
    }
  }

  private accept(socket: Socket): void {
    this.clients.add(socket);
    socket.once('close', () => {
      this.clients.delete(socket);
      this.unwait(socket);
    });
    socket.on('error', () => socket.destroy());
    // Waits (paused) until a leader is known and its port answers, at most waitMs in all.
    this.waiting.set(
      socket,
      setTimeout(() => socket.destroy(), this.waitMs),
    );
    if (this.target !== null) this.connect(socket, this.target);
  }

  private unwait(socket: Socket): void {
    const timer = this.waiting.get(socket);
    if (timer !== undefined) clearTimeout(timer);
    this.waiting.delete(socket);
    this.attempts.get(socket)?.destroy();
    this.attempts.delete(socket);
  }

  /**
   * Connect a waiting client to `target`. A refused connection is retried every RETRY_MS while
   * the client waits: a leader just elected opens its ports a moment after winning.
   */
  private connect(socket: Socket, target: ProxyTarget): void {
    this.attempts.get(socket)?.destroy();
    const upstream = connect({ host: target.host, port: target.port, noDelay: true });
    this.attempts.set(socket, upstream);
    const retry = (err: Error): void => {
      log.debug(`${this.name} proxy to ${target.host}:${target.port}: ${err.message}`);
      upstream.destroy();
      if (this.attempts.get(socket) !== upstream) return;
      this.attempts.delete(socket);
      setTimeout(() => {
        const now = this.target;
        if (this.waiting.has(socket) && !this.attempts.has(socket) && now !== null) this.connect(socket, now);
      }, RETRY_MS);
    };
    upstream.once('error', retry);
    upstream.once('connect', () => {
      upstream.off('error', retry);
      this.attempts.delete(socket);
      const timer = this.waiting.get(socket);
      if (timer !== undefined) clearTimeout(timer);
      this.waiting.delete(socket);
      upstream.on('error', () => upstream.destroy());
      upstream.once('close', () => socket.destroy());
      socket.once('close', () => upstream.destroy());
      socket.pipe(upstream);
      upstream.pipe(socket);
      socket.resume();
    });
  }

  /** Stop listening and close every connection. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    this.detach?.();
    this.detach = null;
    for (const socket of this.clients) socket.destroy();
    if (server !== null) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
