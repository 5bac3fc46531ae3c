import type { Socket } from 'node:net';
import { AmqpError, channelError, frameError, notAllowed, unexpectedFrame } from '../amqp/errors.js';
import { FrameReader, type FrameHandler } from '../amqp/frame-reader.js';
import { FrameWriter } from '../amqp/frame-writer.js';
import { FrameType } from '../amqp/generated/constants.js';
import { decodeMethod, encodeChannelCloseOk, encodeConnectionClose, encodeConnectionCloseOk, MethodId, type Method } from '../amqp/generated/methods.js';
import type { Broker } from '../broker/broker.js';
import type { Access } from '../broker/auth/access.js';
import type { FlowWaiter, Queue } from '../broker/queue/queue.js';
import type { Vhost } from '../broker/vhost.js';
import { logger } from '../util/logger.js';
import { Channel } from './channel.js';
import { Handshake } from './connection-handshake.js';
import { Heartbeat } from './heartbeat.js';
import type { Flow } from './flow.js';
import { PROTOCOL_HEADER } from './handshake.js';
import { describeFrame } from './frame-text.js';
import { ReadGate, ReadPause } from './read-gate.js';
import { DurableHold } from './durable-hold.js';
import type { CertLogin } from './tls-context.js';
import { CLOSE_LINGER_MS, countIo, SILENT_CLOSE_DELAY_MS, type ConnectionLimits } from './connection-settings.js';

const log = logger('amqp.connection');

type State = 'header' | 'handshake' | 'open' | 'closing' | 'closed';
let nextConnectionId = 1;

/**
 * One AMQP connection: protocol header, handshake, frame dispatch to channels, output batching,
 * heartbeats and close. Everything from the socket's data event to socket.write is synchronous.
 * Errors are caught here (and in Channel.dispatch) and mapped to connection.close / channel.close.
 */
export class Connection implements FrameHandler, FlowWaiter {
  readonly id = nextConnectionId++;
  readonly writer: FrameWriter;
  readonly reader: FrameReader;
  readonly channels = new Map<number, Channel>();
  readonly remoteAddress: string;
  state: State = 'header';
  user = '';
  vhost: Vhost | null = null;
  /** the user's rights in the vhost, from connection.open until the connection ends (Sessions) */
  access: Access | null = null;
  clientProperties: Record<string, unknown> = {};
  /** the client advertised consumer_cancel_notify */
  cancelNotify = false;
  /** the client advertised connection.blocked */
  blockedNotify = false;
  frameMax: number;
  channelMax: number;
  /** true while socket.write() asks us to wait for 'drain' */
  writeBlocked = false;

