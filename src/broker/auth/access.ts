import { accessRefused } from '../../amqp/errors.js';
import type { CompiledPermissions, Permission, Permissions } from './permissions.js';
import type { User } from './users.js';

export type ResourceKind = 'queue' | 'exchange';

/** What a permission check needs to know of an exchange for topic permissions. */
export interface TopicTarget {
  readonly name: string;
  readonly type: string;
}

/**
 * Who performs an operation, as the broker's entry points see it: the user's rights in one vhost.
 * Every vhost operation takes one; AMQP passes its connection's, the HTTP API its request user's,
 * and recovery and replication pass TRUSTED.
 */
export interface AccessCheck {
  /** the user's name ('' when trusted) */
  readonly userName: string;
  /** changes whenever any permission changes: checks cached against it are redone */
  readonly version: number;
  /** may set a user_id other than its own (RabbitMQ's impersonator tag) */
  readonly impersonator: boolean;
  /** throws 403 ACCESS_REFUSED with RabbitMQ's text unless allowed */
  check(kind: ResourceKind, name: string, perm: Permission): void;
  /** topic permission on a topic exchange's routing key (other exchange types: always allowed) */
  checkTopic(x: TopicTarget, routingKey: string, perm: 'write' | 'read'): void;
}

/** Internal callers (recovery, replication, the broker itself): every check passes. */
export const TRUSTED: AccessCheck = {
  userName: '',
  version: 0,
  impersonator: true,
  check: () => undefined,
  checkTopic: () => undefined,
};

/**
 * A user's access to one vhost, as RabbitMQ's internal authorisation backend decides it: each
 * resource name must match the user's regex for the permission; the default exchange is checked
 * as 'amq.default'; topic permissions apply to topic exchanges that have some for the user, with
 * {username}, {vhost} and {client_id} expanded.
 */
export class Access implements AccessCheck {
  /**
   * The user's tags as they were at login: RabbitMQ keeps the user record a connection logged in
   * with, so set_user_tags applies to the user's next connections, not to the open ones.
   */
  readonly impersonator: boolean;
  private cachedVersion = -1;
  private cached: CompiledPermissions | undefined;
  /** compiled, expanded topic patterns by permission and exchange, valid for cachedVersion */
  private readonly topicPatterns = new Map<string, RegExp | null>();

  constructor(
    readonly user: User,
    readonly vhost: string,
    private readonly permissions: Permissions,
    /** the client's client_id property, for {client_id} in topic permissions */
    private readonly clientId: string | undefined = undefined,
  ) {
    this.impersonator = user.hasTag('impersonator');
  }

  get userName(): string {
    return this.user.name;
  }

  get version(): number {
    return this.permissions.version;
  }

  /** May the user open the vhost at all (has any permissions there)? */
  hasVhostAccess(): boolean {
    return this.current() !== undefined;
  }

  allowed(kind: ResourceKind, name: string, perm: Permission): boolean {
    const p = this.current();
    if (p === undefined) return false;
    return p.matches(perm, kind === 'exchange' && name === '' ? 'amq.default' : name);
  }

  check(kind: ResourceKind, name: string, perm: Permission): void {
    if (this.allowed(kind, name, perm)) return;
    const shown = kind === 'exchange' && name === '' ? 'amq.default' : name;
    throw accessRefused(`access to ${kind} '${shown}' in vhost '${this.vhost}' refused for user '${this.user.name}'`);
  }

  checkTopic(x: TopicTarget, routingKey: string, perm: 'write' | 'read'): void {
    if (x.type !== 'topic') return;
    const re = this.topicPattern(x.name, perm);
    if (re === null || re.test(routingKey)) return;
    throw accessRefused(
      `access to topic '${routingKey}' in exchange '${x.name}' in vhost '${this.vhost}' refused for user '${this.user.name}'`,
    );
  }

  /** The topic pattern for an exchange (null: no topic permission, every key allowed), compiled once per change. */
  private topicPattern(exchange: string, perm: 'write' | 'read'): RegExp | null {
    this.current();
    const key = `${perm}\u0000${exchange}`;
    let re = this.topicPatterns.get(key);
    if (re === undefined) {
      const t = this.permissions.topicsOf(this.user.name, this.vhost)?.get(exchange);
      const pattern = t === undefined ? undefined : this.expand(perm === 'write' ? t.write : t.read);
      re = pattern === undefined ? null : compileTopic(pattern);
      this.topicPatterns.set(key, re);
    }
    return re;
  }

  private expand(pattern: string): string {
    let out = pattern.replaceAll('{username}', this.user.name).replaceAll('{vhost}', this.vhost);
    if (this.clientId !== undefined) out = out.replaceAll('{client_id}', this.clientId);
    return out;
  }

  private current(): CompiledPermissions | undefined {
    if (this.cachedVersion !== this.permissions.version) {
      this.cached = this.permissions.get(this.user.name, this.vhost);
      this.topicPatterns.clear();
      this.cachedVersion = this.permissions.version;
    }
    return this.cached;
  }
}

/** A topic pattern after expansion; one that no longer compiles (a name with regex syntax) matches nothing. */
function compileTopic(pattern: string): RegExp {
  try {
    return new RegExp(pattern === '' ? '^$' : pattern);
  } catch {
    return /(?!)/;
  }
}
