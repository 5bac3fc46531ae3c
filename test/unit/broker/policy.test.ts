import { describe, expect, it } from 'vitest';
import {
  effectiveQueueSettings,
  mergeOperatorDefinitions,
  PolicyRegistry,
  PolicyValidationError,
  type Policy,
} from '../../../src/broker/policy.js';
import { compilePattern } from '../../../src/broker/policy-validation.js';
import { parseQueueArguments } from '../../../src/broker/queue-arguments.js';
import type { FieldTable } from '../../../src/amqp/field-types.js';

const pol = (over: Partial<Policy> = {}): Policy => ({
  vhost: '/',
  name: 'p',
  pattern: '.*',
  applyTo: 'all',
  priority: 0,
  definition: { 'message-ttl': 1000 },
  operator: false,
  ...over,
});

function errorsOf(p: Policy): string[] {
  try {
    new PolicyRegistry().set(p);
  } catch (e) {
    if (e instanceof PolicyValidationError) {
      expect(e.message).toBe(`Validation failed\n\n${e.errors.map((x) => `${x}\n`).join('')}`);
      expect(e.code).toBe('ERR_POLICY_VALIDATION');
      return [...e.errors];
    }
    throw e;
  }
  return [];
}

// Texts read from `rabbitmqctl set_policy` on RabbitMQ 3.10.8 (identical in 3.13's sources),
// except where marked 3.13 (read from its source) or Warren.
const INVALID: [string, Record<string, unknown>, string][] = [
  ['unknown key', { foo: 1 }, '[{<<"foo">>,1}] are not recognised policy settings'],
  ['unknown keys, sorted', { foo: 1, bar: 2 }, '[{<<"bar">>,2},{<<"foo">>,1}] are not recognised policy settings'],
  ['unknown nested value', { foo: { a: [1, 2.5, true, null] } }, '[{<<"foo">>,#{<<"a">> => [1,2.5,true,null]}}] are not recognised policy settings'],
  ['unknown unicode value (3.13 ~tp)', { foo: 'é' }, '[{<<"foo">>,<<"é"/utf8>>}] are not recognised policy settings'],
  ['unknown after valid mirroring', { 'ha-mode': 'all', foo: 1 }, '[{<<"foo">>,1}] are not recognised policy settings'],
  ['max-priority is not a policy key', { 'max-priority': 5 }, '[{<<"max-priority">>,5}] are not recognised policy settings'],
  ['empty', {}, 'no policy provided'],
  ['message-ttl -1', { 'message-ttl': -1 }, '-1 is not a valid message TTL'],
  ['message-ttl string', { 'message-ttl': '1' }, '<<"1">> is not a valid message TTL'],
  ['message-ttl float', { 'message-ttl': 1.5 }, '1.5 is not a valid message TTL'],
  ['message-ttl null', { 'message-ttl': null }, 'null is not a valid message TTL'],
  ['message-ttl true', { 'message-ttl': true }, 'true is not a valid message TTL'],
  ['message-ttl list', { 'message-ttl': [1] }, '[1] is not a valid message TTL'],
  ['message-ttl map', { 'message-ttl': { a: 1 } }, '#{<<"a">> => 1} is not a valid message TTL'],
  ['expires 0', { expires: 0 }, '0 is not a valid queue expiry'],
  ['first bad key in key order', { 'message-ttl': -1, expires: 0 }, '0 is not a valid queue expiry'],
  ['max-length -1', { 'max-length': -1 }, '-1 is not a valid maximum length'],
  ['max-length-bytes -1', { 'max-length-bytes': -1 }, '-1 is not a valid maximum length in bytes'],
  ['max-in-memory-length (sic)', { 'max-in-memory-length': -1 }, '-1 is not a valid maximum memory in bytes'],
  ['overflow foo', { overflow: 'foo' }, '<<"foo">> is not a valid overflow value'],
  ['dead-letter-exchange 5', { 'dead-letter-exchange': 5 }, '5 is not a valid dead letter exchange name'],
  ['dead-letter-routing-key 5', { 'dead-letter-routing-key': 5 }, '5 is not a valid dead letter routing key'],
  ['alternate-exchange 5', { 'alternate-exchange': 5 }, '5 is not a valid alternate exchange name'],
  ['delivery-limit -1', { 'delivery-limit': -1 }, '-1 is not a valid delivery limit'],
  ['consumer-timeout -1 (3.13)', { 'consumer-timeout': -1 }, '-1 is not a valid consumer timeout'],
  ['queue-mode foo', { 'queue-mode': 'foo' }, '<<"foo">> is not a valid queue-mode value'],
  ['queue-version 3 (3.13)', { 'queue-version': 3 }, '3 is not a valid queue-version value'],
  ['max-age 0D (3.13)', { 'max-age': '0D' }, '<<"0D">> is not a valid max age'],
  ['delayed-message (Warren)', { 'delayed-message': 'yes' }, '<<"yes">> is not a valid delayed-message value'],
  ['queue-master-locator', { 'queue-master-locator': 'x' }, '<<"x">> invalid queue-master-locator value'],
  ['location validated before core', { 'message-ttl': -1, 'queue-master-locator': 'x' }, '<<"x">> invalid queue-master-locator value'],
  ['core validated before mirroring', { 'ha-mode': 'foo', 'message-ttl': -1 }, '-1 is not a valid message TTL'],
  ['ha-mode foo', { 'ha-mode': 'foo' }, '<<"foo">> is not a valid ha-mode value'],
  ['exactly without params', { 'ha-mode': 'exactly' }, 'ha-mode="exactly" takes an integer, none given'],
  ['exactly 0', { 'ha-mode': 'exactly', 'ha-params': 0 }, 'ha-mode="exactly" takes an integer, 0 given'],
  ['exactly string', { 'ha-mode': 'exactly', 'ha-params': '2' }, 'ha-mode="exactly" takes an integer, <<"2">> given'],
  ['all with params', { 'ha-mode': 'all', 'ha-params': 2 }, 'ha-mode="all" does not take parameters'],
  ['nodes without params', { 'ha-mode': 'nodes' }, 'ha-mode="nodes" takes a list, none given'],
  ['nodes empty', { 'ha-mode': 'nodes', 'ha-params': [] }, 'ha-mode="nodes" list must be non-empty'],
  ['nodes non-string', { 'ha-mode': 'nodes', 'ha-params': ['a', 1] }, 'ha-mode="nodes" takes a list of strings, [1] was not a string'],
  ['nodes string', { 'ha-mode': 'nodes', 'ha-params': 'a' }, 'ha-mode="nodes" takes a list, <<"a">> given'],
  ['params without mode', { 'ha-params': 2 }, 'ha-mode must be specified to specify ha-params, ha-sync-mode or ha-promote-on-shutdown'],
  ['sync mode without mode', { 'ha-sync-mode': 'automatic' }, 'ha-mode must be specified to specify ha-params, ha-sync-mode or ha-promote-on-shutdown'],
  ['sync mode x', { 'ha-mode': 'all', 'ha-sync-mode': 'x' }, 'ha-sync-mode must be "manual" or "automatic", got <<"x">>'],
  ['batch size 0', { 'ha-mode': 'all', 'ha-sync-batch-size': 0 }, 'ha-sync-batch-size takes an integer greater than 0, 0 given'],
  ['promote on shutdown', { 'ha-mode': 'all', 'ha-promote-on-shutdown': 'x' }, 'ha-promote-on-shutdown must be "always" or "when-synced", got <<"x">>'],
  ['promote on failure', { 'ha-mode': 'all', 'ha-promote-on-failure': 'x' }, 'ha-promote-on-failure must be "always" or "when-synced", got <<"x">>'],
  // Long terms break as Erlang's ~tp does at 80 columns (expected texts printed by erl).
  [
    'long unknown list',
    { zeta: [1, 2, 3], gamma: true, 'beta-setting': 12345, 'alpha-setting': 'some long value here' },
    '[{<<"alpha-setting">>,<<"some long value here">>},\n {<<"beta-setting">>,12345},\n {<<"gamma">>,true},\n {<<"zeta">>,[1,2,3]}] are not recognised policy settings',
  ],
  [
    'long nested map',
    { 'federation-upstream-set': { x: null, 'upstream-name': 'a-rather-long-upstream-name' } },
    '[{<<"federation-upstream-set">>,\n  #{<<"upstream-name">> => <<"a-rather-long-upstream-name">>,\n    <<"x">> => null}}] are not recognised policy settings',
  ],
  [
    'long list mid-sentence',
    { 'ha-mode': 'nodes', 'ha-params': [1, true, null, { a: 1 }, 2.5, 100, 200, 300, 400, 500, 600, 700] },
    `ha-mode="nodes" takes a list of strings, [1,true,null,\n${' '.repeat(42)}#{<<"a">> => 1},\n${' '.repeat(42)}2.5,100,200,300,400,500,600,700] was not a string`,
  ],
];

