/**
 * A follower's copy of the leader's store (CLUSTER.md 6.3): written only by applying the leader's
 * change-log records, each batch of records in one transaction with the position of its last
 * record, or replaced whole by a snapshot image. Opening it marks the file unclean, so a follower
 * promoted to leader hands out every message it holds as redelivered (CLUSTER.md 6.5).
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { positionWriter, readPosition, type LogPosition } from './change-log.js';
import { openDatabase } from './database.js';
import { DefinitionsStore } from './definitions-store.js';
import { StoreError, StoreErrorCode } from './errors.js';
import { LockFile } from './lock-file.js';
import { decodeOps, isDefinition, type DefinitionOp } from './log-codec.js';
import { MessageStore } from './message-store.js';
import type { StoreOp } from './op-batch.js';
import type { QueueDefinition } from './storage.js';

/** One record as the log ships it. */
export interface LogRecord {
  readonly epoch: number;
  readonly seq: number;
  readonly payload: Buffer;
}

/** The DefinitionStorage writes a record may carry (putQueue has its own path). */
const DEFINITION_WRITES = new Set([
  'putVhost', 'deleteVhost', 'putUser', 'deleteUser', 'putPermission', 'deletePermission',
  'putTopicPermission', 'deleteTopicPermission', 'putExchange', 'deleteExchange', 'deleteQueue',
  'putBinding', 'deleteBinding', 'putPolicy', 'deletePolicy', 'putParameter', 'deleteParameter',
]);

export class Replica {
  private position: LogPosition;
  private readonly applyTx: (records: readonly LogRecord[]) => void;
  private closed = false;

  private constructor(
    private readonly db: BetterSqlite3.Database,
    private readonly lock: LockFile,
    private readonly definitions: DefinitionsStore,
    private readonly messages: MessageStore,
  ) {
    this.position = readPosition(db);
    const writePosition = positionWriter(db);
    this.applyTx = db.transaction((records: readonly LogRecord[]) => {
      for (const r of records) this.applyRecord(r);
      const last = records[records.length - 1] as LogRecord;
      writePosition({ epoch: last.epoch, seq: last.seq });
    });
  }

  static open(dataDir: string): Replica {
    const { db, lock } = openDatabase(dataDir, { integrityCheck: false });
    try {
      // The leader's cascades arrive as records of their own: none here.
      const definitions = new DefinitionsStore(db, () => undefined);
      const messages = new MessageStore(db);
      db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('clean_shutdown', 0)").run();
      return new Replica(db, lock, definitions, messages);
    } catch (err) {
      db.close();
      lock.release();
      throw err;
    }
  }

  /** The last record applied. */
  get at(): LogPosition {
    return this.position;
  }

  /**
   * Apply records in one transaction (fsynced). Records at or below the position are skipped; a
   * gap, or a record that does not fit this copy (a diverged follower), throws with nothing applied.
   */
  apply(records: readonly LogRecord[]): void {
    const fresh = records.filter((r) => r.seq > this.position.seq);
    if (fresh.length === 0) return;
    let expect = this.position.seq + 1;
    for (const r of fresh) {
      if (r.seq !== expect) throw divergence(`record ${r.seq} after ${expect - 1}: a gap in the log`);
      expect++;
    }
    try {
      this.applyTx(fresh);
    } catch (err) {
      throw err instanceof StoreError ? err : divergence(`record does not apply: ${(err as Error).message}`, err);
    }
    const last = fresh[fresh.length - 1] as LogRecord;
    this.position = { epoch: last.epoch, seq: last.seq };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.db.close();
    } finally {
      this.lock.release();
    }
  }

  /**
   * Replace the store in `dataDir` by a snapshot image (no store may be open there): the image is
   * written beside it and fsynced, the old WAL is removed, then the image is renamed over the file.
   */
  static install(dataDir: string, image: Buffer): void {
    const lock = LockFile.acquire(dataDir);
    try {
      const file = join(dataDir, 'warren.db');
      const tmp = `${file}.snapshot`;
      const fd = openSync(tmp, 'w');
      try {
        for (let off = 0; off < image.length; ) off += writeSync(fd, image, off, image.length - off);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      rmSync(`${file}-wal`, { force: true });
      rmSync(`${file}-shm`, { force: true });
      renameSync(tmp, file);
      const dir = openSync(dirname(file), 'r');
      try {
        fsyncSync(dir);
      } finally {
        closeSync(dir);
      }
    } finally {
      lock.release();
    }
  }

  private applyRecord(r: LogRecord): void {
    let run: StoreOp[] = [];
    for (const op of decodeOps(r.payload)) {
      if (!isDefinition(op)) {
        run.push(op);
        continue;
      }
      if (run.length > 0) this.messages.applyOps(run);
      run = [];
      this.applyDefinition(op);
    }
    if (run.length > 0) this.messages.applyOps(run);
  }

  private applyDefinition(op: DefinitionOp): void {
    if (op.op === 'putQueue') {
      const id = this.definitions.putQueueWithId(op.args[0] as QueueDefinition, op.id ?? 0);
      if (id !== op.id) throw divergence(`queue id ${id} where the leader has ${op.id ?? '?'}`);
      return;
    }
    if (!DEFINITION_WRITES.has(op.op)) throw divergence(`unknown definition op ${op.op}`);
    const call = (this.definitions as unknown as Record<string, (...args: unknown[]) => void>)[op.op];
    call?.apply(this.definitions, op.args as unknown[]);
  }
}

function divergence(detail: string, cause?: unknown): StoreError {
  return new StoreError(StoreErrorCode.Diverged, `replica diverged from the leader's log: ${detail}`, cause === undefined ? undefined : { cause });
}
