/**
 * Load-generator process (forked by run.mjs, talks to it over IPC). Hosts publisher and consumer
 * connections, or a crowd of idle consumers, against 127.0.0.1:PORT.
 *
 * Publishers write pre-encoded batches of publish frames and honour 'drain'; with confirms they
 * keep at most `confirmWindow` unconfirmed. A `rate` publisher sends on a 1 ms timer and stamps
 * each body with the monotonic clock (ns, shared by all processes). Consumers count
 * basic.deliver frames, decode a delivery tag only to ack, and read a body's stamp only when
 * measuring latency.
 *
 * IPC in: {cmd: 'init', spec} | {cmd: 'go'} | {cmd: 'mark', id, reset} | {cmd: 'stop'}
 * IPC out: {ev: 'ready'} | {ev: 'mark', id, ...counters} | {ev: 'done', what, t} | {ev: 'error', message}
 */
import { connect } from './client.mjs';
import {
  FRAME_BODY,
  FRAME_METHOD,
  M,
  ackFrame,
  confirmOf,
  deliveryTagOf,
  publishBatch,
  publishFrames,
} from './frames.mjs';
import { StampLog } from './stamp-log.mjs';

export const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
const BATCH_BYTES = 64 * 1024;
const WRITES_PER_TURN = 32;
const LATENCY_CAPACITY = 1 << 21;

/** Eight bytes of the body filler (0x78, frames.mjs): a body that carries no send time. */
const UNSTAMPED = 0x7878787878787878n;
const latency = { samples: new Float64Array(LATENCY_CAPACITY), n: 0 };
let stopping = false;
/** Each delivery's stamp and arrival, for test/bench/latency-breakdown.mjs. */
const stampLog = process.env.BENCH_LATENCY_DUMP ? new StampLog('consumer', 'read') : null;
if (stampLog !== null) process.on('exit', () => stampLog.save());

function send(msg) {
  if (process.connected) process.send(msg);
}

function fatal(err) {
  if (stopping) return;
  stopping = true;
  send({ ev: 'error', message: err instanceof Error ? err.message : String(err) });
  setTimeout(() => process.exit(1), 100).unref();
}

class Publisher {
  constructor(client, o) {
    this.client = client;
    this.o = o;
    this.published = 0;
    this.confirmed = 0;
    this.nacked = 0;
    this.through = 0; // every tag <= through is confirmed
    this.singles = new Set(); // tags > through confirmed one by one
    this.waitingDrain = false;
    this.finished = false;
    this.template = publishFrames(1, o);
    this.msgLen = this.template.bytes.length;
    this.batchCount = o.confirmWindow
      ? Math.min(100, o.confirmWindow)
      : Math.max(1, Math.floor(BATCH_BYTES / this.msgLen));
    this.batch = publishBatch(1, o, this.batchCount);
    this.pump = this.pump.bind(this);
    this.tick = this.tick.bind(this);
    this.onDrain = this.onDrain.bind(this);
    client.handler = (type, _ch, buf, start) => {
      if (type !== FRAME_METHOD) return;
      const id = buf.readUInt32BE(start);
      if (id === M.basicAck || id === M.basicNack) this.confirm(...confirmOf(buf, start), id === M.basicNack);
    };
  }

  start() {
    this.t0 = nowMs();
    if (this.o.rate) this.tick();
    else this.pump();
  }

  outstanding() {
    return this.published - this.confirmed - this.nacked;
  }

  pump() {
    if (stopping || this.client.error !== null || this.waitingDrain) return;
    for (let i = 0; i < WRITES_PER_TURN; i++) {
      let n = this.batchCount;
      if (this.o.count) {
        n = Math.min(n, this.o.count - this.published);
        if (n <= 0) return this.finish();
      }
      if (this.o.confirmWindow && this.outstanding() + n > this.o.confirmWindow) return; // confirm() resumes
      let chunk = n === this.batchCount ? this.batch : this.batch.subarray(0, n * this.msgLen);
      if (this.o.stamp) {
        // Latency under saturation: the first message of each write carries its send time (a copy,
        // since a buffer handed to write() must not change); the others keep the filler, untimed.
        chunk = Buffer.from(chunk);
        chunk.writeBigUInt64LE(process.hrtime.bigint(), this.template.bodyOffset);
      }
      const ok = this.client.socket.write(chunk);
      this.published += n;
      if (!ok) {
        this.waitingDrain = true;
        this.client.socket.once('drain', this.onDrain);
        return;
      }
    }
    setImmediate(this.pump);
  }

  onDrain() {
    this.waitingDrain = false;
    if (!this.o.rate) this.pump();
  }

  finish() {
    if (this.finished || (this.o.confirmWindow && this.outstanding() > 0)) return;
    this.finished = true;
    send({ ev: 'done', what: 'publish', t: nowMs() });
  }

  confirm(tag, multiple, nack) {
    let n = 0;
    if (multiple) {
      if (tag > this.through) {
        for (const t of this.singles) {
          if (t <= tag) {
            this.singles.delete(t);
            n--;
          }
        }
        n += tag - this.through;
        this.through = tag;
      }
    } else if (tag > this.through && !this.singles.has(tag)) {
      this.singles.add(tag);
      n = 1;
      while (this.singles.delete(this.through + 1)) this.through++;
    }
    if (nack) this.nacked += n;
    else this.confirmed += n;
    if (this.o.count && this.published >= this.o.count) this.finish();
    else if (!this.o.rate && this.outstanding() <= this.o.confirmWindow / 2) this.pump();
  }

