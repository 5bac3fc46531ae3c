/**
 * AMQPS: the TLS listener beside the plain one, RabbitMQ's peer verification (verify_peer,
 * fail_if_no_peer_cert), SASL EXTERNAL login from the client certificate (its CN, or its DN with
 * certLoginFrom: 'distinguished_name'), and reloading the certificate without dropping connections.
 * Real amqplib clients over TLS; certificates made by openssl at test time (helpers/certs.ts).
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import amqp, { type ChannelModel } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker, type TlsOptions } from '../../src/index.js';
import { setLogSink } from '../../src/util/logger.js';
import { TestCerts, type Issued } from '../helpers/certs.js';
import { connectRawTls } from '../helpers/raw-tls.js';
import { decodeClose, decodeStart } from '../helpers/raw-client.js';

const FULL = { configure: '.*', write: '.*', read: '.*' };

let certs: TestCerts;
let alice: Issued; // CN=alice, signed by the trusted CA
let mallory: Issued; // CN=mallory: no such user
let stranger: Issued; // CN=alice, signed by a CA the broker does not trust
let carol: Issued; // a DN with a comma to escape
const CAROL_DN = 'CN=carol,O=Acme\\, Inc.,C=US';
const logLines: string[] = [];
const dirs: string[] = [];
const brokers: RunningBroker[] = [];

beforeAll(() => {
  certs = new TestCerts();
  alice = certs.issue('alice', '/C=GB/O=Warren Test/CN=alice', 'client');
  mallory = certs.issue('mallory', '/CN=mallory', 'client');
  stranger = certs.issue('stranger', '/CN=alice', 'client', { untrusted: true });
  carol = certs.issue('carol', '/C=US/O=Acme, Inc./CN=carol', 'client');
  setLogSink((line) => logLines.push(line));
});

afterAll(async () => {
  for (const b of brokers) await b.close();
  setLogSink((line) => process.stderr.write(line + '\n'));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  certs.remove();
});

async function tlsBroker(tls: Partial<TlsOptions> = {}): Promise<RunningBroker> {
  const dataDir = mkdtempSync(join(tmpdir(), 'warren-tls-'));
  dirs.push(dataDir);
  const broker = await startBroker({
    port: 0,
    dataDir,
    logLevel: 'warn',
    tls: { port: 0, cert: certs.server.cert, key: certs.server.key, ca: certs.ca.cert, ...tls },
  });
  brokers.push(broker);
  return broker;
}

/** amqplib over TLS to 127.0.0.1, verifying the server as 'localhost' against the test CA. */
function amqps(port: number, options: { client?: Issued; external?: boolean } = {}): Promise<ChannelModel> {
  return amqp.connect(`amqps://guest:guest@127.0.0.1:${port}`, {
    ca: [readFileSync(certs.ca.cert)],
    servername: 'localhost',
    ...(options.client === undefined ? {} : { cert: readFileSync(options.client.cert), key: readFileSync(options.client.key) }),
    ...(options.external === true ? { credentials: amqp.credentials.external() } : {}),
  });
}

const tlsClient = (client?: Issued): Parameters<typeof connectRawTls>[1] => ({
  ca: readFileSync(certs.ca.cert),
  ...(client === undefined ? {} : { cert: readFileSync(client.cert), key: readFileSync(client.key) }),
});

/** The mechanisms connection.start offers on a raw TLS connection. */
async function offered(port: number, client?: Issued): Promise<string[]> {
  const raw = await connectRawTls(port, tlsClient(client));
  try {
    raw.sendProtocolHeader();
    return decodeStart(await raw.expectMethod(10, 10)).mechanisms.split(' ');
  } finally {
    raw.destroy();
  }
}

/** A publish and a get on an exclusive queue; the message carries user_id, which must be the login. */
async function roundTrip(conn: ChannelModel, userId: string): Promise<string> {
  const ch = await conn.createChannel();
  const { queue } = await ch.assertQueue('', { exclusive: true });
  ch.sendToQueue(queue, Buffer.from('over tls'), { userId });
  for (const deadline = Date.now() + 5000; Date.now() < deadline; ) {
    const m = await ch.get(queue, { noAck: true });
    if (m !== false) return `${m.content.toString()} as ${String(m.properties.userId)}`;
  }
  throw new Error('no message within 5 s');
}

const socketOf = (conn: ChannelModel): TLSSocket => (conn.connection as unknown as { stream: TLSSocket }).stream;

