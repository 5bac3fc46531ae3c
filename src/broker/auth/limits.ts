import { preconditionFailed } from '../../amqp/errors.js';
import { formatErlang, tuple } from '../erlang-term.js';
import { toTerm } from '../policy-validation.js';

/** A limit that is not set, or set negative, is no limit (RabbitMQ: -1). */
export const NO_LIMIT = -1;

/** RabbitMQ's limit keys for users and for vhosts. */
export const USER_LIMIT_KEYS = ['max-connections', 'max-channels'] as const;
export const VHOST_LIMIT_KEYS = ['max-connections', 'max-queues'] as const;

export type UserLimitKey = (typeof USER_LIMIT_KEYS)[number];
export type VhostLimitKey = (typeof VHOST_LIMIT_KEYS)[number];

/** Limits as RabbitMQ's set_user_limits / set_vhost_limits JSON: key -> integer. */
export type Limits<K extends string> = { readonly [key in K]?: number };
export type UserLimits = Limits<UserLimitKey>;
export type VhostLimits = Limits<VhostLimitKey>;

/**
 * Checks a limits object (from the API or the store) and returns it with only its keys, with
 * RabbitMQ's validation texts (rabbit_parameter_validation, checked against 3.10.8): each value
 * must be an integer ("max-queues should be a number, actually was <<\"x\">>"), then unknown keys
 * ("Unrecognised terms [{<<\"max-foo\">>,5}] in limits"). Vhost limits are a runtime parameter,
 * whose errors come as "Validation failed\n\n<error>\n..."; user limits give the first error alone.
 */
export function parseLimits<K extends string>(raw: unknown, keys: readonly K[], component: 'limits' | 'user-limits' = 'limits'): Limits<K> {
  const fail = (errors: string[]): never => {
    throw preconditionFailed(component === 'limits' ? `Validation failed\n\n${errors.map((e) => `${e}\n`).join('')}` : (errors[0] ?? ''));
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail([`${component} must be a JSON object`]);
  const entries = raw as Record<string, unknown>;
  const errors: string[] = [];
  const out: Record<string, number> = {};
  for (const key of keys) {
    if (!Object.hasOwn(entries, key)) continue;
    const value = entries[key];
    if (typeof value === 'number' && Number.isInteger(value)) out[key] = value;
    else errors.push(formatErlang(`${key} should be a number, actually was `, toTerm(value)));
  }
  const unknown = Object.keys(entries).filter((k) => !(keys as readonly string[]).includes(k));
  if (unknown.length > 0) {
    const terms = unknown.map((k) => tuple(k, toTerm(entries[k])));
    errors.push(formatErlang('Unrecognised terms ', terms) + ` in ${component}`);
  }
  if (errors.length > 0) fail(errors);
  return out as Limits<K>;
}

/** The limit for `key`, or undefined when there is none. */
export function limitOf<K extends string>(limits: Limits<K>, key: K): number | undefined {
  const v = limits[key];
  return v === undefined || v < 0 ? undefined : v;
}
