/**
 * A hand-written AMQP client for the benchmark: the handshake and the few synchronous methods
 * (async, with a timeout each), then a hot `handler` that sees every frame the broker sends.
 * Connects to 127.0.0.1 only.
 */
import { connect as netConnect } from 'node:net';
import {
  FRAME_METHOD,
  FrameParser,
  M,
  PROTOCOL_HEADER,
  bits,
  longstr,
  methodFrame,
  readShortstr,
  shortstr,
  table,
  u16,
  u32,
} from './frames.mjs';

const RPC_TIMEOUT_MS = 60_000;
const CLIENT_PROPERTIES = table({
  product: 'warren-bench',
  capabilities: { publisher_confirms: true, 'basic.nack': true, 'connection.blocked': true, consumer_cancel_notify: true },
});

export class Client {
  constructor(socket) {
    this.socket = socket;
    /** Hot path: (type, channel, buf, start, end) for every frame no RPC is waiting for. */
    this.handler = null;
    this.waiting = [];
    this.error = null;
    this.blocked = false;
    this.onError = null;
    this.parser = new FrameParser((type, channel, buf, start, end) => this.frame(type, channel, buf, start, end));
    socket.on('data', (chunk) => {
      try {
        this.parser.feed(chunk);
      } catch (err) {
        this.fail(err);
      }
    });
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new Error('connection closed by the broker')));
  }

  frame(type, channel, buf, start, end) {
    if (type === FRAME_METHOD) {
      const id = buf.readUInt32BE(start);
      if (id === M.connectionClose || id === M.channelClose) {
        const code = buf.readUInt16BE(start + 4);
        const [text] = readShortstr(buf, start + 6);
        if (id === M.connectionClose) this.socket.write(methodFrame(0, M.connectionCloseOk));
        this.fail(new Error(`broker closed ${id === M.connectionClose ? 'the connection' : `channel ${channel}`}: ${code} ${text}`));
        return;
      }
      if (id === M.connectionBlocked) this.blocked = true;
      if (id === M.connectionUnblocked) this.blocked = false;
      const w = this.waiting[0];
      if (w !== undefined && w.channel === channel && w.ids.includes(id)) {
        this.waiting.shift();
        clearTimeout(w.timer);
        w.resolve({ id, payload: Buffer.from(buf.subarray(start, end)) });
        return;
      }
    }
    if (this.handler !== null) this.handler(type, channel, buf, start, end);
  }

  fail(err) {
    if (this.error !== null) return;
    this.error = err;
    for (const w of this.waiting.splice(0)) {
      clearTimeout(w.timer);
      w.reject(err);
    }
    this.socket.destroy();
    this.onError?.(err);
  }

  /** Waits for the next method on `channel` among `ids`. */
  expect(channel, ...ids) {
    if (this.error !== null) return Promise.reject(this.error);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new Error(`timed out waiting for method ${ids.join('|')}`)), RPC_TIMEOUT_MS);
      this.waiting.push({ channel, ids, resolve, reject, timer });
    });
  }

  /** Sends a method and waits for its reply. */
  rpc(channel, id, args, ...replies) {
    const reply = this.expect(channel, ...replies);
    this.socket.write(methodFrame(channel, id, ...args));
    return reply;
  }

  openChannel(ch) {
    return this.rpc(ch, M.channelOpen, [shortstr('')], M.channelOpenOk);
  }
  qos(ch, prefetchCount) {
    return this.rpc(ch, M.basicQos, [u32(0), u16(prefetchCount), bits(false)], M.basicQosOk);
  }
  confirmSelect(ch) {
    return this.rpc(ch, M.confirmSelect, [bits(false)], M.confirmSelectOk);
  }
  /** queue.declare; resolves with the message count. */
  async declareQueue(ch, queue, { durable = false, passive = false } = {}) {
    const { payload } = await this.rpc(
      ch,
      M.queueDeclare,
      [u16(0), shortstr(queue), bits(passive, durable, false, false, false), table()],
      M.queueDeclareOk,
    );
    const [, off] = readShortstr(payload, 4);
    return payload.readUInt32BE(off);
  }
  declareExchange(ch, exchange, type, { durable = false } = {}) {
    const args = [u16(0), shortstr(exchange), shortstr(type), bits(false, durable, false, false, false), table()];
    return this.rpc(ch, M.exchangeDeclare, args, M.exchangeDeclareOk);
  }
  bindQueue(ch, queue, exchange, routingKey) {
    const args = [u16(0), shortstr(queue), shortstr(exchange), shortstr(routingKey), bits(false), table()];
    return this.rpc(ch, M.queueBind, args, M.queueBindOk);
  }
  deleteQueue(ch, queue) {
    return this.rpc(ch, M.queueDelete, [u16(0), shortstr(queue), bits(false, false, false)], M.queueDeleteOk);
  }
  consume(ch, queue, { noAck, tag = '' }) {
    const args = [u16(0), shortstr(queue), shortstr(tag), bits(false, noAck, false, false), table()];
    return this.rpc(ch, M.basicConsume, args, M.basicConsumeOk);
  }
  /** basic.get; resolves true on get-ok (its content frames go to `handler`), false on get-empty. */
  async get(ch, queue, noAck) {
    const { id } = await this.rpc(ch, M.basicGet, [u16(0), shortstr(queue), bits(noAck)], M.basicGetOk, M.basicGetEmpty);
    return id === M.basicGetOk;
  }

  /** connection.close, waiting at most 2 s for close-ok; then the socket is destroyed either way. */
  async close() {
    if (this.error === null) {
      const reply = this.expect(0, M.connectionCloseOk);
      this.socket.write(methodFrame(0, M.connectionClose, u16(200), shortstr('bye'), u16(0), u16(0)));
      const timeout = new Promise((resolve) => setTimeout(resolve, 2000).unref());
      await Promise.race([reply, timeout]).catch(() => {});
    }
    this.error ??= new Error('closed');
    this.socket.destroy();
  }
}

/** TCP connect + AMQP handshake (PLAIN guest/guest, heartbeat 0) to 127.0.0.1:port. */
export async function connect(port) {
  const socket = netConnect({ host: '127.0.0.1', port });
  socket.setNoDelay(true);
  const client = new Client(socket);
  await new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const start = client.expect(0, M.connectionStart);
  socket.write(PROTOCOL_HEADER);
  await start;
  const tune = client.expect(0, M.connectionTune);
  socket.write(
    methodFrame(0, M.connectionStartOk, CLIENT_PROPERTIES, shortstr('PLAIN'), longstr('\0guest\0guest'), shortstr('en_US')),
  );
  const { payload } = await tune;
  const channelMax = payload.readUInt16BE(4);
  const frameMax = payload.readUInt32BE(6);
  const openOk = client.expect(0, M.connectionOpenOk);
  socket.write(methodFrame(0, M.connectionTuneOk, u16(channelMax), u32(Math.min(frameMax || 131072, 131072)), u16(0)));
  socket.write(methodFrame(0, M.connectionOpen, shortstr('/'), shortstr(''), bits(false)));
  await openOk;
  return client;
}
