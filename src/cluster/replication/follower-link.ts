/**
 * A follower's link to the leader of one epoch (CLUSTER.md 6.3): HELLO with where its copy ends,
 * then a snapshot or straight to records. Records read in one event-loop turn are applied together
 * at its end (one transaction and one fsync, replication.ts) and acked cumulatively. Any error drops the link; the owner
 * reconnects while the same leader leads.
 */
import { connect, type Socket } from 'node:net';
import type { LogPosition, LogRecord } from '../../store/index.js';
import { BEAT_MS, Frame, FrameReader, LINK_SILENCE_MS, ackFrame, jsonFrame, parseJson } from './frames.js';
import { helloMac } from './leader-links.js';

export interface FollowerSide {
  readonly cluster: string;
  readonly node: string;
  readonly secret: string;
  /** where this copy ends (seq 0 asks for a snapshot) */
  position(): LogPosition;
  /** install a snapshot image holding the log up to `at` */
  install(image: Buffer, at: LogPosition): void;
  /** apply records (one transaction); returns the position now held */
  apply(records: LogRecord[], frames: Buffer[]): LogPosition;
  closed(link: LeaderLink, why: string): void;
}

export class LeaderLink {
  private readonly socket: Socket;
  private readonly reader = new FrameReader();
  private snapshot: Buffer[] | null = null;
  private done = false;
  /** records read in this event-loop turn, applied together at its end (one fsync for all) */
  private records: LogRecord[] = [];
  private frames: Buffer[] = [];
  private applyScheduled = false;
  private readonly applyBound = (): void => this.applyPending();
  private heard = Date.now();
  private readonly beats: NodeJS.Timeout;
  mode: 'connecting' | 'snapshot' | 'stream' = 'connecting';

  constructor(
    host: string,
    port: number,
    readonly epoch: number,
    private readonly side: FollowerSide,
  ) {
    this.socket = connect({ host, port });
    this.socket.setNoDelay(true);
    this.socket.on('connect', () => {
      const { cluster, node, secret } = side;
      const hello = { cluster, node, epoch, position: side.position(), mac: helloMac(secret, cluster, node, epoch) };
      this.socket.write(jsonFrame(Frame.Hello, hello));
    });
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    // A partition that drops packets never resets the connection: a silent leader is a dead link.
    this.beats = setInterval(() => {
      const silent = Date.now() - this.heard;
      if (silent > LINK_SILENCE_MS) this.close(`nothing heard from the leader for ${silent} ms`);
      else if (this.mode === 'stream') this.socket.write(ackFrame(side.position().seq, Frame.Beat));
    }, BEAT_MS);
    this.socket.on('error', (err) => this.close(err.message));
    this.socket.on('close', () => this.close('the leader closed the link'));
  }

  close(why: string): void {
    if (this.done) return;
    this.done = true;
    clearInterval(this.beats);
    this.socket.destroy();
    this.side.closed(this, why);
  }

  private onData(chunk: Buffer): void {
    if (this.done) return;
    this.heard = Date.now();
    try {
      for (const f of this.reader.push(chunk)) {
        switch (f.type) {
          case Frame.Welcome:
            this.mode = parseJson<{ mode: 'stream' | 'snapshot' }>(f.body).mode;
            if (this.mode === 'snapshot') this.snapshot = [];
            break;
          case Frame.Snapshot:
            this.snapshot?.push(Buffer.from(f.body));
            break;
          case Frame.SnapEnd: {
            const at = parseJson<LogPosition>(f.body);
            this.applyPending();
            this.side.install(Buffer.concat(this.snapshot ?? []), at);
            this.snapshot = null;
            this.mode = 'stream';
            this.socket.write(ackFrame(at.seq));
            break;
          }
          case Frame.Record:
            this.records.push({ epoch: f.body.readDoubleBE(0), seq: f.body.readDoubleBE(8), payload: f.body.subarray(16) });
            this.frames.push(f.raw);
            if (!this.applyScheduled) {
              this.applyScheduled = true;
              setImmediate(this.applyBound);
            }
            break;
          case Frame.Beat:
            break;
          case Frame.Refuse:
            return this.close(`refused: ${parseJson<{ reason: string }>(f.body).reason}`);
          default:
            throw new Error(`unexpected frame ${f.type}`);
        }
      }
    } catch (err) {
      this.close((err as Error).message);
    }
  }

  private applyPending(): void {
    this.applyScheduled = false;
    if (this.done || this.records.length === 0) return;
    const records = this.records;
    const frames = this.frames;
    this.records = [];
    this.frames = [];
    try {
      this.socket.write(ackFrame(this.side.apply(records, frames).seq));
    } catch (err) {
      this.close((err as Error).message);
    }
  }
}
