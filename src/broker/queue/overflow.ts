import type { QueueSettings } from './settings.js';

/** Is a queue holding `count` messages of `bytes` over its x-max-length / x-max-length-bytes? */
export function overLimits(s: QueueSettings, count: number, bytes: number): boolean {
  return (s.maxLength !== undefined && count > s.maxLength) || (s.maxLengthBytes !== undefined && bytes > s.maxLengthBytes);
}

/** Would one more message of `size` bytes overflow it (reject-publish)? */
export function wouldOverflow(s: QueueSettings, count: number, bytes: number, size: number): boolean {
  return (s.maxLength !== undefined && count >= s.maxLength) || (s.maxLengthBytes !== undefined && bytes + size > s.maxLengthBytes);
}