describe('AMQPS listener', () => {
  let broker: RunningBroker;
  beforeAll(async () => {
    broker = await tlsBroker();
  });

  it('serves AMQP over TLS on its own port while the plain listener keeps working', async () => {
    expect(broker.tlsPort).toBeGreaterThan(0);
    expect(broker.tlsPort).not.toBe(broker.port);
    const secure = await amqps(broker.tlsPort as number);
    const plain = await amqp.connect(broker.url);
    try {
      expect(socketOf(secure).getPeerCertificate().fingerprint256).toBe(certs.server.fingerprint256);
      expect(await roundTrip(secure, 'guest')).toBe('over tls as guest');
      expect(await roundTrip(plain, 'guest')).toBe('over tls as guest');
    } finally {
      await secure.close();
      await plain.close();
    }
  });

  it('has no tlsPort without tls', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'warren-tls-'));
    dirs.push(dataDir);
    const plain = await startBroker({ port: 0, dataDir, logLevel: 'warn' });
    brokers.push(plain);
    expect(plain.tlsPort).toBeUndefined();
    expect(await plain.reloadTls()).toBe(false);
  });

  it('does not ask for a client certificate, so EXTERNAL is never offered', async () => {
    expect(await offered(broker.tlsPort as number)).toEqual(['PLAIN', 'AMQPLAIN']);
    expect(await offered(broker.tlsPort as number, alice)).toEqual(['PLAIN', 'AMQPLAIN']);
    await expect(amqps(broker.tlsPort as number, { client: alice, external: true })).rejects.toThrow(
      'SASL mechanism EXTERNAL is not provided by the server',
    );
  });

  it("closes with 503 when a client asks for EXTERNAL anyway, as RabbitMQ does for a mechanism it does not offer", async () => {
    const raw = await connectRawTls(broker.tlsPort as number, tlsClient());
    try {
      raw.sendProtocolHeader();
      await raw.expectMethod(10, 10);
      raw.sendStartOk({ mechanism: 'EXTERNAL', response: Buffer.alloc(0) });
      const close = decodeClose(await raw.expectMethod(10, 50));
      expect(close).toMatchObject({ replyCode: 503, replyText: "COMMAND_INVALID - invalid authentication mechanism 'EXTERNAL'" });
    } finally {
      raw.destroy();
    }
  });

  it('refuses to start on files it cannot use, naming them', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'warren-tls-'));
    dirs.push(dataDir);
    const missing = join(certs.dir, 'missing.pem');
    await expect(startBroker({ port: 0, dataDir, tls: { port: 0, cert: missing, key: certs.server.key } })).rejects.toThrow(
      `cannot read tls.cert: ENOENT: no such file or directory, open '${missing}'`,
    );
    await expect(startBroker({ port: 0, dataDir, tls: { port: 0, cert: certs.server.cert, key: alice.key } })).rejects.toThrow(
      /cannot use .*server\.pem and .*alice\.key/,
    );
  });
});

describe('verifyPeer', () => {
  let broker: RunningBroker;
  let port: number;
  beforeAll(async () => {
    broker = await tlsBroker({ verifyPeer: true });
    port = broker.tlsPort as number;
    broker.broker.users.add('alice', 'not-used-by-external', []);
    broker.broker.permissions.set('alice', '/', FULL);
  });

  it('lets a client without a certificate in, with PLAIN, and does not offer it EXTERNAL', async () => {
    expect(await offered(port)).toEqual(['PLAIN', 'AMQPLAIN']);
    const conn = await amqps(port);
    try {
      expect(await roundTrip(conn, 'guest')).toBe('over tls as guest');
    } finally {
      await conn.close();
    }
  });

  it('offers EXTERNAL to a verified client certificate and logs in as its CN, without a password', async () => {
    expect(await offered(port, alice)).toEqual(['PLAIN', 'AMQPLAIN', 'EXTERNAL']);
    const conn = await amqps(port, { client: alice, external: true });
    try {
      expect(await roundTrip(conn, 'alice')).toBe('over tls as alice');
    } finally {
      await conn.close();
    }
  });

  it('still takes PLAIN from a client with a certificate', async () => {
    const conn = await amqps(port, { client: alice });
    try {
      expect(await roundTrip(conn, 'guest')).toBe('over tls as guest');
    } finally {
      await conn.close();
    }
  });

  it('refuses EXTERNAL for a certificate whose CN is no user, as any refused login', async () => {
    await expect(amqps(port, { client: mallory, external: true })).rejects.toThrow(
      'ACCESS_REFUSED - Login was refused using authentication mechanism EXTERNAL. For details see the broker logfile.',
    );
    expect(logLines.some((line) => /EXTERNAL login refused from (::ffff:)?127\.0\.0\.1: user 'mallory' - invalid credentials$/.test(line))).toBe(true);
  });

  it('refuses a client certificate signed by a CA it does not trust, at the TLS handshake', async () => {
    await expect(amqps(port, { client: stranger })).rejects.toThrow();
    await expect(amqps(port, { client: stranger, external: true })).rejects.toThrow();
    expect(logLines.some((line) => /TLS connection from (::ffff:)?127\.0\.0\.1 refused: client certificate refused: /.test(line))).toBe(true);
  });
});

