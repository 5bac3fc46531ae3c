/**
 * The replication secret (CLUSTER.md 6.2): followers prove they belong to the cluster with an
 * HMAC of it. The operator may give it in `cluster.secretFile` (the same file content on every
 * node); without that file, the first node that needs one stores a random secret in etcd
 * (`<prefix>/secret`) and every node reads it from there.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { Keyspace } from '../keyspace.js';

export async function loadSecret(file: string, ks: Keyspace): Promise<string> {
  if (existsSync(file)) {
    const text = readFileSync(file, 'utf8').trim();
    if (text !== '') return text;
  }
  return ks.secret(randomBytes(32).toString('hex'));
}
