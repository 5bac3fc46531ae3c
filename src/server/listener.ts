import { createServer, type Server, type Socket } from 'node:net';
import { listenExclusive } from '../util/listen.js';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import type { Broker } from '../broker/broker.js';
import { logger } from '../util/logger.js';
import { Connection } from './connection.js';
import type { ConnectionLimits } from './connection-settings.js';
import { Flow } from './flow.js';
import type { CertLogin, TlsContext } from './tls-context.js';

const log = logger('amqp.listener');

/**
 * The AMQP listeners, plain TCP and TLS (AMQPS): accept sockets and own the set of live
 * connections, whichever listener they came in on.
 */
export class AmqpListener {
  readonly connections = new Set<Connection>();
  private readonly servers: Server[] = [];
  private readonly detach: (() => void)[] = [];
  /** resource alarms: blocks publishing connections while an alarm is raised */
  readonly flow: Flow;

  constructor(
    private readonly broker: Broker,
    private readonly limits: ConnectionLimits,
  ) {
    this.flow = new Flow(broker.alarms);
    // A deleted vhost or user takes its connections with it, as in RabbitMQ (320 CONNECTION_FORCED).
    broker.observeBroker({
      vhostDeleted: (name) => this.closeWhere((c) => c.vhost?.name === name, `vhost '${name}' is deleted`),
      userDeleted: (name) => this.closeWhere((c) => c.user === name, `user '${name}' is deleted`),
      fenced: (reason) => this.closeWhere(() => true, reason),
      handingOver: () => {
        for (const conn of this.connections) for (const ch of conn.channels.values()) ch.cancelForHandOver();
      },
    });
  }

  private closeWhere(match: (c: Connection) => boolean, reason: string): void {
    for (const conn of this.connections) if (match(conn)) conn.close(320, `CONNECTION_FORCED - ${reason}`);
  }

  /** Listen for plain TCP; resolves to the bound port. */
  listen(port: number, host: string | undefined): Promise<number> {
    return this.bind(
      createServer({ noDelay: true }, (socket) => this.accept(socket, null)),
      port,
      host,
    );
  }

  /**
   * Listen for TLS with `context`'s certificate (swapped by context.reload()). A socket is handed
   * to a Connection once its TLS handshake is done and its client certificate, if any, is accepted.
   */
  async listenTls(port: number, host: string | undefined, context: TlsContext): Promise<number> {
    const server = createTlsServer({ ...context.serverOptions(), handshakeTimeout: this.limits.handshakeTimeoutMs }, (socket) =>
      this.acceptTls(socket, context),
    );
    server.on('tlsClientError', (err, socket) => {
      // With failIfNoPeerCert node itself drops a certificate that did not verify ("socket hang
      // up", the address already gone); authorizationError says why.
      const why = socket.authorizationError == null ? err.message : `client certificate refused: ${String(socket.authorizationError)}`;
      log.warn(`TLS handshake with ${socket.remoteAddress ?? 'a client'} failed: ${why}`);
    });
    this.detach.push(context.attach(server));
    return this.bind(server, port, host);
  }

  private async bind(server: Server, port: number, host: string | undefined): Promise<number> {
    this.servers.push(server);
    await listenExclusive(server, host, port);
    server.on('error', (err) => log.error('listener error', err));
    const address = server.address();
    return typeof address === 'object' && address !== null ? address.port : port;
  }

  private acceptTls(socket: TLSSocket, context: TlsContext): void {
    const refusal = context.refusal(socket);
    if (refusal !== undefined) {
      log.warn(`TLS connection from ${socket.remoteAddress ?? 'a client'} refused: ${refusal}`);
      socket.destroy();
      return;
    }
    this.accept(socket, context.certLogin(socket));
  }

  private accept(socket: Socket, certLogin: CertLogin | null): void {
    const conn = new Connection(
      socket,
      this.broker,
      this.limits,
      (c) => {
        this.connections.delete(c);
        this.flow.forget(c);
      },
      this.flow,
      certLogin,
    );
    this.connections.add(conn);
  }

  /** Stop accepting, close every connection with 320 CONNECTION_FORCED, wait for the servers to close. */
  async close(): Promise<void> {
    const servers = this.servers.splice(0);
    for (const detach of this.detach.splice(0)) detach();
    this.flow.stop();
    for (const conn of this.connections) {
      conn.close(320, 'CONNECTION_FORCED - broker shutdown');
      conn.terminate();
    }
    await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  }
}
