/** What a connection is tuned with, and the fixed timings of its close. */
export interface ConnectionLimits {
  frameMax: number;
  channelMax: number;
  heartbeat: number;
  handshakeTimeoutMs: number;
}

/** How long input is still read and discarded after connection.close-ok, if the client keeps the socket open. */
export const CLOSE_LINGER_MS = 5000;

/**
 * After a refused login the client cannot be told of (no authentication_failure_close), how long
 * the socket stays open, ignored, before it is closed: RabbitMQ's SILENT_CLOSE_DELAY (3 s), so a
 * password guesser cannot retry at once.
 */
export const SILENT_CLOSE_DELAY_MS = 3000;

/**
 * Input chunks read and output batches written by every connection of the process: a cheap sign
 * of activity (idle compaction). Output counts too: a consumer draining a backlog without acks
 * (no-ack) sends nothing for as long as the drain lasts.
 */
let ioEvents = 0;
export const ioActivity = (): number => ioEvents;
export const countIo = (): void => {
  ioEvents++;
};
