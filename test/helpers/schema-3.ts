/**
 * A data directory as Warren wrote it at store schema 3, before access control: vhosts, and
 * users with a salted SHA-256 hash and tags, but no permissions (every user could do anything).
 * Built with the first three migrations themselves, for the upgrade tests of migration 004.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { hashPassword } from '../../src/broker/auth/password-hash.js';
import { MIGRATIONS } from '../../src/store/migrations/index.js';
import { APPLICATION_ID } from '../../src/store/schema.js';

export interface Schema3User {
  name: string;
  password: string;
  tags: string[];
}

export function writeSchema3DataDir(dataDir: string, vhosts: string[], users: Schema3User[]): void {
  mkdirSync(dataDir, { recursive: true });
  const db = new Sqlite(join(dataDir, 'warren.db'));
  try {
    db.pragma('journal_mode = WAL');
    for (const m of MIGRATIONS.slice(0, 3)) {
      db.transaction(() => {
        m.up(db);
        db.pragma(`application_id = ${APPLICATION_ID}`);
        db.pragma(`user_version = ${m.version}`);
      })();
    }
    const vhost = db.prepare('INSERT INTO vhosts (name, metadata) VALUES (?, ?)');
    for (const v of vhosts) vhost.run(v, '{}');
    const user = db.prepare('INSERT INTO users (name, password_hash, tags) VALUES (?, ?, ?)');
    for (const u of users) user.run(u.name, hashPassword(u.password, 'rabbit_password_hashing_sha256'), JSON.stringify(u.tags));
  } finally {
    db.close();
  }
}
