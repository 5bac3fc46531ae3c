/**
 * A deliberately small AMQP 0-9-1 client over a raw socket, for the protocol cases amqplib cannot
 * produce (bad protocol headers, malformed frames, frames on unopened channels, heartbeats...).
 *
 * It is independent of src/: frames are built by hand with Buffer writes, so the broker's codec is
 * tested from the outside. Only what the tests need is implemented.
 */
import { connect as netConnect, type Socket } from 'node:net';

export const FRAME_METHOD = 1;
export const FRAME_HEADER = 2;
export const FRAME_BODY = 3;
export const FRAME_HEARTBEAT = 8;
export const FRAME_END = 0xce;

export const PROTOCOL_HEADER = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 1]); // "AMQP" 0 0 9 1

export interface Frame {
  type: number;
  channel: number;
  payload: Buffer;
}

export interface MethodFrame {
  channel: number;
  classId: number;
  methodId: number;
  /** the method's arguments, still encoded */
  args: Buffer;
}

export interface CloseMethod {
  replyCode: number;
  replyText: string;
  classId: number;
  methodId: number;
}

export interface ConnectionStart {
  versionMajor: number;
  versionMinor: number;
  serverProperties: Record<string, unknown>;
  mechanisms: string;
  locales: string;
}

export interface Tune {
  channelMax: number;
  frameMax: number;
  heartbeat: number;
}

// ---------------------------------------------------------------------------------------------
// Encoding

export function octet(n: number): Buffer {
  const b = Buffer.alloc(1);
  b.writeUInt8(n);
  return b;
}

