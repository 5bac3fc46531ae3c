/**
 * RabbitMQ's password hashes: a 4-byte salt followed by digest(salt ++ utf8(password)), base64
 * in a definitions export. Known vectors are users exported from RabbitMQ 3.10.8
 * (test/fixtures/rabbitmq-3.10-users.json) for each hashing module, a UTF-8 password, and a
 * passwordless user (empty hash).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  checkPassword,
  DEFAULT_HASHING_ALGORITHM,
  HASHING_ALGORITHMS,
  hashPassword,
  isHashingAlgorithm,
  type HashingAlgorithm,
} from '../../../../src/broker/auth/password-hash.js';
import { User, Users } from '../../../../src/broker/auth/users.js';

interface Fixture {
  users: { name: string; password_hash: string; hashing_algorithm: string; tags: string[] }[];
  passwords: Record<string, string>;
}
const fixture = JSON.parse(readFileSync(join(import.meta.dirname, '../../../fixtures/rabbitmq-3.10-users.json'), 'utf8')) as Fixture;
const vectors = fixture.users
  .filter((u) => u.password_hash !== '')
  .map((u) => ({
    name: u.name,
    hash: Buffer.from(u.password_hash, 'base64'),
    algorithm: u.hashing_algorithm as HashingAlgorithm,
    password: fixture.passwords[u.name] as string,
  }));
const DIGEST_BYTES: Record<HashingAlgorithm, number> = {
  rabbit_password_hashing_sha256: 32,
  rabbit_password_hashing_sha512: 64,
  rabbit_password_hashing_md5: 16,
};

describe('password hashes', () => {
  it('the fixture has a vector for every hashing module', () => {
    expect(new Set(vectors.map((v) => v.algorithm))).toEqual(new Set(HASHING_ALGORITHMS));
  });

  it.each(vectors)('$name: RabbitMQ 3.10 hash matches its password, and only it', ({ hash, algorithm, password }) => {
    expect(hash.length).toBe(4 + DIGEST_BYTES[algorithm]);
    expect(checkPassword(hash, algorithm, password)).toBe(true);
    for (const wrong of ['', password.toUpperCase(), `${password} `, 'guest']) expect(checkPassword(hash, algorithm, wrong)).toBe(false);
    for (const other of HASHING_ALGORITHMS.filter((a) => a !== algorithm)) expect(checkPassword(hash, other, password)).toBe(false);
  });

  it.each(vectors)('$name: hashPassword with the same salt gives the same bytes as RabbitMQ', ({ hash, algorithm, password }) => {
    expect(hashPassword(password, algorithm, hash.subarray(0, 4)).equals(hash)).toBe(true);
  });

  it('an empty hash (a passwordless user, as exported) never matches; nor does a salt alone', () => {
    const nopw = fixture.users.find((u) => u.password_hash === '');
    expect(nopw).toBeDefined();
    for (const algorithm of HASHING_ALGORITHMS) {
      for (const hash of [Buffer.alloc(0), Buffer.from(nopw?.password_hash ?? '', 'base64'), Buffer.from([1, 2, 3, 4])]) {
        for (const password of ['', 'x', 'guest']) expect(checkPassword(hash, algorithm, password)).toBe(false);
      }
    }
  });

  it('new hashes get a fresh random salt, and each checks out', () => {
    for (const algorithm of HASHING_ALGORITHMS) {
      const [a, b] = [hashPassword('secret', algorithm), hashPassword('secret', algorithm)];
      expect(a.length).toBe(4 + DIGEST_BYTES[algorithm]);
      expect(a.equals(b)).toBe(false);
      expect(checkPassword(a, algorithm, 'secret') && checkPassword(b, algorithm, 'secret')).toBe(true);
    }
    expect(DEFAULT_HASHING_ALGORITHM).toBe('rabbit_password_hashing_sha256');
    expect(hashPassword('secret').length).toBe(36);
  });

  it('knows the hashing modules by their RabbitMQ names', () => {
    for (const a of HASHING_ALGORITHMS) expect(isHashingAlgorithm(a)).toBe(true);
    for (const a of ['sha256', 'rabbit_password_hashing_sha1', '', undefined, 3]) expect(isHashingAlgorithm(a)).toBe(false);
  });
});

describe('Users.login with RabbitMQ hashes', () => {
  it('imported users log in with their passwords; refusals carry the internal backend texts', () => {
    const users = new Users();
    for (const v of vectors) users.put(new User(v.name, v.hash, v.algorithm, []));
    for (const v of vectors) expect(users.login(v.name, v.password).user?.name).toBe(v.name);
    const [first] = vectors;
    expect(users.login(first?.name ?? '', 'wrong')).toEqual({ refused: `user '${first?.name ?? ''}' - invalid credentials` });
    expect(users.login('nobody', 'x')).toEqual({ refused: "user 'nobody' - invalid credentials" });
    expect(users.login(first?.name ?? '', '').refused).toMatch(/attempted to log in with a blank password, which is prohibited/);
  });

  it('a passwordless user (users.add(name, null)) is refused whatever the password', () => {
    const users = new Users();
    const user = users.add('nopw', null);
    expect(user.passwordHash.length).toBe(0);
    for (const password of ['', 'x', 'null']) expect(users.login('nopw', password).user).toBeUndefined();
  });
});
