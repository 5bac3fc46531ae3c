/**
 * The subject of an X.509 certificate as RabbitMQ names it, for SASL EXTERNAL logins
 * (ssl_cert_login_from): the common name(s), or the whole distinguished name in RabbitMQ's
 * RFC 4514-ish form (rabbit_cert_info:subject/1): RDNs last to first, joined by ",", the values of
 * a multi-valued RDN joined by "+", `CN=` style type names, RFC 4514 escapes, and every byte below
 * 0x20 or from 0x7E up written as `\XX`. So the subject /C=GB/O=Acme/CN=alice is
 * "CN=alice,O=Acme,C=GB", as `openssl x509 -noout -subject -nameopt RFC2253` prints it.
 *
 * The subject is read from the certificate's DER bytes: node's parsed forms lose the RDN order,
 * multi-valued RDNs and the string types, all of which change RabbitMQ's name.
 */

/** One attribute of an RDN: its OID in dotted form, its ASN.1 string tag and value bytes. */
export interface NameAttribute {
  readonly oid: string;
  readonly tag: number;
  readonly value: Buffer;
}

/** A name: RDNs in certificate order (most significant first), each a set of attributes. */
export type X509Name = NameAttribute[][];

/** A certificate whose bytes are not the DER this parser expects. */
export class CertificateParseError extends Error {
  readonly code = 'WARREN_BAD_CERTIFICATE';
}

const SEQUENCE = 0x30;
const SET = 0x31;
const OID = 0x06;
const CONTEXT_0 = 0xa0;

const Tag = { utf8: 0x0c, printable: 0x13, teletex: 0x14, ia5: 0x16, universal: 0x1c, bmp: 0x1e } as const;
/** The string types of X.520's DirectoryString, which OTP decodes for any attribute type. */
const DIRECTORY_STRING: readonly number[] = [Tag.utf8, Tag.printable, Tag.teletex, Tag.universal, Tag.bmp];

const COMMON_NAME = '2.5.4.3';

/** rabbit_cert_info:format_rdn/1's type names; other types print as their dotted OID. */
const TYPE_NAMES: ReadonlyMap<string, string> = new Map([
  ['2.5.4.4', 'SN'],
  ['2.5.4.42', 'GIVENNAME'],
  ['2.5.4.43', 'INITIALS'],
  ['2.5.4.44', 'GENERATIONQUALIFIER'],
  [COMMON_NAME, 'CN'],
  ['2.5.4.7', 'L'],
  ['2.5.4.8', 'ST'],
  ['2.5.4.10', 'O'],
  ['2.5.4.11', 'OU'],
  ['2.5.4.12', 'TITLE'],
  ['2.5.4.6', 'C'],
  ['2.5.4.5', 'SERIALNUMBER'],
  ['2.5.4.65', 'PSEUDONYM'],
  ['0.9.2342.19200300.100.1.25', 'DC'],
  ['1.2.840.113549.1.9.1', 'EMAILADDRESS'],
  // RabbitMQ's table also maps 'street-address', which in OTP is not the streetAddress OID, so
  // 2.5.4.9 prints as "2.5.4.9=...".
  ['0.9.2342.19200300.100.1.1', 'UID'],
]);

/** Types OTP decodes as IA5String (domainComponent, emailAddress); any other value that is no DirectoryString stays DER. */
const IA5_TYPES: ReadonlySet<string> = new Set(['0.9.2342.19200300.100.1.25', '1.2.840.113549.1.9.1']);

interface Element {
  readonly tag: number;
  readonly start: number; // first content byte
  readonly end: number; // one past the last content byte
}

/** The DER element at `offset`, within `limit`. */
function element(der: Buffer, offset: number, limit: number): Element {
  if (offset + 2 > limit) throw new CertificateParseError('truncated DER element');
  const tag = der[offset] as number;
  let length = der[offset + 1] as number;
  let start = offset + 2;
  if (length & 0x80) {
    const bytes = length & 0x7f;
    if (bytes === 0 || bytes > 4 || start + bytes > limit) throw new CertificateParseError('bad DER length');
    length = der.readUIntBE(start, bytes);
    start += bytes;
  }
  const end = start + length;
  if (end > limit) throw new CertificateParseError('DER element overruns its parent');
  return { tag, start, end };
}

/** The elements inside a constructed element. */
function children(der: Buffer, parent: Element): Element[] {
  const out: Element[] = [];
  for (let offset = parent.start; offset < parent.end; ) {
    const child = element(der, offset, parent.end);
    out.push(child);
    offset = child.end;
  }
  return out;
}

