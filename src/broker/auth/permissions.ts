import { preconditionFailed } from '../../amqp/errors.js';
import type { DefinitionStorage } from '../../store/storage.js';

/** The three resource permissions of RabbitMQ. */
export type Permission = 'configure' | 'write' | 'read';

/** A user's permissions in one vhost: a regular expression per kind, as RabbitMQ's set_permissions. */
export interface VhostPermissions {
  readonly configure: string;
  readonly write: string;
  readonly read: string;
}

/** A user's topic permissions on one exchange of a vhost: regexes on routing keys. */
export interface TopicPermissions {
  readonly exchange: string;
  readonly write: string;
  readonly read: string;
}

/** Patterns with their compiled expressions. */
export class CompiledPermissions implements VhostPermissions {
  readonly configureRe: RegExp;
  readonly writeRe: RegExp;
  readonly readRe: RegExp;
  constructor(
    readonly configure: string,
    readonly write: string,
    readonly read: string,
  ) {
    this.configureRe = compile(configure);
    this.writeRe = compile(write);
    this.readRe = compile(read);
  }

  matches(perm: Permission, name: string): boolean {
    const re = perm === 'configure' ? this.configureRe : perm === 'write' ? this.writeRe : this.readRe;
    return re.test(name);
  }
}

/** RabbitMQ treats an empty pattern as "^$" (nothing but the empty name). */
function compile(pattern: string): RegExp {
  try {
    return new RegExp(pattern === '' ? '^$' : pattern);
  } catch {
    throw preconditionFailed(`Validation failed\n\n${JSON.stringify(pattern)} is not a valid regular expression`);
  }
}

const key = (user: string, vhost: string): string => `${user}\u0000${vhost}`;

/**
 * Every user's permissions and topic permissions, by user and vhost. Each change bumps `version`,
 * so connections redo the checks they cached. Changes are written to the store before returning;
 * `restore*` (recovery) writes nothing.
 */
export class Permissions {
  private readonly entries = new Map<string, { user: string; vhost: string; p: CompiledPermissions }>();
  private readonly topics = new Map<string, Map<string, TopicPermissions>>();
  /** bumped on every change */
  version = 0;
  /** where changes are written (null: in memory only); set by the broker */
  storage: DefinitionStorage | null = null;

  get(user: string, vhost: string): CompiledPermissions | undefined {
    return this.entries.get(key(user, vhost))?.p;
  }

  set(user: string, vhost: string, p: VhostPermissions): void {
    this.restore(user, vhost, p);
    this.storage?.putPermission({ user, vhost, configure: p.configure, write: p.write, read: p.read });
  }

  restore(user: string, vhost: string, p: VhostPermissions): void {
    this.entries.set(key(user, vhost), { user, vhost, p: new CompiledPermissions(p.configure, p.write, p.read) });
    this.version++;
  }

  clear(user: string, vhost: string): boolean {
    const existed = this.entries.delete(key(user, vhost));
    if (existed) {
      this.version++;
      this.storage?.deletePermission(user, vhost);
    }
    return existed;
  }

  list(): { user: string; vhost: string; permissions: VhostPermissions }[] {
    return [...this.entries.values()].map(({ user, vhost, p }) => ({ user, vhost, permissions: p }));
  }

  /** Topic permissions of a user in a vhost, by exchange (undefined: none, every routing key allowed). */
  topicsOf(user: string, vhost: string): ReadonlyMap<string, TopicPermissions> | undefined {
    return this.topics.get(key(user, vhost));
  }

  setTopic(user: string, vhost: string, t: TopicPermissions): void {
    compile(t.write);
    compile(t.read);
    this.restoreTopic(user, vhost, t);
    this.storage?.putTopicPermission({ user, vhost, exchange: t.exchange, write: t.write, read: t.read });
  }

  restoreTopic(user: string, vhost: string, t: TopicPermissions): void {
    const k = key(user, vhost);
    let m = this.topics.get(k);
    if (m === undefined) this.topics.set(k, (m = new Map<string, TopicPermissions>()));
    m.set(t.exchange, { exchange: t.exchange, write: t.write, read: t.read });
    this.version++;
  }

  /** Clear one exchange's topic permissions, or all of the user's in the vhost. */
  clearTopic(user: string, vhost: string, exchange?: string): boolean {
    const k = key(user, vhost);
    const m = this.topics.get(k);
    if (m === undefined) return false;
    const names = exchange === undefined ? [...m.keys()] : m.has(exchange) ? [exchange] : [];
    for (const name of names) {
      m.delete(name);
      this.storage?.deleteTopicPermission(user, vhost, name);
    }
    if (m.size === 0) this.topics.delete(k);
    if (names.length > 0) this.version++;
    return names.length > 0;
  }

  listTopics(): { user: string; vhost: string; permissions: TopicPermissions }[] {
    const out: { user: string; vhost: string; permissions: TopicPermissions }[] = [];
    for (const [k, m] of this.topics) {
      const [user, vhost] = k.split('\u0000') as [string, string];
      for (const t of m.values()) out.push({ user, vhost, permissions: t });
    }
    return out;
  }

  /** A user or a vhost is gone: forget its permissions here (the store cascades on its own). */
  forget(match: { user?: string; vhost?: string }): void {
    const hit = (user: string, vhost: string): boolean =>
      (match.user === undefined || match.user === user) && (match.vhost === undefined || match.vhost === vhost);
    for (const [k, e] of this.entries) if (hit(e.user, e.vhost)) this.entries.delete(k);
    for (const k of [...this.topics.keys()]) {
      const [user, vhost] = k.split('\u0000') as [string, string];
      if (hit(user, vhost)) this.topics.delete(k);
    }
    this.version++;
  }
}
