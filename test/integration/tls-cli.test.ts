/**
 * TLS through `warren server`: the --tls-* flags, the `tls` key of the config file and WARREN_TLS
 * merged field by field (flags over environment over file), the checks on them, and SIGHUP
 * reloading the certificate in the real process while its connections stay up.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import amqp, { type ChannelModel } from 'amqplib';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { checkConfig } from '../../src/cli/config.js';
import { TestCerts, type Issued } from '../helpers/certs.js';
import { decodeStart } from '../helpers/raw-client.js';
import { connectRawTls } from '../helpers/raw-tls.js';
import { WarrenProcess } from '../helpers/warren-cli.js';

let certs: TestCerts;
let client: Issued;
let cwd: string;
let busy: Server;
let busyPort: number;
const started: WarrenProcess[] = [];

beforeAll(() => {
  certs = new TestCerts();
  client = certs.issue('cli-client', '/CN=alice', 'client');
});

afterAll(() => certs.remove());

beforeEach(async () => {
  cwd = mkdtempSync(join(tmpdir(), 'warren-tls-cli-'));
  // A port known to be taken: a layer that should have lost would make the broker fail on it.
  busy = createServer();
  await new Promise<void>((done) => busy.listen(0, '127.0.0.1', done));
  busyPort = (busy.address() as { port: number }).port;
});

afterEach(async () => {
  for (const w of started.splice(0)) await w.stop();
  await new Promise((done) => busy.close(done));
  rmSync(cwd, { recursive: true, force: true });
});

function warren(args: string[], env: Record<string, string> = {}): WarrenProcess {
  const w = new WarrenProcess(['server', '--port', '0', '--data-dir', join(cwd, 'data'), '--log-level', 'info', ...args], { cwd, env });
  started.push(w);
  return w;
}

/** The AMQPS and AMQP ports from the log, once the broker is ready. */
async function ports(w: WarrenProcess): Promise<{ tls: number; plain: number }> {
  const plain = await w.waitFor(/AMQP listening on port (\d+)/);
  const tls = /AMQPS listening on port (\d+)/.exec(w.output);
  if (tls === null) throw new Error(`no AMQPS listener: ${w.output}`);
  return { tls: Number(tls[1]), plain: Number(plain[1]) };
}

const amqps = (port: number): Promise<ChannelModel> =>
  amqp.connect(`amqps://guest:guest@127.0.0.1:${port}`, { ca: [readFileSync(certs.ca.cert)], servername: 'localhost' });

const fingerprint = (conn: ChannelModel): string =>
  (conn.connection as unknown as { stream: TLSSocket }).stream.getPeerCertificate().fingerprint256;

async function works(conn: ChannelModel): Promise<boolean> {
  const ch = await conn.createChannel();
  await ch.checkExchange('amq.direct');
  await ch.close();
  return true;
}

function configFile(config: Record<string, unknown>): string {
  const path = join(cwd, 'warren.json');
  writeFileSync(path, JSON.stringify(config));
  return path;
}

const serverFiles = (): string[] => ['--tls-cert', certs.server.cert, '--tls-key', certs.server.key];

