/**
 * POST /api/definitions[/{vhost}]: a RabbitMQ definitions file, applied in RabbitMQ's order
 * (rabbit_definitions:apply_defs) through the broker's own entry points with TRUSTED access:
 * users, vhosts, permissions, topic permissions, exchanges, global parameters, policies,
 * parameters, queues, bindings. As in RabbitMQ: objects that exist already are left as they are;
 * queues and exchanges named amq.* and the default exchange are skipped; a binding whose source
 * or destination is missing is skipped; the first failure stops the import with 400 (what came
 * before it stays). A vhost created here gives the importing user full permissions on it.
 *
 * Parameters: "vhost-limits" and "operator_policy" are applied; other components (federation,
 * shovel) are refused with RabbitMQ's "component ... not found", as on a RabbitMQ without those
 * plugins. Global parameters (cluster_name, internal_cluster_id) are accepted and not kept
 * (deviation: RabbitMQ keeps them; Warren's are set with /api/global-parameters).
 */
import { AmqpError } from '../../amqp/errors.js';
import { TRUSTED } from '../../broker/auth/access.js';
import type { VhostLimits } from '../../broker/auth/limits.js';
import { PolicyValidationError, type ApplyTo } from '../../broker/policy.js';
import type { Vhost } from '../../broker/vhost.js';
import { logger } from '../../util/logger.js';
import { amqpErrorName, badRequest, explanation, HttpError } from '../errors.js';
import { jsonToTable } from '../format.js';
import type { ApiContext } from '../router.js';
import { putUser, type UserBody } from '../controllers/users.js';
import { putVhost } from '../controllers/vhosts.js';

const log = logger('http.definitions');

type Obj = Record<string, unknown>;

/** The owner of queues declared by an import (none is exclusive). */
const IMPORT_OWNER = {};

const str = (o: Obj, key: string): string | undefined => (typeof o[key] === 'string' ? o[key] : undefined);
const bool = (o: Obj, key: string, dflt: boolean): boolean => (typeof o[key] === 'boolean' ? o[key] : dflt);
const obj = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {});

/** The entries of a category (non-objects are skipped, as RabbitMQ does). */
function entries(defs: Obj, category: string): Obj[] {
  const list = defs[category];
  return Array.isArray(list) ? list.filter((e): e is Obj => typeof e === 'object' && e !== null && !Array.isArray(e)) : [];
}

/** RabbitMQ's text for a failed entry: `precondition_failed: invalid arg ...`; validation texts get " (where)". */
function failure(err: unknown, where: string): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof PolicyValidationError) return badRequest(escapeHtml(`${err.message} (${where})`), err);
  if (err instanceof AmqpError) {
    const text = explanation(err);
    if (text.startsWith('Validation failed')) return badRequest(escapeHtml(`${text} (${where})`), err);
    return badRequest(`${amqpErrorName(err)}: ${text}`, err);
  }
  throw err;
}

/** rabbit_misc:escape_html_tags, which RabbitMQ applies to policy and parameter errors. */
const escapeHtml = (s: string): string => s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

function step(where: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    throw failure(err, where);
  }
}

class Importer {
  constructor(
    private readonly ctx: ApiContext,
    private readonly actingUser: string,
  ) {}

  private vhost(name: string | undefined): Vhost {
    const v = name === undefined ? undefined : this.ctx.broker.vhosts.get(name);
    if (v === undefined) throw badRequest(['no_such_vhost', name ?? 'undefined']);
    return v;
  }

  private userAndVhost(e: Obj): { user: string; vhost: string } {
    const user = str(e, 'user') ?? 'undefined';
    if (this.ctx.broker.users.get(user) === undefined) throw badRequest(['no_such_user', user]);
    return { user, vhost: this.vhost(str(e, 'vhost')).name };
  }

  users(defs: Obj): void {
    const version = str(defs, 'rabbitmq_version') ?? str(defs, 'rabbit_version');
    for (const u of entries(defs, 'users')) {
      const name = str(u, 'name');
      if (name === undefined) throw badRequest('a user without a name');
      step(`user ${name}`, () => putUser(this.ctx, name, u as UserBody, version));
    }
  }

  vhosts(defs: Obj): void {
    for (const v of entries(defs, 'vhosts')) {
      const name = str(v, 'name');
      if (name === undefined) throw badRequest('a vhost without a name');
      // 3.10 reads description and tags at the top or in metadata, the default queue type in metadata.
      const m = obj(v['metadata']);
      const type = str(v, 'default_queue_type') ?? str(m, 'default_queue_type');
      const body = {
        description: str(v, 'description') ?? str(m, 'description') ?? '',
        tags: (v['tags'] ?? m['tags'] ?? []) as string | string[],
        ...(type === undefined ? {} : { default_queue_type: type }),
        // RabbitMQ's add_vhost passes `tracing` on to put_vhost (exports never carry it).
        ...(typeof v['tracing'] === 'boolean' ? { tracing: v['tracing'] } : {}),
      };
      step(name, () => putVhost(this.ctx, name, body, this.actingUser));
    }
  }

