/**
 * AMQP 0-9-1 frames for the load generator, written by hand so the generator costs little:
 * field encoders for the handful of methods a client needs, pre-encoded publish batches
 * (method + header + body frames built once, repeated into one big buffer), and a minimal
 * frame parser that hands out (type, channel, payload view) and copies only frames that span
 * two chunks.
 */
export const FRAME_METHOD = 1;
export const FRAME_HEADER = 2;
export const FRAME_BODY = 3;
export const FRAME_HEARTBEAT = 8;
const FRAME_END = 0xce;

/** Class and method ids, as `(classId << 16) | methodId`. */
export const M = {
  connectionStart: (10 << 16) | 10,
  connectionStartOk: (10 << 16) | 11,
  connectionTune: (10 << 16) | 30,
  connectionTuneOk: (10 << 16) | 31,
  connectionOpen: (10 << 16) | 40,
  connectionOpenOk: (10 << 16) | 41,
  connectionClose: (10 << 16) | 50,
  connectionCloseOk: (10 << 16) | 51,
  connectionBlocked: (10 << 16) | 60,
  connectionUnblocked: (10 << 16) | 61,
  channelOpen: (20 << 16) | 10,
  channelOpenOk: (20 << 16) | 11,
  channelClose: (20 << 16) | 40,
  exchangeDeclare: (40 << 16) | 10,
  exchangeDeclareOk: (40 << 16) | 11,
  queueDeclare: (50 << 16) | 10,
  queueDeclareOk: (50 << 16) | 11,
  queueBind: (50 << 16) | 20,
  queueBindOk: (50 << 16) | 21,
  queueDelete: (50 << 16) | 40,
  queueDeleteOk: (50 << 16) | 41,
  basicQos: (60 << 16) | 10,
  basicQosOk: (60 << 16) | 11,
  basicConsume: (60 << 16) | 20,
  basicConsumeOk: (60 << 16) | 21,
  basicPublish: (60 << 16) | 40,
  basicDeliver: (60 << 16) | 60,
  basicGet: (60 << 16) | 70,
  basicGetOk: (60 << 16) | 71,
  basicGetEmpty: (60 << 16) | 72,
  basicAck: (60 << 16) | 80,
  basicNack: (60 << 16) | 120,
  confirmSelect: (85 << 16) | 10,
  confirmSelectOk: (85 << 16) | 11,
};

// Field encoders: each returns a Buffer; a method's arguments are a list of them.
export const u8 = (n) => Buffer.from([n]);
export const u16 = (n) => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
};
export const u32 = (n) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};
export const u64 = (n) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
};
/** Bits packed into one octet, first argument in the lowest bit. */
export const bits = (...flags) => u8(flags.reduce((acc, f, i) => acc | (f ? 1 << i : 0), 0));
export const shortstr = (s) => {
  const b = Buffer.from(s, 'utf8');
  if (b.length > 255) throw new Error(`shortstr too long: ${s}`);
  return Buffer.concat([u8(b.length), b]);
};
export const longstr = (s) => {
  const b = Buffer.isBuffer(s) ? s : Buffer.from(s, 'utf8');
  return Buffer.concat([u32(b.length), b]);
};
/** A field table of strings (S), booleans (t), integers (I) and nested tables (F). */
export function table(obj = {}) {
  const parts = [];
  for (const [k, v] of Object.entries(obj)) {
    parts.push(shortstr(k));
    if (typeof v === 'string') parts.push(Buffer.from('S'), longstr(v));
    else if (typeof v === 'boolean') parts.push(Buffer.from('t'), u8(v ? 1 : 0));
    else if (typeof v === 'number') parts.push(Buffer.from('I'), u32(v >>> 0));
    else parts.push(Buffer.from('F'), table(v));
  }
  return longstr(Buffer.concat(parts));
}

function frame(type, channel, payload) {
  const b = Buffer.allocUnsafe(8 + payload.length);
  b[0] = type;
  b.writeUInt16BE(channel, 1);
  b.writeUInt32BE(payload.length, 3);
  payload.copy(b, 7);
  b[7 + payload.length] = FRAME_END;
  return b;
}

/** One method frame: `id` from M, then the encoded arguments in spec order. */
export function methodFrame(channel, id, ...args) {
  return frame(FRAME_METHOD, channel, Buffer.concat([u32(id), ...args]));
}

/** basic.ack(deliveryTag, multiple), encoded without intermediate buffers (sent once per 100 deliveries). */
export function ackFrame(channel, deliveryTag, multiple) {
  const b = Buffer.allocUnsafe(21);
  b[0] = FRAME_METHOD;
  b.writeUInt16BE(channel, 1);
  b.writeUInt32BE(13, 3);
  b.writeUInt32BE(M.basicAck, 7);
  b.writeUIntBE(Math.floor(deliveryTag / 2 ** 32), 11, 4);
  b.writeUInt32BE(deliveryTag % 2 ** 32, 15);
  b[19] = multiple ? 1 : 0;
  b[20] = FRAME_END;
  return b;
}

