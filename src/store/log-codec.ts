/**
 * The bytes of a change-log record (change-log.ts): the logical operations of one committed
 * transaction. Message operations are binary (the hot path: a publish is an Insert and an
 * Enqueue); a definition operation is the DefinitionStorage call as JSON, Buffers as base64.
 *
 *   record  := op*
 *   op      := kind:u8 fields            (StoreOp kinds, op-batch.ts)
 *            | 100 len:u32 json          (definition call)
 */
import { RECORD_HEADROOM, RECORD_TAILROOM } from './change-log.js';
import { OpKind, StoreOp } from './op-batch.js';

export const DEFINITION = 100;

/** A DefinitionStorage call: method name, arguments, and putQueue's queue id. */
export interface DefinitionOp {
  readonly op: string;
  readonly args: readonly unknown[];
  readonly id?: number;
}

export type LogOp = StoreOp | DefinitionOp;

/** Payloads made here, which have RECORD_HEADROOM and RECORD_TAILROOM of their own around them. */
const roomy = new WeakSet<Buffer>();

/** May the log frame `payload` in place (write into the room around it)? */
export function hasRecordRoom(payload: Buffer): boolean {
  return roomy.has(payload);
}

class Writer {
  buf: Buffer;
  pos: number;

  /** Payload bytes start after RECORD_HEADROOM; RECORD_TAILROOM more are kept free at the end. */
  constructor(size = 1024) {
    this.buf = Buffer.allocUnsafe(RECORD_HEADROOM + size + RECORD_TAILROOM);
    this.pos = RECORD_HEADROOM;
  }

  /** The payload, a view with the head- and tailroom around it in the same buffer. */
  payload(): Buffer {
    this.ensure(RECORD_TAILROOM);
    const payload = this.buf.subarray(RECORD_HEADROOM, this.pos);
    roomy.add(payload);
    return payload;
  }

  ensure(n: number): void {
    if (this.pos + n + RECORD_TAILROOM <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n + RECORD_TAILROOM));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }
  u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32BE(v, this.pos);
    this.pos += 4;
  }
  f64(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleBE(v, this.pos);
    this.pos += 8;
  }
  bytes(b: Buffer): void {
    this.u32(b.length);
    this.ensure(b.length);
    b.copy(this.buf, this.pos);
    this.pos += b.length;
  }
  /** Length and UTF-8 bytes, written in place (no Buffer per string). */
  text(s: string): void {
    const n = Buffer.byteLength(s, 'utf8');
    this.u32(n);
    this.ensure(n);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }
}

