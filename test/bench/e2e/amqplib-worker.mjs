/**
 * The `--client amqplib` load generator: the same publisher and consumer roles written the way
 * a typical Node application uses amqplib (sendToQueue in a loop honouring 'drain', consume with
 * a callback), to show what such an application sees. Transient, unconfirmed, auto-ack only.
 */
import amqp from 'amqplib';

const PER_TURN = 1000;

export class AmqplibWorker {
  constructor(spec, fatal) {
    this.spec = spec;
    this.fatal = fatal;
    this.conns = [];
    this.publishers = [];
    this.consumers = [];
    this.stopping = false;
  }

  async open() {
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${this.spec.port}`, { heartbeat: 0 });
    conn.on('error', (err) => this.fatal(err));
    conn.on('close', () => this.stopping || this.fatal(new Error('connection closed by the broker')));
    this.conns.push(conn);
    return conn.createChannel();
  }

  async init() {
    for (const o of this.spec.consumers ?? []) {
      if (o.latency || !o.noAck) throw new Error('amqplib mode: auto-ack consumers without latency only');
      const ch = await this.open();
      if (o.prefetch) await ch.prefetch(o.prefetch);
      const c = { delivered: 0 };
      await ch.consume(o.queue, () => void c.delivered++, { noAck: true });
      this.consumers.push(c);
    }
    for (const o of this.spec.publishers ?? []) {
      if (o.confirmWindow || o.rate || o.count) throw new Error('amqplib mode: unconfirmed, unlimited publishers only');
      this.publishers.push({ ch: await this.open(), o, body: Buffer.alloc(o.size, 0x78), published: 0 });
    }
  }

  go() {
    for (const p of this.publishers) void this.publish(p).catch((err) => this.fatal(err));
  }

  async publish(p) {
    const options = { persistent: p.o.persistent };
    while (!this.stopping) {
      for (let i = 0; i < PER_TURN && !this.stopping; i++) {
        const ok = p.ch.publish(p.o.exchange, p.o.routingKey, p.body, options);
        p.published++;
        if (!ok) await new Promise((resolve) => p.ch.once('drain', resolve));
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  counters() {
    return {
      published: this.publishers.map((p) => p.published),
      confirmed: this.publishers.map(() => 0),
      nacked: this.publishers.map(() => 0),
      delivered: this.consumers.map((c) => c.delivered),
    };
  }

  async stop() {
    this.stopping = true;
    await Promise.race([
      Promise.all(this.conns.map((c) => c.close().catch(() => {}))),
      new Promise((resolve) => setTimeout(resolve, 3000).unref()),
    ]);
  }
}
