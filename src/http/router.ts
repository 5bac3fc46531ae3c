/**
 * Resources of the management API, registered with fastify the way RabbitMQ's cowboy_rest
 * handlers behave: a method the resource lacks is 405 with an Allow header, before any
 * authentication; OPTIONS answers the Allow header; then basic auth and the resource's rule
 * (auth.ts); then GET/DELETE of a missing resource is 404, PUT answers 201 when it created the
 * resource and 204 when it updated it, DELETE and POST answer 204. Bodies are JSON whatever the
 * Content-Type (RabbitMQ accepts any), checked against the resource's JSON schema by fastify.
 *
 * A controller is a list of Resources; its handlers are plain functions of the request and the
 * context, with no fastify in sight.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import type { Broker } from '../broker/broker.js';
import type { User } from '../broker/auth/users.js';
import { authenticate, type AuthRule } from './auth.js';
import { badRequest, objectNotFound } from './errors.js';
import { applyListQuery, type ListSpec } from './list-query.js';
import type { ClusterInfo } from './controllers/cluster.js';
import { applyLazyList, LazyList } from './lazy-list.js';

export type Method = 'GET' | 'PUT' | 'POST' | 'DELETE';

/** A listener of this node, as /api/overview shows it. */
export interface ListenerInfo {
  readonly protocol: string;
  readonly port: number;
  readonly ipAddress: string;
  /** a TLS listener's certificate and CA PEM files (the certificate-expiration health check reads them) */
  readonly certfile?: string | undefined;
  readonly cacertfile?: string | undefined;
}

/** What the node tells the API about itself beyond the broker core. */
export interface NodeInfo {
  /** Erlang-style node name, `warren@host` */
  readonly name: string;
  listeners(): readonly ListenerInfo[];
}

export interface ApiContext {
  readonly broker: Broker;
  readonly node: NodeInfo;
  /** set when the node runs clustered (controllers/cluster.ts) */
  readonly cluster?: ClusterInfo | undefined;
}

