/**
 * A follower's AMQP port (CLUSTER.md 6.1): each client TCP connection is piped to the leader's
 * AMQP port, so a client may connect to any node. The pipe is bytes only; the leader runs the
 * whole AMQP session. When the leader changes every piped connection is closed (the client
 * reconnects and lands on the new leader); a client that arrives while no leader is known waits,
 * paused, up to `waitMs` for one.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { logger } from '../util/logger.js';

const log = logger('cluster.proxy');

export interface ProxyTarget {
  readonly host: string;
  readonly port: number;
}

export class TcpProxy {
  private server: Server | null = null;
  private target: ProxyTarget | null = null;
  /** every client socket we hold: piped or waiting */
  private readonly clients = new Set<Socket>();
  private readonly waiting = new Map<Socket, NodeJS.Timeout>();

  constructor(
    private readonly name: string,
    private readonly waitMs: number,
  ) {}

  get connections(): number {
    return this.clients.size;
  }

  /** Listen on host:port (the node's own address). */
  async listen(host: string, port: number): Promise<void> {
    const server = createServer({ noDelay: true, pauseOnConnect: true }, (socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port, exclusive: true }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => log.error(`${this.name} proxy listener error`, err));
    this.server = server;
  }

  /** Point at a new leader (null: none known). Connections piped to another leader are closed. */
  setTarget(target: ProxyTarget | null): void {
    const same = target !== null && this.target !== null && target.host === this.target.host && target.port === this.target.port;
    if (same) return;
    this.target = target;
    for (const socket of this.clients) if (!this.waiting.has(socket)) socket.destroy();
    if (target !== null) for (const socket of [...this.waiting.keys()]) this.pipe(socket, target);
  }

  private accept(socket: Socket): void {
    this.clients.add(socket);
    socket.once('close', () => {
      this.clients.delete(socket);
      const timer = this.waiting.get(socket);
      if (timer !== undefined) clearTimeout(timer);
      this.waiting.delete(socket);
    });
    socket.on('error', () => socket.destroy());
    if (this.target !== null) {
      this.pipe(socket, this.target);
      return;
    }
    this.waiting.set(
      socket,
      setTimeout(() => socket.destroy(), this.waitMs),
    );
  }

  private pipe(socket: Socket, target: ProxyTarget): void {
    const timer = this.waiting.get(socket);
    if (timer !== undefined) clearTimeout(timer);
    this.waiting.delete(socket);
    const upstream = connect({ host: target.host, port: target.port, noDelay: true });
    upstream.on('error', (err) => {
      log.debug(`${this.name} proxy to ${target.host}:${target.port} failed: ${err.message}`);
      upstream.destroy();
      socket.destroy();
    });
    upstream.once('close', () => socket.destroy());
    socket.once('close', () => upstream.destroy());
    socket.pipe(upstream);
    upstream.pipe(socket);
    socket.resume();
  }

  /** Stop listening and close every connection. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const socket of this.clients) socket.destroy();
    if (server !== null) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
