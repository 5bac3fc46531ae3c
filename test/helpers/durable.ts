/**
 * Helpers for the durability tests: a broker that can be stopped and started again on the same
 * data directory (in-process or as a CLI child), draining a queue over the wire, raw publishes and
 * gets that keep the content header's bytes, and file checksums.
 *
 * These tests restart the broker, so they always run in-process (WARREN_TEST_URL is ignored).
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Channel, GetMessage, Options } from 'amqplib';
import { startBroker, type BrokerOptions, type RunningBroker } from '../../src/index.js';
import { StoreReader } from '../../src/store/index.js';
import { withChannel, withConfirmChannel } from './broker.js';
import {
  bodyFrame,
  decodeMethod,
  FRAME_BODY,
  FRAME_HEADER,
  frame,
  longlong,
  methodFrame,
  octet,
  RawClient,
  short,
  shortstr,
} from './raw-client.js';
import { BUILT_CLI as CLI } from './built-cli.js';

export { CLI };

export function tempDataDir(prefix = 'warren-durable-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/**
 * An in-process broker bound to one data directory across restarts. `restart()` closes the
 * running broker (which flushes and releases the directory) and starts a new one on the same
 * directory; `url` always points at the current one.
 */
export class DurableBroker {
  private constructor(
    readonly dataDir: string,
    private current: RunningBroker | undefined,
  ) {}

  static async start(dataDir = tempDataDir(), options: BrokerOptions = {}): Promise<DurableBroker> {
    return new DurableBroker(dataDir, await startBroker({ port: 0, dataDir, logLevel: 'warn', ...options }));
  }

  get running(): RunningBroker {
    if (this.current === undefined) throw new Error('broker is stopped');
    return this.current;
  }

  get url(): string {
    return this.running.url;
  }

  async stop(): Promise<void> {
    const b = this.current;
    this.current = undefined;
    await b?.close();
  }

  /** Stop, and start on the same data directory (with other startup options if given). */
  async restart(options: BrokerOptions = {}): Promise<void> {
    await this.stop();
    this.current = await startBroker({ port: 0, dataDir: this.dataDir, logLevel: 'warn', ...options });
  }

