/**
 * GET /api/health/checks/certificate-expiration/{within}/{unit}
 * (rabbit_mgmt_wm_health_check_certificate_expiration, RabbitMQ 3.10): fails when a certificate
 * of a TLS listener of this node (its certificate file or its CA file) expires within the window,
 * or is not valid yet. Units: days, weeks, months (365/12 days), years (365 days), any case.
 * 200 {"status":"ok"}; 503 {"status":"failed","reason":"Certificates expiring","expired":[...]},
 * one entry per listener (last listener first, as RabbitMQ folds them) with node, protocol,
 * interface, port, certfile, cacertfile and the expiry dates of the offending certificates as
 * "YYYY-MM-DD H:MM:SS" (UTC, hour unpadded, as RabbitMQ prints them). 400 with RabbitMQ's texts
 * for a bad value or unit. The files are read at each check, as RabbitMQ does, so a certificate
 * replaced on disk (SIGHUP reload) is what is checked.
 *
 * Deviations where RabbitMQ fails with a 500 (an unreadable file, a listener without a CA file):
 * the file's dates are {"error": reason}, and a missing CA file is null with no dates.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { badRequest } from '../errors.js';
import type { Json } from '../format.js';
import { param, Reply, type ApiRequest, type ApiContext, type ListenerInfo, type Resource } from '../router.js';

const DAY = 86_400;
const UNITS: Readonly<Record<string, number>> = { days: DAY, weeks: DAY * 7, months: DAY * (365 / 12), years: DAY * 365 };

/** RabbitMQ's convert/2: the value is checked before the unit. */
function windowSeconds(within: string, unit: string): number {
  if (!/^[+-]?\d+$/.test(within)) throw badRequest('Invalid expiration value.');
  const perUnit = UNITS[unit.toLowerCase()];
  if (perUnit === undefined) throw badRequest('Time unit not recognised. Supported units: days, weeks, months, years.');
  return Number(within) * perUnit;
}

/** The PEM type names public_key:pem_decode gives, for RabbitMQ's "contains a ... entry" text. */
const PEM_TYPES: Readonly<Record<string, string>> = {
  'RSA PRIVATE KEY': 'RSAPrivateKey',
  'EC PRIVATE KEY': 'ECPrivateKey',
  'PRIVATE KEY': 'PrivateKeyInfo',
  'ENCRYPTED PRIVATE KEY': 'PrivateKeyInfo',
  'PUBLIC KEY': 'SubjectPublicKeyInfo',
  'CERTIFICATE REQUEST': 'CertificationRequest',
  'X509 CRL': 'CertificateList',
  'EC PARAMETERS': 'EcpkParameters',
};

type Validity = number | { error: string };

/** Each PEM entry of a file: a certificate's notAfter (epoch s), or an error. */
function validities(file: string, now: number): Validity[] | { error: string } {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (err) {
    return { error: (err as NodeJS.ErrnoException).code ?? String(err) };
  }
  const blocks = [...pem.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g)];
  if (blocks.length === 0) return { error: 'The certificate file provided does not contain any PEM entry.' };
  return blocks.map(([block, type]) => {
    if (type !== 'CERTIFICATE') return { error: `The certificate file provided contains a '${PEM_TYPES[type as string] ?? type}' entry` };
    const cert = new X509Certificate(block);
    if (Date.parse(cert.validFrom) / 1000 > now) return { error: 'Certificate is not yet valid' };
    return Math.floor(Date.parse(cert.validTo) / 1000);
  });
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** io_lib:format("~w-~2.2.0w-~2.2.0w ~w:~2.2.0w:~2.2.0w") of a UTC time. */
function dateText(epochSeconds: number): string {
  const d = new Date(epochSeconds * 1000);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${d.getUTCHours()}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/** The file's certificates that expire before `deadline` (and its errors), RabbitMQ's expired/2; [] without a file. */
function expiring(file: string | undefined, now: number, deadline: number): Json[] | { error: string } {
  if (file === undefined) return [];
  const all = validities(file, now);
  if (!Array.isArray(all)) return all;
  return all.filter((v) => typeof v !== 'number' || v < deadline).map((v) => (typeof v === 'number' ? dateText(v) : v));
}

function listenerExpiring(l: ListenerInfo, node: string, now: number, deadline: number): Record<string, Json> | undefined {
  const cert = expiring(l.certfile, now, deadline);
  const ca = expiring(l.cacertfile, now, deadline);
  if (Array.isArray(cert) && cert.length === 0 && Array.isArray(ca) && ca.length === 0) return undefined;
  return {
    node,
    protocol: l.protocol,
    interface: l.ipAddress,
    port: l.port,
    certfile: l.certfile ?? null,
    cacertfile: l.cacertfile ?? null,
    certfile_expires_on: cert,
    cacertfile_expires_on: ca,
  };
}

function check(req: ApiRequest, ctx: ApiContext): unknown {
  const seconds = windowSeconds(param(req, 'within'), param(req, 'unit'));
  const now = Date.now() / 1000;
  const expired: Record<string, Json>[] = [];
  for (const l of ctx.node.listeners()) {
    if (l.certfile === undefined) continue;
    const entry = listenerExpiring(l, ctx.node.name, now, now + seconds);
    if (entry !== undefined) expired.unshift(entry);
  }
  return expired.length === 0 ? { status: 'ok' } : new Reply(503, { status: 'failed', reason: 'Certificates expiring', expired });
}

export const certificateExpirationResource: Resource = {
  path: '/api/health/checks/certificate-expiration/:within/:unit',
  auth: 'any',
  get: check,
};
