/**
 * Store migrations on real old databases. 004 (access control): users of a schema 3 database
 * keep their SHA-256 hashes and tags, get the hashing algorithm RabbitMQ names it by and no
 * limits, and full permissions on every existing vhost, so an upgrade locks nobody out; vhosts
 * get no limits; there are no topic permissions.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { checkPassword } from '../../../src/broker/auth/password-hash.js';
import { Store } from '../../../src/store/store.js';
import { setLogLevel } from '../../../src/util/logger.js';
import { writeSchema3DataDir } from '../../helpers/schema-3.js';

describe('migration 004 (access control) from a schema 3 database', () => {
  let dir: string;
  beforeAll(() => setLogLevel('error'));
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'warren-migrate-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps users, hashes and tags, and gives each full permissions on each vhost', () => {
    writeSchema3DataDir(
      dir,
      ['/', 'orders'],
      [
        { name: 'guest', password: 'guest', tags: ['administrator'] },
        { name: 'app', password: 'app-pw', tags: [] },
      ],
    );
    const store = Store.open(dir);
    try {
      const defs = store.definitions.loadDefinitions();
      expect(defs.users.map((u) => ({ ...u, passwordHash: undefined }))).toEqual([
        { name: 'app', passwordHash: undefined, hashingAlgorithm: 'rabbit_password_hashing_sha256', tags: [], limits: {} },
        { name: 'guest', passwordHash: undefined, hashingAlgorithm: 'rabbit_password_hashing_sha256', tags: ['administrator'], limits: {} },
      ]);
      const app = defs.users[0];
      expect(app !== undefined && checkPassword(app.passwordHash, 'rabbit_password_hashing_sha256', 'app-pw')).toBe(true);
      const full = { configure: '.*', write: '.*', read: '.*' };
      expect(defs.permissions).toEqual([
        { user: 'app', vhost: '/', ...full },
        { user: 'app', vhost: 'orders', ...full },
        { user: 'guest', vhost: '/', ...full },
        { user: 'guest', vhost: 'orders', ...full },
      ]);
      expect(defs.vhosts).toEqual([
        { name: '/', metadata: {}, limits: {} },
        { name: 'orders', metadata: {}, limits: {} },
      ]);
      expect(defs.topicPermissions).toEqual([]);
    } finally {
      store.close();
    }
  });

  it('runs once: a permission removed after the upgrade stays removed when the database is opened again', () => {
    writeSchema3DataDir(dir, ['/'], [{ name: 'guest', password: 'guest', tags: [] }]);
    const upgraded = Store.open(dir);
    expect(upgraded.definitions.loadDefinitions().permissions).toHaveLength(1);
    upgraded.definitions.deletePermission('guest', '/');
    upgraded.close();
    const store = Store.open(dir);
    try {
      expect(store.definitions.loadDefinitions().permissions).toEqual([]);
      expect(store.definitions.loadDefinitions().users.map((u) => u.name)).toEqual(['guest']);
    } finally {
      store.close();
    }
  });
});
