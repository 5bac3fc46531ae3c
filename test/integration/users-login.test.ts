/**
 * Warren-only login rules that need their own broker: loopback_users (the users that may log in
 * only from a loopback address; guest by default, as in RabbitMQ), and what a refused login leaves
 * in the log: the peer address, the user and RabbitMQ's reason, never a password.
 *
 * The loopback tests bind to all interfaces and connect through this machine's first non-loopback
 * IPv4 address; they are skipped on a machine without one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import amqp from 'amqplib';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startBroker, type BrokerOptions, type RunningBroker } from '../../src/index.js';
import { setLogLevel, setLogSink } from '../../src/util/logger.js';
import { FULL, LOGIN_REFUSED, tryOpen } from '../helpers/access.js';
import { uniqueName } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';

const external = Boolean(process.env['WARREN_TEST_URL']);
const outside = Object.values(networkInterfaces())
  .flat()
  .find((a) => a !== undefined && a.family === 'IPv4' && !a.internal)?.address;

const running: { node: RunningBroker; dir: string }[] = [];
async function start(options: BrokerOptions): Promise<RunningBroker> {
  const dir = mkdtempSync(join(tmpdir(), 'warren-login-'));
  const node = await startBroker({ port: 0, dataDir: dir, logLevel: 'warn', ...options });
  running.push({ node, dir });
  return node;
}
afterEach(async () => {
  for (const { node, dir } of running.splice(0)) {
    await node.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Log lines written while the test runs. */
const lines: string[] = [];
setLogSink((line) => lines.push(line));
afterEach(() => {
  lines.length = 0;
});
afterAll(() => {
  setLogSink((line) => process.stderr.write(line + '\n'));
  setLogLevel('warn');
});

const refused = { replyCode: 403, replyText: 'ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN. For details see the broker logfile.' };

describe.skipIf(external || outside === undefined)('loopback_users (Warren-only config)', () => {
  const from = outside as string;
  const guest = { user: 'guest', password: 'guest', vhost: '/' };

  it('by default guest logs in from loopback only; other users from anywhere', async () => {
    const node = await start({ host: '0.0.0.0' });
    const user = uniqueName('u');
    node.broker.users.add(user, 'pw');
    node.broker.permissions.set(user, '/', FULL);
    expect(await tryOpen(node.port, guest, from)).toMatchObject(refused);
    expect(lines.filter((l) => l.includes(`login refused from ${from}: user 'guest' can only connect via localhost`))).toHaveLength(1);
    expect(await tryOpen(node.port, guest, '127.0.0.1')).toBe('open');
    expect(await tryOpen(node.port, { ...guest, user, password: 'pw' }, from)).toBe('open');
    await expect(amqp.connect(`amqp://guest:guest@${from}:${node.port}`)).rejects.toThrow(LOGIN_REFUSED);
  });

  it('loopbackUsers names the users held to loopback; [] lets guest in from anywhere', async () => {
    const ops = uniqueName('ops');
    const node = await start({ host: '0.0.0.0', loopbackUsers: [ops] });
    node.broker.users.add(ops, 'pw');
    node.broker.permissions.set(ops, '/', FULL);
    expect(await tryOpen(node.port, { user: ops, password: 'pw', vhost: '/' }, from)).toMatchObject(refused);
    expect(await tryOpen(node.port, { user: ops, password: 'pw', vhost: '/' }, '127.0.0.1')).toBe('open');
    expect(await tryOpen(node.port, guest, from)).toBe('open');
    const open = await start({ host: '0.0.0.0', loopbackUsers: [] });
    expect(await tryOpen(open.port, guest, from)).toBe('open');
  });
});

describe.skipIf(external)('the login log (Warren-only)', () => {
  it('a refused login is logged with the peer address, the user and the reason; no password is ever logged', async () => {
    const node = await start({ host: '127.0.0.1', logLevel: 'debug' });
    const user = uniqueName('u');
    const password = 'RightPassword7q';
    const wrong = 'WrongPassword9x';
    node.broker.users.add(user, password);
    node.broker.permissions.set(user, '/', FULL);
    const login = { user, password: wrong, vhost: '/' };
    expect(await tryOpen(node.port, login)).toMatchObject(refused);
    expect(await tryOpen(node.port, { ...login, user: 'nobody' })).toMatchObject(refused);
    expect(await tryOpen(node.port, { ...login, password: '' })).toMatchObject(refused);
    const c = await RawClient.connect(node.port);
    try {
      c.sendProtocolHeader();
      await c.expectMethod(10, 10);
      c.sendStartOk({ mechanism: 'AMQPLAIN', user, password: wrong });
      expect((await c.expectConnectionClose()).replyCode).toBe(403);
    } finally {
      c.destroy();
    }
    await (await amqp.connect(`amqp://${user}:${password}@127.0.0.1:${node.port}`)).close();
    const refusals = lines.filter((l) => l.includes('login refused'));
    expect(refusals.map((l) => l.replace(/^.* \[warn\] amqp\.handshake: /, ''))).toEqual([
      `PLAIN login refused from 127.0.0.1: user '${user}' - invalid credentials`,
      `PLAIN login refused from 127.0.0.1: user 'nobody' - invalid credentials`,
      `PLAIN login refused from 127.0.0.1: user '${user}' attempted to log in with a blank password, which is prohibited by the internal authN backend. ` +
        'To use TLS/x509 certificate-based authentication, see the rabbitmq_auth_mechanism_ssl plugin and configure ' +
        'the client to use the EXTERNAL authentication mechanism. Alternatively change the password for the user to be non-blank.',
      `AMQPLAIN login refused from 127.0.0.1: user '${user}' - invalid credentials`,
    ]);
    expect(lines.some((l) => l.includes(`open as '${user}'`))).toBe(true); // debug lines were captured too
    expect(lines.filter((l) => l.includes(password) || l.includes(wrong))).toEqual([]);
  });
});
