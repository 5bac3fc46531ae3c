/**
 * Password hashes move between RabbitMQ 3.10 and Warren both ways.
 *
 * Warren: users exported from RabbitMQ 3.10.8 (test/fixtures/rabbitmq-3.10-users.json, one per
 * hashing module, a UTF-8 password, a passwordless user) are added through the broker's API with
 * their hashes as exported, and log in over AMQP with their passwords, and not with others.
 *
 * RabbitMQ (only with WARREN_TEST_URL): users whose hashes Warren made, one per hashing module,
 * are imported with `rabbitmqctl import_definitions` and log in to RabbitMQ with their passwords.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import amqp from 'amqplib';
import { afterAll, describe, expect, it } from 'vitest';
import { HASHING_ALGORITHMS, hashPassword, isHashingAlgorithm } from '../../src/broker/auth/password-hash.js';
import { User } from '../../src/broker/auth/users.js';
import { adminFor } from '../helpers/admin.js';
import { FULL, LOGIN_REFUSED } from '../helpers/access.js';
import { startTestBroker, uniqueName } from '../helpers/broker.js';

const run = promisify(execFile);
const broker = await startTestBroker();
const admin = adminFor(broker);
afterAll(() => broker.close());

interface ExportedUser {
  name: string;
  password_hash: string;
  hashing_algorithm: string;
  tags: string[];
}
const fixture = JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/rabbitmq-3.10-users.json'), 'utf8')) as {
  users: ExportedUser[];
  passwords: Record<string, string>;
};

/** Credentials passed as they are: amqplib unescape()s those of a URL byte by byte, which mangles UTF-8. */
async function logsIn(user: string, password: string): Promise<boolean> {
  try {
    const host = new URL(broker.url);
    const url = `amqp://${host.hostname}:${host.port}`;
    await (await amqp.connect(url, { credentials: amqp.credentials.plain(user, password) })).close();
    return true;
  } catch (err) {
    expect((err as Error).message).toBe(LOGIN_REFUSED);
    return false;
  }
}

describe.skipIf(broker.external)('RabbitMQ 3.10 hashes in Warren', () => {
  it.each(fixture.users)('$name ($hashing_algorithm) logs in with its password only', async (u) => {
    const b = (broker.broker as NonNullable<typeof broker.broker>).broker;
    if (!isHashingAlgorithm(u.hashing_algorithm)) throw new Error(`unknown algorithm ${u.hashing_algorithm}`);
    b.users.put(new User(u.name, Buffer.from(u.password_hash, 'base64'), u.hashing_algorithm, u.tags));
    b.permissions.set(u.name, '/', FULL);
    try {
      const password = fixture.passwords[u.name];
      if (password !== undefined) expect(await logsIn(u.name, password)).toBe(true);
      for (const wrong of ['', 'guest', `${password ?? ''}x`]) expect(await logsIn(u.name, wrong)).toBe(false);
      expect(b.users.get(u.name)?.tags).toEqual(u.tags);
    } finally {
      b.deleteUser(u.name);
    }
  });
});

describe.skipIf(!broker.external)("Warren's hashes in RabbitMQ 3.10 (import_definitions)", () => {
  it('a user of each hashing module, hashed by Warren, logs in to RabbitMQ with its password only', { timeout: 120_000 }, async () => {
    const node = process.env['WARREN_TEST_RABBITMQ_NODE'] ?? 'rabbit@localhost';
    const users = HASHING_ALGORITHMS.map((algorithm) => ({
      name: uniqueName(`warren-hash-${algorithm.replace('rabbit_password_hashing_', '')}`),
      password: `${algorithm} pässwörd`,
      algorithm,
    }));
    const definitions = {
      users: users.map((u) => ({
        name: u.name,
        password_hash: hashPassword(u.password, u.algorithm).toString('base64'),
        hashing_algorithm: u.algorithm,
        tags: [],
        limits: {},
      })),
      permissions: users.map((u) => ({ user: u.name, vhost: '/', ...FULL })),
    };
    // rabbitmqctl run as root reads the file as the rabbitmq user: the directory must be readable.
    const dir = mkdtempSync(join(tmpdir(), 'warren-hashes-'));
    chmodSync(dir, 0o755);
    const file = join(dir, 'definitions.json');
    writeFileSync(file, JSON.stringify(definitions), { mode: 0o644 });
    try {
      await run('rabbitmqctl', ['-q', '-n', node, 'import_definitions', file]);
      for (const u of users) {
        expect(await logsIn(u.name, u.password)).toBe(true);
        expect(await logsIn(u.name, 'wrong')).toBe(false);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await Promise.all(users.map((u) => admin.deleteUser(u.name).catch(() => {})));
    }
  });
});