  /** Stop and remove the data directory. */
  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/** Rows in the store's message and entry tables (a read-only look; the broker may be stopped). */
export function storedCounts(dataDir: string): { messages: number; entries: number } {
  const reader = StoreReader.open(dataDir);
  try {
    return reader.counts();
  } finally {
    reader.close();
  }
}

/** Run `fn` with a read-only view of the store (it sees committed transactions only). */
export async function withStoreReader<T>(dataDir: string, fn: (reader: StoreReader) => T | Promise<T>): Promise<T> {
  const reader = StoreReader.open(dataDir);
  try {
    return await fn(reader);
  } finally {
    reader.close();
  }
}

/** tx.select / tx.commit through amqplib's channel rpc (amqplib has no tx API). */
export function tx(ch: Channel, method: 'select' | 'commit'): Promise<unknown> {
  const id = (90 << 16) | (method === 'select' ? 10 : 20);
  return (ch as unknown as { rpc(method: number, fields: object, expect: number): Promise<unknown> }).rpc(id, {}, id + 1);
}

/** Ready messages in a queue (passive declare). */
export const readyCount = (url: string, q: string): Promise<number> =>
  withChannel(url, async (ch) => (await ch.checkQueue(q)).messageCount);

/** Everything in a queue, on a channel of its own. */
export const drained = (url: string, q: string): Promise<GetMessage[]> => withChannel(url, (ch) => drain(ch, q));

/** basic.get (noAck) until the queue is empty; the messages in the order the broker gave them. */
export async function drain(ch: Channel, queue: string, limit = 100_000): Promise<GetMessage[]> {
  const out: GetMessage[] = [];
  for (;;) {
    const m = await ch.get(queue, { noAck: true });
    if (m === false) return out;
    out.push(m);
    if (out.length > limit) throw new Error(`drain: more than ${limit} messages in ${queue}`);
  }
}

export const PERSISTENT: Options.Publish = { persistent: true };

/** Publish on a confirm channel (persistent unless told otherwise) and wait for every confirm. */
export async function publishAll(
  url: string,
  items: [exchange: string, routingKey: string, body: string, options?: Options.Publish][],
): Promise<void> {
  await withConfirmChannel(url, async (ch) => {
    for (const [x, rk, body, options] of items) ch.publish(x, rk, Buffer.from(body), options ?? PERSISTENT);
    await ch.waitForConfirms();
  });
}

/** Does a passive declare find it? (404 -> false) */
export async function exists(url: string, kind: 'queue' | 'exchange', name: string): Promise<boolean> {
  return withChannel(url, async (ch) => {
    try {
      await (kind === 'queue' ? ch.checkQueue(name) : ch.checkExchange(name));
      return true;
    } catch (err) {
      if ((err as { code?: number }).code === 404) return false;
      throw err;
    }
  });
}

/** The broker's reply code to `fn` on a fresh channel (200 when it succeeds). */
export async function replyCode(url: string, fn: (ch: Channel) => Promise<unknown>): Promise<number> {
  return withChannel(url, async (ch) => {
    try {
      await fn(ch);
      return 200;
    } catch (err) {
      return (err as { code?: number }).code ?? -1;
    }
  });
}

/** basic.get (acks left to the caller); fails if the queue is empty. */
export async function getOne(ch: Channel, queue: string, options: { noAck?: boolean } = {}): Promise<GetMessage> {
  const m = await ch.get(queue, options);
  if (m === false) throw new Error(`queue ${queue} is empty`);
  return m;
}

/** Bodies as strings, for compact order assertions. */
export const bodies = (ms: readonly { content: Buffer }[]): string[] => ms.map((m) => m.content.toString());

// ---------------------------------------------------------------------------------------------
// The CLI as a child process

export interface WarrenChild {
  readonly process: ChildProcessByStdio<null, Readable, Readable>;
  /** stdout and stderr so far */
  output(): string;
  /** resolves with the bound port once the broker logs it; rejects if it exits first */
  readonly port: Promise<number>;
  /** resolves with the exit code (or the signal name) */
  readonly exited: Promise<number | string>;
  /** SIGKILL if still running, and wait for the exit */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** `node dist/bundle/index.js server --port 0 --data-dir DIR --log-level info` (build first). */
export function spawnWarren(dataDir: string, extraArgs: readonly string[] = []): WarrenChild {
  const child = spawn(
    process.execPath,
    [CLI, 'server', '--port', '0', '--data-dir', dataDir, '--log-level', 'info', ...extraArgs],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let exitValue: number | string | undefined;
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      exitValue = code ?? signal ?? -1;
      resolve(exitValue);
    });
  });
  const port = new Promise<number>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      out += chunk.toString();
      const m = /AMQP listening on port (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then((code) => reject(new Error(`warren exited (${code}) before listening: ${out}`)));
  });
  port.catch(() => {});
  return {
    process: child,
    output: () => out,
    port,
    exited,
    kill: async (signal: NodeJS.Signals = 'SIGKILL') => {
      if (exitValue === undefined) child.kill(signal);
      await exited;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Raw publish and get: the content header's bytes as sent and as received

export interface RawGot {
  redelivered: boolean;
  exchange: string;
  routingKey: string;
  /** the content header payload after class, weight and body size: property flags + properties */
  properties: Buffer;
  body: Buffer;
}

/** basic.publish with a hand-encoded property list (flags + fields) on channel 1 of a raw client. */
export function rawPublish(client: RawClient, exchange: string, routingKey: string, properties: Buffer, body: Buffer): void {
  client.send(methodFrame(1, 60, 40, Buffer.concat([short(0), shortstr(exchange), shortstr(routingKey), octet(0)])));
  client.send(frame(FRAME_HEADER, 1, Buffer.concat([short(60), short(0), longlong(body.length), properties])));
  if (body.length > 0) client.send(bodyFrame(1, body));
}

/** basic.get (noAck) on channel 1; undefined on get-empty. */
export async function rawGet(client: RawClient, queue: string): Promise<RawGot | undefined> {
  client.send(methodFrame(1, 60, 70, Buffer.concat([short(0), shortstr(queue), octet(1)])));
  const m = decodeMethod(await client.readFrame());
  if (m.classId === 60 && m.methodId === 72) return undefined;
  if (m.classId !== 60 || m.methodId !== 71) throw new Error(`expected get-ok, got ${m.classId}.${m.methodId}`);
  let at = 8; // delivery tag
  const redelivered = m.args.readUInt8(at) !== 0;
  at += 1;
  const exchange = m.args.toString('utf8', at + 1, at + 1 + m.args.readUInt8(at));
  at += 1 + m.args.readUInt8(at);
  const routingKey = m.args.toString('utf8', at + 1, at + 1 + m.args.readUInt8(at));
  const header = await client.readFrame();
  if (header.type !== FRAME_HEADER) throw new Error(`expected a content header, got frame type ${header.type}`);
  const size = Number(header.payload.readBigUInt64BE(4));
  const parts: Buffer[] = [];
  let got = 0;
  while (got < size) {
    const f = await client.readFrame();
    if (f.type !== FRAME_BODY) throw new Error(`expected a body frame, got frame type ${f.type}`);
    parts.push(f.payload);
    got += f.payload.length;
  }
  return { redelivered, exchange, routingKey, properties: header.payload.subarray(12), body: Buffer.concat(parts) };
}

/**
 * A basic property list (flags + fields) with every property set and a headers table holding one
 * value of every field type, encoded by hand, for byte-exact round trips. delivery-mode is 2,
 * user-id is 'guest' (the broker checks it), expiration is long enough not to matter.
 */
export function everyPropertyRaw(): Buffer {
  const u8 = (n: number): Buffer => Buffer.from([n]);
  const num = (size: number, write: (b: Buffer) => void): Buffer => {
    const b = Buffer.alloc(size);
    write(b);
    return b;
  };
  const longstr = (b: Buffer): Buffer => Buffer.concat([num(4, (x) => x.writeUInt32BE(b.length)), b]);
  const value = (tag: string, bytes: Buffer): Buffer => Buffer.concat([Buffer.from(tag, 'latin1'), bytes]);
  const entry = (key: string, v: Buffer): Buffer => Buffer.concat([shortstr(key), v]);
  const nested = Buffer.concat([entry('inner', value('S', longstr(Buffer.from('deep')))), entry('n', value('I', num(4, (b) => b.writeInt32BE(-1))))]);
  const array = Buffer.concat([value('I', num(4, (b) => b.writeInt32BE(7))), value('S', longstr(Buffer.from('two'))), value('V', Buffer.alloc(0))]);
  const headers = Buffer.concat([
    entry('bool', value('t', u8(1))),
    entry('i8', value('b', num(1, (b) => b.writeInt8(-5)))),
    entry('u8', value('B', u8(200))),
    entry('i16', value('s', num(2, (b) => b.writeInt16BE(-300)))),
    entry('u16', value('u', num(2, (b) => b.writeUInt16BE(60000)))),
    entry('i32', value('I', num(4, (b) => b.writeInt32BE(-70000)))),
    entry('u32', value('i', num(4, (b) => b.writeUInt32BE(4_000_000_000)))),
    entry('i64', value('l', num(8, (b) => b.writeBigInt64BE(-(2n ** 40n))))),
    entry('ts', value('T', num(8, (b) => b.writeBigUInt64BE(1_700_000_000n)))),
    entry('f32', value('f', num(4, (b) => b.writeFloatBE(1.5)))),
    entry('f64', value('d', num(8, (b) => b.writeDoubleBE(-2.25e10)))),
    entry('dec', value('D', Buffer.concat([u8(2), num(4, (b) => b.writeInt32BE(12345))]))),
    entry('str', value('S', longstr(Buffer.from('héllo wörld ✓')))),
    entry('bytes', value('x', longstr(Buffer.from(Array.from({ length: 256 }, (_, i) => i))))),
    entry('arr', value('A', longstr(array))),
    entry('table', value('F', longstr(nested))),
    entry('void', value('V', Buffer.alloc(0))),
  ]);
  const fields = [
    shortstr('application/octet-stream'), // content-type
    shortstr('identity'), // content-encoding
    longstr(headers),
    u8(2), // delivery-mode
    u8(7), // priority
    shortstr('corr-1'),
    shortstr('reply-here'),
    shortstr('3600000'), // expiration
    shortstr('msg-1'),
    longlong(1_700_000_123), // timestamp
    shortstr('kind'),
    shortstr('guest'), // user-id
    shortstr('durability-test'), // app-id
    shortstr('cluster-x'), // cluster-id (deprecated, still carried)
  ];
  return Buffer.concat([short(0xfffc), ...fields]);
}