describe('failIfNoPeerCert', () => {
  let port: number;
  beforeAll(async () => {
    const broker = await tlsBroker({ verifyPeer: true, failIfNoPeerCert: true });
    port = broker.tlsPort as number;
    broker.broker.users.add('alice', 'x', []);
    broker.broker.permissions.set('alice', '/', FULL);
  });

  it('refuses a client without a certificate during the TLS handshake', async () => {
    await expect(amqps(port)).rejects.toThrow();
    expect(logLines.some((line) => /TLS handshake with (::ffff:)?127\.0\.0\.1 failed: .*peer did not return a certificate/.test(line))).toBe(true);
  });

  it('refuses an untrusted certificate and takes a trusted one', async () => {
    await expect(amqps(port, { client: stranger })).rejects.toThrow();
    expect(logLines.some((line) => line.includes('TLS handshake with a client failed: client certificate refused: '))).toBe(true);
    const conn = await amqps(port, { client: alice, external: true });
    try {
      expect(await roundTrip(conn, 'alice')).toBe('over tls as alice');
    } finally {
      await conn.close();
    }
  });
});

describe("certLoginFrom: 'distinguished_name'", () => {
  let port: number;
  beforeAll(async () => {
    const broker = await tlsBroker({ verifyPeer: true, certLoginFrom: 'distinguished_name' });
    port = broker.tlsPort as number;
    broker.broker.users.add(CAROL_DN, 'x', []);
    broker.broker.permissions.set(CAROL_DN, '/', FULL);
    broker.broker.users.add('alice', 'x', []); // alice's CN, but the login is her DN
    broker.broker.permissions.set('alice', '/', FULL);
  });

  it("logs in as the certificate's DN, spelled as RabbitMQ does", async () => {
    const conn = await amqps(port, { client: carol, external: true });
    try {
      expect(await roundTrip(conn, CAROL_DN)).toBe(`over tls as ${CAROL_DN}`);
    } finally {
      await conn.close();
    }
  });

  it('does not fall back to the CN', async () => {
    await expect(amqps(port, { client: alice, external: true })).rejects.toThrow('ACCESS_REFUSED');
    expect(logLines.some((line) => line.includes("user 'CN=alice,O=Warren Test,C=GB' - invalid credentials"))).toBe(true);
  });
});

describe('reloading the certificate', () => {
  it('gives new connections the new certificate, keeps old ones up, and keeps the old one when the files are bad', async () => {
    const next = certs.issue('server-next', '/CN=localhost', 'server');
    const live = certs.copy(certs.server, 'server-live');
    const broker = await tlsBroker({ cert: live.cert, key: live.key });
    const port = broker.tlsPort as number;
    const before = await amqps(port);
    const conns = [before];
    try {
      expect(socketOf(before).getPeerCertificate().fingerprint256).toBe(certs.server.fingerprint256);
      copyFileSync(next.cert, live.cert);
      copyFileSync(next.key, live.key);
      expect(await broker.reloadTls()).toBe(true);
      const after = await amqps(port);
      conns.push(after);
      expect(socketOf(after).getPeerCertificate().fingerprint256).toBe(next.fingerprint256);
      expect(await roundTrip(before, 'guest')).toBe('over tls as guest');

      writeFileSync(live.key, 'not a key\n');
      expect(await broker.reloadTls()).toBe(false);
      expect(logLines.some((line) => line.includes('[error]') && line.includes('TLS reload failed, keeping the previous certificate'))).toBe(true);
      const still = await amqps(port);
      conns.push(still);
      expect(socketOf(still).getPeerCertificate().fingerprint256).toBe(next.fingerprint256);
      expect(await roundTrip(before, 'guest')).toBe('over tls as guest');
    } finally {
      for (const conn of conns) await conn.close();
    }
  });
});
