import { logger } from '../util/logger.js';
import { StoreError, StoreErrorCode } from './errors.js';
import { OpBatch } from './op-batch.js';
import type { CommitCallback } from './storage.js';

const log = logger('store.commit');

export interface GroupCommitOptions {
  /** commit at once when a batch holds this many ops (default 16384) */
  maxOps?: number;
  /** commit at once when a batch holds this many message bytes (default 8 MiB) */
  maxBytes?: number;
  /** a batch with at least this many live ops at the end of a turn is busy (default 256) */
  busyOps?: number;
  /** a busy batch may keep growing this long after its first op before it commits (default 6 ms; 0 = never wait) */
  busyDelayMs?: number;
}

/**
 * Group commit (LavinMQ's persister, RabbitMQ's msg_store sync): writes append to `batch`; at
 * the end of the event-loop turn (setImmediate, i.e. after every I/O callback of this loop
 * iteration) the batch is committed in one transaction, then the `commitSoon` callbacks run in
 * registration order. A batch that outgrows maxOps/maxBytes is committed synchronously at once,
 * to bound memory; its callbacks still run from the end-of-turn tick, never re-entrantly inside
 * the write call that crossed the limit.
 *
 * A busy batch (busyOps or more at the end of a turn) waits up to busyDelayMs from its first op
 * before committing: under load one commit then covers more messages, and a message consumed and
 * acked meanwhile never reaches SQLite at all (its insert, enqueue and remove cancel in the batch),
 * as RabbitMQ's msg_store skips writes of messages acked before they were written. A quiet batch
 * (a lone publish waiting for its confirm) commits at the end of its turn, so latency stays low.
 * Confirms still wait for the commit that covers them.
 *
 * A failed commit has been rolled back whole (one transaction). It is logged, and its callbacks
 * get the error: the broker must nack what they cover. The batch is then discarded; later
 * removes of its entries find nothing and change nothing.
 */
export class GroupCommit {
  readonly batch = new OpBatch();
  private readonly maxOps: number;
  private readonly maxBytes: number;
  /** callbacks waiting for the current batch */
  private waiting: CommitCallback[] = [];
  /** callbacks whose batch is done, with its outcome, to run at the next tick */
  private due: CommitCallback[] = [];
  private dueErrors: (Error | null)[] = [];
  private scheduled = false;
  private running = false;
  private readonly busyOps: number;
  private readonly busyDelayMs: number;
  /** when the current batch got its first op (0: empty) */
  private batchStartedAt = 0;
  private readonly tickBound = (): void => this.tick();
  /** commits done (non-empty batches), for tests and metrics */
  commits = 0;

  constructor(
    /** apply the batch in one transaction; throws (after rollback) on failure */
    private readonly commitBatch: (batch: OpBatch) => void,
    options: GroupCommitOptions = {},
  ) {
    this.maxOps = options.maxOps ?? 16_384;
    this.maxBytes = options.maxBytes ?? 8 * 1024 * 1024;
    this.busyOps = options.busyOps ?? 256;
    this.busyDelayMs = options.busyDelayMs ?? 6;
  }

  /** Call after appending to `batch`. */
  appended(): void {
    if (this.batchStartedAt === 0) this.batchStartedAt = Date.now();
    if (this.batch.ops.length >= this.maxOps || this.batch.bytes >= this.maxBytes) this.commitNow();
    if (!this.scheduled) this.schedule();
  }

  commitSoon(callback: CommitCallback): void {
    this.waiting.push(callback);
    if (!this.scheduled) this.schedule();
  }

  /** Commit the current batch now; its callbacks become due. Returns the commit error, if any. */
  commitNow(): Error | null {
    let error: Error | null = null;
    if (this.batch.live > 0) {
      try {
        this.commitBatch(this.batch);
        this.commits++;
      } catch (err) {
        error = new StoreError(StoreErrorCode.CommitFailed, `group commit of ${this.batch.live} ops failed`, {
          cause: err,
        });
        log.error(`group commit of ${this.batch.live} ops failed and was rolled back`, err);
      }
    }
    this.batch.clear();
    this.batchStartedAt = 0;
    const callbacks = this.waiting;
    if (callbacks.length > 0) {
      this.waiting = [];
      for (const cb of callbacks) {
        this.due.push(cb);
        this.dueErrors.push(error);
      }
    }
    return error;
  }

  /** Commit and run every due callback now (shutdown). Throws if the commit failed. */
  flushSync(): void {
    const error = this.commitNow();
    this.runDue();
    if (error !== null) throw error;
  }

  private schedule(): void {
    this.scheduled = true;
    setImmediate(this.tickBound);
  }

  private tick(): void {
    this.scheduled = false;
    if (this.batch.live >= this.busyOps && this.busyDelayMs > 0) {
      const wait = this.batchStartedAt + this.busyDelayMs - Date.now();
      if (wait > 0) {
        // A busy batch keeps growing a little: fewer commits, and acks cancel what was not written.
        this.scheduled = true;
        setTimeout(this.tickBound, wait);
        return;
      }
    }
    this.commitNow();
    this.runDue();
  }

  private runDue(): void {
    if (this.running) return; // re-entered from a callback: the outer loop runs them, in order
    this.running = true;
    try {
      while (this.due.length > 0) {
        const callbacks = this.due;
        const errors = this.dueErrors;
        this.due = [];
        this.dueErrors = [];
        for (let i = 0; i < callbacks.length; i++) {
          try {
            (callbacks[i] as CommitCallback)(errors[i] ?? null);
          } catch (err) {
            log.error('commit callback threw', err);
          }
        }
      }
    } finally {
      this.running = false;
    }
  }
}
