import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { logger } from './logger.js';

const log = logger('warren.memory');

export interface IdleCompactionOptions {
  /** how often to look; the process must have been idle for a whole interval */
  intervalMs: number;
  /** compact only when V8's heap is at least this much larger than its smallest size since the last compaction */
  minGrowthBytes: number;
}

const DEFAULTS: IdleCompactionOptions = { intervalMs: 2000, minGrowthBytes: 32 * 1024 * 1024 };

/**
 * Gives memory back after a burst, as an idle Erlang process hibernates: when no input arrived for
 * a whole interval and V8's heap is well past the smallest size it had since then, one full
 * collection lets V8 release the empty pages. Without it a broker that drained a large backlog
 * kept its peak heap, garbage included (V8 counts dead objects as used until it collects, and its
 * memory reducer seldom runs once allocation stops). At most once per idle period, so a busy
 * broker never pays for it.
 */
export class IdleCompaction {
  private timer: NodeJS.Timeout | null = null;
  private lastActivity = -1;
  private compactedAt = -1;
  /** the smallest heap size seen since the last compaction */
  private baseline = Number.POSITIVE_INFINITY;
  private readonly options: IdleCompactionOptions;

  constructor(
    /** a number that changes whenever the broker does work (input chunks read) */
    private readonly activity: () => number,
    options: Partial<IdleCompactionOptions> = {},
    private readonly heapSize: () => number = () => getHeapStatistics().total_heap_size,
    private readonly collect: () => void = fullGc,
  ) {
    this.options = { ...DEFAULTS, ...options };
  }

  start(): void {
    this.baseline = Math.min(this.baseline, this.heapSize());
    this.timer ??= setInterval(() => this.check(), this.options.intervalMs).unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** One look: compacts (and returns true) if idle since the last look, not yet compacted since, and the heap grew. */
  check(): boolean {
    const now = this.activity();
    const idle = now === this.lastActivity;
    this.lastActivity = now;
    const size = this.heapSize();
    this.baseline = Math.min(this.baseline, size);
    if (!idle || this.compactedAt === now) return false;
    if (size - this.baseline < this.options.minGrowthBytes) return false;
    this.compactedAt = now;
    this.collect();
    this.baseline = this.heapSize();
    log.info(`idle: compacted the heap from ${mib(size)} to ${mib(this.baseline)} MiB`);
    return true;
  }
}

const mib = (bytes: number): string => (bytes / 1048576).toFixed(0);

let gc: (() => void) | undefined;

/**
 * Full collections. `gc` is exposed in a fresh context only, so nothing else sees it. Twice: the
 * first leaves its sweeping to be finished by later work on the main thread, which an idle process
 * never does, and the heap stays at its peak; the second finishes it (measured: 131 -> 46 MiB).
 */
function fullGc(): void {
  if (gc === undefined) {
    setFlagsFromString('--expose_gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
  gc();
}