export interface ApiRequest {
  readonly method: Method;
  /** path parameters, percent-decoded (`%2F` is `/`) */
  readonly params: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string | undefined>>;
  /** the JSON body; `{}` when there is none */
  readonly body: unknown;
  /** the authenticated user */
  readonly user: User;
  /** request headers, lower-case names */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/** A path parameter ('' when the path has none of that name). */
export const param = (req: ApiRequest, name: string): string => req.params[name] ?? '';

export type Handler<T> = (req: ApiRequest, ctx: ApiContext) => T;

/** A reply other than its method's default (another status, extra headers); a GET may return one too. */
export class Reply {
  constructor(
    readonly status: number,
    readonly body?: unknown,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {}
}

export interface BodyMethod<R> {
  /** JSON schema of the body (fastify validates it; missing keys give RabbitMQ's key_missing text) */
  readonly schema?: object;
  /** reason of a body that is not JSON (RabbitMQ: not_json; definitions: failed_to_parse_json) */
  readonly notJson?: string;
  readonly handle: Handler<R>;
}

export interface Resource {
  /** fastify path, `/api/permissions/:vhost/:user` */
  readonly path: string;
  /** RabbitMQ's is_authorized_* rule, for all methods or per method */
  readonly auth: AuthRule | { readonly [M in Method]?: AuthRule };
  /** resource_exists: false makes GET and DELETE 404 and PUT a creation (201) */
  readonly exists?: Handler<boolean>;
  readonly get?: Handler<unknown>;
  /** the GET answers a list: sort, columns and, if the spec says so, pagination apply (list-query.ts) */
  readonly list?: ListSpec;
  readonly put?: BodyMethod<void>;
  readonly post?: BodyMethod<Reply | undefined | Promise<Reply | undefined>>;
  readonly delete?: Handler<void>;
}

interface RouteConfig {
  notJson?: string;
}

const users = new WeakMap<FastifyRequest, User>();
const OTHER_METHODS: HTTPMethods[] = ['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'PATCH'];

/** RabbitMQ's decoding of a request body (rabbit_mgmt_util:decode): empty, null and atoms are `{}`. */
export function decodeBody(text: string, notJson = 'not_json'): Record<string, unknown> {
  if (text === '' || text === 'null' || text === 'undefined') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw badRequest(notJson, err);
  }
  if (typeof value === 'boolean' || value === null) return {};
  if (typeof value === 'string') {
    throw badRequest('invalid payload: the request body JSON-decoded to a string. Is the input doubly-JSON-encoded?');
  }
  if (typeof value !== 'object' || Array.isArray(value)) throw badRequest(notJson);
  return value as Record<string, unknown>;
}

/** Every request body is parsed as JSON, whatever its Content-Type. */
export function installBodyParser(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (req, text, done) => {
    try {
      done(null, decodeBody(text as string, (req.routeOptions.config as RouteConfig).notJson));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
}

/** JSON as bytes: `Content-Type: application/json` exactly as RabbitMQ sends it (fastify adds a charset to strings). */
export const jsonBytes = (body: unknown): Buffer => Buffer.from(JSON.stringify(body), 'utf8');

export function sendJson(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).header('cache-control', 'no-cache').header('content-type', 'application/json').send(jsonBytes(body));
}

/** Register one resource: its methods, OPTIONS, and 405 for the rest. */
export function registerResource(app: FastifyInstance, ctx: ApiContext, r: Resource): void {
  const implemented = (['GET', 'PUT', 'POST', 'DELETE'] as const).filter((m) => r[methodKey(m)] !== undefined);
  const allow = [...(implemented.includes('GET') ? ['HEAD'] : []), ...implemented, 'OPTIONS'].join(', ');
  for (const method of implemented) {
    const rule = typeof r.auth === 'string' ? r.auth : r.auth[method];
    if (rule === undefined) throw new Error(`${method} ${r.path}: no auth rule`);
    const body = method === 'PUT' ? r.put : method === 'POST' ? r.post : undefined;
    const config: RouteConfig = body?.notJson !== undefined ? { notJson: body.notJson } : {};
    app.route({
      method,
      url: r.path,
      config,
      ...(body?.schema !== undefined ? { schema: { body: body.schema } } : {}),
      onRequest: (req, _reply, done) => {
        const params = req.params as Record<string, string>;
        users.set(req, authenticate(ctx.broker, req.headers.authorization, req.socket.remoteAddress, rule, params['vhost']));
        done();
      },
      preValidation: (req, _reply, done) => {
        req.body ??= {};
        done();
      },
      handler: async (req, reply) => reply.send(await handle(r, method, apiRequest(req, method), ctx, reply)),
    });
  }
  app.route({ method: 'OPTIONS', url: r.path, handler: async (_req, reply) => reply.code(200).header('allow', allow).send() });
  const rest = OTHER_METHODS.filter((m) => m !== 'HEAD' || !implemented.includes('GET')).filter((m) => !(implemented as string[]).includes(m));
  if (rest.length > 0) {
    app.route({ method: rest, url: r.path, handler: async (_req, reply) => reply.code(405).header('allow', allow).send() });
  }
}

function listed(r: Resource, req: ApiRequest, out: unknown): unknown {
  if (r.list !== undefined && out instanceof LazyList) return applyLazyList(out as LazyList<unknown>, req.query, r.list);
  return r.list !== undefined && Array.isArray(out) ? applyListQuery(out, req.query, r.list) : out;
}

const methodKey = (m: Method): 'get' | 'put' | 'post' | 'delete' => m.toLowerCase() as 'get' | 'put' | 'post' | 'delete';

function apiRequest(req: FastifyRequest, method: Method): ApiRequest {
  const user = users.get(req);
  if (user === undefined) throw new Error('request without an authenticated user');
  return {
    method,
    params: req.params as Record<string, string>,
    query: req.query as Record<string, string | undefined>,
    body: req.body ?? {},
    user,
    headers: req.headers,
  };
}

/** cowboy_rest's flow for one method; returns the payload (undefined: none) after setting status and headers. */
async function handle(r: Resource, method: Method, req: ApiRequest, ctx: ApiContext, reply: FastifyReply): Promise<Buffer | undefined> {
  const exists = r.exists === undefined ? true : r.exists(req, ctx);
  switch (method) {
    case 'GET': {
      if (!exists) throw objectNotFound();
      const out: unknown = await (r.get as Handler<unknown>)(req, ctx);
      const { status, body, headers } = out instanceof Reply ? out : new Reply(200, listed(r, req, out));
      reply.code(status).headers(headers).header('cache-control', 'no-cache').header('content-type', 'application/json');
      return jsonBytes(body);
    }
    case 'PUT':
      (r.put as BodyMethod<void>).handle(req, ctx);
      reply.code(exists ? 204 : 201);
      return undefined;
    case 'DELETE':
      if (!exists) throw objectNotFound();
      (r.delete as Handler<void>)(req, ctx);
      reply.code(204);
      return undefined;
    case 'POST': {
      const out = await (r.post as BodyMethod<Reply | undefined | Promise<Reply | undefined>>).handle(req, ctx);
      if (out === undefined) {
        reply.code(204);
        return undefined;
      }
      reply.code(out.status).headers(out.headers);
      if (out.body === undefined) return undefined;
      reply.header('content-type', 'application/json');
      return jsonBytes(out.body);
    }
  }
}
