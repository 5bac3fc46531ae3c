/**
 * The user name a client certificate gives, as RabbitMQ's ssl_cert_login_from spells it: the
 * subject's common name(s), or the whole DN in rabbit_cert_info:subject/1's form. The expected
 * strings were checked against RabbitMQ 3.10.8's rabbit_cert_info; when Erlang and RabbitMQ are
 * installed, the last test asks rabbit_cert_info itself.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificateSubject, formatCommonName, formatDistinguishedName } from '../../../src/server/x509-name.js';
import { TestCerts, type Issued } from '../../helpers/certs.js';

interface Case {
  name: string;
  subject: string;
  options?: { multivalue?: boolean; utf8?: boolean; legacyStrings?: boolean };
  dn: string;
  cn: string | undefined;
}

const CASES: Case[] = [
  { name: 'plain', subject: '/C=GB/O=Warren Test/CN=alice', dn: 'CN=alice,O=Warren Test,C=GB', cn: 'alice' },
  { name: 'comma', subject: '/C=US/O=Acme, Inc./CN=bob', dn: 'CN=bob,O=Acme\\, Inc.,C=US', cn: 'bob' },
  {
    name: 'specials',
    subject: '/O=#hash "q" <a> ;\\+x=y\\\\/CN= lead ',
    dn: 'CN=\\ lead\\ ,O=\\#hash \\"q\\" \\<a\\> \\;\\+x=y\\\\',
    cn: ' lead ',
  },
  {
    name: 'multi',
    subject: '/DC=com/DC=example/O=Org/CN=x+UID=u1/emailAddress=x@example.com',
    options: { multivalue: true },
    dn: 'EMAILADDRESS=x@example.com,CN=x+UID=u1,O=Org,DC=example,DC=com',
    cn: 'x',
  },
  {
    name: 'types',
    subject: '/SN=Smith/title=Dr/serialNumber=42/street=Main St/CN=a+CN=b',
    options: { multivalue: true },
    dn: 'CN=a+CN=b,2.5.4.9=Main St,SERIALNUMBER=42,TITLE=Dr,SN=Smith',
    cn: 'a,b',
  },
  { name: 'utf8', subject: '/O=Zoë ~/CN=élan', options: { utf8: true }, dn: 'CN=\\C3\\A9lan,O=Zo\\C3\\AB \\7E', cn: 'élan' },
  {
    name: 'legacy',
    subject: '/O=Zoë/OU=Ωmega/CN=plain',
    options: { utf8: true, legacyStrings: true },
    dn: 'CN=plain,OU=\\CE\\A9mega,O=Zo\\C3\\AB',
    cn: 'plain',
  },
  { name: 'no-cn', subject: '/O=Nobody', dn: 'O=Nobody', cn: undefined },
];

let certs: TestCerts;
const issued = new Map<string, Issued>();

beforeAll(() => {
  certs = new TestCerts();
  for (const c of CASES) issued.set(c.name, certs.issue(c.name, c.subject, 'client', c.options));
});

afterAll(() => certs.remove());

const der = (name: string): Buffer => new X509Certificate(readFileSync((issued.get(name) as Issued).cert)).raw;

describe('certificate login names', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const subject = certificateSubject(der(c.name));
    expect(formatDistinguishedName(subject)).toBe(c.dn);
    expect(formatCommonName(subject)).toBe(c.cn);
  });

  it('reads the string types it is given (T61String and BMPString in the legacy case)', () => {
    const tags = certificateSubject(der('legacy')).flat().map((attr) => attr.tag);
    expect(tags).toEqual([0x14, 0x1e, 0x13]);
  });

  it('spells simple DNs as openssl -nameopt RFC2253 does', () => {
    for (const name of ['plain', 'comma']) {
      expect(formatDistinguishedName(certificateSubject(der(name)))).toBe(certs.rfc2253Subject(issued.get(name) as Issued));
    }
  });

  it('rejects bytes that are not a certificate', () => {
    expect(() => certificateSubject(Buffer.from([0x30, 0x03, 0x02, 0x01]))).toThrow(/DER|expected/);
  });

  const rabbitCommon = findRabbitCommon();
  it.skipIf(rabbitCommon === undefined)('matches RabbitMQ’s rabbit_cert_info on every case', () => {
    const files = CASES.map((c) => {
      const path = join(certs.dir, `${c.name}.der`);
      writeFileSync(path, der(c.name));
      return path;
    });
    const script = `lists:foreach(fun(F) -> {ok, D} = file:read_file(F),
        CN = case rabbit_cert_info:subject_items(D, {2,5,4,3}) of not_found -> <<"-">>; L -> unicode:characters_to_binary(string:join(L, ",")) end,
        io:format("~s~n~s~n", [iolist_to_binary(rabbit_cert_info:subject(D)), CN]) end, [${files.map((f) => JSON.stringify(f)).join(',')}]), halt().`;
    const out = execFileSync('erl', ['-noshell', '-pa', rabbitCommon as string, '-eval', script], { encoding: 'utf8', timeout: 30_000 });
    const lines = out.split('\n');
    CASES.forEach((c, i) => {
      expect(lines[2 * i], c.name).toBe(c.dn);
      expect(Buffer.from(lines[2 * i + 1] as string, 'latin1').toString('utf8'), c.name).toBe(c.cn ?? '-');
    });
  });
});

/** The ebin directory of RabbitMQ's rabbit_common, when RabbitMQ is installed from Debian. */
function findRabbitCommon(): string | undefined {
  const lib = '/usr/lib/rabbitmq/lib';
  if (!existsSync(lib)) return undefined;
  for (const server of readdirSync(lib)) {
    const plugins = join(lib, server, 'plugins');
    if (!existsSync(plugins)) continue;
    const common = readdirSync(plugins).find((name) => name.startsWith('rabbit_common-'));
    if (common !== undefined && existsSync(join(plugins, common, 'ebin'))) return join(plugins, common, 'ebin');
  }
  return undefined;
}
