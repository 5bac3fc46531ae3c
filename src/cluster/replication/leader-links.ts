/**
 * The leader's end of replication (CLUSTER.md 6.3): a server on the node's repl port, one link per
 * follower. A follower says where its copy ends (HELLO); if that position is on the leader's
 * recent history (log-ring.ts) it gets the records after it, otherwise a snapshot of the store and
 * then the records after the snapshot. Acks are cumulative; the owner (replication.ts) turns them
 * into released confirms and in-sync decisions.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import type { LogPosition, StoreSnapshot } from '../../store/index.js';
import { logger } from '../../util/logger.js';
import { BEAT_MS, Frame, FrameReader, LINK_SILENCE_MS, ackFrame, encodeFrame, jsonFrame, parseJson } from './frames.js';
import type { LogRing } from './log-ring.js';
import { listenExclusive } from '../../util/listen.js';

const log = logger('cluster.repl');

const SNAPSHOT_CHUNK = 1024 * 1024;
const HELLO_TIMEOUT_MS = 5000;

export interface Hello {
  readonly cluster: string;
  readonly node: string;
  /** the leader's epoch, as the follower learnt it from etcd */
  readonly epoch: number;
  /** where the follower's copy ends; seq 0 asks for a snapshot */
  readonly position: LogPosition;
  readonly mac: string;
}

export function helloMac(secret: string, cluster: string, node: string, epoch: number): string {
  return createHmac('sha256', secret).update(`${cluster}\n${node}\n${epoch}`).digest('hex');
}

/** What the links need from the leader's log. */
export interface LeaderLog {
  readonly cluster: string;
  readonly epoch: number;
  readonly secret: string;
  readonly ring: LogRing;
  /** peers that may follow */
  isPeer(node: string): boolean;
  snapshot(): StoreSnapshot | null;
  /** a link's ack moved, or the link closed */
  linkChanged(link: FollowerLink, closed: boolean): void;
}

export class FollowerLink {
  /** applied and fsynced by the follower */
  acked = 0;
  /** written to the socket */
  sent = 0;
  /** past its handshake and snapshot: receives records as they are appended */
  streaming = false;
  /** when the oldest record not acked yet was sent (0: all acked) */
  unackedSince = 0;
  closed = false;
  /** when the follower was last heard from */
  heard = Date.now();
  private blocked = false;

  constructor(
    readonly node: string,
    private readonly socket: Socket,
    private readonly owner: LeaderLog,
  ) {
    socket.on('drain', () => {
      this.blocked = false;
      this.pump();
    });
  }

  /** Send the records the follower lacks, as far as the socket takes them. */
  pump(): void {
    const ring = this.owner.ring;
    while (!this.blocked && !this.closed && this.sent < ring.last.seq) {
      const frame = ring.frame(this.sent + 1);
      if (frame === undefined) return this.close(`record ${this.sent + 1} is no longer held; the follower must resync`);
      if (this.acked === this.sent) this.unackedSince = Date.now();
      this.sent++;
      if (!this.socket.write(frame)) this.blocked = true;
    }
  }

  /** Every BEAT_MS: close a silent link, else send a beat. */
  beat(now: number): void {
    if (now - this.heard > LINK_SILENCE_MS) this.close(`nothing heard for ${now - this.heard} ms`);
    else if (this.streaming) this.socket.write(ackFrame(this.owner.ring.last.seq, Frame.Beat));
  }

  ack(seq: number): void {
    if (seq <= this.acked) return;
    this.acked = Math.min(seq, this.sent);
    this.unackedSince = this.acked >= this.sent ? 0 : Date.now();
    this.owner.linkChanged(this, false);
  }

  close(why: string): void {
    if (this.closed) return;
    this.closed = true;
    this.streaming = false;
    log.info(`replication link to ${this.node} closed: ${why}`);
    this.socket.destroy();
    this.owner.linkChanged(this, true);
  }

