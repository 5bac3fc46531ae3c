/**
 * queue.declare x-arguments: validation exactly as RabbitMQ 3.10 does it (rabbit_channel's
 * queue.declare handler, rabbit_amqqueue:check_declare_arguments, the quorum type's declare
 * checks), and a typed view for the queue. Call it for a queue that does not exist yet: for an
 * existing queue RabbitMQ checks only equivalence (inequivalentArgument), not validity.
 *
 * Texts verified against RabbitMQ 3.10.8 (amqplib declares), all 406 PRECONDITION_FAILED - ...:
 *   x-message-ttl -1          invalid arg 'x-message-ttl' for queue 'q' in vhost '/': {value_negative,-1}
 *   x-message-ttl 1.5         ... 'x-message-ttl' ...: "expected integer, got double"
 *   x-message-ttl '1000'      ... 'x-message-ttl' ...: "expected integer, got longstr"  (also bool, void, float, timestamp)
 *   x-message-ttl 315360000001  ... {value_too_large,315360000001}   (10 years; x-expires too)
 *   x-expires 0 / -1 / '1'    ... 'x-expires' ...: {value_zero,0} / {value_negative,-1} / "expected integer, got longstr"
 *   x-max-length -1 / '5'     ... 'x-max-length' ...: {value_negative,-1} / "expected integer, got longstr"
 *   x-max-length-bytes -1     ... 'x-max-length-bytes' ...: {value_negative,-1}
 *   x-max-priority 256 / -1   ... 'x-max-priority' ...: {max_value_exceeded,256} / {value_negative,-1}  (0..255 accepted)
 *   x-overflow 'foo' / 5      ... 'x-overflow' ...: invalid_overflow / {unacceptable_type,byte}
 *   x-queue-type 'foo' / 5    ... 'x-queue-type' ...: "unsupported queue type 'foo'" / {unacceptable_type,byte}
 *   x-queue-mode 'foo'        ... 'x-queue-mode' ...: "unsupported queue mode 'foo'"
 *   x-single-active-consumer 'true' / 1   ... {unacceptable_type,longstr} / {unacceptable_type,byte}
 *   x-dead-letter-routing-key without DLX  ... 'x-dead-letter-routing-key' ...: routing_key_but_no_dlx_defined
 *   x-dead-letter-routing-key 5            ... {unacceptable_type,byte}
 *   x-dead-letter-exchange 5  invalid type 'byte' for arg 'x-dead-letter-exchange' in queue 'q' in vhost '/'
 *   quorum + auto-delete      invalid property 'auto-delete' for queue 'q' in vhost '/'   (checked first)
 *   quorum + exclusive        invalid property 'exclusive-owner' for queue 'q' in vhost '/'   (then this)
 *   quorum + non-durable      invalid property 'non-durable' for queue 'q' in vhost '/'
 *   quorum, server-named      Cannot declare a server-named queue for type rabbit_quorum_queue
 *   quorum + x-max-priority   invalid arg 'x-max-priority' for queue 'q' in vhost '/' of queue type rabbit_quorum_queue
 *   classic + x-max-in-memory-length  invalid arg 'x-max-in-memory-length' for queue 'q' in vhost '/' of queue type rabbit_classic_queue
 *   expiration '-1' / 'abc' / '10abc'   invalid expiration '-1': {value_negative,-1} / no_integer / {leftover_string,"abc"}
 * Order: DLX type, then x-queue-type, then values in RabbitMQ's declare_args order (x-expires
 * before x-message-ttl whatever the table order), then keys foreign to the type (table order),
 * then the quorum properties. Any integer tag (b B s u I i l) is an integer; floats, strings,
 * timestamps are not. x-delivery-limit and x-consumer-timeout are not validated by RabbitMQ.
 *
 * x-quorum-initial-group-size above the number of nodes is accepted, as RabbitMQ does (it places
 * min(size, nodes) members); every in-sync node holds a copy anyway (CLUSTER.md 6.6).
 *
 * Warren extension: x-delivery-limit is accepted on classic queues too (RabbitMQ 3.10 refuses it
 * with `invalid arg 'x-delivery-limit' for queue 'q' in vhost '/' of queue type rabbit_classic_queue`).
 *
 * 'stream' is refused (Warren has no streams yet) with RabbitMQ's own text for an unknown type,
 * `invalid arg 'x-queue-type' for queue 'q' in vhost '/': "unsupported queue type 'stream'"`: a
 * channel error clients already handle, rather than a connection-closing NOT_IMPLEMENTED.
 */
