/**
 * The fault run's load (CLUSTER.md 7.2): per queue one publisher on a confirm channel and one
 * consumer with manual acks (slower than the publisher), each reconnecting through the nodes in turn (amqplib has no
 * auto-recovery). Every message has a unique id and the body `id sha256(id)`; the publisher
 * records *attempted* before sending, then *confirmed*, *failed* (nack) or *unknown* (the channel
 * or connection went, or no confirm came within CONFIRM_TIMEOUT_MS); the consumer records each
 * delivery with its `redelivered` flag before acking it.
 */
import amqp, { type Channel, type ChannelModel, type ConfirmChannel, type ConsumeMessage } from 'amqplib';
import type { ClusterNodeProcess } from '../cluster-harness.js';
import { sleep } from '../cluster-harness.js';
import type { History } from '../history.js';

export interface QueueSpec {
  name: string;
  arguments: Record<string, unknown>;
}

/**
 * Longer than the zombie fault's pause (lease TTL + 2 s): a paused leader must find its clients
 * still connected when it resumes, with publishes waiting in its socket, to show it confirms none.
 */
const HEARTBEAT_S = 10;
const CONNECT_TIMEOUT_MS = 5000;
/** A publish not confirmed this long is given up as unknown, and its connection dropped. */
const CONFIRM_TIMEOUT_MS = 10_000;
const MAX_IN_FLIGHT = 500;
const TICK_MS = 20;
const PREFETCH = 50;

