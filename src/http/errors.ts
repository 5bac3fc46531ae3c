/**
 * The management API's one error type and its one mapping. Every failure leaves as RabbitMQ's
 * body, `{"error": ..., "reason": ...}`, with RabbitMQ's status: controllers throw HttpError (or
 * let a broker AmqpError through), and `toHttpError` in the server's error handler decides the rest.
 */
import { AmqpError } from '../amqp/errors.js';
import { DefinitionError } from '../broker/definitions/definition-error.js';
import { PolicyValidationError } from '../broker/policy.js';

/** A reason is text, or a list where RabbitMQ prints an Erlang tuple (`["no_such_user","bob"]`). */
export type HttpReason = string | readonly (string | number)[];

export class HttpError extends Error {
  readonly code = 'WARREN_HTTP_ERROR';

  constructor(
    readonly status: number,
    /** RabbitMQ's `error` field: not_found, bad_request, not_authorised, ... */
    readonly error: string,
    readonly reason: HttpReason,
    /** extra response headers (WWW-Authenticate) */
    readonly headers: Readonly<Record<string, string>> = {},
    options?: { cause?: unknown },
  ) {
    super(typeof reason === 'string' ? reason : JSON.stringify(reason), options);
    this.name = 'HttpError';
  }

  /** RabbitMQ's body; undefined for the one error sent without a body (no credentials). */
  get body(): { error: string; reason: HttpReason } | undefined {
    return this.error === '' ? undefined : { error: this.error, reason: this.reason };
  }
}

/** RabbitMQ's realm for HTTP basic auth. */
export const AUTH_REALM = 'Basic realm="RabbitMQ Management"';

/** A path or object that does not exist: RabbitMQ's exact 404 body, which Terraform relies on. */
export const objectNotFound = (): HttpError => new HttpError(404, 'Object Not Found', 'Not Found');

export const badRequest = (reason: HttpReason, cause?: unknown): HttpError =>
  new HttpError(400, 'bad_request', reason, {}, cause === undefined ? undefined : { cause });

/** Authenticated, but not allowed (RabbitMQ 3.x answers 401 here, not 403). */
export const notAuthorised = (reason: string): HttpError => new HttpError(401, 'not_authorised', reason);

/** No credentials at all: 401 with the realm and, as RabbitMQ's cowboy answers, no body. */
export const credentialsRequired = (): HttpError => new HttpError(401, '', '', { 'www-authenticate': AUTH_REALM });

/** Credentials refused: 401 with the realm, so browsers and tools ask again. */
export const loginFailed = (): HttpError =>
  new HttpError(401, 'not_authorized', 'Login failed', { 'www-authenticate': AUTH_REALM });

/** The explanation of an AMQP error, without its `NOT_FOUND - ` prefix. */
export function explanation(err: AmqpError): string {
  const dash = err.replyText.indexOf(' - ');
  return dash < 0 ? err.replyText : err.replyText.slice(dash + 3);
}

/** `precondition_failed`, from `PRECONDITION_FAILED - ...` (RabbitMQ's amqp_error name). */
export function amqpErrorName(err: AmqpError): string {
  const dash = err.replyText.indexOf(' - ');
  return (dash < 0 ? 'internal_error' : err.replyText.slice(0, dash)).toLowerCase();
}

/**
 * Any error to what the client gets, as RabbitMQ's management API maps a failed broker operation
 * (rabbit_mgmt_util:direct_request): ACCESS_REFUSED and NOT_ALLOWED -> 401 "Access refused.";
 * NOT_FOUND -> 404 with the explanation; any other AMQP error -> 400 with the explanation.
 * Policy validation and definitions -> 400 with RabbitMQ's text. Anything else is a 500 and is logged by the caller.
 */
export function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof AmqpError) {
    if (err.replyCode === 403 || err.replyCode === 530) return new HttpError(401, 'not_authorised', 'Access refused.', {}, { cause: err });
    if (err.replyCode === 404) return new HttpError(404, 'not_found', explanation(err), {}, { cause: err });
    return badRequest(explanation(err), err);
  }
  if (err instanceof PolicyValidationError) return badRequest(err.message, err);
  if (err instanceof DefinitionError) return badRequest(err.reason, err);
  const fastify = fastifyError(err);
  if (fastify !== undefined) return fastify;
  return new HttpError(500, 'internal_server_error', 'Internal Server Error', {}, { cause: err });
}

/** Fastify's own errors: schema validation (400, RabbitMQ's key_missing text), body too large, bad body. */
function fastifyError(err: unknown): HttpError | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { statusCode?: unknown; validation?: unknown; code?: unknown; message?: unknown };
  if (Array.isArray(e.validation)) return badRequest(validationReason(e.validation as ValidationIssue[]), err);
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    const reason = typeof e.message === 'string' ? e.message : String(e.code);
    return new HttpError(e.statusCode, e.statusCode === 413 ? 'payload_too_large' : 'bad_request', reason, {}, { cause: err });
  }
  return undefined;
}

interface ValidationIssue {
  keyword: string;
  instancePath: string;
  message?: string;
  params: Record<string, unknown>;
}

/**
 * Missing keys as RabbitMQ lists them (`[{key_missing,read}]`, all of them, in the schema's
 * order); other schema failures as "configure must be string".
 */
function validationReason(issues: readonly ValidationIssue[]): string {
  const missing = issues
    .filter((i) => i.keyword === 'required' && i.instancePath === '')
    .map((i) => `{key_missing,${String(i.params['missingProperty'])}}`);
  if (missing.length > 0) return `[${missing.join(',')}]`;
  const first = issues[0];
  if (first === undefined) return 'bad_request';
  const where = first.instancePath.replace(/^\//, '').replaceAll('/', '.');
  return `${where === '' ? 'body' : where} ${first.message ?? 'is invalid'}`;
}
