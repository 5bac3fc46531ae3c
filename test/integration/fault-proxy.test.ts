/**
 * The cluster fault proxy (test/cluster/fault-proxy.ts) over real TCP: an echo server behind it,
 * clients on loopback, every mode switched at run time. Port 0 everywhere.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultProxy } from '../cluster/fault-proxy.js';

/** A client that collects what it receives and knows when it was closed. */
class Client {
  private received = Buffer.alloc(0);
  private waiter: (() => void) | undefined = undefined;
  readonly closed: Promise<void>;
  isClosed = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk]);
      this.waiter?.();
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.isClosed = true;
        this.waiter?.();
        resolve();
      }),
    );
  }

  static open(port: number): Promise<Client> {
    return new Promise((resolve, reject) => {
      const socket = createConnection({ host: '127.0.0.1', port }, () => resolve(new Client(socket)));
      socket.once('error', reject);
    });
  }

  /** Resolve with the next `bytes` bytes; reject after `ms` without them or once closed. */
  read(bytes: number, ms: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`read timed out after ${ms} ms`)), ms);
      const done = (err?: Error): void => {
        clearTimeout(timer);
        this.waiter = undefined;
        if (err !== undefined) return reject(err);
        const out = this.received.subarray(0, bytes).toString();
        this.received = this.received.subarray(bytes);
        resolve(out);
      };
      this.waiter = () => {
        if (this.received.length >= bytes) done();
        else if (this.isClosed) done(new Error('closed'));
      };
      this.waiter();
    });
  }

  async echo(text: string, ms = 2000): Promise<string> {
    this.socket.write(text);
    return this.read(Buffer.byteLength(text), ms);
  }
}

let echo: Server;
let echoConnections = 0;
let proxy: FaultProxy;
const clients: Client[] = [];

const open = async (): Promise<Client> => {
  const client = await Client.open(proxy.port);
  clients.push(client);
  return client;
};

beforeAll(async () => {
  echo = createServer((socket) => {
    echoConnections++;
    socket.on('error', () => undefined);
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => echo.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const address = echo.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  proxy = await FaultProxy.start({ target: { host: '127.0.0.1', port } });
});

afterAll(async () => {
  for (const client of clients) client.socket.destroy();
  await proxy.close();
  await new Promise<void>((resolve) => echo.close(() => resolve()));
});

describe('FaultProxy', () => {
  it('passes bytes both ways to the target', async () => {
    expect(proxy.port).toBeGreaterThan(0);
    const client = await open();
    expect(await client.echo('hello')).toBe('hello');
    expect(await client.echo('again')).toBe('again');
    expect(proxy.connections).toBe(1);
  });

  it('blackhole keeps connections open but drops bytes both ways; new ones get no upstream', async () => {
    proxy.setMode('pass');
    const client = await open();
    expect(await client.echo('before')).toBe('before');
    proxy.setMode('blackhole');
    await expect(client.echo('lost', 300)).rejects.toThrow('timed out');
    expect(client.isClosed).toBe(false);

    const upstreamBefore = echoConnections;
    const fresh = await open();
    await expect(fresh.echo('nothing', 300)).rejects.toThrow('timed out');
    expect(fresh.isClosed).toBe(false);
    expect(echoConnections).toBe(upstreamBefore);

    // Heal: both streams lost bytes, so both are closed; a new connection works.
    proxy.setMode('pass');
    await client.closed;
    await fresh.closed;
    expect(await (await open()).echo('healed')).toBe('healed');
  });

  it('a connection that lost nothing during a blackhole carries on after it', async () => {
    proxy.setMode('pass');
    const client = await open();
    expect(await client.echo('one')).toBe('one');
    proxy.setMode('blackhole');
    proxy.setMode('pass');
    expect(await client.echo('two')).toBe('two');
  });

  it('reset closes existing connections and every new one; pass works again after', async () => {
    proxy.setMode('pass');
    const a = await open();
    const b = await open();
    expect(await a.echo('a')).toBe('a');
    expect(await b.echo('b')).toBe('b');
    proxy.setMode('reset');
    await Promise.all([a.closed, b.closed]);

    // The RST may beat the handshake's completion on the client's side, or come right after it.
    const outcome = await Client.open(proxy.port).then(
      async (client) => {
        clients.push(client);
        await client.closed;
        return 'closed';
      },
      (err: Error) => err.message,
    );
    expect(outcome).toMatch(/^closed$|ECONNRESET/);

    proxy.setMode('pass');
    expect(await (await open()).echo('back')).toBe('back');
  });

  it('delay holds each chunk back at least the delay in each direction, in order', async () => {
    proxy.setMode('pass');
    const client = await open();
    expect(await client.echo('warm')).toBe('warm');
    proxy.setDelay(250);
    const started = performance.now();
    client.socket.write('abc');
    setTimeout(() => client.socket.write('def'), 20);
    expect(await client.read(6, 3000)).toBe('abcdef');
    expect(performance.now() - started).toBeGreaterThanOrEqual(2 * 250 - 2);
    proxy.setDelay(0);
    const quick = performance.now();
    expect(await client.echo('fast')).toBe('fast');
    expect(performance.now() - quick).toBeLessThan(250);
  });

  it('close() stops the listener and every connection through it', async () => {
    const address = echo.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const own = await FaultProxy.start({ target: { host: '127.0.0.1', port } });
    const client = await Client.open(own.port);
    clients.push(client);
    expect(await client.echo('x')).toBe('x');
    await own.close();
    await client.closed;
    await expect(Client.open(own.port)).rejects.toThrow(/ECONNREFUSED/);
  });
});
