/**
 * A user as PUT /api/users/{name} and definitions files give it, applied as RabbitMQ's put_user
 * (rabbit_auth_backend_internal) does: tags are required (or the old `administrator` flag); a
 * password is hashed with the default algorithm; a password_hash (base64) is taken as it is;
 * neither clears the password (the user can then only log in by other means). Limits, when
 * given, replace the user's.
 */
import type { Broker } from '../broker.js';
import { USER_LIMIT_KEYS, parseLimits, type UserLimits } from '../auth/limits.js';
import { DEFAULT_HASHING_ALGORITHM, isHashingAlgorithm, type HashingAlgorithm } from '../auth/password-hash.js';
import { User } from '../auth/users.js';
import { DefinitionError } from './definition-error.js';
import { parseTags } from './json-values.js';

export interface UserBody {
  password?: string;
  password_hash?: string;
  hashing_algorithm?: string;
  tags?: string | string[];
  /** RabbitMQ < 3.0's flag, still read when `tags` is missing */
  administrator?: string | boolean;
  limits?: Record<string, unknown>;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The hashing algorithm of an imported hash: the one named, else what the exporting version
 * used (RabbitMQ before 3.6.0 hashed with MD5), else the default.
 */
function algorithmOf(body: UserBody, version: string | undefined): HashingAlgorithm {
  const named = body.hashing_algorithm;
  if (named !== undefined) {
    // RabbitMQ stores any name and fails at login; Warren refuses what it cannot check.
    if (!isHashingAlgorithm(named)) throw new DefinitionError(`unsupported hashing algorithm '${named}'`);
    return named;
  }
  if (version !== undefined && /^3\.[0-5]\./.test(version)) return 'rabbit_password_hashing_md5';
  return DEFAULT_HASHING_ALGORITHM;
}

/** Create or replace a user; `version` is the RabbitMQ version of the definitions file it came from. */
export function applyUser(broker: Broker, name: string, body: UserBody, version?: string): void {
  const users = broker.users;
  let tags: string[];
  if (body.tags !== undefined) tags = parseTags(body.tags);
  else if (body.administrator !== undefined) tags = body.administrator === true || body.administrator === 'true' ? ['administrator'] : [];
  else throw new DefinitionError('tags_not_present');
  if (body.password !== undefined && body.password_hash !== undefined) throw new DefinitionError('both_password_and_password_hash_are_provided');
  const limits: UserLimits | undefined = body.limits === undefined ? undefined : parseLimits(body.limits, USER_LIMIT_KEYS, 'user-limits');
  const existing = users.get(name);
  if (body.password_hash !== undefined) {
    if (!BASE64.test(body.password_hash)) throw new DefinitionError(['not_base64', body.password_hash]);
    const hash = Buffer.from(body.password_hash, 'base64');
    users.put(new User(name, hash, algorithmOf(body, version), tags, limits ?? existing?.limits ?? {}));
    return;
  }
  users.add(name, body.password ?? null, tags);
  if (limits !== undefined) broker.setUserLimits(name, limits);
}
