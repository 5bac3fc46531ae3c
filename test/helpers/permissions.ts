/**
 * Shared set-up for the access-control tests: a vhost of their own, guest with every permission
 * there (its connection sets resources up and observes the outcome), users the test creates, and
 * helpers to expect a refusal with RabbitMQ's text. Works in-process and against RabbitMQ
 * (WARREN_TEST_URL), where every admin call is a `rabbitmqctl` run of a second or more, so tests
 * make few of them.
 */
import amqp from 'amqplib';
import type { Channel, ChannelModel, ConfirmChannel } from 'amqplib';
import { adminFor, type Admin, type Perms } from './admin.js';
import { nextError, roundTrip, startTestBroker, uniqueName, withChannel, type TestBroker } from './broker.js';
import { RawClient, decodeTune, type CloseMethod } from './raw-client.js';

export const PASSWORD = 'secret-pw';
export const ALL: Perms = { configure: '.*', write: '.*', read: '.*' };

export interface Refusal {
  code: number;
  /** the reply text, without amqplib's wrapping */
  text: string | undefined;
}

/** The server's reply text, as amqplib embeds it in an error message. */
export const replyText = (message: string): string | undefined => /with message "(.*)"$/s.exec(message)?.[1];

/** Matches exactly `name` inside a permission regex. */
export const escapeRe = (name: string): string => name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A permission regex that allows every name but those matched by `excluded` (regex sources). */
export const allBut = (excluded: readonly string[]): string => `^(?!(?:${excluded.join('|')})$).*`;

export class Scene {
  readonly vhost = uniqueName('perm-vhost');
  private readonly users: string[] = [];
  private guestConn: ChannelModel | undefined;
  /** guest's confirm channel in the vhost (may be replaced if a check closes it) */
  g!: ConfirmChannel;

  private constructor(
    readonly tb: TestBroker,
    readonly admin: Admin,
  ) {}

  static async start(): Promise<Scene> {
    const tb = await startTestBroker();
    const s = new Scene(tb, adminFor(tb));
    await s.admin.addVhost(s.vhost);
    await s.admin.setPermissions(s.guestName, s.vhost, ALL);
    s.guestConn = await amqp.connect(s.admin.url(s.guestName, s.guestPassword, s.vhost));
    s.guestConn.on('error', () => {});
    s.g = await s.guestConn.createConfirmChannel();
    return s;
  }

  get guestName(): string {
    return decodeURIComponent(new URL(this.tb.url).username);
  }

  private get guestPassword(): string {
    return decodeURIComponent(new URL(this.tb.url).password);
  }

  /** A new user with these permissions in the scene's vhost (none when `perms` is null). */
  async user(prefix: string, perms: Perms | null, tags: string[] = []): Promise<string> {
    const name = uniqueName(prefix);
    await this.admin.addUser(name, PASSWORD, tags);
    this.users.push(name);
    if (perms !== null) await this.admin.setPermissions(name, this.vhost, perms);
    return name;
  }

  url(user: string, vhost = this.vhost): string {
    return this.admin.url(user, PASSWORD, vhost);
  }

  /**
   * connection.open by `user` to the vhost, over a raw socket (amqplib does not report the reply
   * of a refused open): the connection.close the broker answers with.
   */
  async refusedOpen(user: string): Promise<CloseMethod> {
    const c = await RawClient.connect(this.tb.port, new URL(this.tb.url).hostname);
    try {
      c.sendProtocolHeader();
      await c.expectMethod(10, 10);
      c.sendStartOk({ user, password: PASSWORD });
      c.sendTuneOk({ ...decodeTune(await c.expectMethod(10, 30)), heartbeat: 0 });
      c.sendOpen(this.vhost);
      return await c.expectConnectionClose();
    } finally {
      c.destroy();
    }
  }

  /** Connect as `user` to the scene's vhost, run `fn` on a channel, close. */
  as<T>(user: string, fn: (ch: Channel, conn: ChannelModel) => Promise<T>): Promise<T> {
    return withChannel(this.url(user), fn);
  }

  /** A fresh guest channel for a check that may close it (a passive declare of something missing). */
  async probe<T>(fn: (ch: Channel) => Promise<T>): Promise<T> {
    const ch = await (this.guestConn as ChannelModel).createChannel();
    ch.on('error', () => {});
    try {
      return await fn(ch);
    } finally {
      await ch.close().catch(() => {});
    }
  }

  exists(kind: 'exchange' | 'queue', name: string): Promise<boolean> {
    return this.probe((ch) => (kind === 'exchange' ? ch.checkExchange(name) : ch.checkQueue(name)).then(() => true, () => false));
  }

  /** Ready messages and consumers of a queue, as guest sees them. */
  async stat(queue: string): Promise<{ messageCount: number; consumerCount: number }> {
    const ok = await this.g.checkQueue(queue);
    return { messageCount: ok.messageCount, consumerCount: ok.consumerCount };
  }

  /** Put `n` confirmed messages in a queue. */
  async fill(queue: string, n = 1): Promise<void> {
    for (let i = 0; i < n; i++) this.g.sendToQueue(queue, Buffer.from(`m${i}`));
    await this.g.waitForConfirms();
  }

  /**
   * Does a message published by guest to `exchange` reach `queue`? The queue is emptied; a
   * sentinel sent straight to it after the probe marks the end, since one channel's messages reach
   * a queue in order: no waiting needed to show that nothing was routed.
   */
  async routes(exchange: string, queue: string, routingKey = ''): Promise<boolean> {
    await this.g.purgeQueue(queue);
    this.g.publish(exchange, routingKey, Buffer.from('probe'));
    this.g.sendToQueue(queue, Buffer.from('sentinel'));
    await this.g.waitForConfirms();
    let probe = false;
    for (;;) {
      const m = await this.g.get(queue, { noAck: true });
      if (m === false) throw new Error(`sentinel never reached ${queue}`);
      if (m.content.toString() === 'sentinel') return probe;
      probe = true;
    }
  }

  /** ACCESS_REFUSED text for a resource in the scene's vhost. */
  refused(kind: 'exchange' | 'queue', name: string, user: string): string {
    return `ACCESS_REFUSED - access to ${kind} '${name === '' && kind === 'exchange' ? 'amq.default' : name}' in vhost '${this.vhost}' refused for user '${user}'`;
  }

  topicRefused(routingKey: string, exchange: string, user: string): string {
    return `ACCESS_REFUSED - access to topic '${routingKey}' in exchange '${exchange}' in vhost '${this.vhost}' refused for user '${user}'`;
  }

  async close(): Promise<void> {
    await this.guestConn?.close().catch(() => {});
    for (const u of this.users) await this.admin.deleteUser(u).catch(() => {});
    await this.admin.deleteVhost(this.vhost).catch(() => {});
    await this.tb.close();
  }
}

/**
 * Run `op` on `ch` and expect the broker to close the channel; resolves to the close's code and
 * text. Fails at once if the channel is still open after a round trip (the op was allowed).
 */
export async function expectRefused(ch: Channel, op: () => unknown): Promise<Refusal> {
  const error = nextError(ch);
  try {
    await op();
  } catch {
    // the rejected RPC; the channel's 'error' carries the same code and text
  }
  if ((await roundTrip(ch)) === 'open') throw new Error('expected the channel to be closed, but it is open');
  const e = await error;
  return { code: e.code, text: replyText(e.message) };
}
