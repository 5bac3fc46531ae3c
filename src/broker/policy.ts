/**
 * RabbitMQ's policy model (rabbit_policy, 3.13): policies and operator policies per vhost, the one
 * of each that applies to a queue or exchange, and how their definitions combine with a queue's
 * x-arguments. Pure logic; the vhost re-applies effective settings when policies change.
 *
 * Matching (rabbit_policy:match/2): same vhost; apply-to covers the entity (queues: all, queues,
 * and classic_queues / quorum_queues by type; exchanges: all, exchanges); for a queue, no
 * definition key its type does not support (one with ha-mode never applies to a quorum queue,
 * one with max-in-memory-length never to a classic queue; RabbitMQ also keeps delivery-limit
 * policies off classic queues, Warren supports the limit there); the pattern matches anywhere in the
 * name. The highest priority wins. RabbitMQ picks among equal priorities undeterministically
 * (its docs say to avoid it); Warren takes the first name in byte order.
 *
 * Precedence between x-argument, policy and operator policy (rabbit_amqqueue_process
 * process_args_policy, rabbit_quorum_queue ra_machine_config, rabbit_policies merge_policy_value):
 *   policy vs operator policy, same key: message-ttl, expires, max-length, max-length-bytes,
 *     max-in-memory-*, delivery-limit: the lower; overflow, queue-version, ha-sync-mode: the
 *     operator's; target-group-size: the higher; ha-mode / ha-params: rabbit_mirror_queue_misc's.
 *   that merged value vs the x-argument:
 *     classic: message-ttl, expires, max-length, max-length-bytes: the lower;
 *              dead-letter-exchange, dead-letter-routing-key, overflow, queue-mode: the argument.
 *     quorum:  message-ttl, max-length, max-length-bytes, delivery-limit: the lower;
 *              expires, overflow: the policy; dead-letter-exchange / -routing-key: the argument;
 *              reject-publish-dlx is not supported and acts as drop-head.
 *     both:    consumer-timeout: the lower; x-max-priority, x-single-active-consumer: argument only.
 *     classic delivery-limit (a Warren extension) resolves as on quorum queues: the lower.
 */
import type { Overflow, QueueArguments } from './queue-arguments.js';
import { byteOrder, compilePattern, PolicyValidationError, validatePolicy } from './policy-validation.js';

export { PolicyValidationError } from './policy-validation.js';

export type ApplyTo = 'queues' | 'classic_queues' | 'quorum_queues' | 'exchanges' | 'all' | 'streams';

export interface Policy {
  vhost: string;
  name: string;
  /** A regular expression searched for in entity names. */
  pattern: string;
  applyTo: ApplyTo;
  priority: number;
  definition: Record<string, unknown>;
  /** An operator policy (rabbitmqctl set_operator_policy) rather than a user policy. */
  operator: boolean;
}

export interface PolicyMatch {
  policy: Policy | undefined;
  operatorPolicy: Policy | undefined;
}

export interface EffectiveQueueSettings {
  messageTtl: number | undefined;
  expires: number | undefined;
  maxLength: number | undefined;
  maxLengthBytes: number | undefined;
  overflow: Overflow;
  deadLetterExchange: string | undefined;
  deadLetterRoutingKey: string | undefined;
  deliveryLimit: number | undefined;
  consumerTimeout: number | undefined;
  maxPriority: number | undefined;
  singleActiveConsumer: boolean;
  queueMode: 'default' | 'lazy' | undefined;
  /** Warren's delayed-message policy key. */
  delayedMessage: boolean;
  /** The names RabbitMQ shows as the queue's policy and operator_policy. */
  policy: string | undefined;
  operatorPolicy: string | undefined;
  /** The policy definition merged with the operator policy's (RabbitMQ's effective_policy_definition). */
  definition: Record<string, unknown>;
}

/** Policy keys each queue type refuses: a policy holding one does not apply to it (3.13 capabilities). */
const UNSUPPORTED: Record<'classic' | 'quorum', ReadonlySet<string>> = {
  classic: new Set([
    'max-age', 'stream-max-segment-size-bytes', 'queue-leader-locator', 'initial-cluster-size',
    'dead-letter-strategy', 'max-in-memory-length', 'max-in-memory-bytes', 'target-group-size',
    // RabbitMQ also lists delivery-limit; Warren supports it on classic queues.
  ]),
  quorum: new Set([
    'max-priority', 'queue-mode', 'single-active-consumer', 'ha-mode', 'ha-params', 'ha-sync-mode',
    'ha-promote-on-shutdown', 'ha-promote-on-failure', 'queue-master-locator', 'max-age',
    'stream-max-segment-size-bytes', 'initial-cluster-size',
  ]),
};

interface Entry {
  policy: Policy;
  regex: RegExp;
}

export class PolicyRegistry {
  private readonly entries = new Map<string, Entry>();

  /** Validates (throwing PolicyValidationError with RabbitMQ's text) and adds or replaces. */
  set(p: Policy): void {
    const errors = validatePolicy(p);
    const regex = errors.length === 0 ? compilePattern(p.pattern) : undefined;
    if (!(regex instanceof RegExp)) throw new PolicyValidationError(errors);
    const policy: Policy = { ...p, definition: { ...p.definition } };
    this.entries.set(key(p.vhost, p.name, p.operator), { policy, regex });
  }

  get(vhost: string, name: string, operator: boolean): Policy | undefined {
    return this.entries.get(key(vhost, name, operator))?.policy;
  }

  delete(vhost: string, name: string, operator: boolean): boolean {
    return this.entries.delete(key(vhost, name, operator));
  }

