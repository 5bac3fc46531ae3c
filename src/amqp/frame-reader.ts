/**
 * Splits the incoming byte stream into frames, synchronously, by offset inside each chunk.
 *
 * - A frame wholly inside a chunk reaches the handler as a subarray view of the chunk (no copy).
 * - A frame split across chunks is reassembled in one per-reader buffer, grown to the largest
 *   frame seen (at most maxFrameSize) and reused. Its payload view is therefore valid only during
 *   onFrame: a handler that keeps bytes must copy them (decodeMethod and ContentAssembler do).
 * - Protocol violations throw a 501 FRAME_ERROR ConnectionError with RabbitMQ's wording. A throw
 *   from the handler propagates out of push(); either way the reader is stopped afterwards, and
 *   the rest of the chunk is not dispatched. stop() does the same on request.
 */
import { AmqpError, frameError, syntaxError } from './errors.js';
import { decodeTable } from './field-table.js';
import type { FieldTable } from './field-types.js';
import { FRAME_END, FRAME_HEADER_SIZE, FrameType } from './generated/constants.js';

export interface FrameHandler {
  onFrame(type: number, channel: number, payload: Buffer): void;
}

const OVERHEAD = FRAME_HEADER_SIZE + 1;

export class FrameReader {
  /** Largest accepted frame including its 8 bytes of overhead (negotiated frame_max); 0 = no limit. */
  maxFrameSize: number;
  private readonly handler: FrameHandler;
  private stopped = false;
  /** Reassembly buffer for a frame that spans chunks. */
  private part: Buffer = Buffer.alloc(0);
  /** Bytes of the split frame held in `part`; 0 when no frame is split. */
  private partLen = 0;
  /** Total size of the split frame once its header is complete, else FRAME_HEADER_SIZE. */
  private partNeed = FRAME_HEADER_SIZE;

  constructor(handler: FrameHandler, maxFrameSize = 131072) {
    this.handler = handler;
    this.maxFrameSize = maxFrameSize;
  }

  /** After the connection decides to close: dispatch nothing more, from this chunk or later ones. */
  stop(): void {
    this.stopped = true;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  push(chunk: Buffer): void {
    if (this.stopped) return;
    try {
      let off = this.partLen > 0 ? this.continuePart(chunk) : 0;
      const len = chunk.length;
      while (off < len && !this.stopped) {
        if (len - off < FRAME_HEADER_SIZE) {
          this.startPart(chunk, off, FRAME_HEADER_SIZE);
          return;
        }
        const type = chunk[off]!;
        const size = chunk.readUInt32BE(off + 3);
        this.checkHeader(type, size);
        const total = size + OVERHEAD;
        if (len - off < total) {
          this.startPart(chunk, off, total);
          return;
        }
        const endAt = off + total - 1;
        if (chunk[endAt] !== FRAME_END) throw badFrameEnd(type, chunk.subarray(off + FRAME_HEADER_SIZE, endAt), chunk[endAt]!);
        const channel = (chunk[off + 1]! << 8) | chunk[off + 2]!;
        off = endAt + 1;
        this.handler.onFrame(type, channel, chunk.subarray(endAt - size, endAt));
      }
    } catch (err) {
      this.stopped = true;
      throw err;
    }
  }

  private checkHeader(type: number, size: number): void {
    if (type !== FrameType.Method && type !== FrameType.Header && type !== FrameType.Body && type !== FrameType.Heartbeat) {
      throw frameError(`type ${type}, all octets = <<>>: {unknown_frame_type,${type}}`);
    }
    const max = this.maxFrameSize;
    if (max > 0 && size + OVERHEAD > max) {
      throw frameError(`type ${type}, all octets = <<>>: {frame_too_large,${size},${max - OVERHEAD}}`);
    }
  }

  /** Copies the start of a split frame (or of its header) into the reassembly buffer. */
  private startPart(chunk: Buffer, off: number, need: number): void {
    if (this.part.length < need) this.part = Buffer.allocUnsafe(Math.max(need, 256));
    this.partLen = chunk.copy(this.part, 0, off);
    this.partNeed = need;
  }

  /** Feeds the split frame from the front of chunk; returns the chunk offset after the bytes used. */
  private continuePart(chunk: Buffer): number {
    let off = 0;
    if (this.partNeed === FRAME_HEADER_SIZE) {
      // the header itself was split
      const n = Math.min(FRAME_HEADER_SIZE - this.partLen, chunk.length);
      chunk.copy(this.part, this.partLen, 0, n);
      this.partLen += n;
      off = n;
      if (this.partLen < FRAME_HEADER_SIZE) return off;
      const size = this.part.readUInt32BE(3);
      this.checkHeader(this.part[0]!, size);
      const total = size + OVERHEAD;
      if (this.part.length < total) {
        const grown = Buffer.allocUnsafe(total);
        this.part.copy(grown, 0, 0, FRAME_HEADER_SIZE);
        this.part = grown;
      }
      this.partNeed = total;
    }
    const n = Math.min(this.partNeed - this.partLen, chunk.length - off);
    chunk.copy(this.part, this.partLen, off, off + n);
    this.partLen += n;
    off += n;
    if (this.partLen < this.partNeed) return off;
    const p = this.part;
    const endAt = this.partNeed - 1;
    this.partLen = 0;
    this.partNeed = FRAME_HEADER_SIZE;
    if (p[endAt] !== FRAME_END) throw badFrameEnd(p[0]!, p.subarray(FRAME_HEADER_SIZE, endAt), p[endAt]!);
    this.handler.onFrame(p[0]!, (p[1]! << 8) | p[2]!, p.subarray(FRAME_HEADER_SIZE, endAt));
    return off;
  }
}

function badFrameEnd(type: number, payload: Buffer, got: number): Error {
  const shown = payload.length <= 16 ? `all octets = <<${payload.join(',')}>>` : `first 16 octets = <<${payload.subarray(0, 16).join(',')}>>`;
  return frameError(`type ${type}, ${shown}: {invalid_frame_end_marker,${got}}`);
}

const EMPTY = Buffer.alloc(0);

/**
 * Reads the primitive field types of a method frame payload, in order: the counterpart of
 * FrameWriter's write* methods, used by the generated decoders in generated/methods.ts.
 * Strings are decoded and longstr values copied, so nothing returned views the payload.
 *
 * Errors: truncated arguments or trailing octets -> 501 FRAME_ERROR; a 64-bit value above
 * 2^53 - 1 or a malformed table -> 502 SYNTAX_ERROR. fail() stamps the method's ids on them.
 */
export class PayloadReader {
  private buf: Buffer = EMPTY;
  private pos = 0;
  private end = 0;
  private id = 0;
  private readonly name: (id: number) => string;

