/**
 * The management HTTP API server (RabbitMQ's rabbitmq_management, port 15672): fastify with
 * Warren's body parser, error mapping and resources. Plain HTTP, or HTTPS when given node's
 * https.ServerOptions (a TLS secure context, e.g. the one the AMQPS listener builds).
 */
import { defaultNodeName } from '../util/node-name.js';
import { installDurableReplies } from './durable-replies.js';
import type { ServerOptions as HttpsOptions } from 'node:https';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Broker } from '../broker/broker.js';
import { logger } from '../util/logger.js';
import { bindingsResources } from './controllers/bindings.js';
import { clusterResources, type ClusterInfo } from './controllers/cluster.js';
import { channelsResources } from './controllers/channels.js';
import { connectionsResources } from './controllers/connections.js';
import { definitionsResources } from './controllers/definitions.js';
import { exchangesResources } from './controllers/exchanges.js';
import { healthResources } from './controllers/health.js';
import { nodesResources } from './controllers/nodes.js';
import { limitsResources } from './controllers/limits.js';
import { overviewResources } from './controllers/overview.js';
import { parametersResources } from './controllers/parameters.js';
import { policiesResources } from './controllers/policies.js';
import { permissionsResources } from './controllers/permissions.js';
import { queuesResources } from './controllers/queues.js';
import { topicPermissionsResources } from './controllers/topic-permissions.js';
import { tracesResources } from './controllers/traces.js';
import { usersResources } from './controllers/users.js';
import { vhostsResources } from './controllers/vhosts.js';
import { certificateExpirationResource } from './controllers/certificate-expiration.js';
import { warrenResources } from './controllers/warren.js';
import { objectNotFound, toHttpError } from './errors.js';
import { registerUi } from './ui-static.js';
import { lazyValidatorCompiler } from './validation.js';
import { installBodyParser, registerResource, sendJson, type ApiContext, type ListenerInfo, type Resource } from './router.js';

const log = logger('http.server');

/** RabbitMQ's default limit on a request body (management.http.max_body_size, 20 MiB): definitions can be large. */
const MAX_BODY = 20 * 1024 * 1024;

/** Every resource of the API; a new controller adds its list here. */
export const RESOURCES: readonly Resource[] = [
  ...overviewResources,
  ...vhostsResources,
  ...usersResources,
  ...permissionsResources,
  ...topicPermissionsResources,
  ...limitsResources,
  ...definitionsResources,
  ...exchangesResources,
  ...queuesResources,
  ...bindingsResources,
  ...connectionsResources,
  ...channelsResources,
  ...nodesResources,
  ...healthResources,
  certificateExpirationResource,
  ...policiesResources,
  ...parametersResources,
  ...tracesResources,
  ...warrenResources,
  ...clusterResources,
];

export interface ManagementListenOptions {
  port: number;
  /** interface to bind; default all */
  host?: string | undefined;
  /** serve HTTPS with these options (key/cert or a secureContext) instead of HTTP */
  https?: HttpsOptions | undefined;
  /** with https: the certificate and CA files it was made from, shown to the certificate-expiration check */
  tlsFiles?: { certfile: string; cacertfile?: string | undefined } | undefined;
}

export interface ManagementServerOptions {
  /** node name shown in /api/overview; default `warren@<short hostname>` */
  nodeName?: string;
  /** the node's other listeners (AMQP), for /api/overview */
  listeners?: () => readonly ListenerInfo[];
  /** directory of the built web UI served at `/`; default the package's dist/ui (ui-static.ts) */
  uiDir?: string;
  /** the cluster this node belongs to, when clustered */
  cluster?: ClusterInfo | undefined;
}

export class ManagementServer {
  private app: FastifyInstance | null = null;
  private bound: { port: number; ipAddress: string; tls: boolean; files: ManagementListenOptions['tlsFiles'] } | null = null;
  private readonly ctx: ApiContext;
  private readonly uiDir: string | undefined;

  constructor(
    readonly broker: Broker,
    options: ManagementServerOptions = {},
  ) {
    this.uiDir = options.uiDir;
    const others = options.listeners ?? (() => []);
    this.ctx = {
      broker,
      cluster: options.cluster,
      node: {
        name: options.nodeName ?? defaultNodeName(),
        listeners: () => {
          const b = this.bound;
          const http = b === null ? [] : [{ protocol: b.tls ? 'https' : 'http', port: b.port, ipAddress: b.ipAddress, ...b.files }];
          return [...others(), ...http];
        },
      },
    };
  }

  /** Listen; resolves with the bound port (useful with port 0). */
  async listen(options: ManagementListenOptions): Promise<number> {
    const app = (options.https === undefined
      ? Fastify({ bodyLimit: MAX_BODY })
      : Fastify({ bodyLimit: MAX_BODY, https: options.https })) as unknown as FastifyInstance;
    app.setValidatorCompiler(lazyValidatorCompiler);
    installBodyParser(app);
    app.setErrorHandler((err, _req, reply) => {
      const e = toHttpError(err);
      if (e.status >= 500) log.error('management API request failed', err);
      reply.headers(e.headers);
      const body = e.body;
      return body === undefined ? reply.code(e.status).send() : sendJson(reply, e.status, body);
    });
    app.setNotFoundHandler((_req, reply) => sendJson(reply, 404, objectNotFound().body));
    installDurableReplies(app, this.ctx.broker.persistence?.durability ?? null);
    for (const r of RESOURCES) registerResource(app, this.ctx, r);
    registerUi(app, this.uiDir);
    try {
      await listenOn(app, options.port, options.host);
    } catch (err) {
      await app.close();
      throw err;
    }
    this.app = app;
    const address = app.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : options.port;
    this.bound = { port, ipAddress: options.host ?? '::', tls: options.https !== undefined, files: options.tlsFiles };
    log.info(`management API listening on port ${port}${options.https === undefined ? '' : ' (HTTPS)'}`);
    return port;
  }

  /** The node server while listening (an https.Server when serving HTTPS), else null. */
  get server(): import('node:tls').Server | null {
    return (this.app?.server as import('node:tls').Server | undefined) ?? null;
  }

  async close(): Promise<void> {
    const app = this.app;
    this.app = null;
    this.bound = null;
    if (app !== null) await app.close();
  }
}

/** Bind `host`, or all interfaces: IPv6 and IPv4 where the host has IPv6, else IPv4. */
async function listenOn(app: FastifyInstance, port: number, host: string | undefined): Promise<void> {
  if (host !== undefined) {
    await app.listen({ port, host });
    return;
  }
  try {
    await app.listen({ port, host: '::' });
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code !== 'EAFNOSUPPORT' && code !== 'EADDRNOTAVAIL') throw err;
    await app.listen({ port, host: '0.0.0.0' });
  }
}
