/**
 * Login attempts by protocol (`amqp091`, `http`), succeeded and failed, as RabbitMQ's
 * rabbit_core_metrics counts them (auth_attempt_metrics): one bump per AMQP handshake or
 * authenticated HTTP request, read by the Prometheus endpoint.
 */
export interface AuthAttemptCounts {
  succeeded: number;
  failed: number;
}

export class AuthAttempts {
  private readonly byProtocol = new Map<string, AuthAttemptCounts>();

  record(protocol: string, succeeded: boolean): void {
    let c = this.byProtocol.get(protocol);
    if (c === undefined) this.byProtocol.set(protocol, (c = { succeeded: 0, failed: 0 }));
    if (succeeded) c.succeeded++;
    else c.failed++;
  }

  /** Counts per protocol, in the order protocols were first seen. */
  entries(): [string, Readonly<AuthAttemptCounts>][] {
    return [...this.byProtocol];
  }
}
