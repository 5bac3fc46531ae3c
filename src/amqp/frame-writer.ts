/**
 * Per-connection frame encoder. Frames are written into a slab (64 KiB by default) and handed to
 * the sink by flush(), in order, between one cork()/uncork() pair.
 *
 * - No allocation per small frame: a new slab is allocated only when the current one is full.
 * - Bytes handed to the sink are never written again. After a flush the writer goes on in the
 *   untouched tail of the same slab (the handed-over view does not cover it) and takes a fresh
 *   slab once the tail is too small.
 * - Large body fragments (> LARGE_BODY bytes) are not copied: the sink gets a subarray of the
 *   caller's body between the slab pieces that surround it. The caller must not mutate a body
 *   after passing it to writeContent.
 * - A throw while a frame is being built (a shortstr over 255 bytes, an unencodable table value,
 *   a number out of range) discards the partial frame: at once, or at the next startFrame() or
 *   flush(). Nothing half-built ever reaches the sink.
 */
import { FRAME_END, FRAME_HEADER_SIZE, FrameType } from './generated/constants.js';
import type { FieldTable } from './field-types.js';
import { tableByteLength, writeTableInto } from './field-table.js';

export interface FrameSink {
  write(chunk: Buffer): boolean;
  cork(): void;
  uncork(): void;
}

/** Body fragments above this size go to the sink as their own buffers instead of being copied. */
export const LARGE_BODY = 4096;
/** A tail shorter than this after a flush is abandoned for a fresh slab. */
const MIN_TAIL = 512;
const DEFAULT_SLAB = 64 * 1024;
const HEARTBEAT = Buffer.from([FrameType.Heartbeat, 0, 0, 0, 0, 0, 0, FRAME_END]);

export class FrameWriter {
  /** Negotiated frame_max: the largest frame including its 8 bytes of overhead; 0 = no limit. */
  frameMax = 131072;
  private readonly sink: FrameSink;
  private readonly slabSize: number;
  private slab: Buffer;
  /** Write position in the slab. */
  private pos = 0;
  /** Start of the slab bytes not yet handed to the sink (or queued in `queued`). */
  private start = 0;
  /** Start of the frame being built, or -1 outside a frame. */
  private frameStart = -1;
  /** Chunks waiting for flush(), in order, before slab[start, pos). */
  private queued: Buffer[] = [];
  private queuedBytes = 0;

  constructor(sink: FrameSink, slabSize = DEFAULT_SLAB) {
    this.sink = sink;
    this.slabSize = slabSize;
    this.slab = Buffer.allocUnsafe(slabSize);
  }

  get pendingBytes(): number {
    return this.queuedBytes + (this.pos - this.start);
  }

  /** Makes room for n more bytes, moving the frame being built (if any) to a fresh slab. */
  private ensure(n: number): void {
    if (this.pos + n <= this.slab.length) return;
    const keepFrom = this.frameStart >= 0 ? this.frameStart : this.pos;
    if (keepFrom > this.start) this.queue(this.slab.subarray(this.start, keepFrom));
    const carry = this.pos - keepFrom;
    const next = Buffer.allocUnsafe(Math.max(this.slabSize, carry + n));
    this.slab.copy(next, 0, keepFrom, this.pos);
    this.slab = next;
    this.start = 0;
    this.pos = carry;
    if (this.frameStart >= 0) this.frameStart = 0;
  }

  private queue(b: Buffer): void {
    this.queued.push(b);
    this.queuedBytes += b.length;
  }

  startFrame(type: number, channel: number): void {
    this.abortFrame(); // a frame left open by a throw while encoding it
    this.ensure(FRAME_HEADER_SIZE);
    const s = this.slab;
    const p = this.pos;
    this.frameStart = p;
    s[p] = type;
    s[p + 1] = channel >>> 8;
    s[p + 2] = channel & 0xff;
    this.pos = p + FRAME_HEADER_SIZE; // the 4-byte size is patched by endFrame
  }

  endFrame(): void {
    this.ensure(1);
    const f = this.frameStart;
    this.slab.writeUInt32BE(this.pos - f - FRAME_HEADER_SIZE, f + 3);
    this.slab[this.pos++] = FRAME_END;
    this.frameStart = -1;
  }

  /** Drops the frame being built (used when encoding it throws). */
  abortFrame(): void {
    if (this.frameStart < 0) return;
    this.pos = this.frameStart;
    this.frameStart = -1;
  }

  writeUInt8(n: number): void {
    this.ensure(1);
    this.slab[this.pos++] = n;
  }

  writeUInt16(n: number): void {
    this.ensure(2);
    this.pos = this.slab.writeUInt16BE(n, this.pos);
  }

  writeUInt32(n: number): void {
    this.ensure(4);
    this.pos = this.slab.writeUInt32BE(n, this.pos);
  }

