/**
 * GET /api/health/checks/certificate-expiration/{within}/{unit} as RabbitMQ 3.10: 200 ok unless a
 * TLS listener's certificate or CA certificate expires within the window, then 503 with the
 * listeners and the dates; 400 for a bad value or unit. The texts and the no-TLS answers are
 * checked against RabbitMQ with WARREN_TEST_MGMT_URL; the TLS cases use short-lived certificates
 * made with openssl at test time (a CA for 400 days, a server certificate for 10).
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { Api, managementSuite } from '../helpers/management.js';

const PATH = '/api/health/checks/certificate-expiration';

describe('certificate-expiration on any broker', () => {
  const tm = managementSuite();

  it('is ok without TLS listeners, in every unit and case', async () => {
    for (const p of ['1/days', '2/DAYS', '3/weeks', '1/months', '1/Years', '-1/days', '+1/days', '0/days']) {
      const r = await tm.api.get(`${PATH}/${p}`);
      expect([p, r.status, r.body]).toEqual([p, 200, { status: 'ok' }]);
    }
  });

  it('answers 400 with RabbitMQ texts for a bad value (checked first) or unit', async () => {
    const unit = { error: 'bad_request', reason: 'Time unit not recognised. Supported units: days, weeks, months, years.' };
    const value = { error: 'bad_request', reason: 'Invalid expiration value.' };
    for (const [p, body] of [['1/fortnights', unit], ['x/days', value], ['x/foo', value], ['1.5/days', value]] as const) {
      const r = await tm.api.get(`${PATH}/${p}`);
      expect([p, r.status, r.body]).toEqual([p, 400, body]);
    }
    expect((await tm.api.get(`${PATH}/1/days`, { anonymous: true })).status).toBe(401);
  });
});

/** Certificates with chosen lifetimes, made by openssl in `dir`. */
class ShortLivedCerts {
  readonly dir = mkdtempSync(join(tmpdir(), 'warren-cert-expiry-'));
  readonly ca = this.file('ca');
  readonly caKey = this.file('ca', 'key');

  constructor() {
    this.openssl(['req', '-x509', ...KEY, '-keyout', this.caKey, '-out', this.ca, '-days', '400', '-subj', '/CN=Warren Expiry CA']);
  }

  file(name: string, ext = 'pem'): string {
    return join(this.dir, `${name}.${ext}`);
  }

  /** A server certificate for localhost valid for `days`, signed by the CA. */
  server(name: string, days: number): { cert: string; key: string } {
    const [cert, key, csr] = [this.file(name), this.file(name, 'key'), this.file(name, 'csr')];
    this.openssl(['req', '-new', ...KEY, '-keyout', key, '-out', csr, '-subj', '/CN=localhost']);
    this.openssl(['x509', '-req', '-in', csr, '-CA', this.ca, '-CAkey', this.caKey, '-set_serial', `0x${Date.now().toString(16)}`, '-days', String(days), '-out', cert]);
    return { cert, key };
  }

  private openssl(args: string[]): void {
    execFileSync('openssl', args, { cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe'] });
  }
}

const KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** A certificate's notAfter as RabbitMQ prints it: "YYYY-MM-DD H:MM:SS", UTC, hour unpadded. */
function expiresOn(file: string): string {
  const d = new Date(new X509Certificate(readFileSync(file)).validTo);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${d.getUTCHours()}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

describe.skipIf(process.env['WARREN_TEST_MGMT_URL'])('certificate-expiration with TLS listeners', () => {
  let certs: ShortLivedCerts;
  let broker: RunningBroker;
  let api: Api;
  let live: { cert: string; key: string };
  let dataDir: string;

  beforeAll(async () => {
    certs = new ShortLivedCerts();
    const tenDays = certs.server('server-10d', 10);
    live = { cert: certs.file('live'), key: certs.file('live', 'key') };
    copyFileSync(tenDays.cert, live.cert);
    copyFileSync(tenDays.key, live.key);
    dataDir = mkdtempSync(join(tmpdir(), 'warren-cert-expiry-data-'));
    broker = await startBroker({ port: 0, dataDir, logLevel: 'warn', tls: { port: 0, cert: live.cert, key: live.key, ca: certs.ca } });
    api = new Api(broker.managementUrl as string, 'guest', 'guest');
  });

  afterAll(async () => {
    await broker.close();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(certs.dir, { recursive: true, force: true });
  });

  it('is ok while nothing expires within the window', async () => {
    for (const p of ['1/weeks', '9/days', '0/months']) expect([p, (await api.get(`${PATH}/${p}`)).body]).toEqual([p, { status: 'ok' }]);
  });

  it('fails with 503 and the TLS listeners whose certificates expire within the window', async () => {
    const r = await api.get(`${PATH}/2/weeks`);
    expect(r.status).toBe(503);
    const listener = (protocol: string, port: number | undefined): unknown => ({
      node: expect.stringMatching(/^warren@/) as unknown,
      protocol,
      interface: '::',
      port,
      certfile: live.cert,
      cacertfile: certs.ca,
      certfile_expires_on: [expiresOn(live.cert)],
      cacertfile_expires_on: [],
    });
    // RabbitMQ folds the listeners into the answer, so the last one comes first.
    expect(r.body).toEqual({
      status: 'failed',
      reason: 'Certificates expiring',
      expired: [listener('https', broker.managementTlsPort), listener('amqp/ssl', broker.tlsPort)],
    });
    const year = await api.get(`${PATH}/2/years`);
    expect(year.status).toBe(503);
    expect(year.body.expired[0]).toMatchObject({ certfile_expires_on: [expiresOn(live.cert)], cacertfile_expires_on: [expiresOn(certs.ca)] });
  });

  it('reads the files at each check: a certificate replaced on disk is what is checked', async () => {
    const threeDays = certs.server('server-3d', 3);
    copyFileSync(threeDays.cert, live.cert);
    const r = await api.get(`${PATH}/5/days`);
    expect(r.status).toBe(503);
    expect(r.body.expired[0].certfile_expires_on).toEqual([expiresOn(threeDays.cert)]);
    expect((await api.get(`${PATH}/2/days`)).status).toBe(200);
  });
});
