/**
 * A follower's management port: every request is forwarded to the leader's management API,
 * except GET /api/warren/cluster, which this node answers with its own view (its role, what it
 * sees of etcd). That answer still needs the leader's consent: the same request goes to the
 * leader first, so authentication and the `monitor` rule are the leader's, and a refusal is
 * relayed as it is. With no leader known every request is 503. With a TlsContext the port is the
 * follower's HTTPS port: TLS ends here with this node's own certificate, and the request goes on
 * in plain HTTP to the leader's management port on the peer address.
 */
import { listenExclusive } from '../util/listen.js';
import { Agent, createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { TlsContext } from '../server/tls-context.js';
import { logger } from '../util/logger.js';
import type { ProxyTarget } from './tcp-proxy.js';

const log = logger('cluster.http-proxy');
const LOCAL_PATH = '/api/warren/cluster';

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const bytes = Buffer.from(JSON.stringify(body), 'utf8');
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-cache', 'content-length': bytes.length });
  res.end(bytes);
}

export class HttpProxy {
  private server: Server | null = null;
  private target: ProxyTarget | null = null;
  private agent = new Agent({ keepAlive: true });
  private readonly sockets = new Set<Socket>();
  private detach: (() => void) | null = null;

  constructor(private readonly localStatus: () => Record<string, unknown>) {}

  /** Listen on host:port (the node's own address); with `tls`, as HTTPS. */
  async listen(host: string, port: number, tls?: TlsContext): Promise<void> {
    const handler = (req: IncomingMessage, res: ServerResponse): void => this.handle(req, res);
    const https = tls === undefined ? null : createHttpsServer(tls.serverOptions(), handler);
    const server: Server = https ?? createServer(handler);
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    await listenExclusive(server, host, port);
    // Reloads (SIGHUP) reach the listener from now on; one that failed to bind was never attached.
    if (tls !== undefined && https !== null) this.detach = tls.attach(https);
    server.on('error', (err) => log.error('management proxy listener error', err));
    this.server = server;
  }

  /** A new leader (null: none): requests under way to the old one are cut, as are idle client connections. */
  setTarget(target: ProxyTarget | null): void {
    const same = target !== null && this.target !== null && target.host === this.target.host && target.port === this.target.port;
    if (same) return;
    this.target = target;
    this.agent.destroy();
    this.agent = new Agent({ keepAlive: true });
    for (const socket of this.sockets) socket.destroy();
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const target = this.target;
    if (target === null) {
      req.resume();
      sendJson(res, 503, { error: 'service_unavailable', reason: 'no cluster leader is known yet; retry shortly' });
      return;
    }
    const local = req.method === 'GET' && (req.url ?? '').split('?')[0] === LOCAL_PATH;
    const upstream = request(
      { host: target.host, port: target.port, method: req.method, path: req.url, headers: req.headers, agent: this.agent },
      (up) => {
        if (local && up.statusCode === 200) {
          up.resume();
          sendJson(res, 200, this.localStatus());
          return;
        }
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', (err) => {
      if (res.headersSent) res.destroy();
      else sendJson(res, 502, { error: 'bad_gateway', reason: `cluster leader unreachable: ${err.message}` });
    });
    req.on('error', () => upstream.destroy());
    req.pipe(upstream);
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    this.detach?.();
    this.detach = null;
    this.agent.destroy();
    for (const socket of this.sockets) socket.destroy();
    if (server !== null) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
