/**
 * Management HTTP API tests: a broker with its API, and a small fetch client.
 *
 * By default each test file starts an in-process Warren (AMQP and management on port 0). With
 * WARREN_TEST_MGMT_URL set (e.g. http://guest:guest@127.0.0.1:15672), the same tests run against
 * that external management API instead (RabbitMQ with rabbitmq_management enabled), and AMQP goes
 * to WARREN_TEST_URL, or port 5672 of the same host. Tests must use unique names (uniqueName) and
 * delete what they create: the external broker is shared.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { afterAll, beforeAll } from 'vitest';
import { startBroker, type BrokerOptions, type RunningBroker } from '../../src/index.js';
import { uniqueName } from './broker.js';

export interface TestManagement {
  /** base URL of the API, without credentials: http://127.0.0.1:PORT */
  readonly url: string;
  /** the administrator's client (guest) */
  readonly api: Api;
  /** amqp://host:port of the same broker, without credentials */
  readonly amqpBase: string;
  /** true when running against an external broker (WARREN_TEST_MGMT_URL) */
  readonly external: boolean;
  /** the in-process broker, when not external */
  readonly broker: RunningBroker | undefined;
  /** amqp://user:password@host:port/vhost on this broker */
  amqpUrl(user: string, password: string, vhost?: string): string;
  close(): Promise<void>;
}

/** Whether the tests run against an external management API (WARREN_TEST_MGMT_URL). */
const isExternal = (): boolean => Boolean(process.env['WARREN_TEST_MGMT_URL']);

