import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** RabbitMQ's password hashing modules, by the names its definitions export uses. */
export const HASHING_ALGORITHMS = [
  'rabbit_password_hashing_sha256',
  'rabbit_password_hashing_sha512',
  'rabbit_password_hashing_md5',
] as const;

export type HashingAlgorithm = (typeof HASHING_ALGORITHMS)[number];

/** RabbitMQ 3.6+'s default (`password_hashing_module`). */
export const DEFAULT_HASHING_ALGORITHM: HashingAlgorithm = 'rabbit_password_hashing_sha256';

const DIGEST: Record<HashingAlgorithm, string> = {
  rabbit_password_hashing_sha256: 'sha256',
  rabbit_password_hashing_sha512: 'sha512',
  rabbit_password_hashing_md5: 'md5',
};

const SALT_BYTES = 4;

export const isHashingAlgorithm = (name: unknown): name is HashingAlgorithm =>
  typeof name === 'string' && Object.hasOwn(DIGEST, name);

/**
 * A password hash as RabbitMQ stores it (base64 in a definitions export): a 4-byte random salt
 * followed by digest(salt ++ utf8(password)).
 */
export function hashPassword(password: string, algorithm: HashingAlgorithm = DEFAULT_HASHING_ALGORITHM, salt?: Buffer): Buffer {
  const s = salt ?? randomBytes(SALT_BYTES);
  const digest = createHash(DIGEST[algorithm]).update(s).update(password, 'utf8').digest();
  return Buffer.concat([s, digest]);
}

/**
 * Does `password` match `hash`? A hash shorter than a salt (a passwordless user: empty hash)
 * matches nothing, as in RabbitMQ's internal backend.
 */
export function checkPassword(hash: Buffer, algorithm: HashingAlgorithm, password: string): boolean {
  if (hash.length <= SALT_BYTES) return false;
  const candidate = hashPassword(password, algorithm, hash.subarray(0, SALT_BYTES));
  return candidate.length === hash.length && timingSafeEqual(candidate, hash);
}
