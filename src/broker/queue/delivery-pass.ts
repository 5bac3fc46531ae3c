import type { Clock } from '../../util/clock.js';
import { logger } from '../../util/logger.js';

const log = logger('broker.queue');

/** Most messages one pass delivers before yielding to I/O. */
const PASS_BUDGET = 256;

/**
 * A queue's delivery passes: scheduled after the current I/O batch (a message arrived, a consumer
 * gained capacity), bounded to PASS_BUDGET deliveries, then continued with setImmediate so input
 * and other queues get their turn. A failure is logged, never thrown into the event loop.
 */
export class DeliveryPass {
  private scheduled = false;
  private readonly runBound = (): void => this.run();

  constructor(
    private readonly queueName: string,
    private readonly clock: Clock,
    /** deliver one message, judging expiry at `now`; false when nothing more can go now */
    private readonly deliverOne: (now: number) => boolean,
    private readonly stopped: () => boolean,
    /** a pass ended: `more` when it stopped on its budget with deliverable messages left */
    private readonly ended: (more: boolean) => void,
  ) {}

  schedule(): void {
    if (this.scheduled || this.stopped()) return;
    this.scheduled = true;
    process.nextTick(this.runBound);
  }

  /** Run a pass now; `now` is the clock reading that decides expiry (an enqueue's, for TTL 0). */
  run(now: number = this.clock.now()): void {
    this.scheduled = false;
    if (this.stopped()) return;
    try {
      for (let budget = PASS_BUDGET; this.deliverOne(now); ) {
        if (--budget === 0) {
          this.scheduled = true;
          setImmediate(this.runBound);
          this.ended(true);
          return;
        }
      }
      this.ended(false);
    } catch (err) {
      log.error(`delivery from queue '${this.queueName}' failed`, err);
    }
  }
}
