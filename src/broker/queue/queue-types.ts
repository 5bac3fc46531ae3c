import type { Clock } from '../../util/clock.js';
import type { QueueType } from '../queue-arguments.js';
import { ClassicQueue } from './classic-queue.js';
import type { Queue, QueueOptions } from './queue.js';
import { QuorumQueue } from './quorum-queue.js';
import type { QueueSettings } from './settings.js';

export type QueueFactory = (name: string, vhost: string, options: QueueOptions, settings: QueueSettings, clock: Clock) => Queue;

/**
 * Queue types by x-queue-type, as exchange types are in exchange/registry.ts: the vhost creates
 * every queue through here and depends on the Queue interface only. A mirrored type registers here.
 */
const QUEUE_TYPES: Record<QueueType, QueueFactory> = {
  classic: (name, vhost, options, settings, clock) => new ClassicQueue(name, vhost, options, settings, clock),
  quorum: (name, vhost, options, settings, clock) => new QuorumQueue(name, vhost, options, settings, clock),
};

export function createQueue(type: QueueType, name: string, vhost: string, options: QueueOptions, settings: QueueSettings, clock: Clock): Queue {
  return QUEUE_TYPES[type](name, vhost, options, settings, clock);
}
