/**
 * Administration for tests that need users, vhosts, permissions and limits: the in-process
 * broker's own API, or, against an external RabbitMQ (WARREN_TEST_URL), `rabbitmqctl` on the
 * node named by WARREN_TEST_RABBITMQ_NODE (default rabbit@localhost). The same test then checks
 * Warren and RabbitMQ alike.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { TestBroker } from './broker.js';

const run = promisify(execFile);

export interface Perms {
  configure: string;
  write: string;
  read: string;
}

/** A vhost's metadata as `rabbitmqctl add_vhost --description --tags --default-queue-type` sets it. */
export interface VhostMeta {
  description?: string;
  tags?: string[];
  defaultQueueType?: string;
}

export interface Admin {
  addUser(name: string, password: string, tags?: string[]): Promise<void>;
  deleteUser(name: string): Promise<void>;
  setTags(name: string, tags: string[]): Promise<void>;
  changePassword(name: string, password: string): Promise<void>;
  /** the user keeps existing but has no password (no password login succeeds) */
  clearPassword(name: string): Promise<void>;
  addVhost(name: string, metadata?: VhostMeta): Promise<void>;
  /** the vhost's metadata, or undefined when there is no such vhost */
  vhostMetadata(name: string): Promise<Required<VhostMeta> | undefined>;
  deleteVhost(name: string): Promise<void>;
  setPermissions(user: string, vhost: string, p: Perms): Promise<void>;
  clearPermissions(user: string, vhost: string): Promise<void>;
  setTopicPermissions(user: string, vhost: string, exchange: string, write: string, read: string): Promise<void>;
  setVhostLimits(vhost: string, limits: Record<string, number>): Promise<void>;
  setUserLimits(user: string, limits: Record<string, number>): Promise<void>;
  /** names of the queues in a vhost */
  listQueues(vhost: string): Promise<string[]>;
  /** amqp://user:pass@host:port/vhost for this broker */
  url(user: string, password: string, vhost?: string): string;
}

export function adminFor(tb: TestBroker): Admin {
  const base = new URL(tb.url);
  const url = (user: string, password: string, vhost = '/'): string =>
    `amqp://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${base.hostname}:${base.port}/${encodeURIComponent(vhost)}`;
  if (tb.external) return rabbitmqctlAdmin(url);
  const broker = (tb.broker as NonNullable<TestBroker['broker']>).broker;
  // Each call applies at once; the promise only keeps the shape of the rabbitmqctl variant.
  const now = (fn: () => unknown): Promise<void> => {
    fn();
    return Promise.resolve();
  };
  return {
    url,
    addUser: (name, password, tags = []) => now(() => broker.users.add(name, password, tags)),
    deleteUser: (name) => now(() => broker.deleteUser(name)),
    setTags: (name, tags) => now(() => broker.users.setTags(name, tags)),
    changePassword: (name, password) => now(() => broker.users.setPassword(name, password)),
    clearPassword: (name) => now(() => broker.users.setPassword(name, null)),
    addVhost: (name, metadata = {}) => now(() => broker.putVhost(name, metadata)),
    vhostMetadata: (name) => {
      const v = broker.vhost(name);
      if (v === undefined) return Promise.resolve(undefined);
      const m = v.metadata;
      return Promise.resolve({ description: m.description ?? '', tags: [...(m.tags ?? [])], defaultQueueType: m.defaultQueueType ?? '' });
    },
    deleteVhost: (name) => now(() => broker.deleteVhost(name)),
    setPermissions: (user, vhost, p) => now(() => broker.permissions.set(user, vhost, p)),
    clearPermissions: (user, vhost) => now(() => broker.permissions.clear(user, vhost)),
    setTopicPermissions: (user, vhost, exchange, write, read) =>
      now(() => broker.permissions.setTopic(user, vhost, { exchange, write, read })),
    setVhostLimits: (vhost, limits) => now(() => broker.setVhostLimits(vhost, limits)),
    setUserLimits: (user, limits) => now(() => broker.setUserLimits(user, limits)),
    listQueues: (vhost) => Promise.resolve([...(broker.vhosts.get(vhost)?.queues.keys() ?? [])]),
  };
}

function rabbitmqctlAdmin(url: Admin['url']): Admin {
  const node = process.env['WARREN_TEST_RABBITMQ_NODE'] ?? 'rabbit@localhost';
  const ctl = async (...args: string[]): Promise<string> => (await run('rabbitmqctl', ['-q', '-n', node, ...args])).stdout;
  const done = async (p: Promise<string>): Promise<void> => {
    await p;
  };
  return {
    url,
    addUser: async (name, password, tags = []) => {
      await ctl('add_user', name, password);
      if (tags.length > 0) await ctl('set_user_tags', name, ...tags);
    },
    deleteUser: (name) => done(ctl('delete_user', name)),
    setTags: (name, tags) => done(ctl('set_user_tags', name, ...tags)),
    changePassword: (name, password) => done(ctl('change_password', name, password)),
    clearPassword: (name) => done(ctl('clear_password', name)),
    addVhost: (name, metadata = {}) => {
      const options: string[] = [];
      if (metadata.description !== undefined) options.push('--description', metadata.description);
      if (metadata.tags !== undefined) options.push('--tags', metadata.tags.join(','));
      if (metadata.defaultQueueType !== undefined) options.push('--default-queue-type', metadata.defaultQueueType);
      return done(ctl('add_vhost', name, ...options));
    },
    vhostMetadata: async (name) => {
      const out = await ctl('list_vhosts', 'name', 'description', 'tags', 'default_queue_type', '--formatter', 'json');
      const rows = JSON.parse(out) as { name: string; description: string; tags: string[] | string; default_queue_type: string }[];
      const row = rows.find((r) => r.name === name);
      if (row === undefined) return undefined;
      const type = row.default_queue_type === 'undefined' ? '' : row.default_queue_type;
      return { description: row.description, tags: Array.isArray(row.tags) ? row.tags : [], defaultQueueType: type };
    },
    deleteVhost: (name) => done(ctl('delete_vhost', name)),
    setPermissions: (user, vhost, p) => done(ctl('set_permissions', '-p', vhost, user, p.configure, p.write, p.read)),
    clearPermissions: (user, vhost) => done(ctl('clear_permissions', '-p', vhost, user)),
    setTopicPermissions: (user, vhost, exchange, write, read) =>
      done(ctl('set_topic_permissions', '-p', vhost, user, exchange, write, read)),
    setVhostLimits: (vhost, limits) => done(ctl('set_vhost_limits', '-p', vhost, JSON.stringify(limits))),
    setUserLimits: (user, limits) => done(ctl('set_user_limits', user, JSON.stringify(limits))),
    listQueues: async (vhost) => (await ctl('list_queues', '-p', vhost, 'name', '--no-table-headers')).split('\n').filter((l) => l !== ''),
  };
}
