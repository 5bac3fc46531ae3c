/**
 * The fault proxy of CLUSTER.md 7.1 (topology A): a TCP relay for one directed link (broker ->
 * broker replication, broker -> etcd client, etcd peer -> peer). The nodes are configured to reach
 * a peer through the relay's port, and the harness switches the relay's mode while they run:
 *
 * - `pass`: bytes flow both ways, each chunk held back `delayMs` first (0 by default); order is kept.
 * - `blackhole`: a partition. Connections are accepted and kept open, but every byte in either
 *   direction is dropped, and a connection accepted now gets no upstream at all. A stream that lost
 *   bytes cannot be resumed (TCP would retransmit them, we cannot), so when the mode leaves
 *   `blackhole` such connections are closed, as TCP would do once it gives up; untouched ones go on.
 * - `reset`: every existing connection is closed with a TCP RST, and so is every new one.
 *
 * No privileges needed, so it works in CI. `close()` stops the listener and every socket.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export const FAULT_MODES = ['pass', 'blackhole', 'reset'] as const;
export type FaultMode = (typeof FAULT_MODES)[number];

export interface FaultProxyOptions {
  /** Where the relay forwards to. */
  target: { host: string; port: number };
  /** Where it listens: 127.0.0.1 and port 0 (a free port) by default. */
  listen?: { host?: string; port?: number };
  mode?: FaultMode;
  delayMs?: number;
}

/** Chunks of one direction waiting out the delay, written in order by one timer. */
class DelayedPipe {
  private readonly pending: { due: number; chunk: Buffer }[] = [];
  private timer: NodeJS.Timeout | undefined = undefined;

  constructor(private readonly dst: Socket) {}

  push(chunk: Buffer, delayMs: number): void {
    if (delayMs <= 0 && this.pending.length === 0) {
      this.dst.write(chunk);
      return;
    }
    const last = this.pending[this.pending.length - 1];
    this.pending.push({ due: Math.max(Date.now() + delayMs, last?.due ?? 0), chunk });
    this.arm();
  }

  clear(): void {
    this.pending.length = 0;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    const head = this.pending[0];
    if (this.timer !== undefined || head === undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const now = Date.now();
      let next = this.pending[0];
      while (next !== undefined && next.due <= now) {
        this.pending.shift();
        if (!this.dst.destroyed) this.dst.write(next.chunk);
        next = this.pending[0];
      }
      this.arm();
    }, Math.max(0, head.due - Date.now()));
  }
}

/** One accepted connection and, once connected, its upstream. */
class Link {
  upstream: Socket | undefined = undefined;
  /** Bytes were dropped: the stream has a hole and must not carry on after the fault. */
  broken = false;
  private toUpstream: DelayedPipe | undefined = undefined;
  private toClient: DelayedPipe;

  constructor(
    readonly client: Socket,
    private readonly proxy: FaultProxy,
  ) {
    this.toClient = new DelayedPipe(client);
    client.on('error', () => this.destroy());
    client.on('close', () => this.destroy());
    client.on('data', (chunk: Buffer) => {
      if (this.proxy.mode === 'pass' && this.toUpstream !== undefined) this.toUpstream.push(chunk, this.proxy.delayMs);
      else this.broken = true;
    });
  }

  connect(target: { host: string; port: number }): void {
    const upstream = createConnection(target);
    this.upstream = upstream;
    this.toUpstream = new DelayedPipe(upstream);
    upstream.on('error', () => this.destroy());
    upstream.on('close', () => this.destroy());
    upstream.on('data', (chunk: Buffer) => {
      if (this.proxy.mode === 'pass') this.toClient.push(chunk, this.proxy.delayMs);
      else this.broken = true;
    });
  }

  destroy(reset = false): void {
    this.toUpstream?.clear();
    this.toClient.clear();
    for (const socket of [this.client, this.upstream]) {
      if (socket === undefined || socket.destroyed) continue;
      if (reset) socket.resetAndDestroy();
      else socket.destroy();
    }
    this.proxy.forget(this);
  }
}

export class FaultProxy {
  mode: FaultMode;
  delayMs: number;
  private readonly links = new Set<Link>();

  private constructor(
    private readonly server: Server,
    readonly target: { host: string; port: number },
    readonly host: string,
    readonly port: number,
    options: FaultProxyOptions,
  ) {
    this.mode = options.mode ?? 'pass';
    this.delayMs = options.delayMs ?? 0;
  }

  /** Listen and start relaying to `options.target`. */
  static async start(options: FaultProxyOptions): Promise<FaultProxy> {
    const server = createServer({ noDelay: true });
    const host = options.listen?.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port: options.listen?.port ?? 0 }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const proxy = new FaultProxy(server, { ...options.target }, host, port, options);
    server.on('connection', (socket: Socket) => proxy.accept(socket));
    return proxy;
  }

  /** `host:port` to give a node in place of the target's address. */
  get address(): string {
    return `${this.host}:${this.port}`;
  }

  /** Open connections through the relay. */
  get connections(): number {
    return this.links.size;
  }

  setMode(mode: FaultMode): void {
    const previous = this.mode;
    this.mode = mode;
    if (mode === 'reset') {
      for (const link of [...this.links]) link.destroy(true);
    } else if (previous === 'blackhole' && mode === 'pass') {
      for (const link of [...this.links]) if (link.broken) link.destroy();
    }
  }

  /** Hold every chunk back this long (in `pass` mode); 0 for none. */
  setDelay(ms: number): void {
    this.delayMs = ms;
  }

  /** Stop listening and close every connection; resolves once the listener is closed. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const link of [...this.links]) link.destroy();
    await closed;
  }

  /** @internal a link is gone. */
  forget(link: Link): void {
    this.links.delete(link);
  }

  private accept(socket: Socket): void {
    if (this.mode === 'reset') {
      socket.on('error', () => undefined);
      socket.resetAndDestroy();
      return;
    }
    socket.setNoDelay(true);
    const link = new Link(socket, this);
    this.links.add(link);
    if (this.mode === 'blackhole') link.broken = true;
    else link.connect(this.target);
  }
}