import { preconditionFailed, type ChannelError } from '../amqp/errors.js';
import { FieldTyped, fieldNumber, fieldString, type FieldTable, type FieldValue } from '../amqp/field-types.js';
import { typeName } from './arguments.js';
import { atom, charlist, formatErlang, tuple, type ErlTerm } from './erlang-term.js';

export type Overflow = 'drop-head' | 'reject-publish' | 'reject-publish-dlx';
export type QueueType = 'classic' | 'quorum';

export interface QueueArguments {
  /** x-message-ttl, ms, 0..315360000000. */
  messageTtl: number | undefined;
  /** x-expires, ms, 1..315360000000. */
  expires: number | undefined;
  deadLetterExchange: string | undefined;
  /** Only together with x-dead-letter-exchange (RabbitMQ refuses it alone). */
  deadLetterRoutingKey: string | undefined;
  maxLength: number | undefined;
  maxLengthBytes: number | undefined;
  overflow: Overflow;
  /** x-overflow was given: on a classic queue it then wins over a policy's overflow. */
  overflowSet: boolean;
  /** 0..255 (classic only); 0 is a queue with the single priority 0. */
  maxPriority: number | undefined;
  singleActiveConsumer: boolean;
  /** Quorum, and classic in Warren; a non-integer or negative value is accepted unvalidated and means no limit. */
  deliveryLimit: number | undefined;
  /** Not validated by RabbitMQ; a non-negative integer is used, anything else ignored. */
  consumerTimeout: number | undefined;
  queueType: QueueType;
  /** Classic only; accepted and ignored (every queue behaves lazily enough). */
  queueMode: 'default' | 'lazy' | undefined;
  /** Quorum only: x-quorum-initial-group-size, stored; replication still covers every in-sync node. */
  quorumInitialGroupSize: number | undefined;
}

export interface QueueDeclareContext {
  queue: string;
  vhost: string;
  durable: boolean;
  exclusive: boolean;
  autoDelete: boolean;
  /** The client sent an empty name (quorum queues cannot be server-named). */
  serverNamed?: boolean;
}

/** RabbitMQ's rabbit_misc:check_expiry bound: ten years in milliseconds. */
export const MAX_EXPIRY_MS = 315_360_000_000;
export const MAX_PRIORITY = 255;

type Check = (v: FieldValue, args: FieldTable) => ErlTerm | undefined;

const INTEGER_TYPES = new Set(['byte', 'short', 'signedint', 'long', 'unsignedbyte', 'unsignedshort', 'unsignedint']);
const OVERFLOWS = ['drop-head', 'reject-publish', 'reject-publish-dlx'];
const QUEUE_TYPES = ['classic', 'quorum', 'stream'];
const LEADER_LOCATORS = ['client-local', 'balanced', 'random', 'least-leaders'];

const intValue = (v: FieldValue): number | bigint =>
  typeof v === 'bigint' ? v : v instanceof FieldTyped && typeof v.value === 'bigint' ? v.value : (fieldNumber(v) ?? 0);
const checkInt: Check = (v) =>
  INTEGER_TYPES.has(typeName(v)) ? undefined : charlist(`expected integer, got ${typeName(v)}`);
const checkNonNeg: Check = (v, a) => checkInt(v, a) ?? (intValue(v) < 0 ? tuple(atom('value_negative'), intValue(v)) : undefined);
const checkExpiry = (n: number | bigint): ErlTerm | undefined =>
  n < 0 ? tuple(atom('value_negative'), n) : n > MAX_EXPIRY_MS ? tuple(atom('value_too_large'), n) : undefined;
const unacceptable = (v: FieldValue): ErlTerm => tuple(atom('unacceptable_type'), atom(typeName(v)));
const oneOf =
  (values: readonly string[], invalid: (s: string) => ErlTerm): Check =>
  (v) => {
    if (typeName(v) !== 'longstr') return unacceptable(v);
    const s = fieldString(v) ?? '';
    return values.includes(s) ? undefined : invalid(s);
  };

const checkQueueType = oneOf(QUEUE_TYPES, (s) => charlist(`unsupported queue type '${s}'`));

