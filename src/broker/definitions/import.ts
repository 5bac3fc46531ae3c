/**
 * A RabbitMQ definitions file, applied in RabbitMQ's order
 * (rabbit_definitions:apply_defs) through the broker's own entry points with TRUSTED access:
 * users, vhosts, permissions, topic permissions, exchanges, global parameters, policies,
 * parameters, queues, bindings. As in RabbitMQ: objects that exist already are left as they are;
 * queues and exchanges named amq.* and the default exchange are skipped; a binding whose source
 * or destination is missing is skipped; the first failure stops the import with 400 (what came
 * before it stays). A vhost created here gives the importing user full permissions on it (none
 * at boot). Used by POST /api/definitions[/{vhost}] and, at boot, by --definitions
 * (RabbitMQ's load_definitions); failures are DefinitionErrors with RabbitMQ's reasons.
 *
 * Parameters: "vhost-limits" and "operator_policy" are applied; other components (federation,
 * shovel) are refused with RabbitMQ's "component ... not found", as on a RabbitMQ without those
 * plugins. Global parameters are kept (cluster_name renames the cluster), except
 * internal_cluster_id: that is the exporting RabbitMQ cluster's identity, which a Warren node
 * importing its definitions does not take over (deviation: RabbitMQ sets it too).
 */
import { AmqpError } from '../../amqp/errors.js';
import { logger } from '../../util/logger.js';
import { TRUSTED } from '../auth/access.js';
import type { VhostLimits } from '../auth/limits.js';
import type { Broker } from '../broker.js';
import { PolicyValidationError, type ApplyTo } from '../policy.js';
import type { Vhost, VhostMetadata } from '../vhost.js';
import { DefinitionError } from './definition-error.js';
import { jsonToTable, parseTags } from './json-values.js';
import { applyUser, type UserBody } from './user-definition.js';

const log = logger('broker.definitions');

type Obj = Record<string, unknown>;

/** RabbitMQ's cluster identity, a global parameter every RabbitMQ export carries. */
const INTERNAL_CLUSTER_ID = 'internal_cluster_id';

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

const bad = (reason: DefinitionError['reason'], cause?: unknown): DefinitionError =>
  new DefinitionError(reason, cause === undefined ? undefined : { cause });

/** `NOT_FOUND - no queue...` -> [`not_found`, `no queue...`] (RabbitMQ's amqp_error name and explanation). */
function amqpParts(err: AmqpError): [string, string] {
  const dash = err.replyText.indexOf(' - ');
  if (dash < 0) return ['internal_error', err.replyText];
  return [err.replyText.slice(0, dash).toLowerCase(), err.replyText.slice(dash + 3)];
}

