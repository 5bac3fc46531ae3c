import { createServer, type Server, type Socket } from 'node:net';
import type { Broker } from '../broker/broker.js';
import { logger } from '../util/logger.js';
import { Connection, type ConnectionLimits } from './connection.js';
import { Flow } from './flow.js';

const log = logger('amqp.listener');

/** The AMQP TCP listener: accepts sockets and owns the set of live connections. */
export class AmqpListener {
  readonly connections = new Set<Connection>();
  private server: Server | null = null;
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
    });
  }

  private closeWhere(match: (c: Connection) => boolean, reason: string): void {
    for (const conn of this.connections) if (match(conn)) conn.close(320, `CONNECTION_FORCED - ${reason}`);
  }

  async listen(port: number, host: string | undefined): Promise<number> {
    const server = createServer({ noDelay: true }, (socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port, host, exclusive: true }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => log.error('listener error', err));
    const address = server.address();
    return typeof address === 'object' && address !== null ? address.port : port;
  }

  private accept(socket: Socket): void {
    const conn = new Connection(
      socket,
      this.broker,
      this.limits,
      (c) => {
        this.connections.delete(c);
        this.flow.forget(c);
      },
      this.flow,
    );
    this.connections.add(conn);
  }

  /** Stop accepting, close every connection with 320 CONNECTION_FORCED, wait for the server to close. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    this.flow.stop();
    for (const conn of this.connections) {
      conn.close(320, 'CONNECTION_FORCED - broker shutdown');
      conn.terminate();
    }
    if (server === null) return;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
