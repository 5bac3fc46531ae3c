/**
 * Test certificates, made with `openssl` at test time in a temporary directory (no key or
 * certificate is committed): a CA, a second CA nobody trusts, server certificates for 127.0.0.1
 * and localhost, client certificates with a chosen subject, and PKCS#12 bundles for Java.
 * EC P-256 keys: quick to make on a small machine, and every client here speaks them.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes, X509Certificate } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request, type RequestOptions } from 'node:https';
import { tmpdir } from 'node:os';
import type { TLSSocket } from 'node:tls';
import { join } from 'node:path';

/** PEM files of one certificate and its key. */
export interface Issued {
  readonly cert: string;
  readonly key: string;
  /** SHA-256 fingerprint as node prints it (getPeerCertificate().fingerprint256) */
  readonly fingerprint256: string;
}

const OPENSSL_CONFIG = `
[req]
distinguished_name = dn
prompt = no
[dn]
[ca_ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[server_ext]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,DNS:localhost
[client_ext]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = clientAuth
`;

const KEY_ARGS = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export class TestCerts {
  readonly dir = mkdtempSync(join(tmpdir(), 'warren-certs-'));
  private readonly config = join(this.dir, 'openssl.cnf');
  /** The same with string_mask = default: Latin-1 values become T61Strings, others BMPStrings. */
  private readonly legacyConfig = join(this.dir, 'openssl-legacy.cnf');
  /** The CA the broker trusts (tls.ca) and clients verify the server with. */
  readonly ca: Issued;
  /** A CA the broker does not trust. */
  readonly untrustedCa: Issued;
  /** The server certificate: SAN IP 127.0.0.1 and DNS localhost, signed by `ca`. */
  readonly server: Issued;

  constructor() {
    writeFileSync(this.config, OPENSSL_CONFIG);
    writeFileSync(this.legacyConfig, OPENSSL_CONFIG.replace('prompt = no', 'prompt = no\nstring_mask = default'));
    this.ca = this.selfSigned('ca', '/CN=Warren Test CA');
    this.untrustedCa = this.selfSigned('untrusted-ca', '/CN=Untrusted Test CA');
    this.server = this.issue('server', '/CN=localhost', 'server');
  }

  private openssl(args: string[]): string {
    return execFileSync('openssl', args, { cwd: this.dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }

  private selfSigned(name: string, subject: string): Issued {
    const cert = join(this.dir, `${name}.pem`);
    const key = join(this.dir, `${name}.key`);
    this.openssl(['req', '-x509', '-config', this.config, '-extensions', 'ca_ext', ...KEY_ARGS, '-keyout', key, '-out', cert, '-days', '2', '-subj', subject]);
    return issued(cert, key);
  }

  /**
   * A certificate for `subject` (openssl's /C=../O=../CN=.. form; `multivalue` reads "+" as a
   * multi-valued RDN, `utf8` takes the subject as UTF-8, `legacyStrings` encodes non-ASCII values
   * as T61String or BMPString, `san` replaces a server's subjectAltName), signed by `ca` or by the
   * untrusted CA.
   */
  issue(
    name: string,
    subject: string,
    kind: 'server' | 'client',
    options: { untrusted?: boolean; multivalue?: boolean; utf8?: boolean; legacyStrings?: boolean; san?: string } = {},
  ): Issued {
    const signer = options.untrusted === true ? this.untrustedCa : this.ca;
    const cert = join(this.dir, `${name}.pem`);
    const key = join(this.dir, `${name}.key`);
    const csr = join(this.dir, `${name}.csr`);
    const subjectArgs = [...(options.multivalue === true ? ['-multivalue-rdn'] : []), ...(options.utf8 === true ? ['-utf8'] : [])];
    const config = options.legacyStrings === true ? this.legacyConfig : this.config;
    this.openssl(['req', '-new', '-config', config, ...KEY_ARGS, '-keyout', key, '-out', csr, '-subj', subject, ...subjectArgs]);
    this.openssl([
      'x509', '-req', '-in', csr, '-CA', signer.cert, '-CAkey', signer.key, '-set_serial', `0x${randomBytes(8).toString('hex')}`,
      '-days', '2', '-extfile', this.extensions(name, options.san), '-extensions', `${kind}_ext`, '-out', cert,
    ]);
    return issued(cert, key);
  }

  /** The extensions file: the shared one, or a copy whose server subjectAltName is `san` (`IP:127.0.0.12,DNS:n2`). */
  private extensions(name: string, san: string | undefined): string {
    if (san === undefined) return this.config;
    const file = join(this.dir, `${name}.ext.cnf`);
    writeFileSync(file, OPENSSL_CONFIG.replace('subjectAltName = IP:127.0.0.1,DNS:localhost', `subjectAltName = ${san}`));
    return file;
  }

  /** A PKCS#12 bundle of a certificate and its key (Java's client key store). */
  pkcs12(of: Issued, password: string): string {
    const out = of.cert.replace(/\.pem$/, '.p12');
    this.openssl(['pkcs12', '-export', '-in', of.cert, '-inkey', of.key, '-out', out, '-passout', `pass:${password}`]);
    return out;
  }

  /** The subject as `openssl x509 -nameopt RFC2253` prints it. */
  rfc2253Subject(of: Issued): string {
    return this.openssl(['x509', '-in', of.cert, '-noout', '-subject', '-nameopt', 'RFC2253']).trim().replace(/^subject=/, '');
  }

  /** Copies of a certificate and key under fixed names, to be replaced later (reload tests). */
  copy(of: Issued, name: string): Issued {
    const cert = join(this.dir, `${name}.pem`);
    const key = join(this.dir, `${name}.key`);
    copyFileSync(of.cert, cert);
    copyFileSync(of.key, key);
    return issued(cert, key);
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function issued(cert: string, key: string): Issued {
  return { cert, key, fingerprint256: new X509Certificate(readFileSync(cert)).fingerprint256 };
}

/** An HTTPS GET's answer: status, JSON body, and the SHA-256 fingerprint of the server's certificate. */
export interface HttpsAnswer {
  status: number;
  body: unknown;
  fingerprint: string;
}

/** GET `url` over HTTPS as guest, verifying the server against `ca` (options: servername and the like). */
export function httpsGet(url: string, ca: Buffer, options: RequestOptions = {}): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ...options, ca, auth: 'guest:guest', agent: false }, (res) => {
      const fingerprint = (res.socket as TLSSocket).getPeerCertificate().fingerprint256;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()) as unknown, fingerprint }));
    });
    req.on('error', reject);
    req.end();
  });
}
