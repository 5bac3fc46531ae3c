import type { Server } from 'node:net';

/**
 * Listen on host:port (undefined: all interfaces) alone (exclusive: no port shared with a sibling
 * process); rejects on a bind error. The AMQP, Prometheus, cluster proxy and replication listeners.
 */
export function listenExclusive(server: Server, host: string | undefined, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
