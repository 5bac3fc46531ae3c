/**
 * Per-channel assembly of a content-bearing method (basic.publish) + content header frame + body
 * frames, following RabbitMQ's rabbit_command_assembler states and error texts.
 *
 * The assembled properties and body are copies that outlive the chunks they came in: raw
 * properties are copied at header time, and the body is copied into one buffer of exactly
 * bodySize bytes, allocated once, when the first body frame arrives. (Not at header time, so the
 * caller can compare bodySize with its maximum message size after onHeader() and before anything
 * is allocated.)
 */
import { type AmqpError, frameError, unexpectedFrame } from './errors.js';

const IDLE = 0;
const HEADER = 1;
const BODY = 2;
const COMPLETE = 3;
const EMPTY = Buffer.alloc(0);
/** class-id (2) + weight (2) + body-size (8) */
const HEADER_FIXED = 12;

export class ContentAssembler {
  private state = IDLE;
  private classId = 0;
  private size = 0;
  private received = 0;
  private props: Buffer = EMPTY;
  private body: Buffer = EMPTY;

  /** Begins a content after a content-bearing method. Throws 505 if a content is already under way. */
  start(classId: number): void {
    if (this.state === HEADER || this.state === BODY) throw this.unexpectedFrameError();
    this.state = HEADER;
    this.classId = classId;
    this.size = 0;
    this.received = 0;
    this.props = EMPTY;
    this.body = EMPTY;
  }

  /** Waiting for the header or for body frames. */
  get active(): boolean {
    return this.state === HEADER || this.state === BODY;
  }

  /** Header and all body frames received; take() the content. */
  get complete(): boolean {
    return this.state === COMPLETE;
  }

  get bodySize(): number {
    return this.size;
  }

  /** Raw property bytes (flags + list), a copy. */
  get properties(): Buffer {
    return this.props;
  }

  /**
   * The 505 error RabbitMQ sends when a frame of the wrong kind arrives: call it when a method
   * frame arrives while `active`.
   */
  unexpectedFrameError(): AmqpError {
    if (this.state === HEADER) {
      return unexpectedFrame(`expected content header for class ${this.classId}, got non content header frame instead`);
    }
    if (this.state === BODY) return unexpectedFrame('expected content body, got non content body frame instead');
    return unexpectedFrame('expected method frame, got non method frame instead');
  }

  /** A content header frame payload: class-id, weight, body-size, raw properties. */
  onHeader(payload: Buffer): void {
    if (this.state !== HEADER) throw this.unexpectedFrameError();
    if (payload.length < HEADER_FIXED + 2) throw frameError(`content header too short (${payload.length} octets)`);
    const classId = payload.readUInt16BE(0);
    if (classId !== this.classId) {
      throw unexpectedFrame(`expected content header for class ${this.classId}, got one for class ${classId} instead`);
    }
    const hi = payload.readUInt32BE(4);
    if (hi > 0x1fffff) throw frameError('content body size above 2^53 - 1');
    this.size = hi * 0x100000000 + payload.readUInt32BE(8);
    const props = Buffer.allocUnsafe(payload.length - HEADER_FIXED);
    payload.copy(props, 0, HEADER_FIXED);
    this.props = props;
    this.state = this.size === 0 ? COMPLETE : BODY;
  }

  /** A body frame payload; returns true when the body is complete. */
  onBody(payload: Buffer): boolean {
    if (this.state !== BODY) throw this.unexpectedFrameError();
    const at = this.received;
    if (at + payload.length > this.size) {
      throw frameError(`content body of ${at + payload.length} octets exceeds the declared body size ${this.size}`);
    }
    if (at === 0) this.body = Buffer.allocUnsafe(this.size);
    payload.copy(this.body, at);
    this.received = at + payload.length;
    if (this.received < this.size) return false;
    this.state = COMPLETE;
    return true;
  }

  /** The assembled content; resets the assembler. */
  take(): { properties: Buffer; body: Buffer } {
    if (this.state !== COMPLETE) throw new Error('ContentAssembler.take: content not complete');
    const out = { properties: this.props, body: this.body };
    this.reset();
    return out;
  }

  /** Drops any content under way (e.g. the channel closed). */
  reset(): void {
    this.state = IDLE;
    this.classId = 0;
    this.size = 0;
    this.received = 0;
    this.props = EMPTY;
    this.body = EMPTY;
  }
}
