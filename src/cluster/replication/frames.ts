/**
 * Replication frames (CLUSTER.md 6.3): `length:u32 type:u8 body crc32:u32`, the CRC over type and
 * body, length counting type and body. One TCP connection per follower to the leader's repl port.
 *
 *   HELLO     follower -> leader   JSON {cluster, node, epoch, position: {epoch, seq}, mac}
 *   WELCOME   leader -> follower   JSON {mode: 'stream' | 'snapshot', epoch}
 *   SNAPSHOT  leader -> follower   a chunk of the database image
 *   SNAP_END  leader -> follower   JSON {epoch, seq}: the image holds the log up to there
 *   RECORD    leader -> follower   epoch:f64 seq:f64 payload (log-codec.ts)
 *   ACK       follower -> leader   seq:f64 (cumulative: applied and fsynced up to seq)
 *   REFUSE    leader -> follower   JSON {reason}
 *   BEAT      both ways, every second: seq:f64 (the leader's last record; the follower's applied)
 *
 * A link that hears nothing for LINK_SILENCE_MS is dead (a partition that drops packets never
 * resets the connection): it is closed, and the follower reconnects.
 */
import { crc32 } from 'node:zlib';
import { hasRecordRoom } from '../../store/index.js';

export const Frame = { Hello: 1, Welcome: 2, Snapshot: 3, SnapEnd: 4, Record: 5, Ack: 6, Refuse: 7, Beat: 8 } as const;
export type FrameType = (typeof Frame)[keyof typeof Frame];

export const BEAT_MS = 1000;
export const LINK_SILENCE_MS = 3500;

/** frames larger than this are refused (a record is one group commit: at most ~8 MiB of bodies) */
const MAX_FRAME = 256 * 1024 * 1024;

export function encodeFrame(type: FrameType, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(9 + body.length);
  out.writeUInt32BE(body.length + 1, 0);
  out[4] = type;
  body.copy(out, 5);
  out.writeUInt32BE(crc32(out.subarray(4, 5 + body.length)), 5 + body.length);
  return out;
}

export function jsonFrame(type: FrameType, value: unknown): Buffer {
  return encodeFrame(type, Buffer.from(JSON.stringify(value), 'utf8'));
}

/**
 * A RECORD frame. The store leaves room around each payload (RECORD_HEADROOM, RECORD_TAILROOM),
 * so the frame is written around it in place; a payload without that room is copied.
 */
export function recordFrame(epoch: number, seq: number, payload: Buffer): Buffer {
  const head = 21;
  const start = payload.byteOffset - head;
  let frame: Buffer;
  if (hasRecordRoom(payload)) {
    frame = Buffer.from(payload.buffer, start, head + payload.length + 4);
  } else {
    frame = Buffer.allocUnsafe(head + payload.length + 4);
    payload.copy(frame, head);
  }
  frame.writeUInt32BE(17 + payload.length, 0);
  frame[4] = Frame.Record;
  frame.writeDoubleBE(epoch, 5);
  frame.writeDoubleBE(seq, 13);
  frame.writeUInt32BE(crc32(frame.subarray(4, head + payload.length)), head + payload.length);
  return frame;
}

export function ackFrame(seq: number, type: FrameType = Frame.Ack): Buffer {
  const body = Buffer.allocUnsafe(8);
  body.writeDoubleBE(seq, 0);
  return encodeFrame(type, body);
}

export interface DecodedFrame {
  readonly type: FrameType;
  readonly body: Buffer;
  /** the whole frame as it arrived (a follower keeps record frames in its ring as they are) */
  readonly raw: Buffer;
}

/** Splits a byte stream into frames; throws on a bad CRC or length (the link is then dropped). */
export class FrameReader {
  private chunks: Buffer[] = [];
  private size = 0;
  /** bytes needed before the next frame can be cut (its whole length, once the header is in) */
  private need = 4;

  push(chunk: Buffer): DecodedFrame[] {
    this.chunks.push(chunk);
    this.size += chunk.length;
    const out: DecodedFrame[] = [];
    if (this.size < this.need) return out;
    let buf = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks, this.size);
    this.need = 4;
    while (buf.length >= 4) {
      const len = buf.readUInt32BE(0);
      if (len < 1 || len > MAX_FRAME) throw new Error(`bad replication frame length ${len}`);
      if (buf.length < 8 + len) {
        this.need = 8 + len;
        break;
      }
      const typed = buf.subarray(4, 4 + len);
      if (crc32(typed) !== buf.readUInt32BE(4 + len)) throw new Error('replication frame CRC mismatch');
      out.push({ type: typed[0] as FrameType, body: typed.subarray(1), raw: buf.subarray(0, 8 + len) });
      buf = buf.subarray(8 + len);
    }
    this.chunks = buf.length === 0 ? [] : [buf];
    this.size = buf.length;
    return out;
  }
}

export function parseJson<T>(body: Buffer): T {
  return JSON.parse(body.toString('utf8')) as T;
}
