/**
 * The one error type of the protocol. Thrown anywhere below the channel; caught once per level
 * (Channel.dispatch, Connection.onFrame) and mapped to channel.close or connection.close.
 *
 * replyText is written exactly as RabbitMQ writes it, e.g. "NOT_FOUND - no queue 'q' in vhost '/'",
 * because clients and test suites compare it.
 */
export class AmqpError extends Error {
  readonly replyCode: number;
  readonly replyText: string;
  /** class and method of the failing method; 0 when not yet known (the channel fills them in). */
  classId: number;
  methodId: number;
  readonly hard: boolean;

  constructor(replyCode: number, replyText: string, hard: boolean, classId = 0, methodId = 0) {
    super(replyText);
    this.name = hard ? 'ConnectionError' : 'ChannelError';
    this.replyCode = replyCode;
    this.replyText = replyText;
    this.hard = hard;
    this.classId = classId;
    this.methodId = methodId;
  }
}

/** Soft error: closes the channel. */
export class ChannelError extends AmqpError {
  constructor(replyCode: number, replyText: string, classId = 0, methodId = 0) {
    super(replyCode, replyText, false, classId, methodId);
  }
}

/** Hard error: closes the connection. */
export class ConnectionError extends AmqpError {
  constructor(replyCode: number, replyText: string, classId = 0, methodId = 0) {
    super(replyCode, replyText, true, classId, methodId);
  }
}

// Soft errors (channel.close)
export const accessRefused = (text: string): ChannelError => new ChannelError(403, `ACCESS_REFUSED - ${text}`);
export const notFound = (text: string): ChannelError => new ChannelError(404, `NOT_FOUND - ${text}`);
export const resourceLocked = (text: string): ChannelError => new ChannelError(405, `RESOURCE_LOCKED - ${text}`);
export const preconditionFailed = (text: string): ChannelError =>
  new ChannelError(406, `PRECONDITION_FAILED - ${text}`);

// Hard errors (connection.close)
export const connectionForced = (text: string): ConnectionError =>
  new ConnectionError(320, `CONNECTION_FORCED - ${text}`);
export const frameError = (text: string): ConnectionError => new ConnectionError(501, `FRAME_ERROR - ${text}`);
export const syntaxError = (text: string): ConnectionError => new ConnectionError(502, `SYNTAX_ERROR - ${text}`);
export const commandInvalid = (text: string): ConnectionError =>
  new ConnectionError(503, `COMMAND_INVALID - ${text}`);
export const channelError = (text: string): ConnectionError => new ConnectionError(504, `CHANNEL_ERROR - ${text}`);
export const unexpectedFrame = (text: string): ConnectionError =>
  new ConnectionError(505, `UNEXPECTED_FRAME - ${text}`);
export const resourceError = (text: string): ConnectionError => new ConnectionError(506, `RESOURCE_ERROR - ${text}`);
export const notAllowed = (text: string): ConnectionError => new ConnectionError(530, `NOT_ALLOWED - ${text}`);
export const notImplemented = (text: string): ConnectionError =>
  new ConnectionError(540, `NOT_IMPLEMENTED - ${text}`);
export const internalError = (text: string): ConnectionError =>
  new ConnectionError(541, `INTERNAL_ERROR - ${text}`);
/** 403 on the connection (authentication failure, vhost access). */
export const connectionAccessRefused = (text: string): ConnectionError =>
  new ConnectionError(403, `ACCESS_REFUSED - ${text}`);
