/**
 * `warren ctl` (2/2), spawned against the management API: purge_queue and delete_queue on
 * queues amqplib filled, connections and close_connection, definitions export and import,
 * trace_on/trace_off, status and await_startup. Needs `npm run build`. Runs against RabbitMQ
 * too (WARREN_TEST_MGMT_URL), except the await_startup wait for a broker started later.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker } from '../../src/index.js';
import { uniqueName, waitFor } from '../helpers/broker.js';
import { ctlFor, runCtl, type CtlResult } from '../helpers/ctl.js';
import { managementSuite, seg } from '../helpers/management.js';

/** Each verb is a node process (~0.2 s of CPU); on a loaded machine a test of 15 of them needs room. */
const SLOW = { timeout: 60_000 };

const tm = managementSuite();
const { cleanup } = tm;
const ctl = ctlFor(tm);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'warren-ctl-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A new vhost where guest has every permission. */
const newVhost = (): Promise<string> => tm.vhost('ctl-vh');

const lines = (r: CtlResult): string[] => r.stdout.split('\n').filter((l) => l !== '');

/** Waits until the API shows the queue with `messages_ready` ready messages (RabbitMQ's stats lag). */
const apiShowsReady = (vh: string, q: string, ready: number): Promise<unknown> =>
  waitFor(async () => (await tm.api.get(`/api/queues/${seg(vh)}/${seg(q)}`)).body?.messages_ready === ready, 15_000);

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

describe('warren ctl queues', () => {
  it('purge_queue empties a queue amqplib filled; delete_queue honours --if-empty and --if-unused', SLOW, async () => {
    const vh = await newVhost();
    const url = tm.amqpUrl('guest', 'guest', vh);
    const conn = await amqp.connect(url);
    try {
      const ch = await conn.createConfirmChannel();
      const fill = async (n: number): Promise<void> => {
        for (let i = 0; i < n; i++) ch.sendToQueue('filled', Buffer.from(String(i)));
        await ch.waitForConfirms();
      };
      await ch.assertQueue('filled', { durable: false });
      await fill(3);
      const purged = await ctl(['purge_queue', '-p', vh, 'filled']);
      expect([purged.code, purged.stdout]).toEqual([0, `Purging queue 'filled' in vhost '${vh}' ...\n`]);
      expect((await ch.checkQueue('filled')).messageCount).toBe(0);
      expect((await ctl(['purge_queue', '-p', vh, 'no-such-queue'])).code).toBe(69);

      await fill(2);
      await apiShowsReady(vh, 'filled', 2);
      const notEmpty = await ctl(['delete_queue', '-p', vh, '--if-empty', 'filled']);
      expect([notEmpty.code, notEmpty.stderr]).toEqual([64, 'Error:\nQueue is not empty\n']);
      expect(lines(notEmpty)).toEqual([`Deleting queue 'filled' on vhost '${vh}' if queue is empty ...`]);
      await ch.assertQueue('busy', { durable: false });
      await ch.consume('busy', () => {});
      const inUse = await ctl(['delete_queue', '-p', vh, '-u', 'busy']);
      expect([inUse.code, inUse.stderr]).toEqual([64, 'Error:\nQueue is in use\n']);

      const deleted = await ctl(['delete_queue', '-p', vh, 'filled']);
      expect(deleted.code).toBe(0);
      expect(lines(deleted)).toEqual([`Deleting queue 'filled' on vhost '${vh}' ...`, 'Queue was successfully deleted with 2 ready messages']);
      expect((await tm.api.get(`/api/queues/${seg(vh)}/filled`)).status).toBe(404);
      const missing = await ctl(['delete_queue', '-p', vh, 'filled']);
      expect([missing.code, missing.stderr]).toEqual([64, 'Error:\nQueue not found\n']);
    } finally {
      await conn.close();
    }
  });
});