describe('policy validation', () => {
  it.each(INVALID)('%s', (_label, definition, text) => {
    expect(errorsOf(pol({ definition }))).toEqual([text]);
  });

  it('reports definition, apply-to, pattern, priority errors together, in that order', () => {
    expect(errorsOf(pol({ definition: { 'message-ttl': -1 }, applyTo: 'foo' as never, pattern: '(', priority: '5' as never }))).toEqual([
      '-1 is not a valid message TTL',
      "apply-to 'foo' unrecognised; should be one of: 'queues', 'classic_queues',  'quorum_queues', 'streams', 'exchanges', or 'all'",
      'pattern should be regular expression but is invalid: {"missing )",1}',
      'priority should be a number, actually was <<"5">>',
    ]);
  });

  it('refuses non-object definitions as RabbitMQ does', () => {
    expect(errorsOf(pol({ definition: [1] as never }))).toEqual(['definition must be a dictionary: [1]']);
    expect(errorsOf(pol({ definition: [] as never }))).toEqual(['no policy provided']);
    expect(errorsOf(pol({ name: 'n', definition: 5 as never }))).toEqual(['parse error while reading policy n: 5. Validator: policy_validator.']);
  });

  it('accepts every supported key', () => {
    const definition = {
      'message-ttl': 0, expires: 1, 'max-length': 0, 'max-length-bytes': 0, overflow: 'reject-publish-dlx',
      'dead-letter-exchange': '', 'dead-letter-routing-key': 'k', 'alternate-exchange': 'ae', 'delivery-limit': 0,
      'consumer-timeout': 0, 'queue-mode': 'lazy', 'delayed-message': true, 'ha-mode': 'exactly', 'ha-params': 2,
      'ha-sync-mode': 'automatic', 'ha-sync-batch-size': 10, 'ha-promote-on-shutdown': 'always',
      'ha-promote-on-failure': 'when-synced', 'max-in-memory-length': 1, 'queue-version': 2, 'max-age': '7D',
      'queue-master-locator': 'min-masters', 'target-group-size': 3, 'dead-letter-strategy': 'at-least-once',
    };
    expect(errorsOf(pol({ definition }))).toEqual([]);
    expect(errorsOf(pol({ definition: { 'ha-mode': 'nodes', 'ha-params': ['rabbit@a', 'rabbit@b'] } }))).toEqual([]);
    expect(errorsOf(pol({ definition: { 'ha-mode': 'all' } }))).toEqual([]);
  });

  it('operator policies accept only the keys RabbitMQ 3.13 allows', () => {
    const op = (definition: Record<string, unknown>) => errorsOf(pol({ operator: true, definition }));
    expect(op({ expires: 1, 'message-ttl': 1, 'max-length': 1, 'max-length-bytes': 1, 'max-in-memory-length': 1, 'max-in-memory-bytes': 1, 'delivery-limit': 1, overflow: 'reject-publish', 'queue-version': 2, 'target-group-size': 3 })).toEqual([]);
    expect(op({ 'ha-mode': 'exactly', 'ha-params': 2, 'ha-sync-mode': 'manual' })).toEqual([]);
    expect(op({ 'queue-mode': 'lazy' })).toEqual(['[{<<"queue-mode">>,<<"lazy">>}] are not recognised policy settings']);
    expect(op({ 'dead-letter-exchange': 'x' })).toEqual(['[{<<"dead-letter-exchange">>,<<"x">>}] are not recognised policy settings']);
    expect(op({ 'ha-mode': 'all', 'ha-sync-batch-size': 5 })).toEqual(['[{<<"ha-sync-batch-size">>,5}] are not recognised policy settings']);
    expect(op({ 'max-length': -1 })).toEqual(['-1 is not a valid maximum length']);
  });
});

