/**
 * The confirm log of the fault run (CLUSTER.md 6.9, 7.4 single-writer epochs): with
 * `cluster.confirmLog` set, the leader appends one line per basic.ack it sends to a publisher,
 * `{"epoch":E,"ns":"<process.hrtime.bigint()>","n":count}`. On one Linux host hrtime reads the
 * system-wide CLOCK_MONOTONIC, so the lines of every node compare: all confirms of epoch E must
 * precede those of E' > E. Each line is a synchronous append (page cache, no fsync): a broker
 * killed with SIGKILL keeps every line it wrote. Off by default; a test aid, not for production.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { logger } from '../util/logger.js';

const log = logger('cluster.confirm-log');

export class ConfirmLog {
  private fd: number | null;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'a');
  }

  /** The broker's onConfirmed hook for the term of `epoch`. */
  hook(epoch: number): (n: number) => void {
    return (n) => {
      if (this.fd === null) return;
      try {
        writeSync(this.fd, `{"epoch":${epoch},"ns":"${process.hrtime.bigint()}","n":${n}}\n`);
      } catch (err) {
        log.warn(`cannot append to ${this.path}: ${err instanceof Error ? err.message : String(err)}; confirm log off`);
        this.close();
      }
    };
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
