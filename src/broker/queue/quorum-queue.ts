import type { QueueType } from '../queue-arguments.js';
import { ClassicQueue } from './classic-queue.js';

/**
 * A quorum queue (x-queue-type: quorum), as far as one node goes: every message is stored,
 * persistent or not, and deliveries are always counted (x-delivery-count, even on a first
 * basic.get). Declaration rules (durable, not exclusive, not auto-delete) are checked when the
 * arguments are parsed; policy precedence in policy.ts. Replication is the cluster's (a mirrored
 * queue type behind the same Queue interface).
 */
export class QuorumQueue extends ClassicQueue {
  override readonly type: QueueType = 'quorum';

  protected override readonly storesEveryMessage: boolean = true;

  protected override countsDeliveries(): boolean {
    return true;
  }
}