describe('policy patterns', () => {
  // re:compile's messages and offsets (Erlang/OTP 25, as RabbitMQ uses); a long term breaks at
  // 80 columns under its brace, as rabbitmqctl set_policy '[z-a]' shows on 3.10.
  const pad = ' '.repeat(54);
  it.each([
    ['(', '{"missing )",1}'],
    ['((a)', '{"missing )",4}'],
    [')', `{"unmatched parentheses",\n${pad}0}`],
    ['a)', `{"unmatched parentheses",\n${pad}1}`],
    ['[', `{"missing terminating ] for character class",\n${pad}1}`],
    ['[a', `{"missing terminating ] for character class",\n${pad}2}`],
    ['*', '{"nothing to repeat",0}'],
    ['a**', '{"nothing to repeat",2}'],
    ['^*', '{"nothing to repeat",1}'],
    ['a{2,1}', `{"numbers out of order in {} quantifier",\n${pad}5}`],
    ['\\', `{"\\\\ at end of pattern",\n${pad}1}`],
    ['[z-a]', `{"range out of order in character class",\n${pad}3}`],
    ['(?', `{"unrecognized character after (? or (?-",\n${pad}2}`],
  ])('refuses %j', (pattern, term) => {
    expect(errorsOf(pol({ pattern }))).toEqual([`pattern should be regular expression but is invalid: ${term}`]);
  });

  it('takes a leading PCRE option as a flag and searches anywhere in the name', () => {
    const re = compilePattern('(?i)^AMQ\\.') as RegExp;
    expect(re.test('amq.gen-1')).toBe(true);
    expect((compilePattern('q') as RegExp).test('my-queue')).toBe(true);
  });
});