  /** Unsigned 64-bit from a safe integer (delivery tags, body sizes). */
  writeUInt64(n: number): void {
    this.ensure(8);
    const hi = Math.floor(n / 0x100000000);
    this.slab.writeUInt32BE(hi, this.pos);
    this.pos = this.slab.writeUInt32BE(n >>> 0, this.pos + 4);
  }

  /** Length octet + UTF-8 bytes; throws RangeError (dropping the frame) above 255 bytes. */
  writeShortStr(s: string): void {
    if (s.length > 255) this.tooLong(s);
    this.ensure(1 + s.length * 3);
    const n = s.length === 0 ? 0 : this.slab.write(s, this.pos + 1, 'utf8');
    if (n > 255) this.tooLong(s);
    this.slab[this.pos] = n;
    this.pos += 1 + n;
  }

  private tooLong(s: string): never {
    this.abortFrame();
    throw new RangeError(`shortstr longer than 255 bytes: '${s.slice(0, 32)}...'`);
  }

  /** 32-bit length + bytes. */
  writeLongStr(b: Buffer | string): void {
    if (typeof b === 'string') {
      const n = Buffer.byteLength(b, 'utf8');
      this.ensure(4 + n);
      this.slab.writeUInt32BE(n, this.pos);
      this.pos += 4 + this.slab.write(b, this.pos + 4, 'utf8');
    } else {
      this.ensure(4 + b.length);
      this.slab.writeUInt32BE(b.length, this.pos);
      this.pos += 4 + b.copy(this.slab, this.pos + 4);
    }
  }

  writeTable(t: FieldTable): void {
    try {
      const n = tableByteLength(t);
      this.ensure(n);
      this.pos = writeTableInto(this.slab, this.pos, t);
    } catch (err) {
      this.abortFrame();
      throw err;
    }
  }

  writeBytes(b: Buffer): void {
    this.ensure(b.length);
    this.pos += b.copy(this.slab, this.pos);
  }

  /**
   * A content header frame (class-id, weight 0, body-size, the raw property bytes as they are)
   * followed by body frames of at most frameMax bytes each. An empty body sends no body frame.
   */
  writeContent(channel: number, classId: number, bodySize: number, rawProperties: Buffer, body: Buffer): void {
    if (bodySize !== body.length) throw new RangeError(`writeContent: bodySize ${bodySize} != body.length ${body.length}`);
    this.startFrame(FrameType.Header, channel);
    this.ensure(12 + rawProperties.length);
    const s = this.slab;
    let p = s.writeUInt16BE(classId, this.pos);
    p = s.writeUInt16BE(0, p);
    p = s.writeUInt32BE(Math.floor(bodySize / 0x100000000), p);
    p = s.writeUInt32BE(bodySize >>> 0, p);
    this.pos = p + rawProperties.copy(s, p);
    this.endFrame();

    const max = this.frameMax > 0 ? this.frameMax - 8 : 0xffffffff;
    for (let off = 0; off < bodySize; off += max) {
      const end = Math.min(off + max, bodySize);
      if (end - off <= LARGE_BODY) {
        this.startFrame(FrameType.Body, channel);
        this.ensure(end - off);
        this.pos += body.copy(this.slab, this.pos, off, end);
        this.endFrame();
      } else {
        this.ensure(FRAME_HEADER_SIZE + 1);
        const h = this.pos;
        const sl = this.slab;
        sl[h] = FrameType.Body;
        sl.writeUInt16BE(channel, h + 1);
        sl.writeUInt32BE(end - off, h + 3);
        this.pos = h + FRAME_HEADER_SIZE;
        this.queue(sl.subarray(this.start, this.pos));
        this.queue(body.subarray(off, end));
        this.start = this.pos;
        sl[this.pos++] = FRAME_END;
      }
    }
  }

  writeHeartbeat(): void {
    this.writeBytes(HEARTBEAT);
  }

  /** Bytes outside any frame, e.g. the protocol header AMQP\x00\x00\x09\x01. */
  writeRaw(b: Buffer): void {
    this.writeBytes(b);
  }

  /**
   * Hands everything pending to the sink, in order, between one cork()/uncork(). Returns the
   * sink's last write() result (true when there was nothing to write).
   */
  flush(): boolean {
    this.abortFrame(); // a frame left open by a throw while encoding it
    if (this.queuedBytes === 0 && this.pos === this.start) return true;
    const sink = this.sink;
    let ok = true;
    sink.cork();
    try {
      const q = this.queued;
      for (let i = 0; i < q.length; i++) ok = sink.write(q[i]!);
      if (this.pos > this.start) ok = sink.write(this.slab.subarray(this.start, this.pos));
    } finally {
      this.queued.length = 0;
      this.queuedBytes = 0;
      this.start = this.pos;
      sink.uncork();
    }
    if (this.slab.length - this.pos < MIN_TAIL) {
      this.slab = Buffer.allocUnsafe(this.slabSize);
      this.pos = 0;
      this.start = 0;
    }
    return ok;
  }
}