class Reader {
  pos = 0;
  constructor(private readonly buf: Buffer) {}
  get done(): boolean {
    return this.pos >= this.buf.length;
  }
  u8(): number {
    return this.buf[this.pos++] as number;
  }
  u32(): number {
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  f64(): number {
    const v = this.buf.readDoubleBE(this.pos);
    this.pos += 8;
    return v;
  }
  bytes(): Buffer {
    const n = this.u32();
    const b = this.buf.subarray(this.pos, this.pos + n);
    if (b.length !== n) throw new RangeError('truncated log record');
    this.pos += n;
    return b;
  }
  text(): string {
    return this.bytes().toString('utf8');
  }
}

const NO_KEEP = 0xffffffff;
const EMPTY = Buffer.alloc(0);

/** Bytes the encoding of `op` takes (so a record is allocated once, at its exact size). */
function sizeOf(op: StoreOp): number {
  switch (op.kind) {
    case OpKind.Nop:
      return 0;
    case OpKind.Insert:
      return 1 + 8 + 4 + 16 + Buffer.byteLength(op.exchange) + Buffer.byteLength(op.routingKey) + (op.properties?.length ?? 0) + (op.body?.length ?? 0);
    case OpKind.Enqueue:
      return 1 + 40 + 1;
    case OpKind.Remove:
    case OpKind.RemoveRange:
      return 1 + 24;
    case OpKind.Redeliver:
      return 1 + 16;
    case OpKind.DeliveryCount:
      return 1 + 16 + 4;
    case OpKind.Purge:
      return 1 + 8 + 4 + 8 * (op.keep?.length ?? 0);
    default:
      return 1 + 8;
  }
}

/** Encode the live ops of a committed batch. */
export function encodeStoreOps(ops: readonly StoreOp[]): Buffer {
  let size = 0;
  for (const op of ops) size += sizeOf(op);
  const w = new Writer(size);
  for (const op of ops) {
    if (op.kind === OpKind.Nop) continue;
    w.u8(op.kind);
    switch (op.kind) {
      case OpKind.Insert:
        w.f64(op.messageId);
        w.u32(op.refs);
        w.text(op.exchange);
        w.text(op.routingKey);
        w.bytes(op.properties ?? EMPTY);
        w.bytes(op.body ?? EMPTY);
        break;
      case OpKind.Enqueue:
        w.f64(op.queueId);
        w.f64(op.seq);
        w.f64(op.messageId);
        w.f64(op.expiresAt);
        w.f64(op.priority);
        w.u8((op.redelivered ? 1 : 0) | (op.transient ? 2 : 0));
        break;
      case OpKind.Remove:
        w.f64(op.queueId);
        w.f64(op.seq);
        w.f64(op.messageId);
        break;
      case OpKind.Redeliver:
        w.f64(op.queueId);
        w.f64(op.seq);
        break;
      case OpKind.DeliveryCount:
        w.f64(op.queueId);
        w.f64(op.seq);
        w.u32(op.refs);
        break;
      case OpKind.RemoveRange:
        w.f64(op.queueId);
        w.f64(op.seq);
        w.f64(op.toSeq);
        break;
      case OpKind.Purge:
        w.f64(op.queueId);
        if (op.keep === null) w.u32(NO_KEEP);
        else {
          w.u32(op.keep.length);
          for (const s of op.keep) w.f64(s);
        }
        break;
      case OpKind.Ref:
      case OpKind.Deref:
        w.f64(op.messageId);
        break;
    }
  }
  return w.payload();
}

function reviveBuffers(_key: string, value: unknown): unknown {
  if (value !== null && typeof value === 'object' && '$b' in value) return Buffer.from((value as { $b: string }).$b, 'base64');
  return value;
}

function tagBuffers(this: unknown, key: string, value: unknown): unknown {
  const raw = (this as Record<string, unknown>)[key];
  return Buffer.isBuffer(raw) ? { $b: raw.toString('base64') } : value;
}

export function encodeDefinition(op: DefinitionOp): Buffer {
  const w = new Writer();
  w.u8(DEFINITION);
  w.text(JSON.stringify(op, tagBuffers));
  return w.payload();
}

/** Decode a record's ops (throws RangeError on a malformed record). */
export function decodeOps(payload: Buffer): LogOp[] {
  const r = new Reader(payload);
  const out: LogOp[] = [];
  const none = null;
  while (!r.done) {
    const kind = r.u8();
    switch (kind) {
      case DEFINITION:
        out.push(JSON.parse(r.text(), reviveBuffers) as DefinitionOp);
        break;
      case OpKind.Insert: {
        const id = r.f64();
        const refs = r.u32();
        const exchange = r.text();
        const routingKey = r.text();
        const properties = r.bytes();
        const body = r.bytes();
        out.push(new StoreOp(OpKind.Insert, 0, 0, id, 0, 0, false, refs, exchange, routingKey, properties, body, none));
        break;
      }
      case OpKind.Enqueue: {
        const [q, seq, id, exp, prio] = [r.f64(), r.f64(), r.f64(), r.f64(), r.f64()];
        const flags = r.u8();
        out.push(new StoreOp(OpKind.Enqueue, q, seq, id, exp, prio, (flags & 1) !== 0, 0, '', '', none, none, none, (flags & 2) !== 0));
        break;
      }
      case OpKind.Remove: {
        const [q, seq, id] = [r.f64(), r.f64(), r.f64()];
        out.push(new StoreOp(OpKind.Remove, q, seq, id, 0, 0, false, 0, '', '', none, none, none));
        break;
      }
      case OpKind.Redeliver: {
        const [q, seq] = [r.f64(), r.f64()];
        out.push(new StoreOp(OpKind.Redeliver, q, seq, 0, 0, 0, true, 0, '', '', none, none, none));
        break;
      }
      case OpKind.DeliveryCount: {
        const [q, seq] = [r.f64(), r.f64()];
        out.push(new StoreOp(OpKind.DeliveryCount, q, seq, 0, 0, 0, false, r.u32(), '', '', none, none, none));
        break;
      }
      case OpKind.RemoveRange: {
        const [q, from, to] = [r.f64(), r.f64(), r.f64()];
        out.push(new StoreOp(OpKind.RemoveRange, q, from, 0, 0, 0, false, 0, '', '', none, none, none, false, to));
        break;
      }
      case OpKind.Purge: {
        const q = r.f64();
        const n = r.u32();
        const keep: number[] | null = n === NO_KEEP ? null : [];
        for (let i = 0; keep !== null && i < n; i++) keep.push(r.f64());
        out.push(new StoreOp(OpKind.Purge, q, 0, 0, 0, 0, false, 0, '', '', none, none, keep));
        break;
      }
      case OpKind.Ref:
      case OpKind.Deref:
        out.push(new StoreOp(kind, 0, 0, r.f64(), 0, 0, false, 0, '', '', none, none, none));
        break;
      default:
        throw new RangeError(`unknown log op kind ${kind}`);
    }
  }
  return out;
}

export function isDefinition(op: LogOp): op is DefinitionOp {
  return !(op instanceof StoreOp);
}