  permissions(defs: Obj): void {
    for (const p of entries(defs, 'permissions')) {
      const { user, vhost } = this.userAndVhost(p);
      const [configure, write, read] = [str(p, 'configure') ?? '', str(p, 'write') ?? '', str(p, 'read') ?? ''];
      step(`${vhost}/${user}`, () => this.ctx.broker.permissions.set(user, vhost, { configure, write, read }));
    }
    for (const t of entries(defs, 'topic_permissions')) {
      const { user, vhost } = this.userAndVhost(t);
      const [exchange, write, read] = [str(t, 'exchange') ?? '', str(t, 'write') ?? '', str(t, 'read') ?? ''];
      step(`${vhost}/${user}`, () => this.ctx.broker.permissions.setTopic(user, vhost, { exchange, write, read }));
    }
  }

  exchanges(defs: Obj, only?: Vhost): void {
    for (const x of entries(defs, 'exchanges')) {
      const name = str(x, 'name') ?? '';
      if (name === '' || name.startsWith('amq.')) {
        log.warn(`definitions import: skipping exchange '${name}' (default or amq.*)`);
        continue;
      }
      const v = only ?? this.vhost(str(x, 'vhost'));
      if (v.exchanges.has(name)) continue;
      const options = { durable: bool(x, 'durable', true), autoDelete: bool(x, 'auto_delete', false), internal: bool(x, 'internal', false), arguments: jsonToTable(x['arguments']) };
      step(`${v.name}/${name}`, () => v.declareExchange(name, str(x, 'type') ?? 'undefined', false, options, TRUSTED));
    }
  }

  policies(defs: Obj, only?: Vhost): void {
    for (const p of entries(defs, 'policies')) {
      const v = only ?? this.vhost(str(p, 'vhost'));
      this.policy(v.name, str(p, 'name'), p, false);
    }
  }

  private policy(vhost: string, name: string | undefined, p: Obj, operator: boolean): void {
    if (name === undefined) throw badRequest(`policy in virtual host '${vhost}' has undefined name`);
    step(`${vhost}/${name}`, () =>
      this.ctx.broker.setPolicy({
        vhost,
        name,
        pattern: p['pattern'] as string,
        applyTo: (p['apply-to'] ?? 'all') as ApplyTo,
        priority: (p['priority'] ?? 0) as number,
        definition: obj(p['definition']),
        operator,
      }),
    );
  }

  parameters(defs: Obj, only?: Vhost): void {
    for (const p of entries(defs, 'parameters')) {
      const v = only ?? this.vhost(str(p, 'vhost'));
      const component = str(p, 'component') ?? 'undefined';
      const name = str(p, 'name') ?? 'undefined';
      const where = `${v.name}/${component}/${name}`;
      if (component === 'vhost-limits') {
        step(where, () => this.ctx.broker.setVhostLimits(v.name, p['value'] as VhostLimits));
      } else if (component === 'operator_policy') {
        this.policy(v.name, name, obj(p['value']), true);
      } else {
        throw badRequest(escapeHtml(`Validation failed\n\ncomponent ${component} not found\n (${where})`));
      }
    }
  }

  queues(defs: Obj, only?: Vhost): void {
    for (const q of entries(defs, 'queues')) {
      const name = str(q, 'name') ?? '';
      if (name.startsWith('amq.')) {
        log.warn(`definitions import: skipping queue '${name}' (amq.* names are reserved)`);
        continue;
      }
      const v = only ?? this.vhost(str(q, 'vhost'));
      if (v.queues.has(name)) continue;
      const options = { durable: bool(q, 'durable', true), autoDelete: bool(q, 'auto_delete', false), exclusiveOwner: null, arguments: jsonToTable(q['arguments']) };
      step(`${v.name}/${name}`, () => v.declareQueue(name, false, options, IMPORT_OWNER, TRUSTED));
    }
  }

  bindings(defs: Obj, only?: Vhost): void {
    for (const b of entries(defs, 'bindings')) {
      const v = only ?? this.vhost(str(b, 'vhost'));
      const [source, destination, key] = [str(b, 'source') ?? '', str(b, 'destination') ?? '', str(b, 'routing_key') ?? ''];
      const args = jsonToTable(b['arguments']);
      try {
        if (str(b, 'destination_type') === 'exchange') v.bindExchange(destination, source, key, args, TRUSTED);
        else v.bindQueue(destination, source, key, args, null, TRUSTED);
      } catch (err) {
        // RabbitMQ ignores a binding it cannot add (its import does not look at the result).
        if (err instanceof AmqpError && err.replyCode === 404) {
          log.warn(`definitions import: skipping binding ${source} -> ${destination} in '${v.name}': ${explanation(err)}`);
          continue;
        }
        throw failure(err, `${v.name}/${source}/${destination}`);
      }
    }
  }
}

/** A whole definitions file (POST /api/definitions). */
export function importDefinitions(ctx: ApiContext, defs: Obj, actingUser: string): void {
  const i = new Importer(ctx, actingUser);
  i.users(defs);
  i.vhosts(defs);
  i.permissions(defs);
  i.exchanges(defs);
  for (const g of entries(defs, 'global_parameters')) log.info(`definitions import: global parameter '${str(g, 'name') ?? ''}' not kept`);
  i.policies(defs);
  i.parameters(defs);
  i.queues(defs);
  i.bindings(defs);
}

/** One vhost's definitions (POST /api/definitions/{vhost}): vhost fields in the file are ignored. */
export function importVhostDefinitions(ctx: ApiContext, defs: Obj, vhost: Vhost, actingUser: string): void {
  const i = new Importer(ctx, actingUser);
  i.exchanges(defs, vhost);
  i.parameters(defs, vhost);
  i.policies(defs, vhost);
  i.queues(defs, vhost);
  i.bindings(defs, vhost);
}
