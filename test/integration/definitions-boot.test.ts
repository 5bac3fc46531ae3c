/**
 * Definitions loaded at boot (`--definitions FILE`, the `definitions` config key, startBroker's
 * `definitions` option), as RabbitMQ's load_definitions: imported after recovery through the same
 * import as POST /api/definitions, on every boot (what exists is left as it is); a directory loads
 * each *.json file; an unreadable or invalid file fails start-up with an error naming the file.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqp from 'amqplib';
import { afterEach, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from '../../src/index.js';
import { Api } from '../helpers/management.js';
import { WarrenProcess } from '../helpers/warren-cli.js';

const DEFINITIONS = {
  rabbit_version: '3.10.8',
  users: [{ name: 'booted', password_hash: '', tags: ['management'] }],
  vhosts: [{ name: 'boot-vh' }],
  permissions: [{ user: 'booted', vhost: 'boot-vh', configure: '.*', write: '.*', read: '.*' }],
  exchanges: [{ name: 'boot-x', vhost: 'boot-vh', type: 'topic', durable: true, auto_delete: false, internal: false, arguments: {} }],
  queues: [{ name: 'boot-q', vhost: 'boot-vh', durable: true, auto_delete: false, arguments: { 'x-max-length': 10 } }],
  bindings: [{ source: 'boot-x', vhost: 'boot-vh', destination: 'boot-q', destination_type: 'queue', routing_key: 'a.#', arguments: {} }],
};

/** A user with a password, as RabbitMQ's import takes one (hashed at import). */
const withPassword = (defs: typeof DEFINITIONS): object => ({
  ...defs,
  users: [{ name: 'booted', password: 'pw', tags: 'management' }],
});

const dirs: string[] = [];
let broker: RunningBroker | undefined;
let child: WarrenProcess | undefined;

afterEach(async () => {
  await broker?.close();
  broker = undefined;
  await child?.stop();
  child = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'warren-defs-boot-'));
  dirs.push(d);
  return d;
}

function writeJson(dir: string, name: string, value: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
  return file;
}

/** Publishes through the imported binding as the imported user: proves user, permissions, exchange, binding and queue. */
async function roundTrip(port: number): Promise<string | false> {
  const conn = await amqp.connect(`amqp://booted:pw@127.0.0.1:${port}/boot-vh`);
  try {
    const ch = await conn.createConfirmChannel();
    ch.publish('boot-x', 'a.b', Buffer.from('via definitions'));
    await ch.waitForConfirms();
    const m = await ch.get('boot-q', { noAck: true });
    return m === false ? false : m.content.toString();
  } finally {
    await conn.close();
  }
}

