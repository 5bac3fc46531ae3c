/**
 * A definitions entry that cannot be applied (import at boot or through the management API), with
 * RabbitMQ's reason: text, or a list where RabbitMQ prints an Erlang tuple (`["no_such_vhost","v"]`).
 * The management API answers it as 400 {"error":"bad_request","reason":...}.
 */
export type DefinitionReason = string | readonly (string | number)[];

export class DefinitionError extends Error {
  readonly code = 'WARREN_BAD_DEFINITION';

  constructor(
    readonly reason: DefinitionReason,
    options?: { cause?: unknown },
  ) {
    super(typeof reason === 'string' ? reason : JSON.stringify(reason), options);
    this.name = 'DefinitionError';
  }
}
