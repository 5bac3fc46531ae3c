import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { RawClient } from './raw-client.js';

/** A RawClient over TLS (`options`: ca, cert, key...); resolves once the TLS handshake is done. */
export function connectRawTls(port: number, options: ConnectionOptions = {}): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ port, host: '127.0.0.1', servername: 'localhost', ...options });
    socket.setNoDelay(true);
    socket.once('error', reject);
    socket.once('secureConnect', () => {
      socket.off('error', reject);
      resolve(new RawClient(socket));
    });
  });
}
