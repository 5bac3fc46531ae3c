import type { Migration } from './index.js';

/**
 * The first schema. Notes on choices:
 * - Field tables (arguments) are opaque blobs encoded by the caller; bindings also carry an
 *   order-insensitive `arguments_key` computed by the broker, which is part of their identity.
 * - queues.id is AUTOINCREMENT so an id is never reused: entries of a deleted queue that a
 *   crash left behind can never be adopted by a newer queue (see recovery.ts).
 * - A body is stored once in `messages`; every queue holding it has a `queue_entries` row, and
 *   `refs` counts those rows. `queue_entries.size` is the body length copied at enqueue, so
 *   recovery scans only the compact entry table, never the body pages.
 * - No foreign keys: cascades are done explicitly (and cheaply) by the store.
 */
const SQL = `
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO meta (key, value) VALUES ('last_message_id', 0);

CREATE TABLE vhosts (
  name     TEXT PRIMARY KEY,
  metadata TEXT NOT NULL DEFAULT '{}'
) WITHOUT ROWID;

CREATE TABLE users (
  name          TEXT PRIMARY KEY,
  password_hash BLOB NOT NULL,
  tags          TEXT NOT NULL DEFAULT '[]'
) WITHOUT ROWID;

CREATE TABLE permissions (
  user      TEXT NOT NULL,
  vhost     TEXT NOT NULL,
  configure TEXT NOT NULL,
  write     TEXT NOT NULL,
  read      TEXT NOT NULL,
  PRIMARY KEY (user, vhost)
) WITHOUT ROWID;

CREATE TABLE exchanges (
  vhost       TEXT NOT NULL,
  name        TEXT NOT NULL,
  type        TEXT NOT NULL,
  durable     INTEGER NOT NULL,
  auto_delete INTEGER NOT NULL,
  internal    INTEGER NOT NULL,
  arguments   BLOB NOT NULL,
  PRIMARY KEY (vhost, name)
) WITHOUT ROWID;

CREATE TABLE queues (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  vhost       TEXT NOT NULL,
  name        TEXT NOT NULL,
  durable     INTEGER NOT NULL,
  auto_delete INTEGER NOT NULL,
  arguments   BLOB NOT NULL,
  UNIQUE (vhost, name)
);

CREATE TABLE bindings (
  vhost            TEXT NOT NULL,
  source           TEXT NOT NULL,
  destination_kind TEXT NOT NULL CHECK (destination_kind IN ('queue', 'exchange')),
  destination      TEXT NOT NULL,
  routing_key      TEXT NOT NULL,
  arguments_key    TEXT NOT NULL,
  arguments        BLOB NOT NULL,
  PRIMARY KEY (vhost, source, destination_kind, destination, routing_key, arguments_key)
) WITHOUT ROWID;
CREATE INDEX bindings_destination ON bindings (vhost, destination_kind, destination);

CREATE TABLE policies (
  vhost      TEXT NOT NULL,
  operator   INTEGER NOT NULL,
  name       TEXT NOT NULL,
  pattern    TEXT NOT NULL,
  apply_to   TEXT NOT NULL,
  priority   INTEGER NOT NULL,
  definition TEXT NOT NULL,
  PRIMARY KEY (vhost, operator, name)
) WITHOUT ROWID;

CREATE TABLE parameters (
  component TEXT NOT NULL,
  vhost     TEXT NOT NULL,
  name      TEXT NOT NULL,
  value     TEXT NOT NULL,
  PRIMARY KEY (component, vhost, name)
) WITHOUT ROWID;

CREATE TABLE messages (
  id          INTEGER PRIMARY KEY,
  exchange    TEXT NOT NULL,
  routing_key TEXT NOT NULL,
  properties  BLOB NOT NULL,
  body        BLOB NOT NULL,
  refs        INTEGER NOT NULL
);

CREATE TABLE queue_entries (
  queue_id    INTEGER NOT NULL,
  seq         INTEGER NOT NULL,
  message_id  INTEGER NOT NULL,
  redelivered INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL,
  priority    INTEGER NOT NULL,
  size        INTEGER NOT NULL,
  PRIMARY KEY (queue_id, seq)
) WITHOUT ROWID;
`;

export const initial: Migration = {
  version: 1,
  name: 'initial',
  up(db) {
    db.exec(SQL);
  },
};