/** RabbitMQ's text for a failed entry: `precondition_failed: invalid arg ...`; validation texts get " (where)". */
function failure(err: unknown, where: string): DefinitionError {
  if (err instanceof DefinitionError) return err;
  if (err instanceof PolicyValidationError) return bad(escapeHtml(`${err.message} (${where})`), err);
  if (err instanceof AmqpError) {
    const [name, text] = amqpParts(err);
    if (text.startsWith('Validation failed')) return bad(escapeHtml(`${text} (${where})`), err);
    return bad(`${name}: ${text}`, err);
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
    private readonly broker: Broker,
    private readonly actingUser: string | undefined,
  ) {}

  private vhost(name: string | undefined): Vhost {
    const v = name === undefined ? undefined : this.broker.vhosts.get(name);
    if (v === undefined) throw bad(['no_such_vhost', name ?? 'undefined']);
    return v;
  }

  private userAndVhost(e: Obj): { user: string; vhost: string } {
    const user = str(e, 'user') ?? 'undefined';
    if (this.broker.users.get(user) === undefined) throw bad(['no_such_user', user]);
    return { user, vhost: this.vhost(str(e, 'vhost')).name };
  }

  users(defs: Obj): void {
    const version = str(defs, 'rabbitmq_version') ?? str(defs, 'rabbit_version');
    for (const u of entries(defs, 'users')) {
      const name = str(u, 'name');
      if (name === undefined) throw bad('a user without a name');
      step(`user ${name}`, () => applyUser(this.broker, name, u as UserBody, version));
    }
  }

  vhosts(defs: Obj): void {
    for (const v of entries(defs, 'vhosts')) {
      const name = str(v, 'name');
      if (name === undefined) throw bad('a vhost without a name');
      // 3.10 reads description and tags at the top or in metadata, the default queue type in metadata.
      const m = obj(v['metadata']);
      // As PUT /api/vhosts: description and tags replaced, the default queue type set only on a new vhost.
      const type = str(v, 'default_queue_type') ?? str(m, 'default_queue_type');
      const metadata: VhostMetadata = { description: str(v, 'description') ?? str(m, 'description') ?? '', tags: parseTags(v['tags'] ?? m['tags']) };
      if (type !== undefined && !this.broker.vhosts.has(name)) metadata.defaultQueueType = type;
      step(name, () => this.broker.putVhost(name, metadata, this.actingUser));
      // RabbitMQ's add_vhost passes `tracing` on to put_vhost (exports never carry it).
      const tracing = v['tracing'];
      if (typeof tracing === 'boolean') step(name, () => this.broker.setVhostTracing(name, tracing));
    }
  }

  permissions(defs: Obj): void {
    for (const p of entries(defs, 'permissions')) {
      const { user, vhost } = this.userAndVhost(p);
      const [configure, write, read] = [str(p, 'configure') ?? '', str(p, 'write') ?? '', str(p, 'read') ?? ''];
      step(`${vhost}/${user}`, () => this.broker.permissions.set(user, vhost, { configure, write, read }));
    }
    for (const t of entries(defs, 'topic_permissions')) {
      const { user, vhost } = this.userAndVhost(t);
      const [exchange, write, read] = [str(t, 'exchange') ?? '', str(t, 'write') ?? '', str(t, 'read') ?? ''];
      step(`${vhost}/${user}`, () => this.broker.permissions.setTopic(user, vhost, { exchange, write, read }));
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

  globalParameters(defs: Obj): void {
    for (const g of entries(defs, 'global_parameters')) {
      const name = str(g, 'name');
      if (name === undefined) throw bad('a global parameter without a name');
      if (name === INTERNAL_CLUSTER_ID) {
        log.info(`definitions import: global parameter '${name}' not kept (the exporting cluster's identity)`);
        continue;
      }
      this.broker.globalParameters.set(name, g['value'] ?? null);
    }
  }

  policies(defs: Obj, only?: Vhost): void {
    for (const p of entries(defs, 'policies')) {
      const v = only ?? this.vhost(str(p, 'vhost'));
      this.policy(v.name, str(p, 'name'), p, false);
    }
  }

  private policy(vhost: string, name: string | undefined, p: Obj, operator: boolean): void {
    if (name === undefined) throw bad(`policy in virtual host '${vhost}' has undefined name`);
    step(`${vhost}/${name}`, () =>
      this.broker.setPolicy({
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
        step(where, () => this.broker.setVhostLimits(v.name, p['value'] as VhostLimits));
      } else if (component === 'operator_policy') {
        this.policy(v.name, name, obj(p['value']), true);
      } else {
        throw bad(escapeHtml(`Validation failed\n\ncomponent ${component} not found\n (${where})`));
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
          log.warn(`definitions import: skipping binding ${source} -> ${destination} in '${v.name}': ${amqpParts(err)[1]}`);
          continue;
        }
        throw failure(err, `${v.name}/${source}/${destination}`);
      }
    }
  }
}

/** A whole definitions file (POST /api/definitions; at boot without an acting user). */
export function importDefinitions(broker: Broker, defs: Obj, actingUser: string | undefined): void {
  const i = new Importer(broker, actingUser);
  i.users(defs);
  i.vhosts(defs);
  i.permissions(defs);
  i.exchanges(defs);
  i.globalParameters(defs);
  i.policies(defs);
  i.parameters(defs);
  i.queues(defs);
  i.bindings(defs);
}

/** One vhost's definitions (POST /api/definitions/{vhost}): vhost fields in the file are ignored. */
export function importVhostDefinitions(broker: Broker, defs: Obj, vhost: Vhost, actingUser: string): void {
  const i = new Importer(broker, actingUser);
  i.exchanges(defs, vhost);
  i.parameters(defs, vhost);
  i.policies(defs, vhost);
  i.queues(defs, vhost);
  i.bindings(defs, vhost);
}
