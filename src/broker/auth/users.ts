import type { DefinitionStorage } from '../../store/storage.js';
import { checkPassword, DEFAULT_HASHING_ALGORITHM, hashPassword, type HashingAlgorithm } from './password-hash.js';
import type { UserLimits } from './limits.js';

/** RabbitMQ's user tags with a meaning to the broker or the management UI. */
export const USER_TAGS = ['administrator', 'monitoring', 'policymaker', 'management', 'impersonator'] as const;

/** A user of the internal database. */
export class User {
  constructor(
    readonly name: string,
    /** salt (4 bytes) + digest(salt + password); empty for a passwordless user */
    public passwordHash: Buffer,
    public hashingAlgorithm: HashingAlgorithm,
    public tags: readonly string[],
    public limits: UserLimits = {},
  ) {}

  hasTag(tag: string): boolean {
    return this.tags.includes(tag);
  }
}

/** The outcome of a password login: the user, or why it was refused (for the log, never the client). */
export type LoginResult = { user: User; refused?: undefined } | { user?: undefined; refused: string };

/**
 * The user database: names, password hashes, tags, limits. Every change is written to the store
 * (when there is one) before it returns; `restore` is recovery's way in and writes nothing.
 */
export class Users {
  private readonly users = new Map<string, User>();
  /** where changes are written (null: in memory only); set by the broker */
  storage: DefinitionStorage | null = null;

  /** Add or replace a user with a password (null: passwordless, certificate login only). */
  add(name: string, password: string | null, tags: readonly string[] = [], algorithm: HashingAlgorithm = DEFAULT_HASHING_ALGORITHM): User {
    const hash = password === null ? Buffer.alloc(0) : hashPassword(password, algorithm);
    return this.put(new User(name, hash, algorithm, [...tags], this.users.get(name)?.limits ?? {}));
  }

  /** Add or replace a user as given (an imported password hash). */
  put(user: User): User {
    this.users.set(user.name, user);
    this.save(user);
    return user;
  }

  /** A user as stored (recovery): nothing is written. */
  restore(user: User): void {
    this.users.set(user.name, user);
  }

  setPassword(name: string, password: string | null): boolean {
    const user = this.users.get(name);
    if (user === undefined) return false;
    user.passwordHash = password === null ? Buffer.alloc(0) : hashPassword(password, user.hashingAlgorithm);
    this.save(user);
    return true;
  }

  setTags(name: string, tags: readonly string[]): boolean {
    const user = this.users.get(name);
    if (user === undefined) return false;
    user.tags = [...tags];
    this.save(user);
    return true;
  }

  setLimits(name: string, limits: UserLimits): boolean {
    const user = this.users.get(name);
    if (user === undefined) return false;
    user.limits = { ...limits };
    this.save(user);
    return true;
  }

  get(name: string): User | undefined {
    return this.users.get(name);
  }

  /** Deletes the user (and, in the store, its permissions). Closing its connections is the broker's job. */
  delete(name: string): boolean {
    const existed = this.users.delete(name);
    if (existed) this.storage?.deleteUser(name);
    return existed;
  }

  list(): User[] {
    return [...this.users.values()];
  }

  /** A password login, with the refusal texts of RabbitMQ's internal backend. */
  login(name: string, password: string): LoginResult {
    if (password === '') {
      return {
        refused:
          `user '${name}' attempted to log in with a blank password, which is prohibited by the internal authN backend. ` +
          'To use TLS/x509 certificate-based authentication, see the rabbitmq_auth_mechanism_ssl plugin and configure ' +
          'the client to use the EXTERNAL authentication mechanism. Alternatively change the password for the user to be non-blank.',
      };
    }
    const user = this.users.get(name);
    if (user === undefined || !checkPassword(user.passwordHash, user.hashingAlgorithm, password)) {
      return { refused: `user '${name}' - invalid credentials` };
    }
    return { user };
  }

  /** The user if the password matches, else undefined. */
  authenticate(name: string, password: string): User | undefined {
    return this.login(name, password).user;
  }

  private save(u: User): void {
    this.storage?.putUser({ name: u.name, passwordHash: u.passwordHash, hashingAlgorithm: u.hashingAlgorithm, tags: u.tags, limits: u.limits });
  }
}
