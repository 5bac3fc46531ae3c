import { preconditionFailed } from '../../amqp/errors.js';

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
 * Checks a limits object (from the API or the store) and returns it with only its keys; the
 * error texts are RabbitMQ's validation messages.
 */
export function parseLimits<K extends string>(raw: unknown, keys: readonly K[]): Limits<K> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw preconditionFailed('Validation failed\n\nlimits must be a JSON object');
  }
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (!(keys as readonly string[]).includes(key)) {
      throw preconditionFailed(`Validation failed\n\nUnrecognised terms [{<<"${key}">>,${JSON.stringify(value)}}] in limits`);
    }
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      throw preconditionFailed(`Validation failed\n\n${JSON.stringify(value)} is not a valid value for ${key}`);
    }
    out[key] = value;
  }
  return out as Limits<K>;
}

/** The limit for `key`, or undefined when there is none. */
export function limitOf<K extends string>(limits: Limits<K>, key: K): number | undefined {
  const v = limits[key];
  return v === undefined || v < 0 ? undefined : v;
}