/** rabbit_amqqueue:declare_args(), in its order (the order errors are found in). */
const VALIDATORS: readonly (readonly [string, Check])[] = [
  // eslint-disable-next-line eqeqeq -- intValue() may be a bigint; 0n == 0 but 0n !== 0
  ['x-expires', (v, a) => checkInt(v, a) ?? (intValue(v) == 0 ? tuple(atom('value_zero'), 0) : checkExpiry(intValue(v)))],
  ['x-message-ttl', (v, a) => checkInt(v, a) ?? checkExpiry(intValue(v))],
  ['x-dead-letter-exchange', (v) => (typeName(v) === 'longstr' ? undefined : unacceptable(v))],
  [
    'x-dead-letter-routing-key',
    (v, a) =>
      typeName(v) !== 'longstr'
        ? unacceptable(v)
        : a['x-dead-letter-exchange'] === undefined
          ? atom('routing_key_but_no_dlx_defined')
          : undefined,
  ],
  ['x-dead-letter-strategy', oneOf(['at-most-once', 'at-least-once'], () => atom('invalid_dlx_strategy'))],
  ['x-max-length', checkNonNeg],
  ['x-max-length-bytes', checkNonNeg],
  ['x-max-in-memory-length', checkNonNeg],
  ['x-max-in-memory-bytes', checkNonNeg],
  ['x-max-priority', (v, a) => checkNonNeg(v, a) ?? (intValue(v) > MAX_PRIORITY ? tuple(atom('max_value_exceeded'), intValue(v)) : undefined)],
  ['x-overflow', oneOf(OVERFLOWS, () => atom('invalid_overflow'))],
  ['x-queue-mode', oneOf(['default', 'lazy'], (s) => charlist(`unsupported queue mode '${s}'`))],
  [
    'x-queue-version',
    (v, a) => checkNonNeg(v, a) ?? ([1, 2].includes(Number(intValue(v))) ? undefined : charlist(`unsupported queue version '${intValue(v)}'`)),
  ],
  ['x-single-active-consumer', (v) => (typeName(v) === 'bool' ? undefined : unacceptable(v))],
  ['x-queue-type', (v, a) => checkQueueType(v, a)],
  // eslint-disable-next-line eqeqeq -- intValue() may be a bigint; 0n == 0 but 0n !== 0
  ['x-quorum-initial-group-size', (v, a) => checkNonNeg(v, a) ?? (intValue(v) == 0 ? tuple(atom('value_zero'), 0) : undefined)],
  ['x-queue-leader-locator', oneOf(LEADER_LOCATORS, () => atom('invalid_queue_locator_arg'))],
];

/** The arguments each queue type knows (its capabilities' queue_arguments in RabbitMQ 3.10). */
const TYPE_ARGS: Record<QueueType | 'stream', readonly string[]> = {
  classic: [
    'x-expires', 'x-message-ttl', 'x-dead-letter-exchange', 'x-dead-letter-routing-key', 'x-max-length',
    'x-max-length-bytes', 'x-max-priority', 'x-overflow', 'x-queue-mode', 'x-queue-version',
    'x-single-active-consumer', 'x-queue-type', 'x-queue-master-locator',
    'x-delivery-limit', // Warren extension
  ],
  quorum: [
    'x-dead-letter-exchange', 'x-dead-letter-routing-key', 'x-dead-letter-strategy', 'x-expires', 'x-max-length',
    'x-max-length-bytes', 'x-max-in-memory-length', 'x-max-in-memory-bytes', 'x-overflow',
    'x-single-active-consumer', 'x-queue-type', 'x-quorum-initial-group-size', 'x-delivery-limit', 'x-message-ttl',
    'x-queue-leader-locator',
  ],
  stream: [
    'x-max-length-bytes', 'x-queue-type', 'x-max-age', 'x-stream-max-segment-size-bytes', 'x-initial-cluster-size',
    'x-queue-leader-locator',
  ],
};
const ALL_TYPE_ARGS = new Set(Object.values(TYPE_ARGS).flat());

const TYPE_MODULE: Record<QueueType, string> = { classic: 'rabbit_classic_queue', quorum: 'rabbit_quorum_queue' };