describe('warren ctl connections', () => {
  it('lists an amqplib connection and its channel; close_connection closes it with the reason', SLOW, async () => {
    const conn = await amqp.connect(tm.amqpUrl('guest', 'guest'));
    const closed = new Promise<string>((resolve) => conn.once('close', (err?: Error) => resolve(err?.message ?? 'closed normally')));
    conn.on('error', () => {});
    await conn.createChannel();
    const localPort = (conn.connection as unknown as { stream: { localPort: number } }).stream.localPort;
    const name = await waitFor(async () => {
      const all = (await tm.api.get('/api/connections')).body as { name: string; peer_port: number; channels: number }[];
      const mine = all.find((c) => c.peer_port === localPort && c.channels === 1);
      return mine?.name;
    }, 15_000);

    const listed = lines(await ctl(['list_connections']));
    expect(listed.slice(0, 2)).toEqual(['Listing connections ...', 'user\tpeer_host\tpeer_port\tstate']);
    expect(listed).toContain(`guest\t127.0.0.1\t${localPort}\trunning`);
    const json = JSON.parse((await ctl(['list_connections', '--json', 'name', 'user', 'channels'])).stdout) as unknown[];
    expect(json).toContainEqual({ name, user: 'guest', channels: 1 });
    const channels = lines(await ctl(['-q', 'list_channels', 'connection', 'number', 'user', 'consumer_count']));
    expect(channels[0]).toBe('connection\tnumber\tuser\tconsumer_count');
    expect(channels).toContain(`${name}\t1\tguest\t0`);

    // A reason in UTF-8 reaches the client as it was written (the X-Reason header carries bytes).
    const close = await ctl(['close_connection', name, 'Wartung für Größe']);
    expect([close.code, close.stdout]).toEqual([0, `Closing connection ${name}, reason: Wartung für Größe...\n`]);
    expect(await closed).toContain('CONNECTION_FORCED - Wartung für Größe');
    await waitFor(async () => ((await tm.api.get('/api/connections')).body as { name: string }[]).every((c) => c.name !== name), 15_000);
    const again = await ctl(['close_connection', name, 'again']);
    expect(again.code).toBe(69);
  });
});

describe('warren ctl definitions', () => {
  it('export_definitions and import_definitions round-trip a vhost, its user, queues, exchanges, bindings and policies', SLOW, async () => {
    const vh = await newVhost();
    const user = cleanup.user(uniqueName('ctl-defs'));
    await tm.api.mustPut(`/api/users/${seg(user)}`, { password: 'pw', tags: 'management' });
    await tm.api.mustPut(`/api/permissions/${seg(vh)}/${seg(user)}`, { configure: '.*', write: '.*', read: '^x' });
    await tm.api.mustPut(`/api/exchanges/${seg(vh)}/ex`, { type: 'topic', durable: true });
    await tm.api.mustPut(`/api/queues/${seg(vh)}/dq`, { durable: true, arguments: { 'x-max-length': 5 } });
    expect((await tm.api.post(`/api/bindings/${seg(vh)}/e/ex/q/dq`, { routing_key: 'rk.#' })).status).toBe(201);
    await tm.api.mustPut(`/api/policies/${seg(vh)}/pol`, { pattern: '^dq$', definition: { 'message-ttl': 60000 }, 'apply-to': 'queues' });

    const file = join(dir, 'all.json');
    const exported = await ctl(['export_definitions', file]);
    expect([exported.code, exported.stdout]).toEqual([0, `Exporting definitions in JSON to a file at "${file}" ...\n`]);
    const all = JSON.parse(await readFile(file, 'utf8')) as Record<string, { vhost?: string; name?: string }[]>;
    const toStdout = JSON.parse((await ctl(['export_definitions', '-'])).stdout) as typeof all;
    expect(toStdout['queues']).toContainEqual(expect.objectContaining({ vhost: vh, name: 'dq' }));

    // Only this test's objects go back in: the broker may be shared (RabbitMQ).
    const ours = (key: string, keep: (o: Record<string, unknown>) => boolean): unknown[] => (all[key] ?? []).filter(keep);
    const mine: Record<string, unknown[]> = {
      users: ours('users', (u) => u['name'] === user),
      vhosts: ours('vhosts', (v) => v['name'] === vh),
      permissions: ours('permissions', (p) => p['vhost'] === vh && p['user'] === user),
      ...Object.fromEntries(['queues', 'exchanges', 'bindings', 'policies'].map((k) => [k, ours(k, (o) => o['vhost'] === vh)])),
    };
    expect(mine.users).toHaveLength(1);
    expect(mine.queues).toHaveLength(1);
    const mineFile = join(dir, 'mine.json');
    await writeFile(mineFile, JSON.stringify(mine));

    const check = async (): Promise<void> => {
      expect((await tm.api.get(`/api/queues/${seg(vh)}/dq`)).body).toMatchObject({ durable: true, arguments: { 'x-max-length': 5 } });
      expect((await tm.api.get(`/api/exchanges/${seg(vh)}/ex`)).body).toMatchObject({ type: 'topic', durable: true });
      const bindings = (await tm.api.get(`/api/bindings/${seg(vh)}/e/ex/q/dq`)).body as { routing_key: string }[];
      expect(bindings.map((b) => b.routing_key)).toEqual(['rk.#']);
      expect((await tm.api.get(`/api/policies/${seg(vh)}/pol`)).body).toMatchObject({ definition: { 'message-ttl': 60000 } });
      expect((await tm.api.get(`/api/permissions/${seg(vh)}/${seg(user)}`)).body).toMatchObject({ read: '^x' });
      // The password hash came back too.
      const conn = await amqp.connect(tm.amqpUrl(user, 'pw', vh));
      await conn.close();
    };
    const wipe = async (): Promise<void> => {
      expect((await tm.api.delete(`/api/vhosts/${seg(vh)}`)).status).toBe(204);
      expect((await tm.api.delete(`/api/users/${seg(user)}`)).status).toBe(204);
    };

    await wipe();
    const imported = await ctl(['import_definitions', mineFile]);
    expect(imported.code).toBe(0);
    expect(lines(imported)[0]).toBe(`Importing definitions in JSON from a file at "${mineFile}" ...`);
    await check();
    await wipe();
    const fromStdin = await ctl(['import_definitions', '-'], { input: JSON.stringify(mine) });
    expect(fromStdin.code).toBe(0);
    await check();

    await writeFile(join(dir, 'bad.json'), '{not json');
    expect((await ctl(['import_definitions', join(dir, 'bad.json')])).code).toBe(65);
    expect((await ctl(['import_definitions', join(dir, 'missing.json')])).code).toBe(65);
    expect((await ctl(['export_definitions', join(dir, 'no-such-dir', 'x.json')])).code).toBe(65);
  });
});