  /** @param name names a method id in error texts ('basic.publish') */
  constructor(name: (id: number) => string) {
    this.name = name;
  }

  /** Starts on payload buf[offset, end); returns the (class-id << 16) | method-id it begins with. */
  begin(buf: Buffer, offset: number, end: number): number {
    if (end - offset < 4) throw frameError(`method frame payload too short (${end - offset} octets)`);
    this.buf = buf;
    this.pos = offset + 4;
    this.end = end;
    return (this.id = buf.readUInt32BE(offset));
  }

  /** After the last argument: rejects trailing octets and lets go of the payload. */
  finish(): void {
    const left = this.end - this.pos;
    this.buf = EMPTY;
    if (left !== 0) throw frameError(`cannot decode ${this.name(this.id)}: ${left} trailing octets`);
  }

  /** For a catch block: lets go of the payload and gives an AmqpError the method's ids. */
  fail(err: unknown): unknown {
    this.buf = EMPTY;
    if (err instanceof AmqpError && err.classId === 0) {
      err.classId = this.id >>> 16;
      err.methodId = this.id & 0xffff;
    }
    return err;
  }

  private truncated(): never {
    throw frameError(`cannot decode ${this.name(this.id)}: arguments truncated`);
  }

  skip(n: number): void {
    if ((this.pos += n) > this.end) this.truncated();
  }

  octet(): number {
    if (this.pos >= this.end) this.truncated();
    return this.buf[this.pos++]!;
  }

  short(): number {
    if ((this.pos += 2) > this.end) this.truncated();
    return (this.buf[this.pos - 2]! << 8) | this.buf[this.pos - 1]!;
  }

  long(): number {
    if ((this.pos += 4) > this.end) this.truncated();
    return this.buf.readUInt32BE(this.pos - 4);
  }

  /** Unsigned 64-bit as a number; 502 above 2^53 - 1. */
  longlong(): number {
    if ((this.pos += 8) > this.end) this.truncated();
    const hi = this.buf.readUInt32BE(this.pos - 8);
    if (hi > 0x1fffff) throw syntaxError(`${this.name(this.id)}: 64-bit value above 2^53 - 1`);
    return hi * 0x100000000 + this.buf.readUInt32BE(this.pos - 4);
  }

  shortstr(): string {
    const a = this.pos + 1;
    if (a > this.end || (this.pos = a + this.buf[a - 1]!) > this.end) this.truncated();
    return a === this.pos ? '' : this.buf.toString('utf8', a, this.pos);
  }

  /** A copy of the bytes. */
  longstr(): Buffer {
    const a = this.pos + 4;
    if (a > this.end || (this.pos = a + this.buf.readUInt32BE(a - 4)) > this.end) this.truncated();
    const copy = Buffer.allocUnsafe(this.pos - a);
    this.buf.copy(copy, 0, a, this.pos);
    return copy;
  }

  table(): FieldTable {
    if (this.pos + 4 > this.end) this.truncated();
    const r = decodeTable(this.buf, this.pos, this.end);
    this.pos = r.next;
    return r.table;
  }
}