describe('PolicyRegistry', () => {
  it('replaces by (vhost, name, operator), deletes, lists by ascending priority', () => {
    const r = new PolicyRegistry();
    r.set(pol({ name: 'b', priority: 5 }));
    r.set(pol({ name: 'a', priority: 1 }));
    r.set(pol({ name: 'a', priority: 7 }));
    r.set(pol({ name: 'a', operator: true, definition: { 'max-length': 1 } }));
    r.set(pol({ name: 'c', vhost: 'v' }));
    expect(r.list('/', false).map((p) => `${p.name}:${p.priority}`)).toEqual(['b:5', 'a:7']);
    expect(r.list(undefined, true).map((p) => p.name)).toEqual(['a']);
    expect(r.list().length).toBe(4);
    expect(r.get('/', 'a', true)?.definition).toEqual({ 'max-length': 1 });
    expect(r.delete('/', 'a', false)).toBe(true);
    expect(r.delete('/', 'a', false)).toBe(false);
    expect(r.get('/', 'a', false)).toBeUndefined();
  });

  it('keeps the old policy when a replacement is invalid, and copies what it stores', () => {
    const r = new PolicyRegistry();
    const p = pol();
    r.set(p);
    p.definition['message-ttl'] = 5;
    expect(() => r.set(pol({ definition: { 'message-ttl': -1 } }))).toThrow(PolicyValidationError);
    expect(r.get('/', 'p', false)?.definition).toEqual({ 'message-ttl': 1000 });
  });

  const names = (m: { policy: Policy | undefined; operatorPolicy: Policy | undefined }) => [m.policy?.name, m.operatorPolicy?.name];

  it('matches the highest priority; equal priorities: the first name', () => {
    const r = new PolicyRegistry();
    r.set(pol({ name: 'low', priority: 1 }));
    r.set(pol({ name: 'high', priority: 10, pattern: '^orders\\.' }));
    r.set(pol({ name: 'tie-b', priority: 5, pattern: '^x' }));
    r.set(pol({ name: 'tie-a', priority: 5, pattern: '^x' }));
    r.set(pol({ name: 'neg', priority: -1 }));
    expect(names(r.match('/', 'orders.new', 'queue', 'classic'))).toEqual(['high', undefined]);
    expect(names(r.match('/', 'other', 'queue', 'classic'))).toEqual(['low', undefined]);
    expect(names(r.match('/', 'xq', 'queue', 'classic'))).toEqual(['tie-a', undefined]);
    expect(names(r.match('v', 'orders.new', 'queue', 'classic'))).toEqual([undefined, undefined]);
  });

  it('matches by apply-to', () => {
    const r = new PolicyRegistry();
    const apply = ['queues', 'classic_queues', 'quorum_queues', 'exchanges', 'all', 'streams'] as const;
    apply.forEach((applyTo, i) => r.set(pol({ name: applyTo, applyTo, pattern: `^${applyTo}$`, priority: i })));
    const hit = (name: string, kind: 'queue' | 'exchange', type: 'classic' | 'quorum') => r.match('/', name, kind, type).policy?.name;
    expect(apply.map((a) => hit(a, 'queue', 'classic'))).toEqual(['queues', 'classic_queues', undefined, undefined, 'all', undefined]);
    expect(apply.map((a) => hit(a, 'queue', 'quorum'))).toEqual(['queues', undefined, 'quorum_queues', undefined, 'all', undefined]);
    expect(apply.map((a) => hit(a, 'exchange', 'classic'))).toEqual([undefined, undefined, undefined, 'exchanges', 'all', undefined]);
  });

  it('skips policies holding a key the queue type does not support', () => {
    const r = new PolicyRegistry();
    r.set(pol({ name: 'mem', priority: 9, definition: { 'max-in-memory-length': 5, 'message-ttl': 100 } }));
    r.set(pol({ name: 'ha', priority: 8, definition: { 'ha-mode': 'all' } }));
    r.set(pol({ name: 'base', priority: 0 }));
    expect(r.match('/', 'q', 'queue', 'classic').policy?.name).toBe('ha');
    expect(r.match('/', 'q', 'queue', 'quorum').policy?.name).toBe('mem');
    expect(r.match('/', 'x', 'exchange', 'classic').policy?.name).toBe('mem');
  });

  it('applies delivery-limit policies to classic queues (Warren; RabbitMQ skips them, verified on 3.10)', () => {
    const r = new PolicyRegistry();
    r.set(pol({ name: 'dl', definition: { 'delivery-limit': 5 } }));
    expect(r.match('/', 'q', 'queue', 'classic').policy?.name).toBe('dl');
  });

  it('matches the operator policy independently', () => {
    const r = new PolicyRegistry();
    r.set(pol({ name: 'user', priority: 100 }));
    r.set(pol({ name: 'op1', operator: true, priority: 1, definition: { 'max-length': 5 } }));
    r.set(pol({ name: 'op2', operator: true, priority: 2, pattern: '^q', definition: { 'max-length': 9 } }));
    expect(names(r.match('/', 'q1', 'queue', 'classic'))).toEqual(['user', 'op2']);
    expect(names(r.match('/', 'z', 'queue', 'classic'))).toEqual(['user', 'op1']);
  });
});

