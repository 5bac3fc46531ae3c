/**
 * TLS for any listener (AMQPS now, the management API's HTTPS later): the key material read from
 * PEM files, RabbitMQ's peer verification, and reloading the files without dropping connections.
 *
 * Peer verification is RabbitMQ's (ssl_options.verify / fail_if_no_peer_cert):
 * - verifyPeer off: no client certificate is asked for.
 * - verifyPeer on: a client certificate is asked for; one that does not verify against `ca` is
 *   refused (the listener drops the socket at the end of the TLS handshake), and a client
 *   without one is let in.
 * - failIfNoPeerCert on as well: a client without a certificate is refused during the handshake.
 */
import { readFile } from 'node:fs/promises';
import { createSecureContext, type Server, type TLSSocket, type TlsOptions } from 'node:tls';
import { logger } from '../util/logger.js';
import { certificateSubject, formatCommonName, formatDistinguishedName } from './x509-name.js';

const log = logger('tls.context');

/** What a certificate login takes as the user name: RabbitMQ's ssl_cert_login_from. */
export const CERT_LOGIN_FROM = ['common_name', 'distinguished_name'] as const;
export type CertLoginFrom = (typeof CERT_LOGIN_FROM)[number];

export interface TlsSettings {
  /** PEM file: the server certificate (and any intermediates after it). */
  cert: string;
  /** PEM file: the server's private key. */
  key: string;
  /** PEM file: the CA certificates client certificates are verified against. Default: the system's. */
  ca?: string;
  /** Ask clients for a certificate and refuse one that does not verify (verify_peer). Default false. */
  verifyPeer?: boolean;
  /** With verifyPeer: refuse a client that sends no certificate (fail_if_no_peer_cert). Default false. */
  failIfNoPeerCert?: boolean;
  /** The user name a SASL EXTERNAL login takes from the client certificate. Default 'common_name'. */
  certLoginFrom?: CertLoginFrom;
}

/** Bad TLS settings or files. */
export class TlsError extends Error {
  readonly code = 'WARREN_BAD_TLS';
}

/** Why settings cannot work (completes "'tls' ..."), or undefined. Fields' types are checked elsewhere. */
export function tlsSettingsProblem(settings: Partial<TlsSettings>): string | undefined {
  if (settings.cert === undefined || settings.key === undefined) return 'needs both cert and key';
  if (settings.failIfNoPeerCert === true && settings.verifyPeer !== true) {
    return 'has failIfNoPeerCert without verifyPeer (fail_if_no_peer_cert needs verify_peer)';
  }
  return undefined;
}

/** The verified client certificate of a TLS connection: SASL EXTERNAL is offered. */
export interface CertLogin {
  /** The name the certificate gives (certLoginFrom); undefined when it has none, so a login is refused. */
  readonly username: string | undefined;
}

interface Material {
  cert: Buffer;
  key: Buffer;
  ca?: Buffer;
}

async function readMaterial(settings: TlsSettings): Promise<Material> {
  const read = async (field: 'cert' | 'key' | 'ca', path: string): Promise<Buffer> => {
    try {
      return await readFile(path);
    } catch (err) {
      throw new TlsError(`cannot read tls.${field}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  };
  const material: Material = { cert: await read('cert', settings.cert), key: await read('key', settings.key) };
  if (settings.ca !== undefined) material.ca = await read('ca', settings.ca);
  try {
    createSecureContext(material); // a bad PEM or a key that does not match the certificate throws here
  } catch (err) {
    const what = `${settings.cert} and ${settings.key}${settings.ca === undefined ? '' : ` (ca ${settings.ca})`}`;
    throw new TlsError(`cannot use ${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  return material;
}

/** The DER of the client certificate, when one was sent. */
function peerCertificate(socket: TLSSocket): Buffer | undefined {
  const cert = socket.getPeerCertificate() as { raw?: Buffer } | null;
  return cert?.raw;
}

export class TlsContext {
  private readonly servers = new Set<Server>();

  private constructor(
    readonly settings: TlsSettings,
    private material: Material,
  ) {}

  /** Reads and checks the files; throws TlsError. */
  static async load(settings: TlsSettings): Promise<TlsContext> {
    const problem = tlsSettingsProblem(settings);
    if (problem !== undefined) throw new TlsError(`'tls' ${problem}`);
    return new TlsContext(settings, await readMaterial(settings));
  }

  /** Options for tls.createServer or https.createServer: the key material and the peer verification. */
  serverOptions(): TlsOptions {
    return {
      ...this.material,
      requestCert: this.settings.verifyPeer === true,
      rejectUnauthorized: this.settings.failIfNoPeerCert === true,
    };
  }

  /** Let reload() swap the server's certificate; returns the function that detaches it. */
  attach(server: Server): () => void {
    this.servers.add(server);
    return () => this.servers.delete(server);
  }

  /**
   * Why a socket that just finished its handshake must be dropped, or undefined. With verifyPeer
   * but not failIfNoPeerCert, node lets every certificate through (rejectUnauthorized is off so
   * that a client without one gets in); one that did not verify is refused here.
   */
  refusal(socket: TLSSocket): string | undefined {
    if (this.settings.verifyPeer !== true || socket.authorized) return undefined;
    if (peerCertificate(socket) === undefined) return undefined;
    return `client certificate refused: ${String(socket.authorizationError)}`;
  }

  /** The connection's verified client certificate and the name it gives, or null if there is none. */
  certLogin(socket: TLSSocket): CertLogin | null {
    const der = socket.authorized ? peerCertificate(socket) : undefined;
    if (der === undefined) return null;
    try {
      const subject = certificateSubject(der);
      const from = this.settings.certLoginFrom ?? 'common_name';
      return { username: from === 'distinguished_name' ? formatDistinguishedName(subject) : formatCommonName(subject) };
    } catch (err) {
      log.warn(`cannot read the subject of the client certificate from ${socket.remoteAddress}: ${String(err)}`);
      return { username: undefined };
    }
  }

  /**
   * Re-read the files and give every attached server the new context: new connections get the
   * new certificate, open ones keep theirs. A failure is logged and the old context stays.
   */
  async reload(): Promise<boolean> {
    let material: Material;
    try {
      material = await readMaterial(this.settings);
    } catch (err) {
      log.error(`TLS reload failed, keeping the previous certificate: ${err instanceof Error ? err.message : String(err)}`);
      return false;
    }
    this.material = material;
    for (const server of this.servers) server.setSecureContext({ ...material });
    log.info(`TLS certificate reloaded from ${this.settings.cert}`);
    return true;
  }
}