/** Connect with a deadline: a follower proxy waiting for a leader can hold the handshake. */
async function connect(node: ClusterNodeProcess): Promise<ChannelModel> {
  const pending = amqp.connect(`${node.url}?heartbeat=${HEARTBEAT_S}`, { timeout: CONNECT_TIMEOUT_MS });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('connect timed out')), CONNECT_TIMEOUT_MS)));
  try {
    return await Promise.race([pending, timeout]);
  } catch (err) {
    pending.then((late) => late.close()).catch(() => undefined);
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Drop a connection now, without the close handshake a paused peer would never answer. With an
 * error: amqplib watches its socket's 'error' and 'end', not 'close', so only then does the
 * connection close (and the channels' pending confirms fail) at once.
 */
function destroy(conn: ChannelModel): void {
  (conn.connection as unknown as { stream?: { destroy(err?: Error): void } }).stream?.destroy(new Error('dropped by the fault run'));
}

const closed = (conn: ChannelModel): Promise<void> =>
  new Promise((resolve) => {
    conn.once('close', () => resolve());
    conn.on('error', () => undefined);
  });

/** The message id: the body's first word (`id sha256(id)`). */
const idOf = (m: ConsumeMessage): string => (m.properties.messageId as string | undefined) ?? m.content.toString().split(' ')[0] ?? '';

abstract class Client {
  protected running = true;
  protected conn: ChannelModel | null = null;
  private next = 0;
  private loop: Promise<void> | null = null;
  connects = 0;

  constructor(
    protected readonly history: History,
    protected readonly queue: QueueSpec,
    private readonly nodes: readonly ClusterNodeProcess[],
  ) {}

  start(): void {
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (this.running) {
      const node = this.nodes[this.next++ % this.nodes.length] as ClusterNodeProcess;
      let conn: ChannelModel;
      try {
        conn = await connect(node);
      } catch {
        await sleep(200);
        continue;
      }
      this.conn = conn;
      this.connects++;
      const gone = closed(conn);
      try {
        await this.session(conn, node.spec.id, gone);
      } catch {
        // the connection or channel went; reconnect through the next node
      }
      destroy(conn);
      await gone;
      this.conn = null;
      this.lost();
      if (this.running) await sleep(100);
    }
  }

  protected abstract session(conn: ChannelModel, node: string, gone: Promise<void>): Promise<void>;

  protected lost(): void {}

  /** The session loops end within a tick once `running` is off; one stuck in a call gets its connection dropped. */
  async stop(): Promise<void> {
    this.running = false;
    const loop = this.loop ?? Promise.resolve();
    const ended = await Promise.race([loop.then(() => true), sleep(1000).then(() => false)]);
    if (!ended && this.conn !== null) destroy(this.conn);
    await loop;
  }
}

export class Publisher extends Client {
  private seq = 0;
  confirmed = 0;
  private readonly inFlight = new Map<string, number>();
  /** stop sending, let the in-flight publishes settle */
  private draining = false;

  constructor(
    history: History,
    queue: QueueSpec,
    nodes: readonly ClusterNodeProcess[],
    private readonly ratePerSec: number,
    private readonly tag: string,
  ) {
    super(history, queue, nodes);
  }

  protected async session(conn: ChannelModel, _node: string, gone: Promise<void>): Promise<void> {
    const ch: ConfirmChannel = await conn.createConfirmChannel();
    ch.on('error', () => undefined);
    await ch.assertQueue(this.queue.name, { durable: true, arguments: this.queue.arguments });
    let credit = 0;
    let last = Date.now();
    let open = true;
    void gone.then(() => (open = false));
    while (open && this.running) {
      const now = Date.now();
      const oldest = this.inFlight.values().next();
      if (!oldest.done && now - oldest.value > CONFIRM_TIMEOUT_MS) return; // a stalled leader: drop and move on
      credit = this.draining ? 0 : Math.min(credit + ((now - last) * this.ratePerSec) / 1000, 50);
      last = now;
      while (credit >= 1 && this.inFlight.size < MAX_IN_FLIGHT) {
        credit--;
        this.publish(ch);
      }
      await sleep(TICK_MS);
    }
  }

  private publish(ch: ConfirmChannel): void {
    const id = `${this.tag}-${++this.seq}`;
    const body = this.history.attempted(id);
    this.inFlight.set(id, Date.now());
    ch.sendToQueue(this.queue.name, body, { persistent: true, messageId: id }, (err: unknown) => {
      if (!this.inFlight.delete(id)) return;
      if (err == null) {
        this.history.confirmed(id);
        this.confirmed++;
      }
      else if (err instanceof Error && err.message === 'message nacked') this.history.failed(id);
      else this.history.unknown(id);
    });
  }

  protected override lost(): void {
    for (const id of this.inFlight.keys()) this.history.unknown(id);
    this.inFlight.clear();
  }

  /** Stop publishing; wait up to `ms` for the in-flight confirms, then close (the rest are unknown). */
  async finish(ms: number): Promise<void> {
    this.draining = true;
    const deadline = Date.now() + ms;
    while (this.inFlight.size > 0 && Date.now() < deadline) await sleep(50);
    await this.stop();
  }
}

/**
 * Acks at most `ratePerSec` (below the publish rate), so the queues keep a backlog of confirmed
 * messages for a fault to lose, and a failover finds deliveries not yet acked (redelivered).
 */
export class Consumer extends Client {
  constructor(
    history: History,
    queue: QueueSpec,
    nodes: readonly ClusterNodeProcess[],
    private readonly ratePerSec: number,
  ) {
    super(history, queue, nodes);
  }

  protected async session(conn: ChannelModel, node: string, gone: Promise<void>): Promise<void> {
    const ch: Channel = await conn.createChannel();
    ch.on('error', () => undefined);
    await ch.assertQueue(this.queue.name, { durable: true, arguments: this.queue.arguments });
    await ch.prefetch(PREFETCH);
    const toAck: ConsumeMessage[] = [];
    await ch.consume(this.queue.name, (m) => {
      if (m === null) {
        destroy(conn); // cancelled by the broker: start over
        return;
      }
      this.history.delivered(idOf(m), m.content, m.fields.redelivered, node);
      toAck.push(m);
    });
    let open = true;
    void gone.then(() => (open = false));
    let credit = 0;
    let last = Date.now();
    while (open && this.running) {
      const now = Date.now();
      credit = Math.min(credit + ((now - last) * this.ratePerSec) / 1000, PREFETCH);
      last = now;
      for (let m = toAck[0]; credit >= 1 && m !== undefined; m = toAck[0]) {
        toAck.shift();
        credit--;
        ch.ack(m);
      }
      await sleep(TICK_MS);
    }
  }
}

/**
 * The final drain from the leader itself: consume every queue until each is empty and no delivery
 * came for `quietMs`. Returns the number of deliveries.
 */
export async function drain(history: History, leader: ClusterNodeProcess, queues: readonly QueueSpec[], quietMs = 1500, ms = 30_000): Promise<number> {
  const conn = await connect(leader);
  conn.on('error', () => undefined);
  try {
    const ch = await conn.createChannel();
    await ch.prefetch(200);
    let count = 0;
    let lastAt = Date.now();
    for (const q of queues) {
      await ch.assertQueue(q.name, { durable: true, arguments: q.arguments });
      await ch.consume(q.name, (m) => {
        if (m === null) return;
        history.delivered(idOf(m), m.content, m.fields.redelivered, leader.spec.id);
        count++;
        lastAt = Date.now();
        ch.ack(m);
      });
    }
    const deadline = Date.now() + ms;
    for (;;) {
      const ready = await Promise.all(queues.map((q) => ch.checkQueue(q.name).then((r) => r.messageCount)));
      if (ready.every((n) => n === 0) && Date.now() - lastAt >= quietMs) return count;
      if (Date.now() > deadline) throw new Error(`drain: ${ready.join('+')} messages still ready after ${ms} ms`);
      await sleep(200);
    }
  } finally {
    await Promise.race([conn.close().catch(() => undefined), sleep(2000)]);
    destroy(conn);
  }
}