function expect(el: Element | undefined, tag: number, what: string): Element {
  if (el === undefined || el.tag !== tag) throw new CertificateParseError(`expected ${what}`);
  return el;
}

function decodeOid(bytes: Buffer): string {
  const parts: number[] = [];
  let value = 0;
  for (const byte of bytes) {
    value = value * 128 + (byte & 0x7f);
    if (byte & 0x80) continue;
    if (parts.length === 0) parts.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80);
    else parts.push(value);
    value = 0;
  }
  return parts.join('.');
}

/** The subject name of a DER certificate (`getPeerCertificate().raw`). */
export function certificateSubject(der: Buffer): X509Name {
  const cert = expect(element(der, 0, der.length), SEQUENCE, 'Certificate');
  const tbs = children(der, expect(children(der, cert)[0], SEQUENCE, 'TBSCertificate'));
  // version [0] EXPLICIT (absent in v1), serialNumber, signature, issuer, validity, subject
  const subjectIndex = tbs[0]?.tag === CONTEXT_0 ? 5 : 4;
  const subject = expect(tbs[subjectIndex], SEQUENCE, 'subject Name');
  return children(der, subject).map((rdn) =>
    children(der, expect(rdn, SET, 'RelativeDistinguishedName')).map((atv) => {
      const [type, value] = children(der, expect(atv, SEQUENCE, 'AttributeTypeAndValue'));
      if (value === undefined) throw new CertificateParseError('attribute without a value');
      return {
        oid: decodeOid(der.subarray(expect(type, OID, 'attribute type').start, (type as Element).end)),
        tag: value.tag,
        value: der.subarray(value.start, value.end),
      };
    }),
  );
}

/** Code points of a string type that is not UTF-8, as UTF-8 bytes (rabbit_cert_info:utf8_list_from/1). */
function toUtf8(codePoints: number[]): Buffer {
  return Buffer.from(String.fromCodePoint(...codePoints), 'utf8');
}

/** An attribute value's bytes as rabbit_cert_info:format_asn1_value/1 gives them (UTF-8). */
function valueBytes(attr: NameAttribute): Buffer {
  const v = attr.value;
  if (DIRECTORY_STRING.includes(attr.tag) || IA5_TYPES.has(attr.oid)) {
    if (attr.tag === Tag.teletex) return toUtf8([...v]);
    if (attr.tag === Tag.bmp) return toUtf8(Array.from({ length: v.length >> 1 }, (_, i) => v.readUInt16BE(i * 2)));
    if (attr.tag === Tag.universal) return toUtf8(Array.from({ length: v.length >> 2 }, (_, i) => v.readUInt32BE(i * 4)));
    return v; // utf8String, printableString, ia5String
  }
  // Any other value: OTP leaves the DER, which RabbitMQ prints with ~p (not wrapped here as ~p
  // wraps past 80 columns).
  const der = Buffer.concat([Buffer.from([attr.tag]), derLength(v.length), v]);
  return Buffer.from(`<<${[...der].join(',')}>>`, 'latin1');
}

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let rest = n; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

const SPECIAL = new Set([...'"+,;<>\\'].map((c) => c.charCodeAt(0)));
const SPACE = 0x20;
const HASH = 0x23;

/** rabbit_cert_info:escape_rdn_value/1, byte by byte. */
function escapeValue(bytes: Buffer): string {
  let out = '';
  bytes.forEach((c, i) => {
    const first = i === 0;
    const last = i === bytes.length - 1;
    if ((first && (c === SPACE || c === HASH)) || (last && c === SPACE) || SPECIAL.has(c)) {
      out += '\\' + String.fromCharCode(c);
    } else if (c < 32 || c >= 126) {
      out += '\\' + c.toString(16).toUpperCase().padStart(2, '0');
    } else {
      out += String.fromCharCode(c);
    }
  });
  return out;
}

/** The distinguished name as RabbitMQ's ssl_cert_login_from = distinguished_name spells it. */
export function formatDistinguishedName(name: X509Name): string {
  return name
    .map((rdn) => rdn.map((attr) => `${TYPE_NAMES.get(attr.oid) ?? attr.oid}=${escapeValue(valueBytes(attr))}`).join('+'))
    .reverse()
    .join(',');
}

/** The common names joined by "," (ssl_cert_login_from = common_name), or undefined if there is none. */
export function formatCommonName(name: X509Name): string | undefined {
  const cns = name.flat().filter((attr) => attr.oid === COMMON_NAME);
  if (cns.length === 0) return undefined;
  return cns.map((attr) => valueBytes(attr).toString('utf8')).join(',');
}