describe('warren ctl trace_on and trace_off', () => {
  // Needs the vhost's `tracing` flag in the API (helper-trace adds it to Warren).
  it("set the vhost's tracing flag", SLOW, async () => {
    const vh = await newVhost();
    const on = await ctl(['trace_on', '-p', vh]);
    expect([on.code, on.stderr]).toEqual([0, '']);
    expect(lines(on)).toEqual([`Starting tracing for vhost "${vh}" ...`, `Trace enabled for vhost ${vh}`]);
    expect((await tm.api.get(`/api/vhosts/${seg(vh)}`)).body.tracing).toBe(true);
    const off = await ctl(['-q', 'trace_off', '-p', vh]);
    expect([off.code, off.stdout]).toEqual([0, `Trace disabled for vhost ${vh}\n`]);
    expect((await tm.api.get(`/api/vhosts/${seg(vh)}`)).body.tracing).toBe(false);
    expect((await ctl(['trace_on', '-p', `${vh}-missing`])).code).toBe(65);
  });
});

describe('warren ctl status and await_startup', () => {
  it('status describes the node; await_startup returns once the API serves, or exits 69 at its timeout', SLOW, async () => {
    const overview = (await tm.api.get('/api/overview')).body as { node: string; listeners: { protocol: string; port: number }[] };
    const amqpPort = overview.listeners.find((l) => l.protocol === 'amqp')?.port;
    const status = await ctl(['status']);
    expect(status.code).toBe(0);
    expect(lines(status)[0]).toBe(`Status of node ${overview.node} ...`);
    expect(status.stdout).toMatch(new RegExp(`^Interface: .*, port: ${amqpPort}, protocol: amqp, purpose: AMQP 0-9-1 and AMQP 1.0$`, 'm'));
    expect(status.stdout).toContain('\nAlarms\n\n(none)\n');
    const json = JSON.parse((await ctl(['status', '--json'])).stdout) as { node_name: string; totals: { virtual_host_count: number } };
    expect(json.node_name).toBe(overview.node);
    expect(json.totals.virtual_host_count).toBeGreaterThanOrEqual(1);

    expect(await ctl(['await_startup'])).toEqual({ code: 0, stdout: '', stderr: '' });
    const port = await freePort();
    const never = await runCtl(['--url', `http://127.0.0.1:${port}`, '-t', '1', 'await_startup']);
    expect(never.code).toBe(69);
    expect(never.stderr).toContain('the node did not start within 1 seconds');
    if (tm.external) return;

    // A broker that starts after await_startup began: the port first drops its first poll, then serves.
    let polled: () => void = () => {};
    const firstPoll = new Promise<void>((resolve) => (polled = resolve));
    const holder = createServer((socket) => {
      socket.destroy();
      polled();
    });
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const later = (holder.address() as { port: number }).port;
    const waiting = runCtl(['--url', `http://127.0.0.1:${later}`, '-t', '30', 'await_startup']);
    await firstPoll;
    await new Promise((resolve) => holder.close(resolve));
    const dataDir = await mkdtemp(join(tmpdir(), 'warren-ctl-later-'));
    const broker = await startBroker({ port: 0, managementPort: later, dataDir, logLevel: 'warn' });
    try {
      expect((await waiting).code).toBe(0);
    } finally {
      await broker.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
