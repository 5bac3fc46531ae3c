import type { Migration } from './index.js';

/**
 * Access control: a user's password hashing module and limits, a vhost's limits, and topic
 * permissions (write / read regexes on routing keys, per user, vhost and exchange). Existing
 * users were hashed with SHA-256, RabbitMQ's default, and could do anything anywhere: they get
 * full permissions on every existing vhost, so an upgrade locks nobody out.
 */
export const accessControl: Migration = {
  version: 4,
  name: 'access-control',
  up(db) {
    db.exec(`
ALTER TABLE users ADD COLUMN hashing_algorithm TEXT NOT NULL DEFAULT 'rabbit_password_hashing_sha256';
ALTER TABLE users ADD COLUMN limits TEXT NOT NULL DEFAULT '{}';
ALTER TABLE vhosts ADD COLUMN limits TEXT NOT NULL DEFAULT '{}';
CREATE TABLE topic_permissions (
  user     TEXT NOT NULL,
  vhost    TEXT NOT NULL,
  exchange TEXT NOT NULL,
  write    TEXT NOT NULL,
  read     TEXT NOT NULL,
  PRIMARY KEY (user, vhost, exchange)
) WITHOUT ROWID;
-- Until now every user could do anything in every vhost: keep it so for the users that exist.
INSERT OR IGNORE INTO permissions (user, vhost, configure, write, read)
  SELECT u.name, v.name, '.*', '.*', '.*' FROM users u CROSS JOIN vhosts v;
`);
  },
};