  private header: Buffer | null = Buffer.alloc(0);
  private readonly handshake: Handshake;
  readonly heartbeat: Heartbeat;
  /** socket.pause/resume, by reason (alarms, credit flow) */
  readonly readGate: ReadGate;
  private readonly hold: DurableHold;
  /** congested queues this connection published to and waits for (credit flow) */
  private readonly awaited = new Set<Queue>();
  private flushScheduled = false;
  private readonly flushBound = (): void => this.flush();
  private readonly confirmDirty = new Set<Channel>();
  private readonly drainWaiters = new Set<Channel>();
  private lingerTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly socket: Socket,
    readonly broker: Broker,
    readonly limits: ConnectionLimits,
    private readonly onClosed: (c: Connection) => void,
    /** resource alarms: blocks this connection when it publishes during an alarm (flow.ts) */
    readonly flow: Flow | null = null,
    /** a TLS connection's verified client certificate (SASL EXTERNAL is offered), else null */
    readonly certLogin: CertLogin | null = null,
  ) {
    this.remoteAddress = socket.remoteAddress ?? '';
    this.frameMax = limits.frameMax;
    this.channelMax = limits.channelMax;
    this.writer = new FrameWriter(socket);
    // Before tune-ok, frames are limited to RabbitMQ's pre-auth frame_max.
    this.reader = new FrameReader(this, 8192);
    this.handshake = new Handshake(this);
    this.heartbeat = new Heartbeat(this);
    this.readGate = new ReadGate(socket, this.heartbeat);
    this.hold = new DurableHold(broker.persistence?.durability ?? null, this.readGate, this.flushBound);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.onDrain());
    socket.on('error', (err) => log.debug(`socket error from ${this.remoteAddress}: ${err.message}`));
    socket.on('close', () => this.onSocketClose());
    this.heartbeat.startHandshakeTimer(limits.handshakeTimeoutMs);
  }

  get name(): string {
    return `${this.remoteAddress}:${this.socket.remotePort ?? 0} -> ${this.socket.localPort ?? 0}`;
  }

  private onData(chunk: Buffer): void {
    countIo();
    this.heartbeat.received();
    try {
      if (this.header !== null) {
        chunk = this.readProtocolHeader(chunk);
        if (chunk.length === 0) return;
      }
      if (this.state === 'closed') return;
      this.hold.mark();
      this.reader.push(chunk);
      this.readGate.consumed(chunk.length);
      this.hold.check();
    } catch (err) {
      this.fail(err, 0, 0, 0);
    }
    // Timers due while input keeps this turn busy run now, not when the turn ends.
    this.broker.scheduler.poll();
    this.scheduleFlush();
  }

  /** Collect the 8-byte protocol header; returns the bytes after it. */
  private readProtocolHeader(chunk: Buffer): Buffer {
    const have = this.header as Buffer;
    const need = 8 - have.length;
    const header = have.length === 0 && chunk.length >= 8 ? chunk.subarray(0, 8) : Buffer.concat([have, chunk.subarray(0, need)]);
    if (header.length < 8) {
      this.header = Buffer.from(header);
      return Buffer.alloc(0);
    }
    this.header = null;
    if (!header.equals(PROTOCOL_HEADER)) {
      log.info(`bad protocol header from ${this.remoteAddress}`);
      this.state = 'closed';
      this.socket.end(PROTOCOL_HEADER);
      return Buffer.alloc(0);
    }
    this.state = 'handshake';
    this.handshake.sendStart();
    return chunk.subarray(need);
  }

  /**
   * FrameReader callback: one complete frame. Errors are handled here, at a frame boundary, so
   * the reader keeps going and the client's close-ok is still seen; only broken framing (thrown
   * by the reader itself) stops the stream.
   */
  onFrame(type: number, channel: number, payload: Buffer): void {
    try {
      this.handleFrame(type, channel, payload);
    } catch (err) {
      this.fail(err, channel, 0, 0);
    }
  }

  private handleFrame(type: number, channel: number, payload: Buffer): void {
    if (this.state === 'closed') return;
    if (type === FrameType.Heartbeat) {
      if (channel !== 0) throw unexpectedFrame(describeFrame(type, payload));
      if (payload.length !== 0) throw frameError(`${describeFrame(type, payload)}: unknown_frame`);
      return;
    }
    if (this.state === 'closing') {
      // After connection.close only close / close-ok matter.
      if (type === FrameType.Method && channel === 0) {
        const m = decodeMethod(payload, 0, payload.length);
        if (m.id === MethodId.ConnectionCloseOk || m.id === MethodId.ConnectionClose) this.terminate();
      }
      return;
    }
    // Before connection.open-ok only channel 0 may speak.
    if (channel !== 0 && this.state !== 'open') throw unexpectedFrame(describeFrame(type, payload));
    if (type === FrameType.Method) {
      const m = decodeMethod(payload, 0, payload.length);
      try {
        if (channel === 0) this.onConnectionMethod(m);
        else this.onChannelMethod(channel, m);
      } catch (err) {
        // Name the failing method in the close, as RabbitMQ does (not for handshake refusals).
        const named = this.state === 'open';
        this.fail(err, channel, named ? m.id >>> 16 : 0, named ? m.id & 0xffff : 0);
      }
      return;
    }
    if (type === FrameType.Header || type === FrameType.Body) {
      const ch = this.channels.get(channel);
      if (ch === undefined) throw unexpectedFrame('expected method frame, got non method frame instead');
      ch.onContentFrame(type, payload);
      if (this.flow !== null && this.flow.alarmed) this.flow.published(this); // resource alarms (flow.ts)
      return;
    }
    throw frameError(`unknown frame type ${type}`);
  }

  private onConnectionMethod(m: Method): void {
    if (this.state === 'handshake') {
      this.handshake.onMethod(m);
      return;
    }
    switch (m.id) {
      case MethodId.ConnectionClose:
        encodeConnectionCloseOk(this.writer, 0, {});
        this.endGracefully();
        return;
      case MethodId.ConnectionCloseOk:
        this.terminate();
        return;
      case MethodId.ConnectionUpdateSecret:
        this.handshake.updateSecret(m);
        return;
      default:
        // Everything else on channel 0 after open, server-only methods included (client-methods.ts).
        throw channelError(`unexpected method in connection state running`);
    }
  }

  private onChannelMethod(channelNumber: number, m: Method): void {
    if (this.state !== 'open') throw channelError(`expected 'connection.open'`);
    let ch = this.channels.get(channelNumber);
    if (ch === undefined) {
      if (m.id !== MethodId.ChannelOpen) throw channelError(`expected 'channel.open'`);
      // RabbitMQ checks the count of open channels against channel_max (530) before the number.
      if (this.channels.size >= this.channelMax) {
        throw notAllowed(`number of channels opened (${this.channels.size}) has reached the negotiated channel_max (${this.channelMax})`);
      }
      if (channelNumber > this.channelMax) throw channelError(`channel ${channelNumber} exceeds channel_max ${this.channelMax}`);
      ch = new Channel(this, channelNumber);
      this.channels.set(channelNumber, ch);
    }
    ch.dispatch(m);
  }

  /** The channel sent channel.close-ok or got close-ok from the client: forget it. */
  removeChannel(ch: Channel): void {
    if (this.channels.get(ch.number) === ch) this.channels.delete(ch.number);
    this.confirmDirty.delete(ch);
    this.drainWaiters.delete(ch);
  }

  /** Reply channel.close-ok for a client-initiated close. */
  channelClosedByClient(ch: Channel): void {
    encodeChannelCloseOk(this.writer, ch.number, {});
    ch.destroy();
    this.removeChannel(ch);
    this.scheduleFlush();
  }

  // ---- output ----------------------------------------------------------------------------

  scheduleFlush(): void {
    if (this.flushScheduled || this.state === 'closed') return;
    this.flushScheduled = true;
    process.nextTick(this.flushBound);
  }

  markConfirmDirty(ch: Channel): void {
    this.confirmDirty.add(ch);
    this.scheduleFlush();
  }

  flush(): void {
    this.flushScheduled = false;
    if (this.state === 'closed' || (this.hold.held && this.state === 'open')) return;
    if (this.confirmDirty.size > 0) {
      for (const ch of this.confirmDirty) ch.flushConfirms();
      this.confirmDirty.clear();
    }
    if (this.writer.pendingBytes === 0) return;
    countIo();
    if (!this.writer.flush()) this.writeBlocked = true;
  }

  // ---- credit flow -----------------------------------------------------------------------

  /** A publish went to a congested queue: read no more input until it catches up. */
  waitForQueue(q: Queue): void {
    if (this.awaited.has(q) || this.state === 'closed') return;
    this.awaited.add(q);
    this.readGate.pause(ReadPause.Credit);
    q.awaitFlow(this);
  }

  flowResumed(q: Queue): void {
    if (!this.awaited.delete(q) || this.awaited.size > 0 || this.state === 'closed') return;
    this.readGate.resume(ReadPause.Credit);
  }

  /** A consumer on this channel stopped for socket back-pressure; wake it on drain. */
  waitForDrain(ch: Channel): void {
    this.drainWaiters.add(ch);
  }

  private onDrain(): void {
    this.writeBlocked = false;
    if (this.drainWaiters.size === 0) return;
    const waiters = [...this.drainWaiters];
    this.drainWaiters.clear();
    for (const ch of waiters) ch.resumeDeliveries();
  }

  // ---- errors and close ------------------------------------------------------------------

  /** Map any error to a channel or connection close, stamped with the class and method it failed on; others are 541. */
  fail(err: unknown, channel: number, classId: number, methodId: number): void {
    if (!(err instanceof AmqpError)) {
      log.error(`internal error on connection ${this.name}`, err);
      this.close(541, 'INTERNAL_ERROR', classId, methodId);
      return;
    }
    if (err.classId === 0 && classId !== 0) {
      err.classId = classId;
      err.methodId = methodId;
    }
    if (!err.hard && channel !== 0) {
      const ch = this.channels.get(channel);
      if (ch !== undefined) {
        ch.closeWithError(err);
        return;
      }
    }
    this.close(err.replyCode, err.replyText, err.classId, err.methodId);
  }

  /** Server-initiated connection.close. */
  close(replyCode: number, replyText: string, classId = 0, methodId = 0): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    log.info(`closing connection ${this.name}: ${replyCode} ${replyText}`);
    if (this.state === 'header') {
      this.terminate();
      return;
    }
    encodeConnectionClose(this.writer, 0, { replyCode, replyText, classId, methodId });
    this.state = 'closing';
    this.releaseChannels();
    this.flush();
    // Give the client a moment to answer close-ok, then drop it.
    setTimeout(() => this.terminate(), 1000).unref();
  }

  /**
   * After our close-ok: read and discard until the client closes, or CLOSE_LINGER_MS pass. A client
   * may still write frames queued before its close (amqplib writes channel 0's close ahead of other
   * channels' publishes); destroying the socket under them makes the kernel answer with a reset
   * (EPIPE, or a close that never completes). RabbitMQ likewise leaves closing to the client.
   */
  private endGracefully(): void {
    if (this.state === 'closed') return;
    this.flush();
    this.state = 'closed';
    this.reader.stop();
    this.heartbeat.stop();
    this.releaseChannels();
    this.socket.resume(); // a publisher paused by a resource alarm must still be drained
    this.lingerTimer = setTimeout(() => this.socket.destroy(), CLOSE_LINGER_MS);
    this.lingerTimer.unref();
  }

  /** A refused login the client is not told of: ignore its input, close the socket after SILENT_CLOSE_DELAY_MS. */
  closeSilently(): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    this.state = 'closing';
    this.reader.stop();
    this.heartbeat.stop();
    setTimeout(() => this.terminate(), SILENT_CLOSE_DELAY_MS).unref();
  }

  /** Close the socket now (also one still read after close-ok). */
  terminate(): void {
    if (this.state === 'closed') {
      if (this.lingerTimer !== null) this.socket.destroy();
      return;
    }
    this.flush();
    this.state = 'closed';
    this.reader.stop();
    this.socket.end();
    this.socket.destroySoon?.();
    this.releaseChannels();
  }

  private releaseChannels(): void {
    for (const ch of this.channels.values()) ch.destroy();
    this.channels.clear();
    this.confirmDirty.clear();
    this.drainWaiters.clear();
    if (this.vhost !== null) this.vhost.ownerClosed(this);
    if (this.access !== null) {
      this.broker.sessions.close(this.access);
      this.access = null;
    }
  }

  private onSocketClose(): void {
    this.state = 'closed';
    if (this.lingerTimer !== null) clearTimeout(this.lingerTimer);
    this.heartbeat.stop();
    this.releaseChannels();
    this.onClosed(this);
  }
}
