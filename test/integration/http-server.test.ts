/**
 * The management server's life in Warren (no RabbitMQ counterpart): startBroker starts it on its
 * own port (a free one when AMQP's is 0), `management: false` and `--no-management` leave it
 * off, close() stops it, a taken port fails the start cleanly, and it serves HTTPS when given
 * TLS options.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Broker } from '../../src/broker/broker.js';
import { ManagementServer } from '../../src/http/server.js';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { whileServing } from '../helpers/warren-cli.js';

const GUEST = { authorization: 'Basic ' + Buffer.from('guest:guest').toString('base64') };
const dirs: string[] = [];
const brokers: RunningBroker[] = [];

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'warren-http-server-'));
  dirs.push(d);
  return d;
}

async function start(options: Parameters<typeof startBroker>[0] = {}): Promise<RunningBroker> {
  const b = await startBroker({ port: 0, dataDir: tempDir(), logLevel: 'warn', ...options });
  brokers.push(b);
  return b;
}

afterEach(async () => {
  for (const b of brokers.splice(0)) await b.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('management server in startBroker', () => {
  it('listens on a free port of its own when the AMQP port is 0, and stops with close()', async () => {
    const b = await start();
    expect(b.managementPort).toBeGreaterThan(0);
    expect(b.managementPort).not.toBe(15672);
    expect(b.managementUrl).toBe(`http://127.0.0.1:${b.managementPort}`);
    const r = await fetch(`${b.managementUrl}/api/whoami`, { headers: GUEST });
    expect(await r.json()).toEqual({ name: 'guest', tags: ['administrator'] });
    await b.close();
    await expect(fetch(`${b.managementUrl}/api/whoami`, { headers: GUEST })).rejects.toThrow();
  });

  it('is off with management: false', async () => {
    const b = await start({ management: false });
    expect(b.managementUrl).toBeUndefined();
    expect(b.managementPort).toBeUndefined();
  });

  it('fails the start when its port is taken, and frees the AMQP port', async () => {
    const busy = createServer();
    await new Promise<void>((done) => busy.listen(0, done));
    const port = (busy.address() as { port: number }).port;
    try {
      await expect(startBroker({ port: 0, managementPort: port, dataDir: tempDir(), logLevel: 'silent' })).rejects.toThrow(/EADDRINUSE/);
      // The same data directory opens again: the store was closed.
      const again = await start({ dataDir: dirs[dirs.length - 1] as string });
      expect(again.managementPort).toBeGreaterThan(0);
    } finally {
      await new Promise((done) => busy.close(done));
    }
  });

  it('runs with --no-management from the CLI', async () => {
    const out = await whileServing(tempDir(), ['--no-management'], (w) => Promise.resolve(w.output));
    expect(out).not.toContain('management API listening');
  });
});

/** A self-signed certificate for localhost, or undefined without openssl. */
function selfSigned(): { key: Buffer; cert: Buffer } | undefined {
  const dir = tempDir();
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost'], {
      stdio: 'ignore',
    });
  } catch {
    return undefined;
  }
  return { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
}

describe('ManagementServer over TLS', () => {
  it('serves HTTPS with node https options', async (t) => {
    const tls = selfSigned();
    if (tls === undefined) return t.skip();
    const server = new ManagementServer(new Broker({} as never));
    const port = await server.listen({ port: 0, host: '127.0.0.1', https: tls });
    try {
      const body = await new Promise<string>((done, fail) => {
        const req = request({ host: '127.0.0.1', port, path: '/api/whoami', headers: GUEST, ca: tls.cert, servername: 'localhost' }, (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => done(text));
        });
        req.on('error', fail);
        req.end();
      });
      expect(JSON.parse(body)).toEqual({ name: 'guest', tags: ['administrator'] });
    } finally {
      await server.close();
    }
  });
});
