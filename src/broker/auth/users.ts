import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export interface User {
  readonly name: string;
  /** salt (4 bytes) + sha256(salt + password), as RabbitMQ's rabbit_password_hashing_sha256 */
  readonly passwordHash: Buffer;
  readonly tags: readonly string[];
}

function hashPassword(password: string, salt: Buffer = randomBytes(4)): Buffer {
  const digest = createHash('sha256').update(salt).update(password, 'utf8').digest();
  return Buffer.concat([salt, digest]);
}

/** The user database: names, salted password hashes, tags. */
export class Users {
  private readonly users = new Map<string, User>();

  add(name: string, password: string, tags: readonly string[] = []): User {
    const user: User = { name, passwordHash: hashPassword(password), tags };
    this.users.set(name, user);
    return user;
  }

  /** A user as stored (recovery). */
  restore(user: User): void {
    this.users.set(user.name, user);
  }

  get(name: string): User | undefined {
    return this.users.get(name);
  }

  delete(name: string): boolean {
    return this.users.delete(name);
  }

  list(): User[] {
    return [...this.users.values()];
  }

  /** The user if the password matches, else undefined. */
  authenticate(name: string, password: string): User | undefined {
    const user = this.users.get(name);
    if (user === undefined) return undefined;
    const salt = user.passwordHash.subarray(0, 4);
    const candidate = hashPassword(password, salt);
    return timingSafeEqual(candidate, user.passwordHash) ? user : undefined;
  }
}