export function short(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

export function long(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

export function longlong(n: number | bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}

export function shortstr(s: string): Buffer {
  const body = Buffer.from(s, 'utf8');
  if (body.length > 255) throw new Error('shortstr too long');
  return Buffer.concat([octet(body.length), body]);
}

export function longstr(s: string | Buffer): Buffer {
  const body = typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
  return Buffer.concat([long(body.length), body]);
}

/** A field value: booleans as 't', integers as 'I', strings as 'S', objects as 'F', null as 'V'. */
function fieldValue(v: unknown): Buffer {
  if (typeof v === 'boolean') return Buffer.from([0x74, v ? 1 : 0]);
  if (typeof v === 'number' && Number.isInteger(v)) {
    const b = Buffer.alloc(5);
    b.write('I', 0, 'latin1');
    b.writeInt32BE(v, 1);
    return b;
  }
  if (typeof v === 'string') return Buffer.concat([Buffer.from('S', 'latin1'), longstr(v)]);
  if (v === null) return Buffer.from('V', 'latin1');
  if (typeof v === 'object') return Buffer.concat([Buffer.from('F', 'latin1'), table(v as Record<string, unknown>)]);
  throw new Error(`raw-client: cannot encode field value ${String(v)}`);
}

/** A field table, length-prefixed. */
export function table(t: Record<string, unknown>): Buffer {
  return longstr(tableBody(t));
}

/** The table's entries without the length prefix (the AMQPLAIN response is encoded this way). */
export function tableBody(t: Record<string, unknown>): Buffer {
  return Buffer.concat(Object.entries(t).map(([k, v]) => Buffer.concat([shortstr(k), fieldValue(v)])));
}

export function frame(type: number, channel: number, payload: Buffer, end = FRAME_END): Buffer {
  const head = Buffer.alloc(7);
  head.writeUInt8(type, 0);
  head.writeUInt16BE(channel, 1);
  head.writeUInt32BE(payload.length, 3);
  return Buffer.concat([head, payload, octet(end)]);
}

export function methodFrame(channel: number, classId: number, methodId: number, args: Buffer = Buffer.alloc(0)): Buffer {
  return frame(FRAME_METHOD, channel, Buffer.concat([short(classId), short(methodId), args]));
}

/** A content header frame for class 60 (basic) with no properties. */
export function contentHeaderFrame(channel: number, bodySize: number): Buffer {
  return frame(FRAME_HEADER, channel, Buffer.concat([short(60), short(0), longlong(bodySize), short(0)]));
}

export function bodyFrame(channel: number, body: Buffer): Buffer {
  return frame(FRAME_BODY, channel, body);
}

export function heartbeatFrame(channel = 0): Buffer {
  return frame(FRAME_HEARTBEAT, channel, Buffer.alloc(0));
}

// ---------------------------------------------------------------------------------------------
// Decoding

class Reader {
  offset = 0;
  constructor(readonly buf: Buffer) {}
  octet(): number {
    const v = this.buf.readUInt8(this.offset);
    this.offset += 1;
    return v;
  }
  short(): number {
    const v = this.buf.readUInt16BE(this.offset);
    this.offset += 2;
    return v;
  }
  long(): number {
    const v = this.buf.readUInt32BE(this.offset);
    this.offset += 4;
    return v;
  }
  bytes(n: number): Buffer {
    const v = this.buf.subarray(this.offset, this.offset + n);
    if (v.length !== n) throw new Error('raw-client: truncated field');
    this.offset += n;
    return v;
  }
  shortstr(): string {
    return this.bytes(this.octet()).toString('utf8');
  }
  longstr(): Buffer {
    return this.bytes(this.long());
  }
  table(): Record<string, unknown> {
    const inner = new Reader(this.longstr());
    const out: Record<string, unknown> = {};
    while (inner.offset < inner.buf.length) {
      const key = inner.shortstr();
      out[key] = inner.value();
    }
    return out;
  }
  value(): unknown {
    const tag = String.fromCharCode(this.octet());
    switch (tag) {
      case 't':
        return this.octet() !== 0;
      case 'b':
        return this.bytes(1).readInt8(0);
      case 'B':
        return this.octet();
      case 's':
        return this.bytes(2).readInt16BE(0);
      case 'u':
        return this.short();
      case 'I':
        return this.bytes(4).readInt32BE(0);
      case 'i':
        return this.long();
      case 'l':
        return this.bytes(8).readBigInt64BE(0);
      case 'T':
        return this.bytes(8).readBigUInt64BE(0);
      case 'f':
        return this.bytes(4).readFloatBE(0);
      case 'd':
        return this.bytes(8).readDoubleBE(0);
      case 'D': {
        const scale = this.octet();
        const value = this.bytes(4).readInt32BE(0);
        return { scale, value };
      }
      case 'S':
        return this.longstr().toString('utf8');
      case 'x':
        return Buffer.from(this.longstr());
      case 'F':
        return this.table();
      case 'A': {
        const inner = new Reader(this.longstr());
        const out: unknown[] = [];
        while (inner.offset < inner.buf.length) out.push(inner.value());
        return out;
      }
      case 'V':
        return null;
      default:
        throw new Error(`raw-client: unknown field tag ${JSON.stringify(tag)}`);
    }
  }
}

export function decodeMethod(f: Frame): MethodFrame {
  if (f.type !== FRAME_METHOD) throw new Error(`raw-client: expected a method frame, got frame type ${f.type}`);
  return {
    channel: f.channel,
    classId: f.payload.readUInt16BE(0),
    methodId: f.payload.readUInt16BE(2),
    args: f.payload.subarray(4),
  };
}

/** Decode connection.close (10,50) or channel.close (20,40) arguments. */
export function decodeClose(m: MethodFrame): CloseMethod {
  const r = new Reader(m.args);
  return { replyCode: r.short(), replyText: r.shortstr(), classId: r.short(), methodId: r.short() };
}

export function decodeStart(m: MethodFrame): ConnectionStart {
  const r = new Reader(m.args);
  return {
    versionMajor: r.octet(),
    versionMinor: r.octet(),
    serverProperties: r.table(),
    mechanisms: r.longstr().toString('utf8'),
    locales: r.longstr().toString('utf8'),
  };
}

export function decodeTune(m: MethodFrame): Tune {
  const r = new Reader(m.args);
  return { channelMax: r.short(), frameMax: r.long(), heartbeat: r.short() };
}

// ---------------------------------------------------------------------------------------------
// The client

export interface HandshakeOptions {
  user?: string;
  password?: string;
  mechanism?: 'PLAIN' | 'AMQPLAIN';
  vhost?: string;
  /** values sent in tune-ok; by default the server's proposals are accepted */
  channelMax?: number;
  frameMax?: number;
  heartbeat?: number;
}

export interface HandshakeResult {
  start: ConnectionStart;
  tune: Tune;
}

export class RawClient {
  private buffer = Buffer.alloc(0);
  private waiter: (() => void) | undefined;
  private closedFlag = false;
  private readonly closedPromise: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.wake();
    });
    socket.on('error', () => {});
    this.closedPromise = new Promise((resolve) => {
      socket.on('close', () => {
        this.closedFlag = true;
        this.wake();
        resolve();
      });
    });
  }

  /** Open a TCP connection; nothing is sent yet. */
  static connect(port: number, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = netConnect({ port, host });
      socket.setNoDelay(true);
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new RawClient(socket));
      });
    });
  }

  /** Connect and complete the handshake (PLAIN guest/guest on '/' unless told otherwise). */
  static async open(port: number, options: HandshakeOptions = {}): Promise<RawClient & HandshakeResult> {
    const client = await RawClient.connect(port);
    try {
      const result = await client.handshake(options);
      return Object.assign(client, result);
    } catch (err) {
      client.destroy();
      throw err;
    }
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  private async waitForData(deadline: number, what: string): Promise<void> {
    if (this.closedFlag) throw new Error(`raw-client: socket closed while waiting for ${what}`);
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw new Error(`raw-client: timed out waiting for ${what}`);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new Error(`raw-client: timed out waiting for ${what}`));
      }, remaining);
      this.waiter = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  send(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  sendProtocolHeader(header: Buffer = PROTOCOL_HEADER): void {
    this.send(header);
  }

  sendMethod(channel: number, classId: number, methodId: number, args: Buffer = Buffer.alloc(0)): void {
    this.send(methodFrame(channel, classId, methodId, args));
  }

  /** Read exactly n raw bytes (for the server's reply to a bad protocol header). */
  async readBytes(n: number, timeoutMs = 3000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (this.buffer.length < n) await this.waitForData(deadline, `${n} bytes`);
    const out = this.buffer.subarray(0, n);
    this.buffer = this.buffer.subarray(n);
    return out;
  }

  /** Everything received and not yet consumed, once the socket has closed. */
  async readUntilClosed(timeoutMs = 3000): Promise<Buffer> {
    await this.waitClosed(timeoutMs);
    const out = this.buffer;
    this.buffer = Buffer.alloc(0);
    return out;
  }

  private parseFrame(): Frame | undefined {
    if (this.buffer.length < 7) return undefined;
    const size = this.buffer.readUInt32BE(3);
    if (this.buffer.length < 8 + size) return undefined;
    const f: Frame = {
      type: this.buffer.readUInt8(0),
      channel: this.buffer.readUInt16BE(1),
      payload: Buffer.from(this.buffer.subarray(7, 7 + size)),
    };
    const end = this.buffer.readUInt8(7 + size);
    this.buffer = this.buffer.subarray(8 + size);
    if (end !== FRAME_END) throw new Error(`raw-client: server sent a bad frame end 0x${end.toString(16)}`);
    return f;
  }

  /** The next frame from the server (heartbeats included unless skipHeartbeats). */
  async readFrame(options: { timeoutMs?: number; skipHeartbeats?: boolean } = {}): Promise<Frame> {
    const deadline = Date.now() + (options.timeoutMs ?? 3000);
    for (;;) {
      const f = this.parseFrame();
      if (f) {
        if (options.skipHeartbeats !== false && f.type === FRAME_HEARTBEAT) continue;
        return f;
      }
      await this.waitForData(deadline, 'a frame');
    }
  }

  /** The next method frame (heartbeats skipped); fails if it is not classId/methodId. */
  async expectMethod(classId: number, methodId: number, timeoutMs = 3000): Promise<MethodFrame> {
    const m = decodeMethod(await this.readFrame({ timeoutMs }));
    if (m.classId !== classId || m.methodId !== methodId) {
      const detail =
        (m.classId === 10 && m.methodId === 50) || (m.classId === 20 && m.methodId === 40)
          ? ` ${JSON.stringify(decodeClose(m))}`
          : '';
      throw new Error(`raw-client: expected method ${classId}.${methodId}, got ${m.classId}.${m.methodId}${detail}`);
    }
    return m;
  }

  /**
   * Expect the server to close the connection: read connection.close, answer close-ok and (unless
   * told not to) wait for the server to close the socket. Returns the close's reply code and text.
   *
   * After a frame error RabbitMQ stops reading and drops the socket only after a fixed delay, so
   * tests of frame errors pass `waitForSocketClose: false`; the socket is then destroyed here.
   */
  async expectConnectionClose(options: { timeoutMs?: number; waitForSocketClose?: boolean } = {}): Promise<CloseMethod> {
    const timeoutMs = options.timeoutMs ?? 3000;
    const close = decodeClose(await this.expectMethod(10, 50, timeoutMs));
    this.sendMethod(0, 10, 51);
    if (options.waitForSocketClose === false) this.destroy();
    else await this.waitClosed(timeoutMs);
    return close;
  }

  /** Expect channel.close on `channel`; answers close-ok. */
  async expectChannelClose(channel: number, timeoutMs = 3000): Promise<CloseMethod> {
    const m = await this.expectMethod(20, 40, timeoutMs);
    if (m.channel !== channel) throw new Error(`raw-client: channel.close on channel ${m.channel}, expected ${channel}`);
    this.sendMethod(channel, 20, 41);
    return decodeClose(m);
  }

  async waitClosed(timeoutMs = 3000): Promise<void> {
    if (this.closedFlag) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('raw-client: timed out waiting for the socket to close')), timeoutMs);
    });
    try {
      await Promise.race([this.closedPromise, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** connection.start-ok with the given mechanism and credentials. */
  sendStartOk(options: { user?: string; password?: string; mechanism?: string; response?: Buffer } = {}): void {
    const user = options.user ?? 'guest';
    const password = options.password ?? 'guest';
    const mechanism = options.mechanism ?? 'PLAIN';
    const response =
      options.response ??
      (mechanism === 'AMQPLAIN'
        ? tableBody({ LOGIN: user, PASSWORD: password })
        : Buffer.from(`\0${user}\0${password}`, 'utf8'));
    this.sendMethod(
      0,
      10,
      11,
      Buffer.concat([
        table({ product: 'warren-raw-test-client', capabilities: { authentication_failure_close: true } }),
        shortstr(mechanism),
        longstr(response),
        shortstr('en_US'),
      ]),
    );
  }

  sendTuneOk(tune: Tune): void {
    this.sendMethod(0, 10, 31, Buffer.concat([short(tune.channelMax), long(tune.frameMax), short(tune.heartbeat)]));
  }

  sendOpen(vhost = '/'): void {
    this.sendMethod(0, 10, 40, Buffer.concat([shortstr(vhost), shortstr(''), octet(0)]));
  }

  /** protocol header, start/start-ok, tune/tune-ok, open/open-ok. */
  async handshake(options: HandshakeOptions = {}): Promise<HandshakeResult> {
    this.sendProtocolHeader();
    const start = decodeStart(await this.expectMethod(10, 10));
    this.sendStartOk(options);
    const tune = decodeTune(await this.expectMethod(10, 30));
    this.sendTuneOk({
      channelMax: options.channelMax ?? tune.channelMax,
      frameMax: options.frameMax ?? tune.frameMax,
      heartbeat: options.heartbeat ?? 0,
    });
    this.sendOpen(options.vhost);
    await this.expectMethod(10, 41);
    return { start, tune };
  }

  /** channel.open on `channel`, waiting for open-ok. */
  async openChannel(channel: number): Promise<void> {
    this.sendMethod(channel, 20, 10, shortstr(''));
    const m = await this.expectMethod(20, 11);
    if (m.channel !== channel) throw new Error(`raw-client: open-ok on channel ${m.channel}, expected ${channel}`);
  }

  /**
   * A full connection.close / close-ok exchange; then the client closes the socket (RabbitMQ waits
   * for the client to do so after sending close-ok).
   */
  async close(timeoutMs = 3000): Promise<void> {
    if (this.closedFlag) return;
    this.sendMethod(0, 10, 50, Buffer.concat([short(200), shortstr('bye'), short(0), short(0)]));
    const deadline = Date.now() + timeoutMs;
    try {
      for (;;) {
        const m = decodeMethod(await this.readFrame({ timeoutMs: Math.max(1, deadline - Date.now()) }));
        if (m.channel === 0 && m.classId === 10 && m.methodId === 51) break;
      }
    } finally {
      this.destroy();
    }
  }

  destroy(): void {
    this.socket.destroy();
  }
}