describe('effective queue settings (precedence verified against RabbitMQ 3.10)', () => {
  const ctx = { queue: 'q', vhost: '/', durable: true, exclusive: false, autoDelete: false };
  const classic = (a: FieldTable = {}) => parseQueueArguments(a, ctx);
  const quorum = (a: FieldTable = {}) => parseQueueArguments({ 'x-queue-type': 'quorum', ...a }, ctx);
  const P = (definition: Record<string, unknown>) => pol({ name: 'pol', definition });
  const O = (definition: Record<string, unknown>) => pol({ name: 'op', operator: true, definition });

  it('numeric limits: the lowest of argument, policy and operator policy', () => {
    expect(effectiveQueueSettings(classic({ 'x-message-ttl': 60000 }), P({ 'message-ttl': 100 }), undefined).messageTtl).toBe(100);
    expect(effectiveQueueSettings(classic({ 'x-message-ttl': 100 }), P({ 'message-ttl': 60000 }), undefined).messageTtl).toBe(100);
    expect(effectiveQueueSettings(classic({ 'x-max-length': 5 }), undefined, O({ 'max-length': 2 })).maxLength).toBe(2);
    expect(effectiveQueueSettings(classic(), P({ 'max-length': 10 }), O({ 'max-length': 3 })).maxLength).toBe(3);
    expect(effectiveQueueSettings(classic({ 'x-max-length-bytes': 7 }), P({ 'max-length-bytes': 10 }), O({ 'max-length-bytes': 30 })).maxLengthBytes).toBe(7);
    expect(effectiveQueueSettings(classic({ 'x-expires': 1000 }), P({ expires: 600000 }), undefined).expires).toBe(1000);
    expect(effectiveQueueSettings(quorum({ 'x-delivery-limit': 9 }), P({ 'delivery-limit': 4 }), O({ 'delivery-limit': 6 })).deliveryLimit).toBe(4);
    expect(effectiveQueueSettings(classic({ 'x-delivery-limit': 3 }), P({ 'delivery-limit': 4 }), undefined).deliveryLimit).toBe(3);
    expect(effectiveQueueSettings(classic({ 'x-consumer-timeout': 5000 }), P({ 'consumer-timeout': 1000 }), undefined).consumerTimeout).toBe(1000);
  });

  it('quorum expires: the policy wins over the argument', () => {
    expect(effectiveQueueSettings(quorum({ 'x-expires': 1000 }), P({ expires: 600000 }), undefined).expires).toBe(600000);
    expect(effectiveQueueSettings(quorum({ 'x-expires': 1000 }), P({ expires: 600000 }), O({ expires: 5000 })).expires).toBe(5000);
    expect(effectiveQueueSettings(quorum({ 'x-expires': 1000 }), undefined, undefined).expires).toBe(1000);
  });

  it('overflow: classic argument wins, quorum policy wins, operator beats policy', () => {
    const rp = { 'x-overflow': 'reject-publish' };
    expect(effectiveQueueSettings(classic(rp), P({ overflow: 'drop-head' }), undefined).overflow).toBe('reject-publish');
    expect(effectiveQueueSettings(classic(), P({ overflow: 'reject-publish' }), undefined).overflow).toBe('reject-publish');
    expect(effectiveQueueSettings(quorum({ 'x-overflow': 'drop-head' }), P({ overflow: 'reject-publish' }), undefined).overflow).toBe('reject-publish');
    expect(effectiveQueueSettings(classic(), P({ overflow: 'reject-publish' }), O({ overflow: 'drop-head' })).overflow).toBe('drop-head');
    expect(effectiveQueueSettings(quorum({ 'x-overflow': 'reject-publish-dlx' }), undefined, undefined).overflow).toBe('drop-head');
    expect(effectiveQueueSettings(classic({ 'x-overflow': 'reject-publish-dlx' }), undefined, undefined).overflow).toBe('reject-publish-dlx');
  });

  it('dead lettering: the argument wins, key by key', () => {
    const s = effectiveQueueSettings(classic({ 'x-dead-letter-exchange': 'dlxA' }), P({ 'dead-letter-exchange': 'dlxB', 'dead-letter-routing-key': 'rk' }), undefined);
    expect([s.deadLetterExchange, s.deadLetterRoutingKey]).toEqual(['dlxA', 'rk']);
    const q = effectiveQueueSettings(quorum(), P({ 'dead-letter-exchange': 'dlxB' }), undefined);
    expect(q.deadLetterExchange).toBe('dlxB');
  });

  it('argument-only settings, queue mode, delayed-message, names and merged definition', () => {
    const s = effectiveQueueSettings(
      classic({ 'x-max-priority': 5, 'x-single-active-consumer': true }),
      P({ 'message-ttl': 5000, 'max-length': 10, 'queue-mode': 'lazy', 'delayed-message': true }),
      O({ 'max-length': 3, expires: 100000 }),
    );
    expect(s).toMatchObject({ maxPriority: 5, singleActiveConsumer: true, queueMode: 'lazy', delayedMessage: true, policy: 'pol', operatorPolicy: 'op' });
    // as rabbit_policy:effective_definition/1 returned on 3.10 for the same pair
    expect(s.definition).toEqual({ expires: 100000, 'max-length': 3, 'message-ttl': 5000, 'queue-mode': 'lazy', 'delayed-message': true });
    expect(effectiveQueueSettings(quorum(), undefined, undefined)).toMatchObject({ queueMode: undefined, maxPriority: undefined, delayedMessage: false, policy: undefined, definition: {} });
  });

  it('merges mirroring keys as rabbit_mirror_queue_misc does', () => {
    const m = (a: Record<string, unknown>, b: Record<string, unknown>) => mergeOperatorDefinitions(P(a), O(b));
    expect(m({ 'ha-mode': 'nodes' }, { 'ha-mode': 'all' })['ha-mode']).toBe('all');
    expect(m({ 'ha-mode': 'exactly' }, { 'ha-mode': 'nodes' })['ha-mode']).toBe('exactly');
    expect(m({ 'ha-params': 2 }, { 'ha-params': 3 })['ha-params']).toBe(3);
    expect(m({ 'ha-params': ['a'] }, { 'ha-params': 2 })['ha-params']).toBe(2);
    expect(m({ 'ha-params': ['a', 'b'] }, { 'ha-params': ['c'] })['ha-params']).toEqual(['a', 'b']);
    expect(m({ 'ha-sync-mode': 'manual' }, { 'ha-sync-mode': 'automatic' })['ha-sync-mode']).toBe('automatic');
    expect(m({ 'target-group-size': 3 }, { 'target-group-size': 5 })['target-group-size']).toBe(5);
    expect(m({ 'queue-version': 1 }, { 'queue-version': 2 })['queue-version']).toBe(2);
  });
});
