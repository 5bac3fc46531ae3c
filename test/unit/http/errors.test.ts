/**
 * The one mapping from any error to the management API's answer, as RabbitMQ's
 * rabbit_mgmt_util:direct_request maps a failed broker operation.
 */
import { describe, expect, it } from 'vitest';
import { accessRefused, commandInvalid, notAllowed, notFound, preconditionFailed } from '../../../src/amqp/errors.js';
import { PolicyValidationError } from '../../../src/broker/policy.js';
import { HttpError, toHttpError } from '../../../src/http/errors.js';

const answer = (err: unknown): { status: number; body: unknown } => {
  const e = toHttpError(err);
  return { status: e.status, body: e.body };
};

describe('toHttpError', () => {
  it('maps ACCESS_REFUSED and NOT_ALLOWED to 401 "Access refused."', () => {
    for (const err of [accessRefused("access to queue 'q' in vhost '/' refused for user 'u'"), notAllowed('vhost v not found')]) {
      expect(answer(err)).toEqual({ status: 401, body: { error: 'not_authorised', reason: 'Access refused.' } });
    }
  });

  it('maps NOT_FOUND to 404 with the explanation', () => {
    expect(answer(notFound("no queue 'q' in vhost '/'"))).toEqual({ status: 404, body: { error: 'not_found', reason: "no queue 'q' in vhost '/'" } });
  });

  it('maps other AMQP errors to 400 with the explanation', () => {
    expect(answer(preconditionFailed("inequivalent arg 'durable'"))).toEqual({ status: 400, body: { error: 'bad_request', reason: "inequivalent arg 'durable'" } });
    expect(answer(commandInvalid("unknown exchange type 'x'")).status).toBe(400);
  });

  it('keeps HttpErrors, maps policy validation to 400, and anything else to a 500 that says nothing', () => {
    const own = new HttpError(404, 'Object Not Found', 'Not Found');
    expect(toHttpError(own)).toBe(own);
    expect(answer(new PolicyValidationError(['<<"x">> is not a valid maximum length']))).toEqual({
      status: 400,
      body: { error: 'bad_request', reason: 'Validation failed\n\n<<"x">> is not a valid maximum length\n' },
    });
    expect(answer(new Error('secret detail'))).toEqual({ status: 500, body: { error: 'internal_server_error', reason: 'Internal Server Error' } });
  });

  it('maps a schema failure to RabbitMQ key_missing list, every missing key in order', () => {
    const validation = [
      { keyword: 'required', instancePath: '', params: { missingProperty: 'write' } },
      { keyword: 'required', instancePath: '', params: { missingProperty: 'read' } },
    ];
    expect(answer(Object.assign(new Error('invalid'), { validation, statusCode: 400 }))).toEqual({
      status: 400,
      body: { error: 'bad_request', reason: '[{key_missing,write},{key_missing,read}]' },
    });
  });
});
