import { describe, expect, it } from 'vitest';
import { AmqpError } from '../../../src/amqp/errors.js';
import { FieldTyped, type FieldTable } from '../../../src/amqp/field-types.js';
import {
  parseQueueArguments,
  validateMessageExpiration,
  type QueueDeclareContext,
} from '../../../src/broker/queue-arguments.js';

const classic: QueueDeclareContext = { queue: 'q', vhost: '/', durable: false, exclusive: false, autoDelete: false };
const quorum: QueueDeclareContext = { ...classic, durable: true };
const Q = { 'x-queue-type': 'quorum' };
const arg = (name: string, rest: string): string =>
  `PRECONDITION_FAILED - invalid arg '${name}' for queue 'q' in vhost '/': ${rest}`;

function refusal(fn: () => unknown): { code: number; text: string; hard: boolean } {
  try {
    fn();
  } catch (e) {
    if (e instanceof AmqpError) return { code: e.replyCode, text: e.replyText, hard: e.hard };
    throw e;
  }
  throw new Error('expected a refusal');
}

// Every text below was read from RabbitMQ 3.10.8 answering the same declare (amqplib).
const REFUSED: [string, FieldTable, QueueDeclareContext, string][] = [
  ['negative TTL', { 'x-message-ttl': -1 }, classic, arg('x-message-ttl', '{value_negative,-1}')],
  ['float TTL', { 'x-message-ttl': 1.5 }, classic, arg('x-message-ttl', '"expected integer, got double"')],
  ['string TTL', { 'x-message-ttl': '1000' }, classic, arg('x-message-ttl', '"expected integer, got longstr"')],
  ['bool TTL', { 'x-message-ttl': true }, classic, arg('x-message-ttl', '"expected integer, got bool"')],
  ['void TTL', { 'x-message-ttl': null }, classic, arg('x-message-ttl', '"expected integer, got void"')],
  ['float32 TTL', { 'x-message-ttl': new FieldTyped('f', 1) }, classic, arg('x-message-ttl', '"expected integer, got float"')],
  ['timestamp TTL', { 'x-message-ttl': new FieldTyped('T', 5) }, classic, arg('x-message-ttl', '"expected integer, got timestamp"')],
  ['array TTL', { 'x-message-ttl': [1] }, classic, arg('x-message-ttl', '"expected integer, got array"')],
  ['table TTL', { 'x-message-ttl': { a: 1 } }, classic, arg('x-message-ttl', '"expected integer, got table"')],
  ['long negative TTL', { 'x-message-ttl': new FieldTyped('l', -7n) }, classic, arg('x-message-ttl', '{value_negative,-7}')],
  ['TTL over 10 years', { 'x-message-ttl': 315360000001 }, classic, arg('x-message-ttl', '{value_too_large,315360000001}')],
  ['huge long TTL', { 'x-message-ttl': 9223372036854775807n }, classic, arg('x-message-ttl', '{value_too_large,9223372036854775807}')],
  ['expires 0', { 'x-expires': 0 }, classic, arg('x-expires', '{value_zero,0}')],
  ['expires -1', { 'x-expires': -1 }, classic, arg('x-expires', '{value_negative,-1}')],
  ['expires string', { 'x-expires': '1' }, classic, arg('x-expires', '"expected integer, got longstr"')],
  ['expires too large', { 'x-expires': 315360000001 }, classic, arg('x-expires', '{value_too_large,315360000001}')],
  ['max-length -1', { 'x-max-length': -1 }, classic, arg('x-max-length', '{value_negative,-1}')],
  ['max-length string', { 'x-max-length': '5' }, classic, arg('x-max-length', '"expected integer, got longstr"')],
  ['max-length float', { 'x-max-length': 1.5 }, classic, arg('x-max-length', '"expected integer, got double"')],
  ['max-length-bytes -1', { 'x-max-length-bytes': -1 }, classic, arg('x-max-length-bytes', '{value_negative,-1}')],
  ['max-priority 256', { 'x-max-priority': 256 }, classic, arg('x-max-priority', '{max_value_exceeded,256}')],
  ['max-priority -1', { 'x-max-priority': -1 }, classic, arg('x-max-priority', '{value_negative,-1}')],
  ['max-priority string', { 'x-max-priority': '5' }, classic, arg('x-max-priority', '"expected integer, got longstr"')],
  ['overflow foo', { 'x-overflow': 'foo' }, classic, arg('x-overflow', 'invalid_overflow')],
  ['overflow byte', { 'x-overflow': new FieldTyped('b', 5) }, classic, arg('x-overflow', '{unacceptable_type,byte}')],
  ['queue-type foo', { 'x-queue-type': 'foo' }, classic, arg('x-queue-type', `"unsupported queue type 'foo'"`)],
  ['queue-type byte', { 'x-queue-type': new FieldTyped('b', 5) }, classic, arg('x-queue-type', '{unacceptable_type,byte}')],
  ['queue-type stream (Warren)', { 'x-queue-type': 'stream' }, quorum, arg('x-queue-type', `"unsupported queue type 'stream'"`)],
  ['queue-mode foo', { 'x-queue-mode': 'foo' }, classic, arg('x-queue-mode', `"unsupported queue mode 'foo'"`)],
  ['queue-mode byte', { 'x-queue-mode': new FieldTyped('b', 5) }, classic, arg('x-queue-mode', '{unacceptable_type,byte}')],
  ['queue-version 3', { 'x-queue-version': 3 }, classic, arg('x-queue-version', `"unsupported queue version '3'"`)],
  ['queue-version string', { 'x-queue-version': '1' }, classic, arg('x-queue-version', '"expected integer, got longstr"')],
  ['SAC string', { 'x-single-active-consumer': 'true' }, classic, arg('x-single-active-consumer', '{unacceptable_type,longstr}')],
  ['SAC byte', { 'x-single-active-consumer': new FieldTyped('b', 1) }, classic, arg('x-single-active-consumer', '{unacceptable_type,byte}')],
  ['DLRK without DLX', { 'x-dead-letter-routing-key': 'rk' }, classic, arg('x-dead-letter-routing-key', 'routing_key_but_no_dlx_defined')],
  ['DLRK byte', { 'x-dead-letter-routing-key': new FieldTyped('b', 5) }, classic, arg('x-dead-letter-routing-key', '{unacceptable_type,byte}')],
  ['DLRK byte with DLX', { 'x-dead-letter-exchange': 'dlx', 'x-dead-letter-routing-key': new FieldTyped('b', 5) }, classic, arg('x-dead-letter-routing-key', '{unacceptable_type,byte}')],
  ['DLX byte', { 'x-dead-letter-exchange': new FieldTyped('b', 5) }, classic, `PRECONDITION_FAILED - invalid type 'byte' for arg 'x-dead-letter-exchange' in queue 'q' in vhost '/'`],
  ['DLX binary', { 'x-dead-letter-exchange': Buffer.from('x') }, classic, `PRECONDITION_FAILED - invalid type 'binary' for arg 'x-dead-letter-exchange' in queue 'q' in vhost '/'`],
  ['DLX type before values', { 'x-message-ttl': -1, 'x-dead-letter-exchange': new FieldTyped('b', 5) }, classic, `PRECONDITION_FAILED - invalid type 'byte' for arg 'x-dead-letter-exchange' in queue 'q' in vhost '/'`],
  ['x-expires checked before x-message-ttl', { 'x-message-ttl': -1, 'x-expires': 0 }, classic, arg('x-expires', '{value_zero,0}')],
  ['queue type checked first', { 'x-max-priority': 256, 'x-queue-type': 'foo' }, classic, arg('x-queue-type', `"unsupported queue type 'foo'"`)],
  ['classic x-max-in-memory-length', { 'x-max-in-memory-length': 5 }, classic, `PRECONDITION_FAILED - invalid arg 'x-max-in-memory-length' for queue 'q' in vhost '/' of queue type rabbit_classic_queue`],
  ['foreign keys in table order', { 'x-max-age': '1D', 'x-delivery-limit': 1 }, classic, `PRECONDITION_FAILED - invalid arg 'x-max-age' for queue 'q' in vhost '/' of queue type rabbit_classic_queue`],
  ['quorum x-max-priority', { ...Q, 'x-max-priority': 5 }, quorum, `PRECONDITION_FAILED - invalid arg 'x-max-priority' for queue 'q' in vhost '/' of queue type rabbit_quorum_queue`],
  ['quorum keys in table order', { ...Q, 'x-queue-mode': 'lazy', 'x-max-priority': 1 }, quorum, `PRECONDITION_FAILED - invalid arg 'x-queue-mode' for queue 'q' in vhost '/' of queue type rabbit_quorum_queue`],
  ['quorum values before keys', { ...Q, 'x-max-priority': 5, 'x-message-ttl': -1 }, quorum, arg('x-message-ttl', '{value_negative,-1}')],
  ['quorum keys before properties', { ...Q, 'x-max-priority': 'x' }, { ...quorum, durable: false }, `PRECONDITION_FAILED - invalid arg 'x-max-priority' for queue 'q' in vhost '/' of queue type rabbit_quorum_queue`],
  ['quorum dead-letter-strategy', { ...Q, 'x-dead-letter-strategy': 'foo' }, quorum, arg('x-dead-letter-strategy', 'invalid_dlx_strategy')],
  ['quorum initial group size 0', { ...Q, 'x-quorum-initial-group-size': 0 }, quorum, arg('x-quorum-initial-group-size', '{value_zero,0}')],
  ['quorum leader locator', { ...Q, 'x-queue-leader-locator': 'foo' }, quorum, arg('x-queue-leader-locator', 'invalid_queue_locator_arg')],
  ['quorum auto-delete', Q, { ...quorum, autoDelete: true }, `PRECONDITION_FAILED - invalid property 'auto-delete' for queue 'q' in vhost '/'`],
  ['quorum auto-delete first', Q, { ...classic, autoDelete: true, exclusive: true }, `PRECONDITION_FAILED - invalid property 'auto-delete' for queue 'q' in vhost '/'`],
  ['quorum exclusive', Q, { ...quorum, exclusive: true }, `PRECONDITION_FAILED - invalid property 'exclusive-owner' for queue 'q' in vhost '/'`],
  ['quorum exclusive before non-durable', Q, { ...classic, exclusive: true }, `PRECONDITION_FAILED - invalid property 'exclusive-owner' for queue 'q' in vhost '/'`],
  ['quorum non-durable', Q, classic, `PRECONDITION_FAILED - invalid property 'non-durable' for queue 'q' in vhost '/'`],
  ['quorum server-named', { ...Q, 'x-dead-letter-exchange': new FieldTyped('b', 5) }, { ...quorum, serverNamed: true }, 'PRECONDITION_FAILED - Cannot declare a server-named queue for type rabbit_quorum_queue'],
];