export const PROTOCOL_HEADER = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 1]);

/**
 * One message as its three frames (basic.publish, content header, one body frame).
 * `bodyOffset` is where the body starts inside the returned buffer, for stamping timestamps.
 */
export function publishFrames(channel, { exchange = '', routingKey, size, persistent = false }) {
  const method = methodFrame(channel, M.basicPublish, u16(0), shortstr(exchange), shortstr(routingKey), bits(false, false));
  // Content header: class 60, weight 0, body size, property flags, then delivery-mode if set.
  const props = persistent ? Buffer.concat([u16(0x1000), u8(2)]) : u16(0);
  const header = frame(FRAME_HEADER, channel, Buffer.concat([u16(60), u16(0), u64(size), props]));
  const body = frame(FRAME_BODY, channel, Buffer.alloc(size, 0x78));
  return { bytes: Buffer.concat([method, header, body]), bodyOffset: method.length + header.length + 7 };
}

/** `count` copies of one message's frames, end to end: written as one buffer, many times over. */
export function publishBatch(channel, message, count) {
  const one = publishFrames(channel, message).bytes;
  const b = Buffer.allocUnsafe(one.length * count);
  for (let i = 0; i < count; i++) one.copy(b, i * one.length);
  return b;
}

/**
 * Minimal frame parser. `onFrame(type, channel, buf, start, end)` gets the payload as
 * buf[start, end). Frames wholly inside a chunk are read in place; a frame that spans chunks is
 * copied once into a reassembly buffer.
 */
export class FrameParser {
  constructor(onFrame) {
    this.onFrame = onFrame;
    this.partial = Buffer.allocUnsafe(1 << 17);
    this.have = 0; // bytes of a spanning frame in `partial`
    this.need = 0; // its total size (0 while its 7-byte header is incomplete)
  }

  feed(chunk) {
    let off = 0;
    if (this.have > 0) off = this.continuePartial(chunk);
    const len = chunk.length;
    while (off + 7 <= len) {
      const size = chunk.readUInt32BE(off + 3);
      const end = off + 8 + size;
      if (end > len) break;
      if (chunk[end - 1] !== FRAME_END) throw new Error(`bad frame end at ${off}`);
      this.onFrame(chunk[off], chunk.readUInt16BE(off + 1), chunk, off + 7, end - 1);
      off = end;
    }
    if (off < len) this.startPartial(chunk, off);
  }

  startPartial(chunk, off) {
    const n = chunk.length - off;
    this.need = n >= 7 ? 8 + chunk.readUInt32BE(off + 3) : 0;
    this.ensure(Math.max(this.need, 7));
    chunk.copy(this.partial, 0, off);
    this.have = n;
  }

  /** Completes the spanning frame from the front of `chunk`; returns where the rest starts. */
  continuePartial(chunk) {
    let off = 0;
    if (this.need === 0) {
      const take = Math.min(7 - this.have, chunk.length);
      chunk.copy(this.partial, this.have, 0, take);
      this.have += take;
      off = take;
      if (this.have < 7) return off;
      this.need = 8 + this.partial.readUInt32BE(3);
      this.ensure(this.need);
    }
    const take = Math.min(this.need - this.have, chunk.length - off);
    chunk.copy(this.partial, this.have, off, off + take);
    this.have += take;
    off += take;
    if (this.have === this.need) {
      const p = this.partial;
      const end = this.need - 1;
      if (p[end] !== FRAME_END) throw new Error('bad frame end (spanning frame)');
      this.have = 0;
      this.need = 0;
      this.onFrame(p[0], p.readUInt16BE(1), p, 7, end);
    }
    return off;
  }

  ensure(n) {
    if (this.partial.length < n) {
      const bigger = Buffer.allocUnsafe(Math.max(n, this.partial.length * 2));
      this.partial.copy(bigger, 0, 0, this.have);
      this.partial = bigger;
    }
  }
}

/** Method id of a method frame's payload. */
export const methodId = (buf, start) => buf.readUInt32BE(start);

/** Reads a shortstr at `off`; returns [string, next offset]. */
export function readShortstr(buf, off) {
  const n = buf[off];
  return [buf.toString('utf8', off + 1, off + 1 + n), off + 1 + n];
}

/** basic.deliver payload -> delivery tag (skips consumer-tag; reads the 64-bit tag as a number). */
export function deliveryTagOf(buf, start) {
  const off = start + 5 + buf[start + 4];
  return buf.readUInt32BE(off) * 2 ** 32 + buf.readUInt32BE(off + 4);
}

/** basic.ack / basic.nack payload -> [deliveryTag, multiple]. */
export function confirmOf(buf, start) {
  return [buf.readUInt32BE(start + 4) * 2 ** 32 + buf.readUInt32BE(start + 8), (buf[start + 12] & 1) === 1];
}
