/**
 * Resource alarms, as RabbitMQ's memory and disk alarms: memory in use (RSS) above a high
 * watermark, or free disk space on the data directory's filesystem below a limit. While either is
 * raised the server blocks publishing connections (src/server/flow.ts); this module only watches
 * and reports, and knows nothing of the protocol.
 *
 * One unref'd timer: memory is read every tick (a cheap call), disk every `diskEvery` ticks (one
 * statfs). `check()` forces both at once (startup, tests).
 */
import { statfs } from 'node:fs/promises';
import { totalmem } from 'node:os';
import { logger } from '../util/logger.js';

const log = logger('broker.alarms');

/** RabbitMQ's vm_memory_high_watermark default (relative, 40% of RAM). */
export const DEFAULT_MEMORY_HIGH_WATERMARK = 0.4;
/** RabbitMQ's disk_free_limit default: 50 MB. */
export const DEFAULT_DISK_FREE_LIMIT = 50_000_000;

export type AlarmResource = 'memory' | 'disk';

export interface AlarmState {
  readonly memory: boolean;
  readonly disk: boolean;
}

/** Where readings come from; replaced by fakes in unit tests. */
export interface ResourceProbes {
  /** bytes of memory in use by the process (RSS) */
  memoryUsed(): number;
  /** bytes of RAM on the machine */
  totalMemory(): number;
  /** bytes free to this user on the filesystem holding `dir` */
  diskFree(dir: string): Promise<number>;
}

export const SYSTEM_PROBES: ResourceProbes = {
  memoryUsed: () => process.memoryUsage.rss(),
  totalMemory: () => totalmem(),
  diskFree: async (dir) => {
    const s = await statfs(dir);
    return s.bavail * s.bsize;
  },
};

export interface ResourceAlarmsOptions {
  /** the directory whose filesystem is watched (the data directory). Default '.' */
  dir?: string | undefined;
  /** a fraction of total RAM if <= 1, else bytes. Default 0.4 */
  memoryHighWatermark?: number | undefined;
  /** bytes. Default 50 MB */
  diskFreeLimit?: number | undefined;
  probes?: ResourceProbes | undefined;
  /** timer period, ms. Default 1000 */
  intervalMs?: number | undefined;
  /** disk is read every this many ticks. Default 2 */
  diskEvery?: number | undefined;
}

export type AlarmListener = (state: AlarmState, resource: AlarmResource) => void;

export class ResourceAlarms {
  /** true while any alarm is raised: the one field read on the publish path */
  raised = false;
  private memory = false;
  private disk = false;
  /** last readings and the limits they are compared with, in bytes (for the management API) */
  /** -1 until the first read */
  memoryUsed = -1;
  memoryLimit = 0;
  /** -1 until the first successful read */
  diskFree = -1;
  diskFreeLimit = DEFAULT_DISK_FREE_LIMIT;
  /** the configured watermark as given (fraction or bytes) */
  memoryHighWatermark = DEFAULT_MEMORY_HIGH_WATERMARK;

  readonly dir: string;
  private readonly probes: ResourceProbes;
  private readonly intervalMs: number;
  private readonly diskEvery: number;
  private readonly listeners = new Set<AlarmListener>();
  private timer: NodeJS.Timeout | null = null;
  private ticks = 0;
  private diskPending: Promise<void> | null = null;
  private diskErrorLogged = false;

  constructor(options: ResourceAlarmsOptions = {}) {
    this.dir = options.dir ?? '.';
    this.probes = options.probes ?? SYSTEM_PROBES;
    this.intervalMs = options.intervalMs ?? 1000;
    this.diskEvery = Math.max(1, Math.floor(options.diskEvery ?? 2));
    this.setMemoryHighWatermark(options.memoryHighWatermark ?? DEFAULT_MEMORY_HIGH_WATERMARK);
    this.setDiskFreeLimit(options.diskFreeLimit ?? DEFAULT_DISK_FREE_LIMIT);
  }

  get state(): AlarmState {
    return { memory: this.memory, disk: this.disk };
  }

  /** Listen for alarms being raised or cleared; returns the function that stops listening. */
  onChange(listener: AlarmListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /**
   * Memory watermark: a fraction of total RAM if <= 1 (0 raises the alarm at once, as in
   * RabbitMQ), else bytes. Re-evaluates the memory alarm now.
   */
  setMemoryHighWatermark(value: number): void {
    if (!Number.isFinite(value) || value < 0) {
      throw new RangeError(`memoryHighWatermark must be a fraction of RAM (0..1) or a number of bytes, got ${value}`);
    }
    this.memoryHighWatermark = value;
    this.memoryLimit = value <= 1 ? Math.floor(value * this.probes.totalMemory()) : Math.floor(value);
    if (this.memoryUsed >= 0) this.checkMemory();
  }

  /** Free disk space limit in bytes. Re-evaluates the disk alarm against the last reading. */
  setDiskFreeLimit(bytes: number): void {
    if (!Number.isFinite(bytes) || bytes < 0) throw new RangeError(`diskFreeLimit must be a number of bytes, got ${bytes}`);
    this.diskFreeLimit = Math.floor(bytes);
    if (this.diskFree >= 0) this.set('disk', this.diskFree < this.diskFreeLimit);
  }

  /** Read memory and disk now; resolves with the resulting state. */
  async check(): Promise<AlarmState> {
    this.checkMemory();
    await this.checkDisk();
    return this.state;
  }

  checkMemory(): void {
    this.memoryUsed = this.probes.memoryUsed();
    this.set('memory', this.memoryUsed > this.memoryLimit);
  }

  /** One statfs at a time: a check asked for while one runs shares it. */
  checkDisk(): Promise<void> {
    this.diskPending ??= this.readDisk().finally(() => {
      this.diskPending = null;
    });
    return this.diskPending;
  }

  private async readDisk(): Promise<void> {
    let free: number;
    try {
      free = await this.probes.diskFree(this.dir);
    } catch (err) {
      // Keep the previous state: an unreadable filesystem is no evidence either way.
      if (!this.diskErrorLogged) log.warn(`cannot read free disk space of ${this.dir}: ${err instanceof Error ? err.message : String(err)}`);
      this.diskErrorLogged = true;
      return;
    }
    this.diskErrorLogged = false;
    this.diskFree = free;
    this.set('disk', free < this.diskFreeLimit);
  }

  /** Start the periodic checks (one unref'd timer). */
  start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** One timer period (exposed so tests can drive the schedule without real timers). */
  tick(): void {
    this.checkMemory();
    if (++this.ticks % this.diskEvery === 0) void this.checkDisk();
  }

  private set(resource: AlarmResource, on: boolean): void {
    if ((resource === 'memory' ? this.memory : this.disk) === on) return;
    if (resource === 'memory') this.memory = on;
    else this.disk = on;
    this.raised = this.memory || this.disk;
    if (resource === 'memory') {
      const detail = `memory used: ${this.memoryUsed} bytes, allowed: ${this.memoryLimit} bytes`;
      if (on) log.warn(`memory resource limit alarm set (${detail}); publishers will be blocked until it clears`);
      else log.info(`memory resource limit alarm cleared (${detail})`);
    } else {
      const detail = `free: ${this.diskFree} bytes, limit: ${this.diskFreeLimit} bytes`;
      if (on) log.warn(`disk resource limit alarm set (${detail}); publishers will be blocked until it clears`);
      else log.info(`disk resource limit alarm cleared (${detail})`);
    }
    const state = this.state;
    for (const listener of [...this.listeners]) {
      try {
        listener(state, resource);
      } catch (err) {
        log.error('alarm listener failed', err);
      }
    }
  }
}