  /** Catch-up from the ring, or a snapshot first. */
  begin(position: LogPosition): void {
    const ring = this.owner.ring;
    if (position.seq > 0 && ring.holds(position)) {
      this.socket.write(jsonFrame(Frame.Welcome, { mode: 'stream', epoch: this.owner.epoch }));
      this.acked = this.sent = position.seq;
      log.info(`${this.node} continues from record ${position.seq} (epoch ${position.epoch})`);
    } else {
      const snap = this.owner.snapshot();
      if (snap === null) return this.close('no store to snapshot yet');
      this.socket.write(jsonFrame(Frame.Welcome, { mode: 'snapshot', epoch: this.owner.epoch }));
      for (let off = 0; off < snap.image.length; off += SNAPSHOT_CHUNK) {
        this.socket.write(encodeFrame(Frame.Snapshot, snap.image.subarray(off, off + SNAPSHOT_CHUNK)));
      }
      this.socket.write(jsonFrame(Frame.SnapEnd, snap.position));
      this.sent = snap.position.seq;
      this.acked = 0;
      this.unackedSince = Date.now();
      const from = position.seq === 0 ? 'a fresh copy' : `record ${position.seq} of epoch ${position.epoch}, not on this history`;
      log.info(`${this.node} gets a snapshot at record ${snap.position.seq} (${snap.image.length} bytes; it had ${from})`);
    }
    this.streaming = true;
    this.pump();
  }
}

export class LeaderServer {
  private readonly server: Server;
  readonly links = new Map<string, FollowerLink>();
  private readonly sockets = new Set<Socket>();
  private readonly beats: NodeJS.Timeout;

  constructor(private readonly owner: LeaderLog) {
    this.server = createServer((socket) => this.accept(socket));
    this.beats = setInterval(() => {
      const now = Date.now();
      for (const link of [...this.links.values()]) link.beat(now);
    }, BEAT_MS);
  }

  listen(host: string, port: number): Promise<void> {
    return listenExclusive(this.server, host, port);
  }

  /** New records: every streaming link sends what it lacks. */
  pump(): void {
    for (const link of this.links.values()) if (link.streaming) link.pump();
  }

  close(): Promise<void> {
    clearInterval(this.beats);
    for (const link of this.links.values()) link.close('the leader stopped leading');
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    socket.setNoDelay(true);
    this.sockets.add(socket);
    const reader = new FrameReader();
    let link: FollowerLink | null = null;
    const timer = setTimeout(() => socket.destroy(), HELLO_TIMEOUT_MS);
    socket.on('data', (chunk: Buffer) => {
      try {
        if (link !== null) link.heard = Date.now();
        for (const f of reader.push(chunk)) {
          if (link !== null && (f.type === Frame.Ack || f.type === Frame.Beat)) link.ack(f.body.readDoubleBE(0));
          else if (link === null && f.type === Frame.Hello) {
            clearTimeout(timer);
            link = this.hello(socket, parseJson<Hello>(f.body));
            if (link === null) return;
          } else throw new Error(`unexpected frame ${f.type}`);
        }
      } catch (err) {
        if (link !== null) link.close((err as Error).message);
        else socket.destroy();
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      this.sockets.delete(socket);
      link?.close('the follower disconnected');
      if (link !== null && this.links.get(link.node) === link) this.links.delete(link.node);
    });
  }

  private hello(socket: Socket, h: Hello): FollowerLink | null {
    const o = this.owner;
    const refuse = (reason: string): null => {
      log.warn(`refused a follower (${String(h.node)}): ${reason}`);
      socket.end(jsonFrame(Frame.Refuse, { reason }));
      return null;
    };
    if (h.cluster !== o.cluster) return refuse(`cluster ${String(h.cluster)} is not ${o.cluster}`);
    if (!o.isPeer(h.node)) return refuse(`${String(h.node)} is not a peer`);
    const want = Buffer.from(helloMac(o.secret, o.cluster, h.node, h.epoch), 'hex');
    const got = Buffer.from(String(h.mac), 'hex');
    if (got.length !== want.length || !timingSafeEqual(got, want)) return refuse('bad cluster secret');
    if (h.epoch !== o.epoch) return refuse(`epoch ${h.epoch} is not this leader's (${o.epoch})`);
    this.links.get(h.node)?.close('replaced by a new link');
    const link = new FollowerLink(h.node, socket, o);
    this.links.set(h.node, link);
    link.begin(h.position);
    return link;
  }
}