/** Validates the x-arguments of a new queue, throwing RabbitMQ's channel error; returns the typed view. */
export function parseQueueArguments(args: FieldTable, ctx: QueueDeclareContext): QueueArguments {
  const what = `queue '${ctx.queue}' in vhost '${ctx.vhost}'`;
  const invalidArg = (key: string, error: ErlTerm): ChannelError =>
    preconditionFailed(formatErlang(`invalid arg '${key}' for ${what}: `, error, { lineLength: 255 }));
  const validate = (key: string, check: Check): void => {
    const v = args[key];
    const error = v === undefined ? undefined : check(v, args);
    if (error !== undefined) throw invalidArg(key, error);
  };

  // rabbit_channel, before the queue exists: a server-named queue must be of a type that allows
  // it, and the dead-letter exchange must be a longstr.
  const typeArg = args['x-queue-type'];
  const typeText = typeArg === undefined ? 'classic' : typeName(typeArg) === 'longstr' ? fieldString(typeArg) : undefined;
  if (ctx.serverNamed === true && typeText === 'quorum') {
    throw preconditionFailed(`Cannot declare a server-named queue for type ${TYPE_MODULE.quorum}`);
  }
  const dlx = args['x-dead-letter-exchange'];
  if (dlx !== undefined && typeName(dlx) !== 'longstr') {
    throw preconditionFailed(`invalid type '${typeName(dlx)}' for arg 'x-dead-letter-exchange' in ${what}`);
  }
  validate('x-queue-type', checkQueueType);
  if (typeText === 'stream') throw invalidArg('x-queue-type', charlist(`unsupported queue type 'stream'`));
  const queueType = typeText as QueueType;

  const known = TYPE_ARGS[queueType];
  for (const [key, check] of VALIDATORS) if (known.includes(key)) validate(key, check);
  for (const key of Object.keys(args)) {
    if (ALL_TYPE_ARGS.has(key) && !known.includes(key)) {
      throw preconditionFailed(`invalid arg '${key}' for ${what} of queue type ${TYPE_MODULE[queueType]}`);
    }
  }
  if (queueType === 'quorum') {
    if (ctx.autoDelete) throw preconditionFailed(`invalid property 'auto-delete' for ${what}`);
    if (ctx.exclusive) throw preconditionFailed(`invalid property 'exclusive-owner' for ${what}`);
    if (!ctx.durable) throw preconditionFailed(`invalid property 'non-durable' for ${what}`);
  }
  return typedView(args, queueType);
}

function typedView(args: FieldTable, queueType: QueueType): QueueArguments {
  const num = (key: string): number | undefined => (args[key] === undefined ? undefined : fieldNumber(args[key]));
  const str = (key: string): string | undefined => (args[key] === undefined ? undefined : fieldString(args[key]));
  const lenient = (key: string): number | undefined => {
    const v = args[key];
    const n = v !== undefined && INTEGER_TYPES.has(typeName(v)) ? fieldNumber(v) : undefined;
    return n !== undefined && n >= 0 ? n : undefined;
  };
  const mode = str('x-queue-mode');
  return {
    messageTtl: num('x-message-ttl'),
    expires: num('x-expires'),
    deadLetterExchange: str('x-dead-letter-exchange'),
    deadLetterRoutingKey: str('x-dead-letter-routing-key'),
    maxLength: num('x-max-length'),
    maxLengthBytes: num('x-max-length-bytes'),
    overflow: (str('x-overflow') ?? 'drop-head') as Overflow,
    overflowSet: args['x-overflow'] !== undefined,
    maxPriority: num('x-max-priority'),
    singleActiveConsumer: args['x-single-active-consumer'] === true,
    deliveryLimit: lenient('x-delivery-limit'),
    consumerTimeout: lenient('x-consumer-timeout'),
    queueType,
    queueMode: mode === 'default' || mode === 'lazy' ? mode : undefined,
    quorumInitialGroupSize: queueType === 'quorum' ? num('x-quorum-initial-group-size') : undefined,
  };
}

/**
 * The per-message `expiration` property in ms, parsed as RabbitMQ's rabbit_basic:parse_expiration
 * (Erlang string:to_integer: optional sign, ASCII digits, nothing after; at most ten years).
 * Invalid: 406 `invalid expiration '<value>': {value_negative,-1}` | no_integer |
 * {leftover_string,"abc"} | {value_too_large,N}, which closes the channel.
 */
export function validateMessageExpiration(expiration: string): number {
  const m = /^([+-]?)([0-9]+)/.exec(expiration);
  let error: ErlTerm | undefined;
  let n = 0n;
  if (m === null) error = atom('no_integer');
  else {
    const rest = expiration.slice(m[0].length);
    n = BigInt(`${m[1] === '-' ? '-' : ''}${m[2] ?? '0'}`);
    error = rest !== '' ? tuple(atom('leftover_string'), charlist(rest)) : checkExpiry(n);
  }
  if (error !== undefined) throw preconditionFailed(formatErlang(`invalid expiration '${expiration}': `, error));
  return Number(n);
}
