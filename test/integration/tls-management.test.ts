/**
 * HTTPS for the management API: with a certificate configured, the API answers over HTTPS on its
 * own port beside plain HTTP, with the AMQPS certificate, and a reload swaps the certificate for
 * new HTTPS connections as it does for AMQPS. Certificates made by openssl at test time.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { httpsGet, TestCerts, type HttpsAnswer } from '../helpers/certs.js';

let certs: TestCerts;
let dataDir: string;
let broker: RunningBroker;
let live: { cert: string; key: string };

beforeAll(async () => {
  certs = new TestCerts();
  live = certs.copy(certs.server, 'server-live');
  dataDir = mkdtempSync(join(tmpdir(), 'warren-tls-mgmt-'));
  broker = await startBroker({ port: 0, dataDir, logLevel: 'warn', tls: { port: 0, cert: live.cert, key: live.key, ca: certs.ca.cert } });
});

afterAll(async () => {
  await broker.close();
  rmSync(dataDir, { recursive: true, force: true });
  certs.remove();
});

/** GET over HTTPS as guest, verifying the server as 'localhost' against the test CA. */
const get = (port: number, path: string): Promise<HttpsAnswer> =>
  httpsGet(`https://127.0.0.1:${port}${path}`, readFileSync(certs.ca.cert), { servername: 'localhost' });

describe('management API over HTTPS', () => {
  it('answers on its HTTPS port with the AMQPS certificate, beside plain HTTP, and lists both listeners', async () => {
    const port = broker.managementTlsPort as number;
    expect(port).toBeGreaterThan(0);
    const whoami = await get(port, '/api/whoami');
    expect(whoami.status).toBe(200);
    expect(whoami.body).toMatchObject({ name: 'guest', tags: ['administrator'] });
    expect(whoami.fingerprint).toBe(certs.server.fingerprint256);
    const plain = await fetch(`${broker.managementUrl as string}/api/overview`, { headers: { authorization: `Basic ${btoa('guest:guest')}` } });
    const overview = (await plain.json()) as { listeners: { protocol: string; port: number }[] };
    const protocols = overview.listeners.map((l) => `${l.protocol}:${l.port}`);
    expect(protocols).toEqual(
      expect.arrayContaining([`amqp:${broker.port}`, `amqp/ssl:${broker.tlsPort as number}`, `https:${port}`]),
    );
  });

  it('serves a reloaded certificate to new HTTPS connections', async () => {
    const next = certs.issue('server-next', '/CN=localhost', 'server');
    copyFileSync(next.cert, live.cert);
    copyFileSync(next.key, live.key);
    expect(await broker.reloadTls()).toBe(true);
    const after = await get(broker.managementTlsPort as number, '/api/whoami');
    expect(after.status).toBe(200);
    expect(after.fingerprint).toBe(next.fingerprint256);
  });
});