export async function startTestManagement(options: BrokerOptions = {}): Promise<TestManagement> {
  if (isExternal()) {
    const u = new URL(process.env['WARREN_TEST_MGMT_URL'] as string);
    const url = `${u.protocol}//${u.host}`;
    const amqp = new URL(process.env['WARREN_TEST_URL'] || `amqp://${u.hostname}:5672`);
    const amqpBase = `amqp://${amqp.hostname}:${amqp.port || 5672}`;
    const api = new Api(url, decodeURIComponent(u.username || 'guest'), decodeURIComponent(u.password || 'guest'));
    return { url, api, amqpBase, external: true, broker: undefined, amqpUrl: amqpUrlFor(amqpBase), close: async () => {} };
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'warren-http-test-'));
  const broker = await startBroker({ port: 0, managementPort: 0, dataDir, logLevel: 'warn', ...options });
  const url = broker.managementUrl as string;
  const amqpBase = `amqp://127.0.0.1:${broker.port}`;
  return {
    url,
    api: new Api(url, 'guest', 'guest'),
    amqpBase,
    external: false,
    broker,
    amqpUrl: amqpUrlFor(amqpBase),
    close: async () => {
      await broker.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

const amqpUrlFor =
  (base: string) =>
  (user: string, password: string, vhost = '/'): string => {
    const u = new URL(base);
    return `amqp://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${u.host}/${encodeURIComponent(vhost)}`;
  };

/** A path segment: vhost `/` is `%2F`. */
export const seg = (name: string): string => encodeURIComponent(name);

export interface ApiResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** the body as JSON, or undefined when it is empty (any: tests read fields and assert on them) */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly body: any;
}

export interface RequestOptions {
  /** a raw body (sent as is), instead of JSON */
  raw?: string;
  headers?: Record<string, string>;
  /** send no Authorization header */
  anonymous?: boolean;
}

/** A client of the management API, as one user. */
export class Api {
  constructor(
    public url: string,
    public user: string,
    public password: string,
  ) {}

  /** Become a client of what `other` points at (a suite's client, made before its broker starts). */
  retarget(other: Api): void {
    this.url = other.url;
    this.user = other.user;
    this.password = other.password;
  }

  /** The same API as another user. */
  as(user: string, password: string): Api {
    return new Api(this.url, user, password);
  }

  async request(method: string, path: string, body?: unknown, options: RequestOptions = {}): Promise<ApiResponse> {
    const headers: Record<string, string> = { ...options.headers };
    if (!options.anonymous) headers['authorization'] = 'Basic ' + Buffer.from(`${this.user}:${this.password}`).toString('base64');
    let payload: string | undefined = options.raw;
    if (payload === undefined && body !== undefined) {
      payload = JSON.stringify(body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(this.url + path, { method, headers, ...(payload === undefined ? {} : { body: payload }) });
    const text = await res.text();
    let parsed: unknown;
    if (text !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
    }
    return { status: res.status, headers: res.headers, text, body: parsed };
  }

  get = (path: string, options?: RequestOptions): Promise<ApiResponse> => this.request('GET', path, undefined, options);
  put = (path: string, body?: unknown, options?: RequestOptions): Promise<ApiResponse> => this.request('PUT', path, body, options);
  post = (path: string, body?: unknown, options?: RequestOptions): Promise<ApiResponse> => this.request('POST', path, body, options);
  delete = (path: string, options?: RequestOptions): Promise<ApiResponse> => this.request('DELETE', path, undefined, options);

  /** PUT that must succeed (201 or 204). */
  async mustPut(path: string, body?: unknown): Promise<void> {
    const r = await this.put(path, body);
    if (r.status !== 201 && r.status !== 204) throw new Error(`PUT ${path}: ${r.status} ${r.text}`);
  }
}

/** Remembers users and vhosts a test creates, and deletes them at the end (the external broker is shared). */
export class Cleanup {
  private readonly users = new Set<string>();
  private readonly vhosts = new Set<string>();
  constructor(private readonly api: Api) {}

  user(name: string): string {
    this.users.add(name);
    return name;
  }

  vhost(name: string): string {
    this.vhosts.add(name);
    return name;
  }

  async run(): Promise<void> {
    for (const u of this.users) await this.api.delete(`/api/users/${seg(u)}`);
    for (const v of this.vhosts) await this.api.delete(`/api/vhosts/${seg(v)}`);
    this.users.clear();
    this.vhosts.clear();
  }
}

/** A test file's management API set-up (managementSuite): the running broker, its admin client and a Cleanup. */
export interface ManagementSuite extends TestManagement {
  /** deletes the users and vhosts a test registers, after the file's tests */
  readonly cleanup: Cleanup;
  /**
   * A new vhost, uniquely named from `prefix`, made with `body` (PUT /api/vhosts) and deleted at
   * the end; guest, its creator, has every permission on it (RabbitMQ's rule).
   */
  vhost(prefix: string, body?: object): Promise<string>;
  /** A channel of a new guest connection to `vhost`, its errors ignored (tests assert on them), closed after the file's tests. */
  channel(vhost: string): Promise<Channel>;
}

/**
 * The set-up every management API test file shares: beforeAll starts the broker (or points at the
 * external one, see startTestManagement) with `options`, afterAll deletes what the tests
 * registered with `cleanup` and stops the broker. Call it at module level; `api` and `cleanup`
 * are usable objects from the start (the client is pointed at the broker once it runs), and so is
 * `external` (for skipIf); the other members read the running broker's.
 */
export function managementSuite(options: BrokerOptions = {}): ManagementSuite {
  let tm: TestManagement | undefined;
  const api = new Api('', 'guest', 'guest');
  const cleanup = new Cleanup(api);
  const connections: ChannelModel[] = [];
  const running = (): TestManagement => {
    if (tm === undefined) throw new Error('managementSuite: the broker is not running (use it inside tests and hooks)');
    return tm;
  };
  beforeAll(async () => {
    tm = await startTestManagement(options);
    api.retarget(tm.api);
  });
  afterAll(async () => {
    for (const c of connections.splice(0)) await c.close().catch(() => {});
    await cleanup.run();
    await tm?.close();
  });
  return {
    api,
    cleanup,
    get url() {
      return running().url;
    },
    get amqpBase() {
      return running().amqpBase;
    },
    get external() {
      return isExternal();
    },
    get broker() {
      return running().broker;
    },
    amqpUrl: (user, password, vhost) => running().amqpUrl(user, password, vhost),
    close: async () => running().close(),
    vhost: async (prefix, body = {}) => {
      const name = cleanup.vhost(uniqueName(prefix));
      await api.mustPut(`/api/vhosts/${seg(name)}`, body);
      return name;
    },
    channel: async (vhost) => {
      const conn = await amqp.connect(running().amqpUrl('guest', 'guest', vhost));
      conn.on('error', () => {});
      connections.push(conn);
      const ch = await conn.createChannel();
      ch.on('error', () => {});
      return ch;
    },
  };
}
