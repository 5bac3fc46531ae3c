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

export type Frame = { type: number; channel: number; payload: Buffer };
/** A method frame; `args` are the method's arguments, still encoded. */
export type MethodFrame = { channel: number; classId: number; methodId: number; args: Buffer };
export type CloseMethod = { replyCode: number; replyText: string; classId: number; methodId: number };
export type Tune = { channelMax: number; frameMax: number; heartbeat: number };
export type ConnectionStart = {
  versionMajor: number;
  versionMinor: number;
  serverProperties: Record<string, unknown>;
  mechanisms: string; // space-separated
  locales: string;
};

// ---------------------------------------------------------------------------------------------
// Encoding

const num = (size: number, write: (b: Buffer) => void): Buffer => {
  const b = Buffer.alloc(size);
  write(b);
  return b;
};
export const octet = (n: number): Buffer => num(1, (b) => b.writeUInt8(n));
export const short = (n: number): Buffer => num(2, (b) => b.writeUInt16BE(n));
export const long = (n: number): Buffer => num(4, (b) => b.writeUInt32BE(n));
export const longlong = (n: number | bigint): Buffer => num(8, (b) => b.writeBigUInt64BE(BigInt(n)));

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
  const tag = (t: string, rest: Buffer = Buffer.alloc(0)): Buffer => Buffer.concat([Buffer.from(t, 'latin1'), rest]);
  if (typeof v === 'boolean') return tag('t', octet(v ? 1 : 0));
  if (typeof v === 'number' && Number.isInteger(v)) return tag('I', num(4, (b) => b.writeInt32BE(v)));
  if (typeof v === 'string') return tag('S', longstr(v));
  if (v === null) return tag('V');
  if (typeof v === 'object') return tag('F', table(v as Record<string, unknown>));
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
  return Buffer.concat([octet(type), short(channel), long(payload.length), payload, octet(end)]);
}

export function methodFrame(channel: number, classId: number, methodId: number, args: Buffer = Buffer.alloc(0)): Buffer {
  return frame(FRAME_METHOD, channel, Buffer.concat([short(classId), short(methodId), args]));
}

/** A content header frame for class 60 (basic) with no properties. */
export const contentHeaderFrame = (channel: number, bodySize: number): Buffer =>
  frame(FRAME_HEADER, channel, Buffer.concat([short(60), short(0), longlong(bodySize), short(0)]));
export const bodyFrame = (channel: number, body: Buffer): Buffer => frame(FRAME_BODY, channel, body);
export const heartbeatFrame = (channel = 0): Buffer => frame(FRAME_HEARTBEAT, channel, Buffer.alloc(0));

// ---------------------------------------------------------------------------------------------
// Decoding

/** Fixed-size field values: tag -> [size, read]. */
const FIXED: Record<string, [number, (b: Buffer) => unknown]> = {
  t: [1, (b) => b.readUInt8(0) !== 0],
  b: [1, (b) => b.readInt8(0)],
  B: [1, (b) => b.readUInt8(0)],
  s: [2, (b) => b.readInt16BE(0)],
  u: [2, (b) => b.readUInt16BE(0)],
  I: [4, (b) => b.readInt32BE(0)],
  i: [4, (b) => b.readUInt32BE(0)],
  l: [8, (b) => b.readBigInt64BE(0)],
  T: [8, (b) => b.readBigUInt64BE(0)],
  f: [4, (b) => b.readFloatBE(0)],
  d: [8, (b) => b.readDoubleBE(0)],
  D: [5, (b) => ({ scale: b.readUInt8(0), value: b.readInt32BE(1) })],
  V: [0, () => null],
};

class Reader {
  offset = 0;
  constructor(readonly buf: Buffer) {}
  bytes(n: number): Buffer {
    const v = this.buf.subarray(this.offset, this.offset + n);
    if (v.length !== n) throw new Error('raw-client: truncated field');
    this.offset += n;
    return v;
  }
  octet = (): number => this.bytes(1).readUInt8(0);
  short = (): number => this.bytes(2).readUInt16BE(0);
  long = (): number => this.bytes(4).readUInt32BE(0);
  shortstr = (): string => this.bytes(this.octet()).toString('utf8');
  longstr = (): Buffer => this.bytes(this.long());
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
    const fixed = FIXED[tag];
    if (fixed) return fixed[1](this.bytes(fixed[0]));
    if (tag === 'S') return this.longstr().toString('utf8');
    if (tag === 'x') return Buffer.from(this.longstr());
    if (tag === 'F') return this.table();
    if (tag === 'A') {
      const inner = new Reader(this.longstr());
      const out: unknown[] = [];
      while (inner.offset < inner.buf.length) out.push(inner.value());
      return out;
    }
    throw new Error(`raw-client: unknown field tag ${JSON.stringify(tag)}`);
  }
}

export function decodeMethod(f: Frame): MethodFrame {
  if (f.type !== FRAME_METHOD) throw new Error(`raw-client: expected a method frame, got frame type ${f.type}`);
  return { channel: f.channel, classId: f.payload.readUInt16BE(0), methodId: f.payload.readUInt16BE(2), args: f.payload.subarray(4) };
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

/** Credentials, vhost, and the values sent in tune-ok (by default the server's proposals, heartbeat 0). */
export type HandshakeOptions = { user?: string; password?: string; mechanism?: 'PLAIN' | 'AMQPLAIN'; vhost?: string } & Partial<Tune>;
export type HandshakeResult = { start: ConnectionStart; tune: Tune };

export class RawClient {
  private buffer = Buffer.alloc(0);
  private waiter: (() => void) | undefined;
  private closedFlag = false;

  constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.wake();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closedFlag = true;
      this.wake();
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

  sendProtocolHeader(): void {
    this.send(PROTOCOL_HEADER);
  }

  sendMethod(channel: number, classId: number, methodId: number, args: Buffer = Buffer.alloc(0)): void {
    this.send(methodFrame(channel, classId, methodId, args));
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
      const isClose = (m.classId === 10 && m.methodId === 50) || (m.classId === 20 && m.methodId === 40);
      const detail = isClose ? ` ${JSON.stringify(decodeClose(m))}` : '';
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
    const deadline = Date.now() + timeoutMs;
    while (!this.closedFlag) await this.waitForData(deadline, 'the socket to close');
  }

  /** connection.start-ok with the given mechanism and credentials. */
  sendStartOk(options: { user?: string; password?: string; mechanism?: string; response?: Buffer } = {}): void {
    const { user = 'guest', password = 'guest', mechanism = 'PLAIN' } = options;
    const response =
      options.response ??
      (mechanism === 'AMQPLAIN' ? tableBody({ LOGIN: user, PASSWORD: password }) : Buffer.from(`\0${user}\0${password}`));
    const clientProperties = table({ product: 'warren-raw-test-client', capabilities: { authentication_failure_close: true } });
    this.sendMethod(0, 10, 11, Buffer.concat([clientProperties, shortstr(mechanism), longstr(response), shortstr('en_US')]));
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
    const { channelMax = tune.channelMax, frameMax = tune.frameMax, heartbeat = 0 } = options;
    this.sendTuneOk({ channelMax, frameMax, heartbeat });
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