describe('parseQueueArguments refusals (RabbitMQ 3.10 texts)', () => {
  it.each(REFUSED)('%s', (_label, args, ctx, text) => {
    expect(refusal(() => parseQueueArguments(args, ctx))).toEqual({ code: 406, text, hard: false });
  });

  it('names the queue and vhost as RabbitMQ does', () => {
    expect(refusal(() => parseQueueArguments({ 'x-message-ttl': -1 }, { ...classic, queue: 'é-q', vhost: 'v1' })).text).toBe(
      `PRECONDITION_FAILED - invalid arg 'x-message-ttl' for queue 'é-q' in vhost 'v1': {value_negative,-1}`,
    );
  });
});

describe('parseQueueArguments accepted values', () => {
  const ACCEPTED: [string, FieldTable, QueueDeclareContext][] = [
    ['TTL 0', { 'x-message-ttl': 0 }, classic],
    ['TTL 10 years', { 'x-message-ttl': 315360000000 }, classic],
    ['unsigned byte TTL', { 'x-message-ttl': new FieldTyped('B', 5) }, classic],
    ['unsigned short TTL', { 'x-message-ttl': new FieldTyped('u', 5) }, classic],
    ['unsigned int TTL', { 'x-message-ttl': new FieldTyped('i', 7) }, classic],
    ['short max-length', { 'x-max-length': new FieldTyped('s', 0) }, classic],
    ['max-priority 0 and 255', { 'x-max-priority': 255 }, classic],
    ['reject-publish-dlx', { 'x-overflow': 'reject-publish-dlx' }, classic],
    ['empty DLX with DLRK', { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'k' }, classic],
    ['unknown keys ignored', { 'x-foo': 'bar', 'x-consumer-timeout': 'abc' }, classic],
    ['lazy mode', { 'x-queue-mode': 'lazy' }, classic],
    ['quorum with its arguments', { ...Q, 'x-single-active-consumer': true, 'x-message-ttl': 5, 'x-delivery-limit': 'x' }, quorum],
    ['quorum reject-publish-dlx', { ...Q, 'x-overflow': 'reject-publish-dlx' }, quorum],
    ['quorum exclusive-looking durable', Q, quorum],
    ['server-named classic', {}, { ...classic, serverNamed: true }],
    // Warren extension: RabbitMQ 3.10 refuses it with "invalid arg 'x-delivery-limit' for queue 'q'
    // in vhost '/' of queue type rabbit_classic_queue".
    ['classic x-delivery-limit (Warren)', { 'x-delivery-limit': 5 }, classic],
  ];
  it.each(ACCEPTED)('%s', (_label, args, ctx) => {
    expect(() => parseQueueArguments(args, ctx)).not.toThrow();
  });

  it('gives the typed view', () => {
    const args = parseQueueArguments(
      {
        'x-message-ttl': new FieldTyped('l', 60000n),
        'x-expires': new FieldTyped('s', 1000),
        'x-dead-letter-exchange': 'dlx',
        'x-dead-letter-routing-key': new FieldTyped('S', Buffer.from('rk')),
        'x-max-length': 10,
        'x-max-length-bytes': 10000000000,
        'x-overflow': 'reject-publish',
        'x-max-priority': new FieldTyped('B', 10),
        'x-single-active-consumer': true,
        'x-consumer-timeout': 5000,
        'x-queue-mode': 'lazy',
      },
      classic,
    );
    expect(args).toEqual({
      messageTtl: 60000,
      expires: 1000,
      deadLetterExchange: 'dlx',
      deadLetterRoutingKey: 'rk',
      maxLength: 10,
      maxLengthBytes: 10000000000,
      overflow: 'reject-publish',
      overflowSet: true,
      maxPriority: 10,
      singleActiveConsumer: true,
      deliveryLimit: undefined,
      consumerTimeout: 5000,
      queueType: 'classic',
      queueMode: 'lazy',
    });
  });

  it('defaults', () => {
    expect(parseQueueArguments({}, classic)).toEqual({
      messageTtl: undefined,
      expires: undefined,
      deadLetterExchange: undefined,
      deadLetterRoutingKey: undefined,
      maxLength: undefined,
      maxLengthBytes: undefined,
      overflow: 'drop-head',
      overflowSet: false,
      maxPriority: undefined,
      singleActiveConsumer: false,
      deliveryLimit: undefined,
      consumerTimeout: undefined,
      queueType: 'classic',
      queueMode: undefined,
    });
  });

  it('delivery limit: integers kept, anything else (unvalidated by RabbitMQ) means no limit', () => {
    const limit = (v: FieldTable[string]) => parseQueueArguments({ ...Q, 'x-delivery-limit': v }, quorum).deliveryLimit;
    expect(limit(3)).toBe(3);
    expect(limit(new FieldTyped('b', 0))).toBe(0);
    expect(limit(-1)).toBeUndefined();
    expect(limit('x')).toBeUndefined();
    expect(limit(1.5)).toBeUndefined();
    expect(parseQueueArguments(Q, quorum).queueType).toBe('quorum');
    expect(parseQueueArguments({ 'x-delivery-limit': 2 }, classic).deliveryLimit).toBe(2);
  });

  it('ignores an invalid x-consumer-timeout, as RabbitMQ does not validate it', () => {
    expect(parseQueueArguments({ 'x-consumer-timeout': -5 }, classic).consumerTimeout).toBeUndefined();
    expect(parseQueueArguments({ 'x-consumer-timeout': 'abc' }, classic).consumerTimeout).toBeUndefined();
  });
});

