/**
 * Entry: config -> Broker -> listeners. Used by the CLI (`warren server`) and by embedders.
 */
export interface BrokerOptions {
  /** AMQP port; 0 picks a free one. Default 5672. */
  port?: number;
  /** Interface to bind. Default '::' (all), falling back to 0.0.0.0. */
  host?: string;
  /** Management HTTP port (reserved for the management API). Default 15672. */
  managementPort?: number;
  /** Data directory. Default ./data */
  dataDir?: string;
  logLevel?: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'silent';
  /** Largest message body accepted, in bytes. Default 128 MiB (RabbitMQ 3.x). */
  maxMessageSize?: number;
  /** Heartbeat the server proposes, in seconds. Default 60. */
  heartbeat?: number;
  /** frame_max the server proposes. Default 131072. */
  frameMax?: number;
  /** channel_max the server proposes. Default 2047. */
  channelMax?: number;
}

export interface RunningBroker {
  /** amqp://guest:guest@127.0.0.1:PORT */
  readonly url: string;
  /** The bound AMQP port. */
  readonly port: number;
  close(): Promise<void>;
}

export async function startBroker(_options: BrokerOptions = {}): Promise<RunningBroker> {
  throw new Error('not implemented yet');
}
