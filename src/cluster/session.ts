/**
 * The node's etcd session (CLUSTER.md 6.2): one lease of TTL leaseTtlMs, kept alive every
 * `interval` (1 s, or TTL/5 when the TTL is short), under which the node registers and holds the
 * leader key. The session is *lost* when etcd says the lease is gone or when no keepalive has
 * succeeded for TTL − 2 × interval, counted from the send time of the last successful request;
 * then the node must assume its keys are gone (a leader self-fences) and start a new session.
 *
 * Keepalives go to one etcd member at a time (a client per endpoint, this node's own member
 * first): a pooled client picks a random member per call, so with one member dead a third of the
 * keepalives would go nowhere. A keepalive that fails or takes longer than two intervals moves
 * to the next member and is retried at once.
 */
import type { Etcd3 } from 'etcd3';
import { logger } from '../util/logger.js';

const log = logger('cluster.session');

export class Session {
  /** the lease id (etcd's int64 as a decimal string) */
  readonly leaseId: string;
  /** send time (Date.now()) of the last keepalive etcd answered */
  lastOkSentAt: number;
  lastError: string | null = null;
  /** told the new fencing deadline (Date.now() based) after each successful keepalive */
  onRenewed: ((deadline: number) => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private lostReason: string | null = null;
  private inFlight = false;
  /** index in `members` of the member keepalives go to */
  private member = 0;

  private constructor(
    private readonly client: Etcd3,
    /** one client per etcd endpoint, preferred first */
    private readonly members: readonly Etcd3[],
    leaseId: string,
    grantedSentAt: number,
    readonly ttlMs: number,
    readonly intervalMs: number,
    private readonly onLost: (reason: string) => void,
  ) {
    this.leaseId = leaseId;
    this.lastOkSentAt = grantedSentAt;
  }

  /** Grant a lease and start keeping it alive; rejects when etcd cannot be reached. */
  static async open(client: Etcd3, members: readonly Etcd3[], ttlMs: number, onLost: (reason: string) => void): Promise<Session> {
    const res = await client.leaseClient.leaseGrant({ TTL: Math.ceil(ttlMs / 1000) });
    const interval = Math.min(1000, Math.floor(ttlMs / 5));
    // The grant may have waited out an etcd election: count from a first keepalive instead.
    const session = new Session(client, members, res.ID, Date.now(), ttlMs, interval, onLost);
    if (!(await session.refresh()) && !(await session.refresh())) {
      await session.close();
      throw new Error(`no keepalive of the new lease ${res.ID} succeeded (${session.lastError ?? 'expired'})`);
    }
    session.timer = setInterval(() => session.tick(), interval);
    return session;
  }

  /** True until the session is lost or closed. */
  get alive(): boolean {
    return this.lostReason === null && this.timer !== null;
  }

  /** The fencing deadline: no keepalive success for this long means the lease may be gone. */
  get fenceAfterMs(): number {
    return this.ttlMs - 2 * this.intervalMs;
  }

  /** When this node must stop acting on the lease unless a keepalive succeeds first. */
  get deadline(): number {
    return this.lastOkSentAt + this.fenceAfterMs;
  }

  private tick(): void {
    if (!this.alive) return;
    if (Date.now() - this.lastOkSentAt > this.fenceAfterMs) {
      this.lose(`no etcd keepalive succeeded for ${Date.now() - this.lastOkSentAt} ms (limit ${this.fenceAfterMs} ms)`);
      return;
    }
    if (this.inFlight) return; // one at a time
    this.inFlight = true;
    // A failure moves to the next member; try that one at once rather than an interval later.
    void this.refresh()
      .then((ok) => (ok || !this.alive ? ok : this.refresh()))
      .finally(() => {
        this.inFlight = false;
      });
  }

  /**
   * A keepalive now, before work that blocks the event loop (a leader starting its broker): the
   * fencing deadline then counts from here. False when it did not succeed.
   */
  async refresh(): Promise<boolean> {
    const sentAt = Date.now();
    const member = this.members[this.member % this.members.length] ?? this.client;
    let ttl: number;
    try {
      ttl = await this.keepaliveOnce(member);
    } catch (err) {
      this.lastError = err instanceof Error ? err.message : String(err);
      this.member = (this.member + 1) % Math.max(1, this.members.length);
      return false;
    }
    if (ttl <= 0) {
      this.lose(`etcd says lease ${this.leaseId} is gone`);
      return false;
    }
    this.lastOkSentAt = Math.max(this.lastOkSentAt, sentAt);
    this.lastError = null;
    this.onRenewed?.(this.deadline);
    return true;
  }

  /** One keepalive on its own stream; the new TTL in seconds (0: the lease is gone). */
  private async keepaliveOnce(member: Etcd3): Promise<number> {
    const stream = await member.leaseClient.leaseKeepAlive();
    try {
      return await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('keepalive timed out')), 2 * this.intervalMs);
        stream.on('data', (res: { TTL: string }) => {
          clearTimeout(timer);
          resolve(Number(res.TTL));
        });
        stream.on('error', (err: Error) => {
          clearTimeout(timer);
          reject(err);
        });
        stream.write({ ID: this.leaseId });
      });
    } finally {
      stream.end();
    }
  }

  private lose(reason: string): void {
    if (this.lostReason !== null) return;
    this.lostReason = reason;
    this.stopTimer();
    log.warn(`session lease ${this.leaseId} lost: ${reason}`);
    this.onLost(reason);
  }

  private stopTimer(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** Stop keeping the lease alive and revoke it (its keys go at once); best effort. */
  async close(): Promise<void> {
    this.stopTimer();
    this.lostReason ??= 'closed';
    try {
      await this.client.leaseClient.leaseRevoke({ ID: this.leaseId });
    } catch (err) {
      log.debug(`revoking lease ${this.leaseId} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