describe('validateMessageExpiration', () => {
  const exp = (v: string, rest: string): string => `PRECONDITION_FAILED - invalid expiration '${v}': ${rest}`;
  // Read from RabbitMQ 3.10.8 closing the channel on basic.publish with these expirations.
  const REFUSED: [string, string][] = [
    ['-1', exp('-1', '{value_negative,-1}')],
    ['abc', exp('abc', 'no_integer')],
    ['10abc', exp('10abc', '{leftover_string,"abc"}')],
    ['', exp('', 'no_integer')],
    [' 5', exp(' 5', 'no_integer')],
    ['1.5', exp('1.5', '{leftover_string,".5"}')],
    ['0x10', exp('0x10', '{leftover_string,"x10"}')],
    ['5 ', exp('5 ', '{leftover_string," "}')],
    ['1e3', exp('1e3', '{leftover_string,"e3"}')],
    ['315360000001', exp('315360000001', '{value_too_large,315360000001}')],
    ['--1', exp('--1', 'no_integer')],
    ['+', exp('+', 'no_integer')],
    ['-', exp('-', 'no_integer')],
    ['é', exp('é', 'no_integer')],
    ['1é', exp('1é', '{leftover_string,"é"}')],
    ['\u0661', exp('\u0661', 'no_integer')],
    ['5\n', exp('5\n', '{leftover_string,"\\n"}')],
    ['1€', exp('1€', '{leftover_string,[226,130,172]}')],
    // ~p breaks at 80 columns, indenting under the tuple.
    ['99999999999999999999999', exp('99999999999999999999999', `{value_too_large,\n${' '.repeat(47)}99999999999999999999999}`)],
  ];
  it.each(REFUSED)('refuses %j', (value, text) => {
    expect(refusal(() => validateMessageExpiration(value))).toEqual({ code: 406, text, hard: false });
  });

  it.each([
    ['0', 0],
    ['+5', 5],
    ['007', 7],
    ['-0', 0],
    ['60000', 60000],
    ['315360000000', 315360000000],
  ])('accepts %j as %d ms', (value, ms) => {
    expect(validateMessageExpiration(value)).toBe(ms);
  });
});
