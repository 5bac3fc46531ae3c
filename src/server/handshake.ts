import { createRequire } from 'node:module';
import type { Broker } from '../broker/broker.js';
import type { Access } from '../broker/auth/access.js';
import type { FieldTable } from '../amqp/field-types.js';
import { decodeTable } from '../amqp/field-table.js';
import { fieldString } from '../amqp/field-types.js';
import type { CertLogin } from './tls-context.js';

// The package root is two levels up both from dist/server/ and from the bundle in dist/bundle/.
const require = createRequire(import.meta.url);
const pkg = require('../../package.json') as { version: string };

export const WARREN_VERSION: string = pkg.version;

/** The exact protocol header of AMQP 0-9-1; anything else gets it back and a close. */
export const PROTOCOL_HEADER = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 1]);

export const SERVER_CAPABILITIES: FieldTable = {
  publisher_confirms: true,
  exchange_exchange_bindings: true,
  'basic.nack': true,
  consumer_cancel_notify: true,
  'connection.blocked': true,
  consumer_priorities: true,
  authentication_failure_close: true,
  per_consumer_qos: true,
  direct_reply_to: true,
};

export function serverProperties(clusterName: string): FieldTable {
  return {
    capabilities: SERVER_CAPABILITIES,
    cluster_name: clusterName,
    copyright: 'Copyright (c) 2026 the Warren authors',
    information: 'Warren: a RabbitMQ-compatible AMQP 0-9-1 broker for Node.js. Licensed under the MIT License.',
    platform: `Node.js ${process.version}`,
    product: 'Warren',
    version: WARREN_VERSION,
  };
}

export const SASL_MECHANISMS = 'PLAIN AMQPLAIN';

/**
 * The mechanisms offered in connection.start: SASL EXTERNAL as well on a TLS connection with a
 * verified client certificate (`certLogin`, from tls-context.ts). RabbitMQ's rabbit_auth_mechanism_ssl
 * offers it on every TLS connection and refuses it without a certificate; offering it only
 * where it can succeed lets a client fall back to PLAIN.
 */
export function saslMechanisms(certLogin: CertLogin | null): string {
  return certLogin === null ? SASL_MECHANISMS : `${SASL_MECHANISMS} EXTERNAL`;
}

export interface Credentials {
  username: string;
  password: string;
}

/** Parse a SASL response for PLAIN ("\0user\0pass") or AMQPLAIN (a table without its length). */
export function parseSaslResponse(mechanism: string, response: Buffer): Credentials | undefined {
  if (mechanism === 'PLAIN') {
    const first = response.indexOf(0);
    const second = first < 0 ? -1 : response.indexOf(0, first + 1);
    if (first < 0 || second < 0) return undefined;
    return {
      username: response.subarray(first + 1, second).toString('utf8'),
      password: response.subarray(second + 1).toString('utf8'),
    };
  }
  if (mechanism === 'AMQPLAIN') {
    // AMQPLAIN: field-table entries without the leading 4-byte length.
    const framed = Buffer.allocUnsafe(response.length + 4);
    framed.writeUInt32BE(response.length, 0);
    response.copy(framed, 4);
    const { table } = decodeTable(framed, 0);
    const username = fieldString(table['LOGIN']);
    const password = fieldString(table['PASSWORD']);
    if (username === undefined || password === undefined) return undefined;
    return { username, password };
  }
  return undefined;
}

/** The outcome of re-checking a connection's user with a new secret: RabbitMQ's three answers. */
export type SecretCheck = 'ok' | 'refused' | 'failed';

/**
 * connection.update-secret: re-check the connection's user with the secret it sent. The one place
 * where access control decides; Handshake.updateSecret maps the outcome to the wire.
 *
 * The user is looked up again: it must still exist and still have access to the connection's
 * vhost, else 'refused'. The secret itself is not compared for an internal user: a password login
 * does not expire in RabbitMQ's internal backend (state_can_expire() is false, so
 * rabbit_access_control:update_state skips it), and amqplib's and pika's own test suites send an
 * arbitrary secret as guest and expect update-secret-ok, which RabbitMQ 3.10 answers. A backend
 * whose credentials expire (OAuth 2 tokens) validates the secret here too.
 */
export function checkNewSecret(broker: Broker, access: Access | null, _secret: Buffer): SecretCheck {
  if (access === null) return 'failed';
  if (broker.users.get(access.userName) === undefined || !access.hasVhostAccess()) return 'refused';
  return 'ok';
}

/** Negotiate a tune value as RabbitMQ does: 0 means "no limit" on either side; else the lower wins. */
export function negotiate(server: number, client: number): number {
  if (server === 0) return client;
  if (client === 0) return server;
  return Math.min(server, client);
}

export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}
