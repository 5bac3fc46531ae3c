import type { Server } from 'node:net';

/** Listen on host:port alone (exclusive: no port shared with a sibling process); rejects on a bind error. */
export function listenExclusive(server: Server, host: string, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