describe('warren server with TLS', () => {
  it('reloads the certificate on SIGHUP: new connections get it, open ones stay up', async () => {
    const next = certs.issue('cli-next', '/CN=localhost', 'server');
    const live = certs.copy(certs.server, 'cli-live');
    const w = warren(['--tls-port', '0', '--tls-cert', live.cert, '--tls-key', live.key, '--tls-ca', certs.ca.cert]);
    const { tls, plain } = await ports(w);
    const before = await amqps(tls);
    const conns = [before];
    try {
      expect(fingerprint(before)).toBe(certs.server.fingerprint256);
      copyFileSync(next.cert, live.cert);
      copyFileSync(next.key, live.key);
      const mark = w.output.length;
      w.signal('SIGHUP');
      await w.waitFor(/TLS certificate reloaded/, mark);
      const after = await amqps(tls);
      conns.push(after);
      expect(fingerprint(after)).toBe(next.fingerprint256);
      expect(await works(before)).toBe(true);
      const plainConn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${plain}`);
      conns.push(plainConn);
      expect(await works(plainConn)).toBe(true);

      // A reload that cannot read the files keeps the certificate it has.
      rmSync(live.key);
      const mark2 = w.output.length;
      w.signal('SIGHUP');
      await w.waitFor(/TLS reload failed, keeping the previous certificate: cannot read tls\.key/, mark2);
      const still = await amqps(tls);
      conns.push(still);
      expect(fingerprint(still)).toBe(next.fingerprint256);
    } finally {
      for (const conn of conns) await conn.close();
    }
  });

  it('ignores SIGHUP without TLS', async () => {
    const w = warren([]);
    const plain = await w.waitFor(/AMQP listening on port (\d+)/);
    w.signal('SIGHUP');
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${plain[1]}`);
    try {
      expect(await works(conn)).toBe(true);
      expect(w.running).toBe(true);
    } finally {
      await conn.close();
    }
  });

  it('takes tls from the config file, WARREN_TLS over it, and --tls-* flags over both, field by field', async () => {
    const file = configFile({ tls: { port: busyPort, cert: certs.server.cert, key: client.key, ca: certs.ca.cert } });
    // WARREN_TLS overrides the key (client.key would not match) and adds verifyPeer; the flag the port.
    const env = { WARREN_TLS: JSON.stringify({ key: certs.server.key, verifyPeer: true }) };
    const w = warren(['--config', file, '--tls-port', '0'], env);
    const { tls } = await ports(w);
    expect(tls).not.toBe(busyPort);
    const raw = await connectRawTls(tls, { ca: readFileSync(certs.ca.cert), cert: readFileSync(client.cert), key: readFileSync(client.key) });
    try {
      raw.sendProtocolHeader();
      expect(decodeStart(await raw.expectMethod(10, 10)).mechanisms).toBe('PLAIN AMQPLAIN EXTERNAL');
    } finally {
      raw.destroy();
    }
  });
});

describe('warren server: bad TLS settings are a one-line error', () => {
  async function refused(w: WarrenProcess, ...parts: string[]): Promise<void> {
    const { code, output } = await w.exited();
    expect(code).not.toBe(0);
    const lines = output.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^warren: /);
    for (const part of parts) expect(lines[0]).toContain(part);
  }

  it('refuses a TLS port without certificate and key', async () => {
    await refused(warren(['--tls-port', '0']), "'tls' needs both cert and key");
  });

  it('refuses failIfNoPeerCert without verifyPeer', async () => {
    await refused(warren(['--tls-port', '0', ...serverFiles(), '--tls-fail-if-no-peer-cert']), 'failIfNoPeerCert without verifyPeer');
  });

  it('refuses an unknown field of tls in the config file', async () => {
    const file = configFile({ tls: { prot: 5671 } });
    await refused(warren(['--config', file]), file, "'tls' has unknown key 'prot'");
  });

  it('refuses a bad --tls-port (commander words the error)', async () => {
    const { code, output } = await warren(['--tls-port', 'x', ...serverFiles()]).exited();
    expect(code).not.toBe(0);
    expect(output).toContain("option '--tls-port <port>' argument 'x' is invalid. must be a port number (0-65535)");
  });

  it('refuses a certificate file it cannot read, naming it', async () => {
    const missing = join(cwd, 'nope.pem');
    await refused(warren(['--tls-port', '0', '--tls-cert', missing, '--tls-key', certs.server.key]), `cannot read tls.cert`, missing);
  });

  it('lists the TLS flags in --help', async () => {
    const w = new WarrenProcess(['server', '--help'], { cwd });
    started.push(w);
    const { code, output } = await w.exited();
    expect(code).toBe(0);
    for (const option of ['--tls-port', '--tls-cert', '--tls-key', '--tls-ca', '--tls-verify-peer', '--tls-fail-if-no-peer-cert']) {
      expect(output).toContain(option);
    }
    expect(output).toContain('WARREN_TLS');
  });
});

describe('the tls config key', () => {
  const bad: [unknown, string][] = [
    [{ port: 65536 }, "field 'port' must be a port number"],
    [{ cert: '' }, "field 'cert' must be a non-empty string"],
    [{ verifyPeer: 'yes' }, "field 'verifyPeer' must be true or false"],
    [{ certLoginFrom: 'subject_alternative_name' }, "field 'certLoginFrom' must be one of common_name, distinguished_name"],
    [[], 'must be an object'],
  ];

  it.each(bad)('refuses %j', (tls, reason) => {
    expect(() => checkConfig({ tls }, 'test')).toThrow(`test: 'tls' ${reason}`);
  });

  it('accepts every field', () => {
    const tls = { port: 5671, cert: 'c.pem', key: 'k.pem', ca: 'ca.pem', verifyPeer: true, failIfNoPeerCert: true, certLoginFrom: 'distinguished_name' };
    expect(checkConfig({ tls }, 'test')).toEqual({ tls });
  });
});
