/**
 * GET and POST /api/definitions, /api/definitions/{vhost} and the old alias
 * /api/all-configuration (rabbit_mgmt_wm_definitions); for administrators. The export format is in
 * ../definitions/export.ts, the import rules in broker/definitions/ (shared with --definitions). `?download=name` asks for an attachment, as in RabbitMQ.
 */
import type { Vhost } from '../../broker/vhost.js';
import { exportDefinitions, exportVhostDefinitions } from '../definitions/export.js';
import { importDefinitions, importVhostDefinitions } from '../../broker/definitions/import.js';
import { HttpError, badRequest } from '../errors.js';
import { param, Reply, type ApiContext, type ApiRequest, type Resource } from '../router.js';

const CATEGORIES = ['users', 'vhosts', 'permissions', 'topic_permissions', 'parameters', 'global_parameters', 'policies', 'queues', 'exchanges', 'bindings'];

/** Each category, when present, is a list; entries are checked as they are applied. */
const DEFINITIONS_SCHEMA = {
  type: 'object',
  properties: Object.fromEntries(CATEGORIES.map((c) => [c, { type: 'array' }])),
};

function reply(req: ApiRequest, body: unknown): Reply {
  const download = req.query['download'];
  const headers: Record<string, string> = download === undefined ? {} : { 'content-disposition': `attachment; filename=${download}` };
  return new Reply(200, body, headers);
}

/** GET answers 400 for a vhost that does not exist, POST 404 (as RabbitMQ does). */
function vhostOf(req: ApiRequest, ctx: ApiContext, status: 400 | 404): Vhost {
  const v = ctx.broker.vhosts.get(param(req, 'vhost'));
  if (v !== undefined) return v;
  throw status === 400 ? badRequest('vhost_not_found') : new HttpError(404, 'not_found', 'vhost_not_found');
}

const all = (path: string): Resource => ({
  path,
  auth: 'admin',
  get: (req, ctx) => reply(req, exportDefinitions(ctx.broker)),
  post: {
    schema: DEFINITIONS_SCHEMA,
    notJson: 'failed_to_parse_json',
    handle: (req, ctx) => {
      importDefinitions(ctx.broker, req.body as Record<string, unknown>, req.user.name);
      return undefined;
    },
  },
});

export const definitionsResources: readonly Resource[] = [
  all('/api/definitions'),
  all('/api/all-configuration'),
  {
    path: '/api/definitions/:vhost',
    auth: 'admin',
    get: (req, ctx) => reply(req, exportVhostDefinitions(ctx.broker, vhostOf(req, ctx, 400))),
    post: {
      schema: DEFINITIONS_SCHEMA,
      notJson: 'failed_to_parse_json',
      handle: (req, ctx) => {
        importVhostDefinitions(ctx.broker, req.body as Record<string, unknown>, vhostOf(req, ctx, 404), req.user.name);
        return undefined;
      },
    },
  },
];
