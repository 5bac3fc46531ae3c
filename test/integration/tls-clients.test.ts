/**
 * Other clients over AMQPS: pika (Debian's python3-pika, pika.SSLOptions) and the RabbitMQ Java
 * client (Debian's librabbitmq-client-java 5.0.0, useSslProtocol with the test CA), each with PLAIN
 * and with SASL EXTERNAL from a client certificate (a PKCS#12 key store for Java), each doing a
 * publish and a get. The programs are in test/helpers/tls-clients/. As in conformance/, a missing
 * runtime fails with an install hint unless WARREN_CONFORMANCE_SKIP names the client (pika, java).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { TestCerts, type Issued } from '../helpers/certs.js';

const FULL = { configure: '.*', write: '.*', read: '.*' };

const CLIENTS = join(import.meta.dirname, '../helpers/tls-clients');
const PYTHON = process.env['WARREN_CONFORMANCE_PYTHON'] ?? '/usr/bin/python3';
const JARS = ['amqp-client.jar', 'slf4j-api.jar', 'slf4j-nop.jar'].map((jar) => join('/usr/share/java', jar)).filter(existsSync);
const SKIP = new Set((process.env['WARREN_CONFORMANCE_SKIP'] ?? '').split(',').map((name) => name.trim()));
const RUN_MS = 20_000;
const P12_PASSWORD = 'warren-test';

let certs: TestCerts;
let alice: Issued;
let broker: RunningBroker;
let dataDir: string;
const tempDirs: string[] = [];

beforeAll(async () => {
  certs = new TestCerts();
  alice = certs.issue('alice', '/CN=alice', 'client');
  dataDir = mkdtempSync(join(tmpdir(), 'warren-tls-clients-'));
  broker = await startBroker({
    port: 0,
    dataDir,
    logLevel: 'warn',
    tls: { port: 0, cert: certs.server.cert, key: certs.server.key, ca: certs.ca.cert, verifyPeer: true },
  });
  broker.broker.users.add('alice', 'unused-with-external', []);
  broker.broker.permissions.set('alice', '/', FULL);
});

afterAll(async () => {
  await broker?.close();
  rmSync(dataDir, { recursive: true, force: true });
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  certs.remove();
});

/** Runs a client program to its end (killed by pid past RUN_MS); resolves to its output. */
function run(command: string, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.pid !== undefined && process.kill(child.pid, 'SIGKILL'), RUN_MS);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** The last line a successful run printed; a failed run fails the test with its output. */
async function ok(command: string, args: string[]): Promise<string> {
  const { code, output } = await run(command, args);
  if (code !== 0) throw new Error(`${command} exited with ${code}:\n${output}`);
  return output.trim().split('\n').pop() ?? '';
}

describe.skipIf(SKIP.has('pika'))('pika over TLS', () => {
  beforeAll(() => {
    const probe = spawnSync(PYTHON, ['-c', 'import pika'], { encoding: 'utf8' });
    if (probe.error !== undefined || probe.status !== 0) throw new Error(`pika is not importable by ${PYTHON} (install python3-pika)`);
  });

  const pika = (...args: string[]): Promise<string> =>
    ok(PYTHON, [join(CLIENTS, 'pika_tls.py'), String(broker.tlsPort), certs.ca.cert, ...args]);

  it('logs in with PLAIN and does a round trip', async () => {
    expect(await pika('plain')).toBe('ok pika over tls as guest');
  });

  it('logs in with EXTERNAL from its client certificate', async () => {
    expect(await pika('external', alice.cert, alice.key, 'alice')).toBe('ok pika over tls as alice');
  });
});

describe.skipIf(SKIP.has('java'))('the RabbitMQ Java client over TLS', () => {
  let classes: string;
  let p12: string;
  beforeAll(() => {
    for (const tool of ['javac', 'java']) {
      if (spawnSync(tool, ['-version']).error !== undefined) throw new Error(`${tool} not found (install default-jdk-headless)`);
    }
    if (!JARS.some((jar) => jar.endsWith('amqp-client.jar'))) throw new Error('no amqp-client.jar (install librabbitmq-client-java)');
    classes = mkdtempSync(join(tmpdir(), 'warren-tls-java-'));
    tempDirs.push(classes);
    const sources = readdirSync(CLIENTS).filter((file) => file.endsWith('.java')).map((file) => join(CLIENTS, file));
    const javac = spawnSync('javac', ['-nowarn', '-d', classes, '-cp', JARS.join(':'), ...sources], { encoding: 'utf8' });
    if (javac.status !== 0) throw new Error(`javac failed: ${javac.stderr}${javac.stdout}`);
    p12 = certs.pkcs12(alice, P12_PASSWORD);
  }, 60_000);

  const java = (...args: string[]): Promise<string> =>
    ok('java', ['-cp', [classes, ...JARS].join(':'), 'TlsClient', String(broker.tlsPort), certs.ca.cert, ...args]);

  it('logs in with PLAIN and does a round trip', async () => {
    expect(await java('plain')).toBe('ok java over tls as guest');
  });

  it('logs in with EXTERNAL from a PKCS#12 client key store', async () => {
    expect(await java('external', p12, P12_PASSWORD, 'alice')).toBe('ok java over tls as alice');
  });
});