  /** Rate-limited: every ~1 ms send what is due, each body stamped with the send time. */
  tick() {
    if (stopping || this.client.error !== null) return;
    const due = Math.floor(((nowMs() - this.t0) * this.o.rate) / 1000) - this.published;
    if (due > 0 && !this.waitingDrain) {
      const n = Math.min(due, Math.ceil(this.o.rate / 10));
      const b = Buffer.allocUnsafe(n * this.msgLen);
      for (let i = 0; i < n; i++) {
        this.template.bytes.copy(b, i * this.msgLen);
        b.writeBigUInt64LE(process.hrtime.bigint(), i * this.msgLen + this.template.bodyOffset);
      }
      this.published += n;
      if (!this.client.socket.write(b)) {
        this.waitingDrain = true;
        this.client.socket.once('drain', this.onDrain);
      }
      if (due > n) this.t0 += ((due - n) * 1000) / this.o.rate; // too far behind: drop the debt
    }
    setTimeout(this.tick, 1);
  }
}

class Consumer {
  constructor(client, o) {
    this.client = client;
    this.o = o;
    this.delivered = 0;
    this.unacked = 0;
    this.bodyNext = false;
    client.handler = this.onFrame.bind(this);
  }

  onFrame(type, _channel, buf, start) {
    if (type === FRAME_METHOD) {
      if (buf.readUInt32BE(start) !== M.basicDeliver) return;
      this.delivered++;
      if (!this.o.noAck && ++this.unacked >= this.o.ackEvery) {
        this.client.socket.write(ackFrame(1, deliveryTagOf(buf, start), true));
        this.unacked = 0;
      }
      if (this.o.latency) this.bodyNext = true;
      if (this.delivered === this.o.until) send({ ev: 'done', what: 'consume', t: nowMs() });
    } else if (type === FRAME_BODY && this.bodyNext) {
      this.bodyNext = false;
      const stamp = buf.readBigUInt64LE(start);
      if (stamp === UNSTAMPED) return; // an untimed message of a saturated publisher (body filler)
      const ms = Number(process.hrtime.bigint() - stamp) / 1e6;
      if (latency.n < LATENCY_CAPACITY) latency.samples[latency.n++] = ms;
      if (stampLog !== null) stampLog.add(Number(stamp) / 1e6, Number(stamp) / 1e6 + ms);
    }
  }
}

function percentiles() {
  if (latency.n === 0) return null;
  const s = latency.samples.subarray(0, latency.n).sort();
  const at = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { n: s.length, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: s[s.length - 1] };
}

const state = { clients: [], publishers: [], consumers: [], impl: null };

async function openConsumer(port, o) {
  const c = await connect(port);
  c.onError = fatal;
  state.clients.push(c);
  await c.openChannel(1);
  if (o.prefetch) await c.qos(1, o.prefetch);
  const consumer = new Consumer(c, o);
  // deferConsume: basic.consume only on 'go', so the runner knows when delivery starts.
  if (!o.deferConsume) await c.consume(1, o.queue, { noAck: o.noAck });
  return consumer;
}

async function openPublisher(port, o) {
  const c = await connect(port);
  c.onError = fatal;
  state.clients.push(c);
  await c.openChannel(1);
  if (o.confirmWindow) await c.confirmSelect(1);
  return new Publisher(c, o);
}

/** `n` connections, each with a channel and a no-ack consumer on `queue`, at most `concurrency` opening at once. */
async function openIdle(port, { n, queue, concurrency }) {
  let next = 0;
  const opener = async () => {
    while (next < n && !stopping) {
      next++;
      const c = await connect(port);
      c.onError = fatal;
      state.clients.push(c);
      await c.openChannel(1);
      await c.consume(1, queue, { noAck: true });
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, opener));
}

async function init(spec) {
  if (spec.client === 'amqplib') {
    const { AmqplibWorker } = await import('./amqplib-worker.mjs');
    state.impl = new AmqplibWorker(spec, fatal);
    await state.impl.init();
    return;
  }
  for (const o of spec.consumers ?? []) state.consumers.push(await openConsumer(spec.port, o));
  for (const o of spec.publishers ?? []) state.publishers.push(await openPublisher(spec.port, o));
  if (spec.idle) await openIdle(spec.port, spec.idle);
}

function counters() {
  if (state.impl !== null) return state.impl.counters();
  return {
    published: state.publishers.map((p) => p.published),
    confirmed: state.publishers.map((p) => p.confirmed),
    nacked: state.publishers.map((p) => p.nacked),
    delivered: state.consumers.map((c) => c.delivered),
  };
}

async function stop() {
  stopping = true;
  if (state.impl !== null) await state.impl.stop();
  const all = state.clients.map((c) => c.close());
  await Promise.race([Promise.all(all), new Promise((r) => setTimeout(r, 3000).unref())]);
  send({ ev: 'stopped' });
  setTimeout(() => process.exit(0), 50).unref();
}

async function handle(msg) {
  switch (msg.cmd) {
    case 'init':
      await init(msg.spec);
      send({ ev: 'ready' });
      break;
    case 'go':
      if (state.impl !== null) state.impl.go();
      for (const c of state.consumers) if (c.o.deferConsume) void c.client.consume(1, c.o.queue, { noAck: c.o.noAck }).catch(fatal);
      for (const p of state.publishers) p.start();
      break;
    case 'mark': {
      const cpu = process.cpuUsage();
      send({ ev: 'mark', id: msg.id, t: nowMs(), cpuS: (cpu.user + cpu.system) / 1e6, ...counters(), latency: percentiles() });
      if (msg.reset) latency.n = 0;
      break;
    }
    case 'stop':
      await stop();
      break;
    default:
      throw new Error(`unknown command ${msg.cmd}`);
  }
}

process.on('message', (msg) => void handle(msg).catch(fatal));
process.on('disconnect', () => process.exit(1));
