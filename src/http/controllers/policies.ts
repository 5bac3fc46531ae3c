/**
 * /api/policies[/{vhost}[/{name}]] and /api/operator-policies[/{vhost}[/{name}]]
 * (rabbit_mgmt_wm_policies, _policy, _operator_policies, _operator_policy), as RabbitMQ 3.10:
 * lists are for any management user and show the vhosts it may open (all of them for
 * administrators), sorted by priority; one policy is for administrators and policymakers who may
 * open its vhost (operator policies: administrators only). PUT {pattern, definition, priority?,
 * apply-to?} validates with RabbitMQ's texts (400, HTML-escaped for policies, as RabbitMQ does);
 * a missing vhost is 404 "vhost_not_found".
 */
import type { Broker } from '../../broker/broker.js';
import { PolicyValidationError, type ApplyTo, type Policy } from '../../broker/policy.js';
import { loginVhosts, isAdmin, visibleVhosts } from '../auth.js';
import { badRequest, HttpError } from '../errors.js';
import { policyJson, type Json } from '../format.js';
import { BY_PRIORITY } from '../list-query.js';
import { param, type ApiContext, type ApiRequest, type Resource } from '../router.js';
import type { User } from '../../broker/auth/users.js';

/** rabbit_misc:escape_html_tags, which RabbitMQ applies to policy and parameter errors. */
export const escapeHtml = (s: string): string => s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

/** Vhosts whose policies and parameters a user sees in lists (rabbit_mgmt_util:filter_vhost). */
export function listedVhosts(broker: Broker, user: User): Set<string> {
  return new Set(isAdmin(user) ? visibleVhosts(broker, user) : loginVhosts(broker, user));
}

/** RabbitMQ's sort of policy lists: priority, then vhost and name (the rest of the entry). */
const byPriority = (a: Policy, b: Policy): number =>
  a.priority - b.priority || (a.vhost < b.vhost ? -1 : a.vhost > b.vhost ? 1 : 0) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

function list(req: ApiRequest, broker: Broker, operator: boolean): Json[] {
  const vhost = req.params['vhost'];
  const shown = listedVhosts(broker, req.user);
  return broker.policies
    .list(vhost, operator)
    .filter((p) => shown.has(p.vhost))
    .sort(byPriority)
    .map(policyJson);
}

/** The body of a policy PUT (or the value of an operator_policy parameter). */
export interface PolicyBody {
  pattern: unknown;
  definition: unknown;
  priority?: unknown;
  'apply-to'?: unknown;
}

export const POLICY_SCHEMA = { type: 'object', required: ['pattern', 'definition'], properties: { pattern: {}, definition: {} } };

/** A missing vhost on PUT: RabbitMQ's 404. */
export function requireVhost(broker: Broker, vhost: string): void {
  if (!broker.vhosts.has(vhost)) throw new HttpError(404, 'not_found', 'vhost_not_found');
}

/**
 * Set a policy from RabbitMQ's JSON (defaults: priority 0, apply-to "all"); validation failures
 * are 400 with RabbitMQ's text, HTML-escaped when `escape`.
 */
export function putPolicy(broker: Broker, vhost: string, name: string, body: PolicyBody, operator: boolean, escape: boolean): void {
  const definition = body.definition;
  try {
    broker.setPolicy({
      vhost,
      name,
      pattern: body.pattern as string,
      applyTo: (body['apply-to'] ?? 'all') as ApplyTo,
      priority: (body.priority ?? 0) as number,
      definition: definition as Record<string, unknown>,
      operator,
    });
  } catch (err) {
    if (err instanceof PolicyValidationError) throw badRequest(escape ? escapeHtml(err.message) : err.message, err);
    throw err;
  }
}

function resources(base: string, operator: boolean): Resource[] {
  const one = (req: ApiRequest, ctx: ApiContext): Policy | undefined => ctx.broker.policies.get(param(req, 'vhost'), param(req, 'name'), operator);
  return [
    { path: base, auth: 'vhost', list: BY_PRIORITY, get: (req, ctx) => list(req, ctx.broker, operator) },
    {
      path: `${base}/:vhost`,
      auth: 'vhost',
      exists: (req, ctx) => ctx.broker.vhosts.has(param(req, 'vhost')),
      list: BY_PRIORITY,
      get: (req, ctx) => list(req, ctx.broker, operator),
    },
    {
      path: `${base}/:vhost/:name`,
      auth: operator ? 'admin' : 'policies',
      exists: (req, ctx) => one(req, ctx) !== undefined,
      get: (req, ctx) => policyJson(one(req, ctx) as Policy),
      put: {
        schema: POLICY_SCHEMA,
        handle: (req, ctx) => {
          requireVhost(ctx.broker, param(req, 'vhost'));
          putPolicy(ctx.broker, param(req, 'vhost'), param(req, 'name'), req.body as PolicyBody, operator, !operator);
        },
      },
      delete: (req, ctx) => {
        ctx.broker.deletePolicy(param(req, 'vhost'), param(req, 'name'), operator);
      },
    },
  ];
}

export const policiesResources: readonly Resource[] = [...resources('/api/policies', false), ...resources('/api/operator-policies', true)];