describe('definitions at boot with startBroker', () => {
  it('imports the file after recovery, on every boot, leaving what exists as it is', async () => {
    const dir = tempDir();
    const file = writeJson(dir, 'defs.json', withPassword(DEFINITIONS));
    const dataDir = join(dir, 'data');
    broker = await startBroker({ port: 0, managementPort: 0, dataDir, logLevel: 'warn', definitions: file });
    expect(await roundTrip(broker.port)).toBe('via definitions');
    const api = new Api(broker.managementUrl as string, 'guest', 'guest');
    const q = await api.get('/api/queues/boot-vh/boot-q');
    expect(q.body).toMatchObject({ durable: true, arguments: { 'x-max-length': 10 } });
    // A vhost created at boot has only the file's permissions (no importing user gets any).
    expect(((await api.get('/api/vhosts/boot-vh/permissions')).body as { user: string }[]).map((p) => p.user)).toEqual(['booted']);
    await api.mustPut('/api/permissions/boot-vh/guest', { configure: '.*', write: '.*', read: '.*' });
    // Changed after boot: the user is deleted, the queue is redeclared with other arguments.
    expect((await api.delete('/api/users/booted')).status).toBe(204);
    expect((await api.delete('/api/queues/boot-vh/boot-q')).status).toBe(204);
    expect((await api.put('/api/queues/boot-vh/boot-q', { durable: true, arguments: { 'x-max-length': 3 } })).status).toBe(201);
    await broker.close();

    broker = await startBroker({ port: 0, managementPort: 0, dataDir, logLevel: 'warn', definitions: file });
    const api2 = new Api(broker.managementUrl as string, 'guest', 'guest');
    // The user is imported again; the recovered queue is kept as it was (an import never changes one).
    expect((await api2.get('/api/users/booted')).status).toBe(200);
    expect((await api2.get('/api/queues/boot-vh/boot-q')).body).toMatchObject({ arguments: { 'x-max-length': 3 } });
    expect(await roundTrip(broker.port)).toBe('via definitions');
  });

  it('loads every *.json file of a directory, in name order', async () => {
    const dir = tempDir();
    const defsDir = join(dir, 'defs');
    mkdirSync(defsDir);
    const { users, vhosts, permissions, ...objects } = withPassword(DEFINITIONS) as Record<string, unknown>;
    writeJson(defsDir, '1-access.json', { users, vhosts, permissions });
    writeJson(defsDir, '2-objects.json', objects);
    writeJson(defsDir, 'README.txt', 'not definitions');
    broker = await startBroker({ port: 0, managementPort: 0, dataDir: join(dir, 'data'), logLevel: 'warn', definitions: defsDir });
    expect(await roundTrip(broker.port)).toBe('via definitions');
  });

  it('fails start-up, naming the file, for a missing, unparsable or invalid file; the data directory stays usable', async () => {
    const dir = tempDir();
    const dataDir = join(dir, 'data');
    const start = (definitions: string): Promise<RunningBroker> =>
      startBroker({ port: 0, management: false, dataDir, logLevel: 'error', definitions });
    const missing = join(dir, 'missing.json');
    await expect(start(missing)).rejects.toThrow(`definitions file ${missing}: `);
    const broken = writeJson(dir, 'broken.json', '{"users": [');
    await expect(start(broken)).rejects.toThrow(`definitions file ${broken}: `);
    const notObject = writeJson(dir, 'list.json', []);
    await expect(start(notObject)).rejects.toThrow(`definitions file ${notObject}: must hold a JSON object`);
    const invalid = writeJson(dir, 'invalid.json', { permissions: [{ user: 'nobody', vhost: '/', configure: '', write: '', read: '' }] });
    await expect(start(invalid)).rejects.toThrow(`definitions file ${invalid}: ["no_such_user","nobody"]`);
    const badQueue = writeJson(dir, 'bad-queue.json', { queues: [{ name: 'q', vhost: '/', durable: true, arguments: { 'x-max-length': 'ten' } }] });
    await expect(start(badQueue)).rejects.toThrow(new RegExp(`^definitions file ${badQueue}: precondition_failed: invalid arg 'x-max-length'`));
    broker = await startBroker({ port: 0, management: false, dataDir, logLevel: 'warn' });
    expect(broker.broker.vhosts.has('/')).toBe(true);
  });
});

/** A child process starts through tsx: slow on a loaded machine. */
const CLI_TIMEOUT = 60_000;

describe('definitions at boot with the CLI', () => {
  it('--definitions FILE imports the file before serving', async () => {
    const dir = tempDir();
    const file = writeJson(dir, 'defs.json', withPassword(DEFINITIONS));
    child = new WarrenProcess(['server', '--port', '0', '--management-port', '0', '--data-dir', 'data', '--log-level', 'info', '--definitions', file], { cwd: dir });
    const [, port] = await child.waitFor(/AMQP listening on port (\d+)/);
    expect(child.output).toContain(`imported definitions from ${file}`);
    expect(await roundTrip(Number(port))).toBe('via definitions');
  }, CLI_TIMEOUT);

  it('the `definitions` config key does the same', async () => {
    const dir = tempDir();
    const file = writeJson(dir, 'defs.json', withPassword(DEFINITIONS));
    const config = writeJson(dir, 'warren.json', { port: 0, managementPort: 0, dataDir: 'data', definitions: file });
    child = new WarrenProcess(['server', '--config', config], { cwd: dir });
    const [, port] = await child.waitFor(/AMQP listening on port (\d+)/);
    expect(await roundTrip(Number(port))).toBe('via definitions');
  }, CLI_TIMEOUT);

  it('an invalid file exits 1 with a message naming it; an empty name is refused', async () => {
    const dir = tempDir();
    const invalid = writeJson(dir, 'invalid.json', { vhosts: [{ name: 'v', default_queue_type: 'stream' }] });
    child = new WarrenProcess(['server', '--port', '0', '--no-management', '--data-dir', 'data', '--definitions', invalid], { cwd: dir });
    const { code, output } = await child.exited();
    expect(code).toBe(1);
    expect(output).toContain(`warren: definitions file ${invalid}: `);
    child = new WarrenProcess(['server', '--definitions', ''], { cwd: dir });
    const refused = await child.exited();
    expect(refused.code).not.toBe(0);
    expect(refused.output).toContain('must be a non-empty string');
  }, CLI_TIMEOUT);
});
