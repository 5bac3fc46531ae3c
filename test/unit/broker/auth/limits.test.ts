/**
 * Vhost and user limits are checked with RabbitMQ's texts (rabbit_parameter_validation), as
 * rabbitmqctl set_vhost_limits / set_user_limits and the HTTP API print them on 3.10.8.
 */
import { describe, expect, it } from 'vitest';
import { AmqpError } from '../../../../src/amqp/errors.js';
import { parseLimits, USER_LIMIT_KEYS, VHOST_LIMIT_KEYS } from '../../../../src/broker/auth/limits.js';

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof AmqpError) return err.replyText;
    throw err;
  }
  throw new Error('accepted');
}

describe('parseLimits', () => {
  it('keeps the known keys of integer values, negative ones too (no limit)', () => {
    expect(parseLimits({ 'max-queues': 5, 'max-connections': -1 }, VHOST_LIMIT_KEYS)).toEqual({ 'max-queues': 5, 'max-connections': -1 });
    expect(parseLimits({}, USER_LIMIT_KEYS, 'user-limits')).toEqual({});
  });

  it('refuses vhost limits as the runtime parameter validation does', () => {
    expect(refusal(() => parseLimits({ 'max-queues': 'x' }, VHOST_LIMIT_KEYS))).toBe(
      'PRECONDITION_FAILED - Validation failed\n\nmax-queues should be a number, actually was <<"x">>\n',
    );
    expect(refusal(() => parseLimits({ 'max-queues': 1.5 }, VHOST_LIMIT_KEYS))).toBe(
      'PRECONDITION_FAILED - Validation failed\n\nmax-queues should be a number, actually was 1.5\n',
    );
    expect(refusal(() => parseLimits({ 'max-foo': 1 }, VHOST_LIMIT_KEYS))).toBe(
      'PRECONDITION_FAILED - Validation failed\n\nUnrecognised terms [{<<"max-foo">>,1}] in limits\n',
    );
    // Values first, then the unknown keys, all reported.
    expect(refusal(() => parseLimits({ 'max-foo': 1, 'max-queues': null }, VHOST_LIMIT_KEYS))).toBe(
      'PRECONDITION_FAILED - Validation failed\n\nmax-queues should be a number, actually was null\nUnrecognised terms [{<<"max-foo">>,1}] in limits\n',
    );
  });

  it('refuses user limits with the first error alone', () => {
    expect(refusal(() => parseLimits({ 'max-queues': 5 }, USER_LIMIT_KEYS, 'user-limits'))).toBe(
      'PRECONDITION_FAILED - Unrecognised terms [{<<"max-queues">>,5}] in user-limits',
    );
    expect(refusal(() => parseLimits({ 'max-channels': 'a' }, USER_LIMIT_KEYS, 'user-limits'))).toBe(
      'PRECONDITION_FAILED - max-channels should be a number, actually was <<"a">>',
    );
  });
});
