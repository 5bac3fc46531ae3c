import { notAllowed } from '../../amqp/errors.js';
import { Access } from './access.js';
import { limitOf, type VhostLimits } from './limits.js';
import type { Permissions } from './permissions.js';
import type { User } from './users.js';
import type { SessionInfo } from '../session-info.js';
import { Churn } from '../stats/churn.js';

/** What sessions need of a vhost. */
export interface SessionVhost {
  readonly name: string;
  readonly limits: VhostLimits;
}

/**
 * Open connections and channels, counted per vhost and per user for the limits, and the one
 * place that decides whether a user may open a vhost (connection.open, and later the HTTP API and
 * other protocols): RabbitMQ's checks in its order — node connection limit, vhost connection
 * limit, user connection limit, then access to the vhost.
 */
export class Sessions {
  private readonly byVhost = new Map<string, number>();
  private readonly byUser = new Map<string, number>();
  private readonly channelsByUser = new Map<string, number>();
  /** open sessions that describe themselves (SessionInfo), by their access */
  private readonly described = new Map<Access, SessionInfo>();
  /** open connections, all vhosts */
  connections = 0;

  constructor(
    private readonly vhosts: ReadonlyMap<string, SessionVhost>,
    private readonly permissions: Permissions,
    /** server-wide connection limit (RabbitMQ's connection_max); undefined: none */
    private readonly maxConnections: () => number | undefined,
    /** where opened and closed connections and channels are counted */
    private readonly churn: Churn = new Churn(),
  ) {}

  /**
   * Check and count a connection of `user` to `vhostName`; returns its access. Throws 530 with
   * RabbitMQ's texts. `session` lists it (and lets it be closed) until `close`.
   */
  open(user: User, vhostName: string, clientId?: string, session?: SessionInfo): Access {
    const nodeLimit = this.maxConnections();
    if (nodeLimit !== undefined && this.connections >= nodeLimit) {
      throw notAllowed(`connection refused: node connection limit (${nodeLimit}) is reached`);
    }
    const vhost = this.vhosts.get(vhostName);
    if (vhost === undefined) throw notAllowed(`vhost ${vhostName} not found`);
    const vhostLimit = limitOf(vhost.limits, 'max-connections');
    if (vhostLimit !== undefined && (this.byVhost.get(vhostName) ?? 0) >= vhostLimit) {
      throw notAllowed(`access to vhost '${vhostName}' refused for user '${user.name}': connection limit (${vhostLimit}) is reached`);
    }
    const userLimit = limitOf(user.limits, 'max-connections');
    if (userLimit !== undefined && (this.byUser.get(user.name) ?? 0) >= userLimit) {
      throw notAllowed(`connection refused for user '${user.name}': user connection limit (${userLimit}) is reached`);
    }
    const access = new Access(user, vhostName, this.permissions, clientId);
    if (!access.hasVhostAccess()) throw notAllowed(`access to vhost '${vhostName}' refused for user '${user.name}'`);
    this.connections++;
    this.churn.connectionsOpened++;
    bump(this.byVhost, vhostName, 1);
    bump(this.byUser, user.name, 1);
    if (session !== undefined) this.described.set(access, session);
    return access;
  }

  /** A connection that `open` counted has closed. */
  close(access: Access): void {
    this.described.delete(access);
    this.connections--;
    this.churn.connectionsClosed++;
    bump(this.byVhost, access.vhost, -1);
    bump(this.byUser, access.userName, -1);
  }

  /** Check and count a channel of the user (RabbitMQ's max-channels user limit). */
  openChannel(user: User): void {
    const limit = limitOf(user.limits, 'max-channels');
    const open = this.channelsByUser.get(user.name) ?? 0;
    if (limit !== undefined && open >= limit) {
      throw notAllowed(`number of channels opened for user '${user.name}' has reached the maximum allowed user limit of (${limit})`);
    }
    bump(this.channelsByUser, user.name, 1);
    this.churn.channelsOpened++;
  }

  closeChannel(user: User): void {
    bump(this.channelsByUser, user.name, -1);
    this.churn.channelsClosed++;
  }

  connectionsIn(vhost: string): number {
    return this.byVhost.get(vhost) ?? 0;
  }

  connectionsOf(user: string): number {
    return this.byUser.get(user) ?? 0;
  }

  /** open channels, all users */
  get channels(): number {
    let n = 0;
    for (const c of this.channelsByUser.values()) n += c;
    return n;
  }

  /** The open sessions, in the order they opened. */
  list(): SessionInfo[] {
    return [...this.described.values()];
  }

  /** The open session of that name. */
  find(name: string): SessionInfo | undefined {
    for (const s of this.described.values()) if (s.name === name) return s;
    return undefined;
  }

  channelsOf(user: string): number {
    return this.channelsByUser.get(user) ?? 0;
  }
}

function bump(m: Map<string, number>, key: string, by: number): void {
  const n = (m.get(key) ?? 0) + by;
  if (n <= 0) m.delete(key);
  else m.set(key, n);
}
