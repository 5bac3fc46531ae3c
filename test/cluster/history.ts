/**
 * The recorded history of a fault-injection run (CLUSTER.md 7.2, Jepsen `total-queue` style),
 * which test/cluster/checker.ts judges. Publishers record *attempted* before sending, then
 * *confirmed* on ack, *failed* on nack or *unknown* on timeout or connection loss; consumers record
 * every delivery before acking it; the harness adds the brokers' confirm log lines, each leader
 * change with the ISR current at the time, and the start and heal of each fault.
 *
 * Times of client events and faults are monotonic milliseconds (`monotonicMs()`); confirm log
 * lines carry the broker's `process.hrtime.bigint()` nanoseconds, which on one Linux host read the
 * same CLOCK_MONOTONIC in every process, so they compare across nodes.
 */
import { createHash } from 'node:crypto';

export type PublishOutcome = 'confirmed' | 'failed' | 'unknown';

export interface PublishRecord {
  id: string;
  /** sha256 (hex) of the body sent. */
  bodyHash: string;
  attemptedAt: number;
  /** Absent while the publish is in flight. */
  outcome?: PublishOutcome;
  outcomeAt?: number;
}

export interface Delivery {
  id: string;
  /** sha256 (hex) of the body received. */
  bodyHash: string;
  redelivered: boolean;
  /** The node the consumer was connected to. */
  node: string;
  at: number;
}

/** One broker log line for a confirm it issued. */
export interface ConfirmLogLine {
  epoch: number;
  /** CLOCK_MONOTONIC nanoseconds (`process.hrtime.bigint()` on the broker). */
  ns: bigint;
  node: string;
}

/** A leader-key creation, with the ISR value current at that revision (null: none yet, bootstrap). */
export interface LeaderChange {
  epoch: number;
  node: string;
  isr: readonly string[] | null;
  at: number;
}

/** One injected fault; `healedAt` stays absent until it is healed. */
export interface FaultWindow {
  name: string;
  startedAt: number;
  healedAt?: number;
}

/** Everything the checker reads; plain data, so it can be written to a file and read back. */
export interface HistoryData {
  publishes: PublishRecord[];
  deliveries: Delivery[];
  confirmLog: ConfirmLogLine[];
  leaders: LeaderChange[];
  faults: FaultWindow[];
}

/** Monotonic milliseconds, on the clock every history event uses. */
export const monotonicMs = (): number => Number(process.hrtime.bigint() / 1000n) / 1000;

export const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

/** The body of message `id`: the id and sha256 of the id (7.2), so a body proves its id. */
export const messageBody = (id: string): Buffer => Buffer.from(`${id} ${sha256(id)}`);

/** Records a run. Not thread-safe across processes: one recorder per load process, merged after. */
export class History {
  private readonly publishes = new Map<string, PublishRecord>();
  private readonly deliveries: Delivery[] = [];
  private readonly confirmLog: ConfirmLogLine[] = [];
  private readonly leaders: LeaderChange[] = [];
  private readonly faults: FaultWindow[] = [];

  constructor(private readonly now: () => number = monotonicMs) {}

  /** Before sending; returns the body to send. */
  attempted(id: string, body: Buffer = messageBody(id)): Buffer {
    if (this.publishes.has(id)) throw new Error(`message id ${id} attempted twice`);
    this.publishes.set(id, { id, bodyHash: sha256(body), attemptedAt: this.now() });
    return body;
  }

  confirmed(id: string): void {
    this.settle(id, 'confirmed');
  }

  failed(id: string): void {
    this.settle(id, 'failed');
  }

  unknown(id: string): void {
    this.settle(id, 'unknown');
  }

  delivered(id: string, body: Buffer, redelivered: boolean, node: string): void {
    this.deliveries.push({ id, bodyHash: sha256(body), redelivered, node, at: this.now() });
  }

  confirmLine(epoch: number, ns: bigint, node: string): void {
    this.confirmLog.push({ epoch, ns, node });
  }

  leaderChange(epoch: number, node: string, isr: readonly string[] | null): void {
    this.leaders.push({ epoch, node, isr: isr === null ? null : [...isr], at: this.now() });
  }

  /** Mark a fault's start; call the returned function when it is healed. */
  fault(name: string): () => void {
    const window: FaultWindow = { name, startedAt: this.now() };
    this.faults.push(window);
    return () => {
      window.healedAt ??= this.now();
    };
  }

  /** A copy of everything recorded so far. */
  data(): HistoryData {
    return {
      publishes: [...this.publishes.values()].map((p) => ({ ...p })),
      deliveries: [...this.deliveries],
      confirmLog: [...this.confirmLog],
      leaders: [...this.leaders],
      faults: this.faults.map((f) => ({ ...f })),
    };
  }

  /**
   * A late ack still counts: `confirmed` replaces `unknown`, and nothing replaces `confirmed`
   * (a connection lost after the ack must not turn a confirmed message into an unknown one).
   */
  private settle(id: string, outcome: PublishOutcome): void {
    const record = this.publishes.get(id);
    if (record === undefined) throw new Error(`message id ${id} settled but never attempted`);
    if (record.outcome === 'confirmed') return;
    if (record.outcome !== undefined && outcome !== 'confirmed') return;
    record.outcome = outcome;
    record.outcomeAt = this.now();
  }
}

/** JSON with the confirm log's bigint nanoseconds as strings (for a run's artifact file). */
export const historyToJson = (data: HistoryData): string =>
  JSON.stringify(data, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));

export function historyFromJson(text: string): HistoryData {
  const data = JSON.parse(text) as HistoryData & { confirmLog: { epoch: number; ns: string; node: string }[] };
  return { ...data, confirmLog: data.confirmLog.map((line) => ({ ...line, ns: BigInt(line.ns) })) };
}