  /** In RabbitMQ's listing order within a vhost: ascending priority (then name). */
  list(vhost?: string, operator?: boolean): Policy[] {
    return [...this.entries.values()]
      .map((e) => e.policy)
      .filter((p) => (vhost === undefined || p.vhost === vhost) && (operator === undefined || p.operator === operator))
      .sort((a, b) => byteOrder(a.vhost, b.vhost) || a.priority - b.priority || byteOrder(a.name, b.name));
  }

  /** The policy and the operator policy in effect for a queue or exchange (queueType is ignored for exchanges). */
  match(vhost: string, name: string, kind: 'queue' | 'exchange', queueType: 'classic' | 'quorum'): PolicyMatch {
    let policy: Policy | undefined;
    let operatorPolicy: Policy | undefined;
    for (const { policy: p, regex } of this.entries.values()) {
      if (p.vhost !== vhost || !appliesTo(p, kind, queueType) || !regex.test(name)) continue;
      const best = p.operator ? operatorPolicy : policy;
      if (best !== undefined && (best.priority > p.priority || (best.priority === p.priority && byteOrder(best.name, p.name) <= 0))) continue;
      if (p.operator) operatorPolicy = p;
      else policy = p;
    }
    return { policy, operatorPolicy };
  }
}

const key = (vhost: string, name: string, operator: boolean): string => JSON.stringify([vhost, name, operator]);

function appliesTo(p: Policy, kind: 'queue' | 'exchange', queueType: 'classic' | 'quorum'): boolean {
  if (kind === 'exchange') return p.applyTo === 'exchanges' || p.applyTo === 'all';
  const byType = p.applyTo === 'all' || p.applyTo === 'queues' || p.applyTo === `${queueType}_queues`;
  return byType && !Object.keys(p.definition).some((k) => UNSUPPORTED[queueType].has(k));
}

/** rabbit_policy:merge_operator_definitions/2 with each key's merge strategy. */
export function mergeOperatorDefinitions(policy: Policy | undefined, operatorPolicy: Policy | undefined): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...policy?.definition };
  for (const [k, opVal] of Object.entries(operatorPolicy?.definition ?? {})) {
    merged[k] = k in merged ? mergePolicyValue(k, merged[k], opVal) : opVal;
  }
  return merged;
}

const MIN_KEYS = new Set([
  'message-ttl', 'max-length', 'max-length-bytes', 'max-in-memory-length', 'max-in-memory-bytes', 'expires', 'delivery-limit',
]);

function mergePolicyValue(k: string, val: unknown, opVal: unknown): unknown {
  if (MIN_KEYS.has(k) && typeof val === 'number' && typeof opVal === 'number') return Math.min(val, opVal);
  if (k === 'target-group-size' && typeof val === 'number' && typeof opVal === 'number') return Math.max(val, opVal);
  if (k === 'ha-mode') {
    // rabbit_mirror_queue_misc: the same mode, else all beats the rest, then exactly beats nodes.
    for (const mode of ['all', 'exactly']) if (val === mode || opVal === mode) return val === mode ? val : opVal;
    return opVal;
  }
  if (k === 'ha-params') {
    if (typeof val === 'number' && typeof opVal === 'number') return Math.max(val, opVal);
    if (typeof val === 'number' || typeof opVal === 'number') return typeof val === 'number' ? val : opVal;
    if (Array.isArray(val) && Array.isArray(opVal)) return val.length > opVal.length ? val : opVal;
  }
  return opVal; // overflow, queue-version, ha-sync-mode, booleans: the operator's value
}

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const lower = (a: number | undefined, b: number | undefined): number | undefined => (a === undefined ? b : b === undefined ? a : Math.min(a, b));

/** The settings a queue runs with, from its x-arguments, its policy and its operator policy. */
export function effectiveQueueSettings(
  args: QueueArguments,
  policy: Policy | undefined,
  operatorPolicy: Policy | undefined,
): EffectiveQueueSettings {
  const d = mergeOperatorDefinitions(policy, operatorPolicy);
  const quorum = args.queueType === 'quorum';
  const policyOverflow = str(d['overflow']) as Overflow | undefined;
  const argOverflow = args.overflowSet ? args.overflow : undefined;
  let overflow = (quorum ? (policyOverflow ?? argOverflow) : (argOverflow ?? policyOverflow)) ?? 'drop-head';
  if (quorum && overflow === 'reject-publish-dlx') overflow = 'drop-head';
  const policyMode = d['queue-mode'] === 'default' || d['queue-mode'] === 'lazy' ? d['queue-mode'] : undefined;
  return {
    messageTtl: lower(args.messageTtl, num(d['message-ttl'])),
    expires: quorum ? (num(d['expires']) ?? args.expires) : lower(args.expires, num(d['expires'])),
    maxLength: lower(args.maxLength, num(d['max-length'])),
    maxLengthBytes: lower(args.maxLengthBytes, num(d['max-length-bytes'])),
    overflow,
    deadLetterExchange: args.deadLetterExchange ?? str(d['dead-letter-exchange']),
    deadLetterRoutingKey: args.deadLetterRoutingKey ?? str(d['dead-letter-routing-key']),
    deliveryLimit: lower(args.deliveryLimit, num(d['delivery-limit'])),
    consumerTimeout: lower(args.consumerTimeout, num(d['consumer-timeout'])),
    maxPriority: quorum ? undefined : args.maxPriority,
    singleActiveConsumer: args.singleActiveConsumer,
    queueMode: quorum ? undefined : (args.queueMode ?? policyMode),
    delayedMessage: d['delayed-message'] === true,
    policy: policy?.name,
    operatorPolicy: operatorPolicy?.name,
    definition: d,
  };
}
