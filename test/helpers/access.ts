/**
 * Helpers for the access-control tests (users, vhosts, limits): users and vhosts a test creates
 * and removes again (the external RabbitMQ is shared), connection.open attempts whose refusal
 * text can be read (amqplib reports only "Expected ConnectionOpenOk; got <ConnectionClose>"),
 * and channel.open attempts.
 *
 * RabbitMQ 3.10 counts connections and channels for its limits through events, a moment after
 * they open or close; the helpers that expect a refusal or a freed slot therefore poll (a
 * connection that got in meanwhile is closed again). Warren counts at once: it passes the first try.
 */
import amqp, { type ChannelModel } from 'amqplib';
import { afterAll, afterEach } from 'vitest';
import { adminFor, type Admin, type Perms, type VhostMeta } from './admin.js';
import { startTestBroker, uniqueName, waitFor, type TestBroker } from './broker.js';
import { decodeClose, decodeMethod, decodeTune, RawClient, type CloseMethod } from './raw-client.js';

export const FULL: Perms = { configure: '.*', write: '.*', read: '.*' };

/** Users and vhosts made by a test, all deleted by `cleanup()`. */
export class Made {
  private readonly users: string[] = [];
  private readonly vhosts: string[] = [];

  constructor(readonly admin: Admin) {}

  async user(password = 'pw', tags: string[] = [], prefix = 'u'): Promise<string> {
    const name = uniqueName(prefix);
    this.users.push(name);
    await this.admin.addUser(name, password, tags);
    return name;
  }

  async vhost(metadata?: VhostMeta, prefix = 'v'): Promise<string> {
    const name = uniqueName(prefix);
    this.vhosts.push(name);
    await this.admin.addVhost(name, metadata);
    return name;
  }

  /** A new user (password 'pw') with full permissions on a new vhost. */
  async userAndVhost(metadata?: VhostMeta): Promise<{ user: string; vhost: string; url: string }> {
    const [user, vhost] = await Promise.all([this.user(), this.vhost(metadata)]);
    await this.admin.setPermissions(user, vhost, FULL);
    return { user, vhost, url: this.admin.url(user, 'pw', vhost) };
  }

  async cleanup(): Promise<void> {
    const gone = async (fn: () => Promise<void>): Promise<void> => fn().catch(() => {});
    await Promise.all([
      ...this.vhosts.splice(0).map((v) => gone(() => this.admin.deleteVhost(v))),
      ...this.users.splice(0).map((u) => gone(() => this.admin.deleteUser(u))),
    ]);
  }
}

export interface Login {
  user: string;
  password: string;
  vhost: string;
}

/**
 * One handshake over a raw socket: 'open' when connection.open-ok came (the connection is then
 * closed again), else the connection.close the broker sent (at start-ok or at open).
 */
export async function tryOpen(port: number, login: Login, host = '127.0.0.1'): Promise<'open' | CloseMethod> {
  const c = await RawClient.connect(port, host);
  try {
    c.sendProtocolHeader();
    await c.expectMethod(10, 10);
    c.sendStartOk({ user: login.user, password: login.password });
    let m = decodeMethod(await c.readFrame());
    if (m.classId === 10 && m.methodId === 30) {
      c.sendTuneOk({ ...decodeTune(m), heartbeat: 0 });
      c.sendOpen(login.vhost);
      m = decodeMethod(await c.readFrame());
    }
    if (m.classId === 10 && m.methodId === 41) {
      await c.close();
      return 'open';
    }
    if (m.classId === 10 && m.methodId === 50) return decodeClose(m);
    throw new Error(`unexpected method ${m.classId}.${m.methodId} in the handshake`);
  } finally {
    c.destroy();
  }
}

/** Polls tryOpen until the broker refuses; resolves to its connection.close. */
export const refusedOpen = (port: number, login: Login, host?: string): Promise<CloseMethod> =>
  waitFor(async () => {
    const r = await tryOpen(port, login, host);
    return r === 'open' ? undefined : r;
  });

/** Polls until the handshake succeeds again (a slot was freed). */
export const opens = (port: number, login: Login, host?: string): Promise<boolean> =>
  waitFor(async () => (await tryOpen(port, login, host)) === 'open');

/** The message of the close of a connection (amqplib's 'close' event; 320 is not an 'error'). */
export function closeMessage(conn: ChannelModel): Promise<string> {
  return new Promise((resolve) => conn.once('close', (err?: Error) => resolve(err?.message ?? 'closed normally')));
}

/**
 * A new connection tries to open a channel: undefined when it could (the connection is closed
 * again), else the message with which the broker closed the connection.
 */
export async function channelRefusal(url: string): Promise<string | undefined> {
  const conn = await amqp.connect(url);
  conn.on('error', () => {});
  const closed = closeMessage(conn);
  try {
    await conn.createChannel();
  } catch {
    return await closed;
  }
  await conn.close();
  return undefined;
}

/** Polls channelRefusal until the broker refuses the channel. */
export const refusedChannel = (url: string): Promise<string> => waitFor(() => channelRefusal(url));

/** Polls until a new connection can open a channel again. */
export const channelOpens = (url: string): Promise<boolean> => waitFor(async () => (await channelRefusal(url)) === undefined);

/** amqplib's message for a connection closed by the broker. */
export const connectionClosed = (code: number, name: string, text: string): string =>
  `Connection closed: ${code} (${name}) with message "${text}"`;

/** amqplib's message for a login refused with authentication_failure_close. */
export const LOGIN_REFUSED =
  'Handshake terminated by server: 403 (ACCESS-REFUSED) with message ' +
  '"ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN. For details see the broker logfile."';

/**
 * The set-up of an access-control test file: its broker (or RabbitMQ), the admin for it, what the
 * tests make (removed after each test), and the timeout rabbitmqctl needs (about 2 s a call).
 */
export async function accessSuite(): Promise<{ broker: TestBroker; admin: Admin; made: Made; slow: { timeout: number } }> {
  const broker = await startTestBroker();
  const admin = adminFor(broker);
  const made = new Made(admin);
  afterEach(() => made.cleanup());
  afterAll(() => broker.close());
  return { broker, admin, made, slow: { timeout: broker.external ? 60_000 : 20_000 } };
}
